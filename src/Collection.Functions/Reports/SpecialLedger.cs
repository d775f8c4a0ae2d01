using Collection.Domain.Codes;
using Collection.Domain.Policies;
using Collection.Functions.Ledger;
using Collection.Functions.Subsidies;

namespace Collection.Functions.Reports;

/// <summary>
/// The groups of the special ledgers (分类专项台账, bagongshan-2022 八(四) "特困人员、低保对象、脱贫人口和残疾人等困难群体";
/// baiyin-2023 八(二) "农村低收入人口参保、资助台账"): each confirmed identity belongs to one group; identities the
/// notices do not group (孤儿, 三民 …) are a group of their own under their label.
/// </summary>
public static class SpecialGroups
{
    private static readonly (string Name, string Key, SubsidyIdentity[] Identities)[] Named =
    [
        ("特困人员", "特困", [SubsidyIdentity.ExtremePoverty]),
        ("低保对象", "低保", [SubsidyIdentity.MinimumLivingAllowance]),
        ("脱贫人口", "脱贫", [SubsidyIdentity.PovertyLifted]),
        ("防止返贫监测对象", "监测", [SubsidyIdentity.PovertyUnstable, SubsidyIdentity.ReturnedToPoverty, SubsidyIdentity.AtRiskOfReturning, SubsidyIdentity.SuddenHardship, SubsidyIdentity.LowIncomeMargin]),
        ("残疾人", "残疾", [SubsidyIdentity.DisabledGrade1, SubsidyIdentity.DisabledGrade2, SubsidyIdentity.DisabledUnableToWork]),
    ];

    public static string Of(SubsidyIdentity identity) =>
        Named.FirstOrDefault(g => g.Identities.Contains(identity)).Name ?? Glossary.SubsidyIdentities.Label(identity);

    /// <summary>A group from <c>?group=</c>: its name, its short word (特困, 低保, 脱贫, 监测, 残疾), or any identity's code or label.</summary>
    public static bool TryParse(string text, out string group)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim();
        foreach (var (name, key, _) in Named)
        {
            if (t == name || t == key)
            {
                group = name;
                return true;
            }
        }

        group = Glossary.SubsidyIdentities.TryParse(t, out var identity) ? Of(identity) : "";
        return group.Length > 0;
    }

    /// <summary>Named groups first, in the notices' order, then the others by name.</summary>
    public static int Order(string group) => Array.FindIndex(Named, g => g.Name == group) is var i and >= 0 ? i : Named.Length;
}

/// <summary>One group's people in one unit (or all units: <see cref="Unit"/> = 合计), by enrolment state on the day.</summary>
public sealed record SpecialLedgerFigures(string Group, string? County, string Unit, int People, int Registered, int Insured, int Paid, int Waived, int Subsidised, int NotEnrolled, int Unpaid, decimal? Rate);

/// <summary>One person of a group, with the list that confirmed them and their enrolment state.</summary>
public sealed record SpecialLedgerPerson(string Group, string? County, string Unit, string Name, string IdNumber, string Identity, string Department,
    string State, string? EnrolledOn, decimal Payable, decimal PaidSoFar, decimal Subsidy);

/// <summary>
/// 分类专项台账 as of a day: the people a department's list puts in a group on the day (the identity book's spells in
/// force), each with their enrolment state, per town (the town the list gave, else the enrolment's) and, where the
/// policy has fiscal tiers (baiyin-2023), per county. The lists carry no village, so the ledger stops at the town.
/// </summary>
public sealed record SpecialLedger(string Policy, string AsOf, IReadOnlyList<SpecialLedgerFigures> Units, IReadOnlyList<SpecialLedgerFigures> Groups, IReadOnlyList<SpecialLedgerPerson>? People)
{
    public const string NotEnrolled = "not-enrolled";
    public const string Unpaid = "unpaid";
    public const string Paid = "paid";
    public const string Waived = "waived";

    public static string StateLabel(string state) => state switch
    {
        NotEnrolled => "未参保",
        Unpaid => "已登记未缴费",
        Waived => "全额资助已参保",
        _ => "已缴费",
    };

