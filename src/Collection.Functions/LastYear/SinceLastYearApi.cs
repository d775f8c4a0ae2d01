using Collection.Domain.Policies;
using Collection.Domain.Rosters;
using Collection.Functions.Files;
using Collection.Functions.Hosting;
using Collection.Functions.Ledger;
using Collection.Functions.Policies;
using Collection.Functions.Reports;
using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.LastYear;

/// <summary>One unit's year on year: last year's roll against this year's insured (D18 "与上年相比不降低", Y28 "不低于上年度实际完成数").</summary>
public sealed record YearOnYearUnit(
    string Unit, int LastYearPeople, decimal LastYearAmount, int ThisYearInsured, decimal ThisYearPaidAmount,
    int PeopleChange, decimal AmountChange, bool NotBelowLastYear, int NotRenewed, IReadOnlyList<CommunityCount> Communities);

/// <summary>How many of a community's (村居's) payers of last year are not insured this year.</summary>
public sealed record CommunityCount(string Community, int NotRenewed);

/// <summary>A payer of last year not insured this year on the day, with the 断保 warning.</summary>
public sealed record NotRenewedPerson(
    string? Town, string? Community, string? School, string Name, string IdNumber, string? Phone, string? Address,
    decimal? LastYearAmount, string? LastYearPaidOn, string Status, string StatusZh, decimal? Owed, string Warning, string WarningZh);

public sealed record SinceLastYearReport(
    string Policy, string AsOf, string? Unit, string CollectionEnd, bool CollectionEnded, string? CheckStageStart, bool? CheckStageOpen,
    int RollPeople, IReadOnlyList<YearOnYearUnit> Units, YearOnYearUnit Total, IReadOnlyList<NotRenewedPerson>? People, bool Truncated);

/// <summary>
/// 排查 (luyang-2023 七(三) "通过与上年度参保信息比对……对未参保的居民推送参保提示信息", from <c>check-stage-start</c>; baiyin-2023
/// 八(三) "对未参保人员实行精准推送式宣传"; dalate-2022 六(二) "核准核实应参保人员、参保人员、未参保人员"):
/// <c>GET /api/reports/{policy}/since-last-year?date=&amp;unit=&amp;format=json|csv|xlsx[&amp;view=units]</c>. Who is on last year's roll
/// and not insured this year on the day — not registered, or registered and still owing — per town and community, with
/// the 断保 warning (<c>lapse-risk</c> while the collection period is open, <c>lapsed</c> after it); and per town last
/// year's payers and money against this year's insured and their payments (<c>view=units</c>: that table as a file). Staff see whole ID numbers; community keys
/// see them masked, and a key scoped to a unit (<c>Keys:community:&lt;unit&gt;</c>) only that unit.
/// </summary>
public sealed class SinceLastYearApi(LastYearRollStore store, EnrolmentLedger ledger, PolicyCatalog policies, ChinaClock clock)
{
    public const string CheckStageDeadline = "check-stage-start";

    /// <summary>People listed in a JSON answer (the files have them all).</summary>
    public const int JsonPeople = 1000;

    private static readonly string[] Headers =
        ["乡镇街道", "社区（村）", "学校", "姓名", "证件号码", "联系电话", "地址", "上年度缴费金额", "上年度缴费日期", "本年度状态", "欠缴金额", "断保提示"];

