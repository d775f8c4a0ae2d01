using Collection.Functions.Rosters;
using static Collection.Functions.Tests.Rosters.RosterHost;

namespace Collection.Functions.Tests.Rosters;

/// <summary>The guarantees: a host stopped in the middle of a file, and two hosts at once.</summary>
public sealed class RosterRestartTests(RosterStorage storage) : IClassFixture<RosterStorage>
{
    private const string Policy = "luyang-2023";

    [Fact]
    public async Task HostStoppedMidFile_SecondHostFinishesWithEveryRowOnce()
    {
        const int rows = 20_000;
        const string name = $"{Policy}/SCH002/big.csv";
        var content = RosterFiles.Gb18030(RosterFiles.ToCsv(RosterFiles.ChineseRows(0, rows, salt: 6)));

        var first = await StartAsync(storage.Azurite, leaseTime: TimeSpan.FromSeconds(3));
        await UploadBlobAsync(storage.Azurite, RosterBlobs.SchoolContainer, name, content);
        var partial = await WaitForResultAsync(storage.Azurite, RosterBlobs.SchoolContainer, name, until: r => r.Counts.Accepted > 0);
        await first.DisposeAsync();
        var enrolledBeforeRestart = (await EnrolmentsAsync(storage.Azurite, Policy, "roster:SCH002")).Count;

        await using var second = await StartAsync(storage.Azurite, leaseTime: TimeSpan.FromSeconds(3));
        var result = await WaitForResultAsync(storage.Azurite, RosterBlobs.SchoolContainer, name, TimeSpan.FromMinutes(3), r => r.Status == RosterStatus.Completed);

        Assert.Equal(RosterStatus.Processing, partial.Status);
        Assert.InRange(enrolledBeforeRestart, 1, rows - 1);
        Assert.Equal((rows, rows, 0), (result.Counts.Total, result.Counts.Accepted, result.Counts.Rejected));
        Assert.Empty(result.Counts.ByReason);
        var stored = await EnrolmentsAsync(storage.Azurite, Policy, "roster:SCH002");
        Assert.Equal(rows, stored.Count);
        Assert.Equal(rows, stored.Select(r => r.GetString("IdNumber")).Distinct().Count());
    }

    [Fact]
    public async Task TwoHostsAtOnce_VersionIngestedOnce()
    {
        const int rows = 3_000;
        const string name = $"{Policy}/SCH003/twice.csv";
        await using var a = await StartAsync(storage.Azurite);
        await using var b = await StartAsync(storage.Azurite);

        await UploadBlobAsync(storage.Azurite, RosterBlobs.SchoolContainer, name, RosterFiles.Utf8(RosterFiles.ToCsv(RosterFiles.ChineseRows(0, rows, salt: 7)), bom: false));
        var result = await WaitForResultAsync(storage.Azurite, RosterBlobs.SchoolContainer, name, TimeSpan.FromMinutes(2));
        await Task.WhenAll(a.WaitUntilBlobTriggersQuietAsync(), b.WaitUntilBlobTriggersQuietAsync());
        var after = await WaitForResultAsync(storage.Azurite, RosterBlobs.SchoolContainer, name);

        // A second ingestion of the same version would find every row its own and count it as updated.
        Assert.Equal((rows, rows, 0), (result.Counts.Enrolled, result.Counts.Accepted, result.Counts.Updated));
        Assert.Equal(result.StartedAt, after.StartedAt);
        Assert.Equal(rows, (await EnrolmentsAsync(storage.Azurite, Policy, "roster:SCH003")).Count);
    }
}