    public static async Task<SpecialLedger> BuildAsync(EnrolmentLedger ledger, SubsidyIdentityBook book, Policy policy, DateOnly day,
        string? group, string? unit, bool listPeople, Func<string, string> showId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(book);
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(showId);

        // One row per person and group: a 低保 who is also disabled is in both ledgers, once in each.
        var members = new Dictionary<(string Id, string Group), IdentitySpell>();
        await foreach (var spell in book.ScanAsync(policy.Code, cancellationToken).ConfigureAwait(false))
        {
            var g = SpecialGroups.Of(spell.Identity);
            if (spell.Covers(day) && (group is null || g == group))
            {
                members.TryAdd((spell.Id.ToString(), g), spell);
            }
        }

        var ids = members.Keys.Select(k => k.Id).ToHashSet(StringComparer.Ordinal);
        var entries = new Dictionary<string, LedgerEntry>(StringComparer.Ordinal);
        await foreach (var entry in ledger.ScanAsync(policy.Code, cancellationToken).ConfigureAwait(false))
        {
            if (ids.Contains(entry.IdNumber))
            {
                entries[entry.IdNumber] = entry;
            }
        }

        var timeline = await PaidTimeline.LoadAsync(ledger, policy.Code, cancellationToken).ConfigureAwait(false);
        var counties = (policy.Document.FiscalSubsidy?.Tiers ?? []).SelectMany(t => t.Counties ?? []).Select(c => (Code: c.Code!, Name: c.Name ?? c.Code!)).ToList();
        var tallies = new SortedDictionary<(int Order, string Group, string County, string Unit), Tally>();
        var groupTallies = new SortedDictionary<(int Order, string Group), Tally>();
        var people = listPeople ? new List<SpecialLedgerPerson>() : null;
        foreach (var ((id, g), spell) in members)
        {
            var entry = entries.GetValueOrDefault(id);
            var town = !string.IsNullOrWhiteSpace(spell.Town) ? spell.Town.Trim() : entry is null ? null : ReportUnits.TownOf(entry);
            var place = town ?? ReportUnits.UnassignedName;
            if (unit is not null && place != unit)
            {
                continue;
            }

            var county = counties.Count == 0 ? null : FiscalSharesReport.CountyOf(town, id, counties) is var code && counties.FirstOrDefault(c => c.Code == code).Name is { } name ? name : "未识别县区";
            var (state, paid) = StateOf(entry, day, timeline);
            var key = (SpecialGroups.Order(g), g, county ?? "", place);
            if (!tallies.TryGetValue(key, out var tally))
            {
                tallies[key] = tally = new Tally();
            }

            tally.Add(state, entry);
            if (!groupTallies.TryGetValue((key.Item1, g), out var total))
            {
                groupTallies[(key.Item1, g)] = total = new Tally();
            }

            total.Add(state, entry);
            if (people is not null)
            {
                var department = Glossary.Departments.TryParse(spell.Department, out var d) ? Glossary.Departments.Label(d) : spell.Department;
                people.Add(new SpecialLedgerPerson(g, county, place, entry?.Person.Name ?? spell.Name, showId(id), Glossary.SubsidyIdentities.Label(spell.Identity), department,
                    state, state == NotEnrolled ? null : IsoDate.Text(entry!.Enrolment.EnrolledOn),
                    state == NotEnrolled ? 0m : entry!.Enrolment.Terms.Payable, paid, state == NotEnrolled ? 0m : entry!.Enrolment.Terms.Subsidy));
            }
        }

        people?.Sort((a, b) => (SpecialGroups.Order(a.Group), a.Group, a.County ?? "", a.Unit, a.State, a.IdNumber).CompareTo((SpecialGroups.Order(b.Group), b.Group, b.County ?? "", b.Unit, b.State, b.IdNumber)));
        return new SpecialLedger(policy.Code, IsoDate.Text(day),
            [.. tallies.Select(t => t.Value.Figures(t.Key.Group, t.Key.County.Length == 0 ? null : t.Key.County, t.Key.Unit))],
            [.. groupTallies.Select(t => t.Value.Figures(t.Key.Group, null, ProgressReport.TotalName))],
            people);
    }

    private static (string State, decimal Paid) StateOf(LedgerEntry? entry, DateOnly day, PaidTimeline timeline)
    {
        var e = entry?.Enrolment;
        if (e is null || e.EnrolledOn > day || ProgressReport.CancelledBy(e, day))
        {
            return (NotEnrolled, 0m);
        }

        var paid = timeline.PaidBy(e, day);
        return paid < e.Terms.Payable ? (Unpaid, paid)
            : e.Terms.Waived || e.Terms.Payable == 0m ? (Waived, paid)
            : (Paid, paid);
    }

    private sealed class Tally
    {
        private int _people, _registered, _insured, _paid, _waived, _subsidised;

        public void Add(string state, LedgerEntry? entry)
        {
            _people++;
            if (state == NotEnrolled)
            {
                return;
            }

            _registered++;
            if (state == Unpaid)
            {
                return;
            }

            _insured++;
            if (state == Waived)
            {
                _waived++;
            }
            else
            {
                _paid++;
                _subsidised += entry!.Enrolment.Terms.Subsidy > 0m ? 1 : 0;
            }
        }

        public SpecialLedgerFigures Figures(string group, string? county, string unit) =>
            new(group, county, unit, _people, _registered, _insured, _paid, _waived, _subsidised, _people - _registered, _registered - _insured,
                _people > 0 ? Math.Round((decimal)_insured / _people, 4, MidpointRounding.AwayFromZero) : null);
    }
}