    [Function("SinceLastYear")]
    [Roles(FunctionRoles.Staff, FunctionRoles.Community)]
    public async Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "reports/{policy}/since-last-year")] HttpRequest request, string policy, CancellationToken cancellationToken)
    {
        if (!ReportRequest.TryRead(request, policy, policies, clock, out var known, out var day, out var problem))
        {
            return problem;
        }

        var format = Query.Text(request, "format") ?? "json";
        if (format is not ("json" or "csv" or "xlsx"))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "unknown-format", "Unknown format.", "format: json (default), csv or xlsx.", "format",
                new Dictionary<string, object?> { ["detailZh"] = "format 可取 json（默认）、csv 或 xlsx" });
        }

        var view = Query.Text(request, "view") ?? "people";
        if (view is not ("people" or "units"))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "unknown-view", "Unknown view.", "view: people (default: who is not insured) or units (year on year per town, for csv and xlsx).", "view",
                new Dictionary<string, object?> { ["detailZh"] = "view 可取 people（上年参保本年未参保人员，默认）或 units（各乡镇街道与上年对比）" });
        }

        var unit = Query.Text(request, "unit")?.Trim();
        if (TextLimits.Check("unit", unit, TextLimits.Town) is { } tooLong)
        {
            return tooLong.ToResult();
        }

        var user = request.HttpContext.User;
        if (user.OwnUnit() is { } own)
        {
            if (!string.IsNullOrEmpty(unit) && !string.Equals(unit, own, StringComparison.Ordinal))
            {
                return LastYearApi.ForbiddenUnit(own);
            }

            unit = own;
        }

        unit = string.IsNullOrEmpty(unit) ? null : unit;
        var wholeIds = user.IsInRole(FunctionRoles.Admin) || user.IsInRole(FunctionRoles.Staff);
        var report = await BuildAsync(known, day, unit, wholeIds, cancellationToken).ConfigureAwait(false);
        if (report is null)
        {
            return LastYearApi.NoRoll(known, null);
        }

        if (format == "json")
        {
            var listed = unit is null ? null : report.People;
            return TypedResults.Ok(report.Summary with { People = listed?.Take(JsonPeople).ToList(), Truncated = listed?.Count > JsonPeople });
        }

        var name = $"since-last-year-{known.Code}-{IsoDate.Text(day)}";
        if (view == "units")
        {
            return await UnitsFileAsync(format, name, [.. report.Summary.Units, report.Summary.Total], cancellationToken).ConfigureAwait(false);
        }

        return await ReportFiles.FileAsync(format, name, "上年参保本年未参保", Headers,
            report.People.Select(p => (IReadOnlyList<object?>)[p.Town, p.Community, p.School, p.Name, p.IdNumber, p.Phone, p.Address, p.LastYearAmount, p.LastYearPaidOn, p.StatusZh, p.Owed, p.WarningZh]),
            cancellationToken).ConfigureAwait(false);
    }

    private static readonly string[] UnitHeaders =
        ["单位", "上年度参保缴费人数", "上年度缴费金额", "本年度参保缴费人数", "本年度个人缴费金额", "人数增减", "金额增减", "不低于上年", "上年参保本年未参保人数"];

    /// <summary>The year on year per town (D18 "参保人数、基金征缴收入与上年相比不降低"; Y28 "不低于上年度实际完成数") as a file.</summary>
    private static Task<IResult> UnitsFileAsync(string format, string name, IReadOnlyList<YearOnYearUnit> rows, CancellationToken cancellationToken) =>
        ReportFiles.FileAsync(format, name + "-units", "与上年对比", UnitHeaders,
            rows.Select(u => (IReadOnlyList<object?>)[u.Unit, u.LastYearPeople, u.LastYearAmount, u.ThisYearInsured, u.ThisYearPaidAmount, u.PeopleChange, u.AmountChange,
                CsvReportWriter.YesNo(u.NotBelowLastYear), u.NotRenewed]), cancellationToken);

    private sealed record Built(SinceLastYearReport Summary, List<NotRenewedPerson> People);

    /// <summary>The comparison as of <paramref name="day"/>; null when the policy has no roll loaded.</summary>
    private async Task<Built?> BuildAsync(Policy policy, DateOnly day, string? unit, bool wholeIds, CancellationToken cancellationToken)
    {
        // This year: each registered person's state on the day, and per town the insured and what they paid.
        var timeline = await PaidTimeline.LoadAsync(ledger, policy.Code, cancellationToken).ConfigureAwait(false);
        var states = new Dictionary<string, decimal>(StringComparer.Ordinal);
        var units = new SortedDictionary<string, Tally>(StringComparer.Ordinal);
        await foreach (var entry in ledger.ScanAsync(policy.Code, cancellationToken).ConfigureAwait(false))
        {
            var e = entry.Enrolment;
            if (e.EnrolledOn > day || ProgressReport.CancelledBy(e, day))
            {
                continue;
            }

            var paid = timeline.PaidBy(e, day);
            var owed = Math.Max(0m, e.Terms.Payable - paid);
            states[entry.IdNumber] = owed;
            if (owed == 0m)
            {
                var tally = TallyOf(units, ReportUnits.TownOf(entry) ?? ReportUnits.UnassignedName);
                tally.Insured++;
                tally.Paid += paid;
            }
        }

        var ended = day > policy.CollectionEnd;
        var rollPeople = 0;
        var people = new List<NotRenewedPerson>();
        await foreach (var person in store.ScanAsync(policy.Code, cancellationToken).ConfigureAwait(false))
        {
            rollPeople++;
            var town = person.Town ?? ReportUnits.UnassignedName;
            var tally = TallyOf(units, town);
            tally.LastYear++;
            tally.LastYearAmount += person.Amount ?? 0m;
            var registered = states.TryGetValue(person.IdNumber, out var owed);
            if (registered && owed == 0m)
            {
                continue;
            }

            tally.NotRenewed++;
            var community = person.Community ?? "";
            tally.Communities[community] = tally.Communities.GetValueOrDefault(community) + 1;
            if (unit is not null && !LastYearApi.InUnit(person, unit))
            {
                continue;
            }

            people.Add(new NotRenewedPerson(person.Town, person.Community, person.School, person.Name, wholeIds ? person.IdNumber : RosterChecker.Mask(person.IdNumber),
                person.Phone, person.Address, person.Amount, person.PaidOn is { } p ? IsoDate.Text(p) : null,
                registered ? "enrolled-unpaid" : "not-enrolled", registered ? "已登记未缴费" : "未参保登记", registered ? owed : null,
                ended ? "lapsed" : "lapse-risk", ended ? "断保：集中缴费期已结束仍未参保缴费" : $"断保风险：请于 {IsoDate.Text(policy.CollectionEnd)} 前参保缴费"));
        }

        if (rollPeople == 0)
        {
            return null;
        }

        people.Sort((a, b) => string.CompareOrdinal($"{a.Town}|{a.Community}|{a.IdNumber}", $"{b.Town}|{b.Community}|{b.IdNumber}"));
        var rows = units.Where(u => unit is null || u.Key == unit || u.Value.Communities.ContainsKey(unit)).Select(u => u.Value.Row(u.Key)).ToList();
        var total = new Tally();
        foreach (var t in units.Values)
        {
            total.Plus(t);
        }

        var checkStage = LastYearApi.DeadlineOf(policy, CheckStageDeadline);
        var summary = new SinceLastYearReport(policy.Code, IsoDate.Text(day), unit, IsoDate.Text(policy.CollectionEnd), ended,
            checkStage is { } s ? IsoDate.Text(s) : null, checkStage is { } start ? day >= start : null,
            rollPeople, rows, total.Row("合计"), null, false);
        return new Built(summary, people);
    }

    private static Tally TallyOf(SortedDictionary<string, Tally> units, string name)
    {
        if (!units.TryGetValue(name, out var tally))
        {
            units[name] = tally = new Tally();
        }

        return tally;
    }

    private sealed class Tally
    {
        public int LastYear { get; set; }

        public decimal LastYearAmount { get; set; }

        public int Insured { get; set; }

        public decimal Paid { get; set; }

        public int NotRenewed { get; set; }

        public SortedDictionary<string, int> Communities { get; } = new(StringComparer.Ordinal);

        public void Plus(Tally other)
        {
            LastYear += other.LastYear;
            LastYearAmount += other.LastYearAmount;
            Insured += other.Insured;
            Paid += other.Paid;
            NotRenewed += other.NotRenewed;
        }

        public YearOnYearUnit Row(string unit) =>
            new(unit, LastYear, LastYearAmount, Insured, Paid, Insured - LastYear, Paid - LastYearAmount, Insured >= LastYear && Paid >= LastYearAmount, NotRenewed,
                [.. Communities.Select(c => new CommunityCount(c.Key, c.Value))]);
    }
}
