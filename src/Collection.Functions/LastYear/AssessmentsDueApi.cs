using Collection.Domain.Codes;
using Collection.Domain.Policies;
using Collection.Functions.Files;
using Collection.Functions.Hosting;
using Collection.Functions.Ledger;
using Collection.Functions.Policies;
using Collection.Functions.Reports;
using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.LastYear;

/// <summary>
/// 应征信息 for tax (wuhai-2022 四 "批量生成……基础登记信息、参保信息和应征信息，并推送给税务部门"; 四(二) schools' pupils
/// "由医保部门……推送至税务部门"): <c>GET /api/reports/{policy}/assessments-due?date=&amp;unit=&amp;format=csv|xlsx</c>
/// (staff, tax) — every registration standing on the day (not cancelled) with what is due, per unit (the progress
/// report's units), whole ID numbers, Chinese headers, CSV (UTF-8 with BOM) by default.
/// </summary>
public sealed class AssessmentsDueApi(EnrolmentLedger ledger, TargetStore targets, PolicyCatalog policies, ChinaClock clock)
{
    private static readonly string[] Headers =
        ["单位", "乡镇街道", "姓名", "证件类型", "证件号码", "人员类别", "登记日期", "登记来源", "费款所属期起", "费款所属期止", "缴费标准", "资助金额", "个人应缴金额", "已缴金额", "未缴金额"];

    [Function("AssessmentsDue")]
    [Roles(FunctionRoles.Staff, FunctionRoles.Tax)]
    public async Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "reports/{policy}/assessments-due")] HttpRequest request, string policy, CancellationToken cancellationToken)
    {
        if (!ReportRequest.TryRead(request, policy, policies, clock, out var known, out var day, out var problem))
        {
            return problem;
        }

        var format = Query.Text(request, "format") ?? "csv";
        if (format is not ("csv" or "xlsx"))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "unknown-format", "Unknown format.", "format: csv (default) or xlsx.", "format",
                new Dictionary<string, object?> { ["detailZh"] = "format 可取 csv（默认）或 xlsx" });
        }

        var unit = Query.Text(request, "unit")?.Trim();
        if (TextLimits.Check("unit", unit, TextLimits.Town) is { } tooLong)
        {
            return tooLong.ToResult();
        }

        var units = ReportUnits.For(known, await targets.GetAsync(known.Code, cancellationToken).ConfigureAwait(false));
        var timeline = await PaidTimeline.LoadAsync(ledger, known.Code, cancellationToken).ConfigureAwait(false);
        var rows = new List<object?[]>();
        await foreach (var entry in ledger.ScanAsync(known.Code, cancellationToken).ConfigureAwait(false))
        {
            var e = entry.Enrolment;
            if (e.EnrolledOn > day || ProgressReport.CancelledBy(e, day))
            {
                continue;
            }

            var unitName = units.Of(entry).Name;
            if (!string.IsNullOrEmpty(unit) && !string.Equals(unitName, unit, StringComparison.Ordinal))
            {
                continue;
            }

            var paid = timeline.PaidBy(e, day);
            rows.Add([unitName, ReportUnits.TownOf(entry), entry.Person.Name, LastYearApi.IdTypeLabel(entry.Request.IdType) ?? "居民身份证", entry.IdNumber, PopulationLabel(entry),
                CsvReportWriter.Date(e.EnrolledOn), e.Source, CsvReportWriter.Date(e.Terms.CoverageStart), CsvReportWriter.Date(e.Terms.CoverageEnd),
                e.Terms.StandardContribution, e.Terms.Subsidy, e.Terms.Payable, paid, Math.Max(0m, e.Terms.Payable - paid)]);
        }

        // By unit, then ID number: the same file for the same day every time.
        rows.Sort((a, b) => string.CompareOrdinal($"{a[0]}|{a[4]}", $"{b[0]}|{b[4]}"));
        var name = $"assessments-due-{known.Code}-{IsoDate.Text(day)}";
        return await ReportFiles.FileAsync(format, name, "应征信息", Headers, rows, cancellationToken).ConfigureAwait(false);
    }

    private static string? PopulationLabel(LedgerEntry entry) =>
        ReportUnits.PopulationOf(entry) is { } code && Glossary.Populations.TryParse(code, out var population) ? Glossary.Populations.Label(population) : null;
}
