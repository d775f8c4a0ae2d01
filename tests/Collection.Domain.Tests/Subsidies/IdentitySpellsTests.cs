using Collection.Domain.Codes;
using Collection.Domain.Subsidies;

namespace Collection.Domain.Tests.Subsidies;

public class IdentitySpellsTests
{
    private static readonly DateOnly Aug31 = new(2022, 8, 31);
    private static readonly DateOnly Dec31 = new(2022, 12, 31);
    private static readonly DateOnly Feb05 = new(2023, 2, 5);

    private static ListEntry Add(DateOnly date, string town = "北京路街道", AllowanceClass? allowance = null, string source = "a.csv") =>
        new(date, ListChange.Add, "张三", town, allowance, source);

    private static ListEntry Remove(DateOnly date, string source = "r.csv") => new(date, ListChange.Remove, "张三", null, null, source);

    [Fact]
    public void Fold_AddThenRemove_EndsTheDayBeforeTheRemovingList()
    {
        var spells = IdentitySpells.Fold([Add(Aug31), Remove(Dec31)]);

        var spell = Assert.Single(spells);
        Assert.Equal(Aug31, spell.From);
        Assert.Equal(new DateOnly(2022, 12, 30), spell.To);
        Assert.True(spell.Covers(new DateOnly(2022, 12, 30)));
        Assert.False(spell.Covers(Dec31));
    }

    [Fact]
    public void Fold_EntriesInAnyOrder_GiveTheSameSpells()
    {
        ListEntry[] entries = [Add(Aug31), Remove(Dec31), Add(Feb05, source: "b.csv")];

        var inOrder = IdentitySpells.Fold(entries);
        var reversed = IdentitySpells.Fold(entries.Reverse());

        Assert.Equal(inOrder, reversed);
        Assert.Equal(2, inOrder.Count);
        Assert.Equal(Feb05, inOrder[1].From);
        Assert.Null(inOrder[1].To);
        Assert.Equal("b.csv", inOrder[1].Source);
    }

    [Fact]
    public void Fold_RepeatedAddWithNewTown_KeepsTheSpellAndTakesTheLatestTown()
    {
        var spells = IdentitySpells.Fold([Add(Aug31, "甲镇"), Add(Dec31, "乙街道", source: "later.csv")]);

        var spell = Assert.Single(spells);
        Assert.Equal(Aug31, spell.From);
        Assert.Equal("乙街道", spell.Town);
        Assert.Equal("a.csv", spell.Source);
    }

    [Fact]
    public void Fold_NewAllowanceClass_SplitsTheSpellOnTheListDate()
    {
        var spells = IdentitySpells.Fold([Add(Aug31, allowance: AllowanceClass.Rural3), Add(Dec31, allowance: AllowanceClass.Rural1)]);

        Assert.Equal(2, spells.Count);
        Assert.Equal((AllowanceClass.Rural3, (DateOnly?)new DateOnly(2022, 12, 30)), (spells[0].AllowanceClass!.Value, spells[0].To));
        Assert.Equal((AllowanceClass.Rural1, Dec31, (DateOnly?)null), (spells[1].AllowanceClass!.Value, spells[1].From, spells[1].To));
    }

    [Fact]
    public void Apply_SameRowTwice_SecondIsUnchangedAndKeepsEntries()
    {
        var first = IdentitySpells.Apply([], Add(Aug31));
        var second = IdentitySpells.Apply(first.Entries, Add(Aug31));

        Assert.Equal(ListEntryOutcome.Opened, first.Outcome);
        Assert.Equal(ListEntryOutcome.Unchanged, second.Outcome);
        Assert.False(second.Store);
        Assert.Same(first.Entries, second.Entries);
    }

    [Fact]
    public void Apply_MonthlyRegisterRepeatsPerson_UnchangedButKept()
    {
        var first = IdentitySpells.Apply([], Add(Aug31));
        var again = IdentitySpells.Apply(first.Entries, Add(Dec31, source: "dec.csv"));

        Assert.Equal(ListEntryOutcome.Unchanged, again.Outcome);
        Assert.True(again.Store);
        Assert.Equal(2, again.Entries.Count);
    }

    [Fact]
    public void Apply_ListsArrivingOutOfOrder_EndWithTheSpellsOfAllLists()
    {
        ListEntry[] lists = [Add(Aug31, allowance: AllowanceClass.Rural1), Add(Dec31, allowance: AllowanceClass.Rural3), Add(Feb05, allowance: AllowanceClass.Rural1)];
        IReadOnlyList<ListEntry> known = [];
        foreach (var list in new[] { lists[0], lists[2], lists[1] })
        {
            known = IdentitySpells.Apply(known, list).Entries;
        }

        Assert.Equal(IdentitySpells.Fold(lists), IdentitySpells.Fold(known));
        Assert.Equal(3, IdentitySpells.Fold(known).Count);
    }

    [Fact]
    public void Apply_RemoveWithoutOpenSpell_IsNotInList()
    {
        Assert.Equal(ListEntryOutcome.NotInList, IdentitySpells.Apply([], Remove(Dec31)).Outcome);

        var ended = IdentitySpells.Apply([Add(Aug31), Remove(Dec31)], Remove(Feb05));
        Assert.Equal(ListEntryOutcome.NotInList, ended.Outcome);
        Assert.Equal(2, ended.Entries.Count);
    }

    [Fact]
    public void Apply_RemoveOnAList_Ended_ThenReDropUnchanged()
    {
        var ended = IdentitySpells.Apply([Add(Aug31)], Remove(Dec31));
        var again = IdentitySpells.Apply(ended.Entries, Remove(Dec31));

        Assert.Equal(ListEntryOutcome.Ended, ended.Outcome);
        Assert.Equal(new DateOnly(2022, 12, 30), Assert.Single(ended.Spells).To);
        Assert.Equal(ListEntryOutcome.Unchanged, again.Outcome);
    }

    [Fact]
    public void Apply_AddAfterSpellEnded_OpensASecondSpell()
    {
        var update = IdentitySpells.Apply([Add(Aug31), Remove(Dec31)], Add(Feb05));

        Assert.Equal(ListEntryOutcome.Opened, update.Outcome);
        Assert.Equal(2, update.Spells.Count);
    }

    [Fact]
    public void Apply_LaterListOfSameDateSaysOtherwise_Supersedes()
    {
        var update = IdentitySpells.Apply([Add(Aug31), Remove(Dec31)], Add(Dec31, "丙镇", source: "fix.csv"));

        // On the register again on 12-31, where the superseded list had taken them off.
        Assert.Equal(ListEntryOutcome.Opened, update.Outcome);
        var spell = Assert.Single(update.Spells);
        Assert.Null(spell.To);
        Assert.Equal("丙镇", spell.Town);
    }

    [Fact]
    public void Apply_EarlierDatedRemovalArrivingLate_ShortensTheSpell()
    {
        var update = IdentitySpells.Apply([Add(Aug31), Remove(Feb05)], Remove(Dec31));

        Assert.Equal(ListEntryOutcome.Ended, update.Outcome);
        Assert.Equal(new DateOnly(2022, 12, 30), Assert.Single(update.Spells).To);
    }
}
