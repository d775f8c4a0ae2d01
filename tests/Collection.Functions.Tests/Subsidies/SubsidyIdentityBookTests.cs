using Collection.Domain;
using Collection.Domain.Codes;
using Collection.Domain.Subsidies;
using Collection.Functions.Policies;
using Collection.Functions.Subsidies;
using Collection.Functions.Tests.Ledger;
using Collection.Testing;

namespace Collection.Functions.Tests.Subsidies;

/// <summary>The identity book on the shared Azurite, each test on a table of its own.</summary>
public sealed class SubsidyIdentityBookTests
{
    private static readonly DateOnly Aug31 = new(2022, 8, 31);
    private static readonly DateOnly Dec31 = new(2022, 12, 31);

    private static async Task<SubsidyIdentityBook> BookAsync()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        return new SubsidyIdentityBook(azurite.CreateTableServiceClient(), new SubsidyTables(AzuriteInstance.UniqueName("sib")), PolicyFiles.Load(PolicyFiles.DefaultDirectory), new Collection.Functions.Hosting.Resilience(TimeProvider.System));
    }

    private static SubsidyListRow Row(ResidentId id, SubsidyIdentity identity, DateOnly date, ListChange change = ListChange.Add,
        Department department = Department.RuralRevitalisation, string policy = "baiyin-2023", string town = "王岘镇", AllowanceClass? allowance = null) =>
        new(policy, id, identity, department, new ListEntry(date, change, "李四", town, allowance, $"{policy}/x/{date:yyyyMMdd}-list.csv"));

    [Fact]
    public async Task ApplyAsync_AddThenRemove_SpellEndsTheDayBefore_AndHistoryHasBothRows()
    {
        var book = await BookAsync();
        var id = ResidentId.Parse(LedgerTestHost.NewId("19600101", "620402"));

        Assert.Equal([ListEntryOutcome.Opened], await book.ApplyAsync([Row(id, SubsidyIdentity.ReturnedToPoverty, Aug31)]));
        Assert.Equal([ListEntryOutcome.Ended], await book.ApplyAsync([Row(id, SubsidyIdentity.ReturnedToPoverty, Dec31, ListChange.Remove)]));

        var person = await book.PersonAsync(id);
        var spell = Assert.Single(person.Spells);
        Assert.Equal((Aug31, (DateOnly?)new DateOnly(2022, 12, 30), "rural-revitalisation", "王岘镇"), (spell.From, spell.To, spell.Department, spell.Town));
        Assert.Equal([ListChange.Add, ListChange.Remove], person.Changes.Select(c => c.Change));
        Assert.NotNull(await book.InForceAsync("baiyin-2023", id, new DateOnly(2022, 12, 30)));
        Assert.Null(await book.InForceAsync("baiyin-2023", id, Dec31));
    }

    [Fact]
    public async Task ApplyAsync_SameRowsAgain_AllUnchanged_AndNothingMoreStored()
    {
        var book = await BookAsync();
        var ids = Enumerable.Range(0, 150).Select(_ => ResidentId.Parse(LedgerTestHost.NewId("19700101", "620402"))).Distinct().ToList();
        var rows = ids.Select(id => Row(id, SubsidyIdentity.PovertyLifted, Aug31)).ToList();

        var first = await book.ApplyAsync(rows);
        var second = await book.ApplyAsync(rows);

        Assert.All(first, o => Assert.Equal(ListEntryOutcome.Opened, o));
        Assert.All(second, o => Assert.Equal(ListEntryOutcome.Unchanged, o));
        Assert.Single((await book.PersonAsync(ids[0])).Changes);
    }

    [Fact]
    public async Task InForceAsync_SeveralIdentities_TheLargestSubsidyUnderThePolicy()
    {
        var book = await BookAsync();
        var id = ResidentId.Parse(LedgerTestHost.NewId("19800101", "620402"));
        await book.ApplyAsync([
            Row(id, SubsidyIdentity.AtRiskOfReturning, Aug31),
            Row(id, SubsidyIdentity.MinimumLivingAllowance, Aug31, department: Department.CivilAffairs, allowance: AllowanceClass.Rural3),
            Row(id, SubsidyIdentity.ReturnedToPoverty, Dec31),
        ]);

        // baiyin-2023 三: at-risk 150, rural-3 低保 190, returned-to-poverty 190 (a tie goes to the earlier spell).
        Assert.Equal(SubsidyIdentity.MinimumLivingAllowance, (await book.InForceAsync("baiyin-2023", id, Dec31))!.Identity);
        Assert.Equal(SubsidyIdentity.MinimumLivingAllowance, (await book.InForceAsync("baiyin-2023", id, Aug31))!.Identity);
        Assert.Equal(3, (await book.AllInForceAsync("baiyin-2023", id, Dec31)).Count);
        Assert.Equal(SubsidyIdentity.AtRiskOfReturning, (await book.AllInForceAsync("baiyin-2023", id, Dec31))[^1].Identity);
        Assert.Null(await book.InForceAsync("baiyin-2023", id, Aug31.AddDays(-1)));
        Assert.Null(await book.InForceAsync("luyang-2023", id, Dec31));
    }

    [Fact]
    public async Task ScanAsync_StreamsEverySpellOfOnePolicyOnly()
    {
        var book = await BookAsync();
        var ids = Enumerable.Range(0, 40).Select(i => ResidentId.Parse(LedgerTestHost.NewId("19900101", "340103"))).Distinct().ToList();
        await book.ApplyAsync([.. ids.Select(id => Row(id, SubsidyIdentity.ExtremePoverty, Aug31, department: Department.CivilAffairs, policy: "luyang-2023"))]);
        await book.ApplyAsync([Row(ids[0], SubsidyIdentity.ExtremePoverty, Aug31, policy: "baiyin-2023")]);

        var scanned = new List<IdentitySpell>();
        await foreach (var spell in book.ScanAsync("luyang-2023"))
        {
            scanned.Add(spell);
        }

        Assert.Equal(ids.Select(i => i.ToString()).Order(StringComparer.Ordinal), scanned.Select(s => s.Id.ToString()).Order(StringComparer.Ordinal));
        Assert.All(scanned, s => Assert.Equal("luyang-2023", s.Policy));
        Assert.Equal(2, (await book.ForPersonAsync(ids[0])).Count);
    }

    [Fact]
    public async Task ApplyAsync_TwoListsAtOnceForTheSamePerson_BothRecorded()
    {
        var book = await BookAsync();
        var id = ResidentId.Parse(LedgerTestHost.NewId("19650101", "620402"));
        var dates = Enumerable.Range(0, 8).Select(i => Aug31.AddMonths(i)).ToList();

        // Each list gives another allowance class (a spell each); run together, all must land as if run one by one.
        await Task.WhenAll(dates.Select((d, i) => book.ApplyAsync([Row(id, SubsidyIdentity.MinimumLivingAllowance, d, allowance: i % 2 == 0 ? AllowanceClass.Rural1 : AllowanceClass.Rural3)])));

        var person = await book.PersonAsync(id);
        Assert.Equal(dates, person.Spells.Select(s => s.From));
        Assert.Equal(8, person.Changes.Count);
    }
}
