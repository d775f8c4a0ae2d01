using System.Globalization;
using Collection.Domain.Policies;
using Collection.Functions.Hosting;
using Collection.Functions.Ledger;
using Collection.Functions.Policies;
using Collection.Functions.Subsidies;
using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.Reports;

/// <summary>
/// One unit's standing: its completion of the task (the progress report's figures), its rank by completion among the
/// units with a task, and the shortfalls the notices name: <c>below-target</c> (参保计划/任务未完成), <c>monthly-report-missing</c>
/// (a month whose report day has passed has no report of the unit), <c>special-ledger-not-enrolled</c> (people of the
/// special ledgers in the unit not enrolled).
/// </summary>
public sealed record AssessmentUnit(
    int? Rank,
    string Unit,
    string Kind,
    int? Target,
    int Insured,
    decimal? Completion,
    int? Shortfall,
    int MonthlyReportsDue,
    IReadOnlyList<string> MonthlyReportsMissing,
    int SpecialLedgerNotEnrolled,
    IReadOnlyList<string> Flags);

/// <summary>
/// 考核 (bagongshan-2022 八(一) "纳入市、县（区）政府目标绩效考核"; luyang-2023 八(三) "任务完成情况纳入……考核范围……任务完成较差的将按规定进行扣分"
/// and 八(四) "报送信息的质量和篇数纳入民生工程考核范围"; baiyin-2023 八(二) "参保计划完成情况将纳入全市医保系统绩效考核主要指标"). No notice
/// gives points or a formula, so none is invented: units are ranked by completion and their shortfalls listed
/// (policies/README.md, decision).
/// </summary>
public sealed record AssessmentReport(string Policy, string AsOf, string Basis, IReadOnlyList<AssessmentUnit> Units)
{
    public const string BasisText = "按任务完成率排名（通知未规定计分办法，不计分），列出未完成任务、缺报月报、专项台账人员未参保";
    public const string BelowTarget = "below-target";
    public const string MonthlyReportMissing = "monthly-report-missing";
    public const string SpecialNotEnrolled = "special-ledger-not-enrolled";

    public static async Task<AssessmentReport> BuildAsync(EnrolmentLedger ledger, SubsidyIdentityBook book, MonthlyReports monthly, Policy policy, ReportUnits units, DateOnly day, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(monthly);
        var progress = await ProgressReport.BuildAsync(ledger, policy, units, day, cancellationToken).ConfigureAwait(false);
        var special = await SpecialLedger.BuildAsync(ledger, book, policy, day, null, null, listPeople: false, id => id, cancellationToken).ConfigureAwait(false);
        var notEnrolled = special.Units.GroupBy(u => u.Unit, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(u => u.NotEnrolled), StringComparer.Ordinal);

        // Months whose report day has passed by the day, within the period (MonthlyReports writes one per unit on that day).
        var months = new List<string>();
        if (MonthlyReports.DueDay(policy) is { } dueDay)
        {
            for (var month = new DateOnly(policy.CollectionStart.Year, policy.CollectionStart.Month, 1); month <= day && month <= policy.CollectionEnd; month = month.AddMonths(1))
            {
                var due = MonthlyReports.DueIn(dueDay, month);
                if (due > policy.CollectionStart && due <= policy.CollectionEnd && due <= day)
                {
                    months.Add(month.ToString("yyyy-MM", CultureInfo.InvariantCulture));
                }
            }
        }

        var rows = new List<AssessmentUnit>();
        foreach (var unit in progress.Units)
        {
            var missing = new List<string>();
            if (unit.Kind == UnitKinds.Town)
            {
                foreach (var month in months)
                {
                    if (await monthly.ReadAsync(policy.Code, month, unit.Unit, "xlsx", cancellationToken).ConfigureAwait(false) is null)
                    {
                        missing.Add(month);
                    }
                }
            }

            var people = notEnrolled.GetValueOrDefault(unit.Unit);
            var flags = new List<string>();
            if (unit.Completion is < 1m)
            {
                flags.Add(BelowTarget);
            }

            if (missing.Count > 0)
            {
                flags.Add(MonthlyReportMissing);
            }

            if (people > 0)
            {
                flags.Add(SpecialNotEnrolled);
            }

            rows.Add(new AssessmentUnit(null, unit.Unit, unit.Kind, unit.Target, unit.Insured, unit.Completion, unit.Shortfall,
                unit.Kind == UnitKinds.Town ? months.Count : 0, missing, people, flags));
        }

        // Competition ranking (1, 2, 2, 4) of the units with a task, best completion first; the rest after, unranked, in the report's order.
        var ranked = rows.Where(r => r.Completion is not null).OrderByDescending(r => r.Completion).ThenBy(r => r.Unit, StringComparer.Ordinal).ToList();
        var result = new List<AssessmentUnit>();
        for (var i = 0; i < ranked.Count; i++)
        {
            var rank = i > 0 && ranked[i].Completion == ranked[i - 1].Completion ? result[i - 1].Rank : i + 1;
            result.Add(ranked[i] with { Rank = rank });
        }

        result.AddRange(rows.Where(r => r.Completion is null));
        return new AssessmentReport(policy.Code, IsoDate.Text(day), BasisText, result);
    }
}

/// <summary><c>GET /api/reports/{policy}/assessment-scores?date=&amp;format=json|csv|xlsx</c> (staff): the units ranked by completion, with their shortfalls.</summary>
public sealed class AssessmentScoresApi(EnrolmentLedger ledger, SubsidyIdentityBook book, MonthlyReports monthly, TargetStore targets, PolicyCatalog policies, ChinaClock clock)
{
    private static readonly string[] Headers = ["排名", "单位", "类别", "征缴任务数", "参保缴费人数", "任务完成率", "距任务差额", "应报月报数", "缺报月份", "专项台账未参保人数", "问题"];

    [Function("AssessmentScores")]
    [Roles(FunctionRoles.Staff)]
    public async Task<IResult> Get(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "reports/{policy}/assessment-scores")] HttpRequest request, string policy, CancellationToken cancellationToken)
    {
        if (!ReportRequest.TryRead(request, policy, policies, clock, out var known, out var day, out var problem))
        {
            return problem;
        }

        var format = Query.Text(request, "format");
        if (!ReportFiles.IsFormat(format))
        {
            return ReportFiles.UnknownFormat();
        }

        var units = ReportUnits.For(known, await targets.GetAsync(known.Code, cancellationToken).ConfigureAwait(false));
        var report = await AssessmentReport.BuildAsync(ledger, book, monthly, known, units, day, cancellationToken).ConfigureAwait(false);
        if (format is null or "json")
        {
            return TypedResults.Ok(report);
        }

        return await ReportFiles.FileAsync(format, $"assessment-{known.Code}-{IsoDate.Text(day)}", "考核排名", Headers,
            report.Units.Select(u => (IReadOnlyList<object?>)[u.Rank, u.Unit, ProgressFiles.KindLabel(u.Kind), u.Target, u.Insured, ProgressFiles.Percent(u.Completion), u.Shortfall,
                u.MonthlyReportsDue, string.Join("、", u.MonthlyReportsMissing), u.SpecialLedgerNotEnrolled, string.Join("、", u.Flags.Select(Label))]), cancellationToken).ConfigureAwait(false);
    }

    private static string Label(string flag) => flag switch
    {
        AssessmentReport.BelowTarget => "未完成征缴任务",
        AssessmentReport.MonthlyReportMissing => "缺报月报",
        _ => "专项台账人员未参保",
    };
}
