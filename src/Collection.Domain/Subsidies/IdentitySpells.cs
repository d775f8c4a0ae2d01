using Collection.Domain.Codes;

namespace Collection.Domain.Subsidies;

/// <summary>What a row of a department's list says: 新增 (the person holds the identity) or 减少 (no longer).</summary>
public enum ListChange
{
    Add,
    Remove,
}

/// <summary>
/// One list row as it bears on one person's identity from one department: the list of <see cref="Date"/>
/// says the person is on (or off) the register from that day. <see cref="Source"/> names the list file.
/// </summary>
public sealed record ListEntry(DateOnly Date, ListChange Change, string Name, string? Town, AllowanceClass? AllowanceClass, string Source);

/// <summary>
/// A stretch of days a person holds an identity: From the day of the list that put them on, To the day
/// before the list that took them off (null while open). Name and town are the latest lists' values;
/// Source is the list that opened the spell.
/// </summary>
public sealed record Spell(DateOnly From, DateOnly? To, string Name, string? Town, AllowanceClass? AllowanceClass, string Source)
{
    public bool Covers(DateOnly day) => From <= day && (To is null || day <= To);
}

/// <summary>What one list row did to a person's spells of one identity.</summary>
public enum ListEntryOutcome
{
    /// <summary>The person holds the identity on the list's date and did not before the row.</summary>
    Opened,

    /// <summary>An open spell's name, town or allowance class changed (a class change splits the spell).</summary>
    Updated,

    /// <summary>A spell now ends the day before the list's date.</summary>
    Ended,

    /// <summary>The row says what is already known (a re-dropped file, or the monthly register repeated).</summary>
    Unchanged,

    /// <summary>A 减少 for a person with no spell to end on that date: refused, nothing recorded.</summary>
    NotInList,
}

/// <summary>
/// The entries to keep after a row is applied, the spells they give, and what the row did.
/// <see cref="Store"/>: the entries changed and must be written — also for a row that changes no spell
/// yet (the monthly register repeating a person), because a list of an earlier date may still arrive and
/// the spells must then be what all the lists say, whatever order they came in.
/// </summary>
public sealed record SpellUpdate(IReadOnlyList<ListEntry> Entries, IReadOnlyList<Spell> Spells, ListEntryOutcome Outcome, bool Store);

/// <summary>
/// The spells of one (person, policy, identity, department) are derived from that department's list
/// entries, folded in date order; never edited in place. So lists may arrive in any order and a
/// re-dropped list changes nothing: the result depends only on the set of entries, one per list date
/// (a second list of the same date supersedes the first).
/// </summary>
public static class IdentitySpells
{
    /// <summary>Folds entries (any order; at most one per date) into spells ordered by From.</summary>
    public static IReadOnlyList<Spell> Fold(IEnumerable<ListEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var spells = new List<Spell>();
        Spell? open = null;
        foreach (var entry in entries.OrderBy(e => e.Date))
        {
            if (entry.Change == ListChange.Remove)
            {
                if (open is not null)
                {
                    // 减少 on the list of day D: the person was last on the register the day before.
                    spells.Add(open with { To = entry.Date.AddDays(-1) });
                    open = null;
                }

                continue;
            }

            if (open is null)
            {
                open = new Spell(entry.Date, null, entry.Name, entry.Town, entry.AllowanceClass, entry.Source);
            }
            else if (open.AllowanceClass != entry.AllowanceClass)
            {
                // A new allowance class changes the subsidy from this list's date: a spell of its own.
                spells.Add(open with { To = entry.Date.AddDays(-1) });
                open = new Spell(entry.Date, null, entry.Name, entry.Town ?? open.Town, entry.AllowanceClass, entry.Source);
            }
            else
            {
                open = open with { Name = entry.Name, Town = entry.Town ?? open.Town };
            }
        }

        if (open is not null)
        {
            spells.Add(open);
        }

        return spells;
    }

    /// <summary>
    /// Applies one list row to the entries known so far. A 减少 that ends nothing is refused
    /// (<see cref="ListEntryOutcome.NotInList"/>) and not kept: the department is told at once.
    /// </summary>
    public static SpellUpdate Apply(IReadOnlyList<ListEntry> known, ListEntry entry)
    {
        ArgumentNullException.ThrowIfNull(known);
        ArgumentNullException.ThrowIfNull(entry);
        var before = Fold(known);
        var same = known.FirstOrDefault(e => e.Date == entry.Date);
        if (same is not null && SaysTheSame(same, entry))
        {
            return new SpellUpdate(known, before, ListEntryOutcome.Unchanged, Store: false);
        }

        var entries = known.Where(e => e.Date != entry.Date).Append(entry).OrderBy(e => e.Date).ToList();
        var after = Fold(entries);
        if (after.SequenceEqual(before))
        {
            return entry.Change == ListChange.Remove
                ? new SpellUpdate(known, before, ListEntryOutcome.NotInList, Store: false)
                : new SpellUpdate(entries, after, ListEntryOutcome.Unchanged, Store: true);
        }

        var outcome = entry.Change == ListChange.Remove
            ? ListEntryOutcome.Ended
            : before.Any(s => s.Covers(entry.Date)) ? ListEntryOutcome.Updated : ListEntryOutcome.Opened;
        return new SpellUpdate(entries, after, outcome, Store: true);
    }

    private static bool SaysTheSame(ListEntry a, ListEntry b) =>
        a.Change == b.Change && a.Name == b.Name && a.Town == b.Town && a.AllowanceClass == b.AllowanceClass;
}
