using Collection.Domain.Codes;
using Collection.Domain.Policies;
using Collection.Functions.Ledger;

namespace Collection.Functions.Reports;

/// <summary>What kind of unit an enrolment is counted under.</summary>
public static class UnitKinds
{
    /// <summary>A town or street (乡镇街道): the enrolment's town.</summary>
    public const string Town = "town";

    /// <summary>A department or other unit of the policy's task table with its own rule (区残联, 区教体局).</summary>
    public const string Department = "department";

    /// <summary>A school or university without a unit of its own: the roster's school code.</summary>
    public const string School = "school";

    /// <summary>A university (its rosters are in <c>university-rosters</c>): only the schools report tells it from a school.</summary>
    public const string University = "university";

    /// <summary>No town and no school: counted, never dropped.</summary>
    public const string Unassigned = "unassigned";
}

/// <summary>One unit of a policy's task (征缴任务): its name, its task when one is given, and which enrolments are its.</summary>
public sealed record ReportUnit(string Name, string Kind, int? Target);

/// <summary>
/// Assigns every enrolment to one unit: first the units of the task table that have rules (sources, populations,
/// confirmed identities — bagongshan-2022's 区残联 and 区教体局), in file order; then the town units by name;
/// then, for an enrolment no unit takes, its own town, the school of its roster (<c>roster:&lt;school&gt;</c>), or
/// <see cref="UnassignedName"/>. Built per report from the policy file and any uploaded task table.
/// </summary>
public sealed class ReportUnits
{
    public const string UnassignedName = "未填乡镇街道";

    private readonly List<(ReportUnit Unit, string[] Sources, HashSet<string> Populations, HashSet<string> Identities)> _ruled = [];
    private readonly Dictionary<string, ReportUnit> _towns = new(StringComparer.Ordinal);

    private ReportUnits(IReadOnlyList<ReportUnit> declared) => Declared = declared;

    /// <summary>The units of the task table, in its order (with their targets).</summary>
    public IReadOnlyList<ReportUnit> Declared { get; }

    /// <summary>The units of <paramref name="policy"/>'s file, or <paramref name="uploaded"/> when the file says they are uploaded.</summary>
    public static ReportUnits For(Policy policy, IReadOnlyList<UploadedTarget>? uploaded = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var targets = policy.Document.Targets;
        var declared = new List<ReportUnit>();
        var units = new ReportUnits(declared);
        if (targets?.UnitsFrom == "uploaded")
        {
            foreach (var target in uploaded ?? [])
            {
                var unit = new ReportUnit(target.Name, UnitKinds.Town, target.People);
                declared.Add(unit);
                units._towns[target.Name] = unit;
            }

            return units;
        }

        foreach (var target in targets?.Units ?? [])
        {
            var hasRules = target.Sources is { Count: > 0 } || target.Populations is { Count: > 0 } || target.Identities is { Count: > 0 };
            var unit = new ReportUnit(target.Name!, hasRules ? UnitKinds.Department : UnitKinds.Town, target.People);
            declared.Add(unit);
            if (hasRules)
            {
                units._ruled.Add((unit, [.. target.Sources ?? []],
                    new HashSet<string>((target.Populations ?? []).Select(p => Glossary.Populations.Code(Glossary.Populations.Parse(p))), StringComparer.Ordinal),
                    new HashSet<string>((target.Identities ?? []).Select(i => Glossary.SubsidyIdentities.Code(Glossary.SubsidyIdentities.Parse(i))), StringComparer.Ordinal)));
            }
            else
            {
                foreach (var town in target.Towns is { Count: > 0 } towns ? towns : [target.Name!])
                {
                    units._towns[town] = unit;
                }
            }
        }

        return units;
    }

    /// <summary>The unit <paramref name="entry"/> counts under.</summary>
    public ReportUnit Of(LedgerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (_ruled.Count > 0)
        {
            var source = entry.Enrolment.Source ?? "";
            var population = PopulationOf(entry);
            foreach (var (unit, sources, populations, identities) in _ruled)
            {
                if (sources.Any(s => source.StartsWith(s, StringComparison.Ordinal))
                    || (population is not null && populations.Contains(population))
                    || (identities.Count > 0 && ConfirmedIdentities(entry).Any(identities.Contains)))
                {
                    return unit;
                }
            }
        }

        var town = TownOf(entry);
        if (town is not null)
        {
            return _towns.TryGetValue(town, out var unit) ? unit : new ReportUnit(town, UnitKinds.Town, null);
        }

        return entry.Enrolment.Source is { } s && s.StartsWith("roster:", StringComparison.Ordinal) && s.Length > 7
            ? new ReportUnit(s[7..], UnitKinds.School, null)
            : new ReportUnit(UnassignedName, UnitKinds.Unassigned, null);
    }

    /// <summary>The enrolment's town as given (trimmed), or null.</summary>
    public static string? TownOf(LedgerEntry entry) =>
        string.IsNullOrWhiteSpace(entry?.Person.Town) ? null : entry.Person.Town.Trim();

    /// <summary>The population code of the stored request (<c>resident</c> when none was given).</summary>
    public static string? PopulationOf(LedgerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var text = entry.Request.Population;
        return string.IsNullOrWhiteSpace(text) ? "resident"
            : Glossary.Populations.TryParse(text, out var population) ? Glossary.Populations.Code(population) : null;
    }

    /// <summary>The identities of the stored request that a list confirmed (claims no list confirmed are left out).</summary>
    public static IEnumerable<string> ConfirmedIdentities(LedgerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var unconfirmed = entry.Request.UnconfirmedIdentities ?? [];
        foreach (var text in entry.Request.Identities ?? [])
        {
            if (Glossary.SubsidyIdentities.TryParse(text, out var identity))
            {
                var code = Glossary.SubsidyIdentities.Code(identity);
                if (!unconfirmed.Contains(code, StringComparer.Ordinal) && !unconfirmed.Contains(text!, StringComparer.Ordinal))
                {
                    yield return code;
                }
            }
        }
    }
}
