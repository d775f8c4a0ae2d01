using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs.Specialized;
using Collection.Runtime.Blobs;
using Collection.Runtime.Functions;
using Collection.Runtime.Hosting;
using Collection.Runtime.Tests.Support;
using Collection.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Collection.Runtime.Tests;

public class BlobTriggerTests
{
    private static async Task<TestFunctionsHost> StartHostAsync(AzuriteInstance azurite, string function, string path, RunLog log, Action<Dictionary<string, string?>>? tweak = null)
    {
        var settings = TestFunctionsHost.FastSettings(azurite.ConnectionString);
        tweak?.Invoke(settings);
        return await TestFunctionsHost.StartAsync(f => f.Blob<BlobRecorder>(function, path), settings, s => s.AddSingleton(log));
    }

    private static async Task<BlobReceipt?> ReceiptAsync(AzuriteInstance azurite, string function, string container, string blobName)
    {
        var row = await azurite.CreateTableServiceClient().GetTableClient(StorageLayout.BlobReceiptsTable)
            .GetEntityIfExistsAsync<BlobReceipt>(BlobReceipt.PartitionKeyFor(function), BlobReceipt.RowKeyFor(container, blobName));
        return row.HasValue ? row.Value : null;
    }

    [Fact]
    public async Task NewBlob_LongChineseName_RunsOnceAndItsReceiptIsRecorded()
    {
        // Escaped for the receipt's row key, each Chinese character takes 9: 200 of them would be 1,800.
        var azurite = await AzuriteInstance.SharedAsync();
        var container = AzuriteInstance.UniqueName("rosters");
        var function = AzuriteInstance.UniqueName("fn");
        var log = new RunLog();
        await using var host = await StartHostAsync(azurite, function, $"{container}/{{name}}", log);
        var blobs = azurite.CreateBlobServiceClient().GetBlobContainerClient(container);
        await Eventually.TrueAsync(async () => (await blobs.ExistsAsync()).Value, "the listener to create the container");
        var name = string.Concat(Enumerable.Repeat("庐阳区第一实验小学名册", 20))[..196] + ".csv";
        var sibling = name[..^5] + "乙.csv";

        await blobs.UploadBlobAsync(name, BinaryData.FromString("a,b"));
        await blobs.UploadBlobAsync(sibling, BinaryData.FromString("a,b"));
        await log.WaitForAsync<BlobTrigger>(runs => runs.Count >= 2);
        var scans = host.Service<BlobTriggerListener>().ScansCompleted;
        await Eventually.TrueAsync(() => host.Service<BlobTriggerListener>().ScansCompleted >= scans + 3, "three more scans");

        Assert.Equal(new[] { name, sibling }.Order(StringComparer.Ordinal), log.Runs<BlobTrigger>().Select(r => r.Name).Order(StringComparer.Ordinal));
        Assert.Equal(BlobReceipt.Succeeded, (await ReceiptAsync(azurite, function, container, name))?.Status);
        Assert.Equal(BlobReceipt.Succeeded, (await ReceiptAsync(azurite, function, container, sibling))?.Status);
    }

    [Fact]
    public void ReceiptRowKey_ShortNamesAsBefore_LongOnesBoundedAndDistinct()
    {
        var longName = new string('名', 200) + ".csv";

        Assert.Equal(Uri.EscapeDataString("rosters/luyang-2023/SCH001/名册.csv"), BlobReceipt.RowKeyFor("rosters", "luyang-2023/SCH001/名册.csv"));
        Assert.True(BlobReceipt.RowKeyFor("rosters", longName).Length <= 400);
        Assert.NotEqual(BlobReceipt.RowKeyFor("rosters", longName), BlobReceipt.RowKeyFor("rosters", longName[..^5] + "甲.csv"));
    }

    [Fact]
    public async Task NewBlob_InMissingContainer_RunsOnceWithPathValuesAndLogsItsName()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var container = AzuriteInstance.UniqueName("rosters");
        var function = AzuriteInstance.UniqueName("fn");
        var log = new RunLog();
        await using var host = await StartHostAsync(azurite, function, $"{container}/{{policy}}/{{school}}/{{name}}", log);
        var blobs = azurite.CreateBlobServiceClient().GetBlobContainerClient(container);
        await Eventually.TrueAsync(async () => (await blobs.ExistsAsync()).Value, "the listener to create the container");

        await blobs.UploadBlobAsync("hz-2026/SCH001/roster.csv", BinaryData.FromString("a,b"));
        await blobs.UploadBlobAsync("not-matching.csv", BinaryData.FromString("x"));
        await log.WaitForAsync<BlobTrigger>(runs => runs.Count >= 1);
        var scans = host.Service<BlobTriggerListener>().ScansCompleted;
        await Eventually.TrueAsync(() => host.Service<BlobTriggerListener>().ScansCompleted >= scans + 3, "three more scans");

        var run = Assert.Single(log.Runs<BlobTrigger>());
        Assert.Equal("hz-2026/SCH001/roster.csv", run.Name);
        Assert.Equal("hz-2026", run.PathValues["policy"]);
        Assert.Equal("SCH001", run.PathValues["school"]);
        Assert.Equal("roster.csv", run.PathValues["name"]);
        Assert.Equal(1, run.Attempt);
        Assert.Equal(3, run.Length);
        Assert.True(host.Logs.Contains(LogLevel.Information, "hz-2026/SCH001/roster.csv"));
        Assert.Equal(BlobReceipt.Succeeded, (await ReceiptAsync(azurite, function, container, run.Name))?.Status);
    }

    [Fact]
    public async Task ScanRequested_AfterUpload_RunsWithoutWaitingForThePollingInterval()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var container = AzuriteInstance.UniqueName("nudge");
        var function = AzuriteInstance.UniqueName("fn");
        var log = new RunLog();
        var blobs = azurite.CreateBlobServiceClient().GetBlobContainerClient(container);
        await blobs.CreateAsync();

        // The longest interval allowed: without the request the upload would wait up to 10 s.
        await using var host = await StartHostAsync(azurite, function, $"{container}/{{name}}", log,
            settings => settings[HostJson.BlobsSection + ":pollingInterval"] = "00:00:10");
        var listener = host.Service<BlobTriggerListener>();
        await Eventually.TrueAsync(() => listener.ScansCompleted >= 1, "the first scan");

        await blobs.UploadBlobAsync("sent-through-the-api.csv", BinaryData.FromString("a,b"));
        var requested = System.Diagnostics.Stopwatch.StartNew();
        host.Service<BlobScanSignal>().Request();
        host.Service<BlobScanSignal>().Request();
        await log.WaitForAsync<BlobTrigger>(runs => runs.Count >= 1);

        Assert.True(requested.Elapsed < TimeSpan.FromSeconds(6), $"ran {requested.Elapsed.TotalSeconds:N1} s after the request");
        Assert.Equal("sent-through-the-api.csv", Assert.Single(log.Runs<BlobTrigger>()).Name);
    }

    [Fact]
    public async Task Overwrite_NewETag_RunsAgain()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var container = AzuriteInstance.UniqueName("over");
        var function = AzuriteInstance.UniqueName("fn");
        var log = new RunLog();
        var blob = azurite.CreateBlobServiceClient().GetBlobContainerClient(container).GetBlobClient("list.csv");
        await blob.GetParentBlobContainerClient().CreateAsync();
        await using var host = await StartHostAsync(azurite, function, $"{container}/{{name}}", log);

        await blob.UploadAsync(BinaryData.FromString("v1"));
        await log.WaitForAsync<BlobTrigger>(runs => runs.Count == 1);
        await blob.UploadAsync(BinaryData.FromString("version 2"), overwrite: true);
        await log.WaitForAsync<BlobTrigger>(runs => runs.Count == 2);

        var runs = log.Runs<BlobTrigger>();
        Assert.NotEqual(runs[0].ETag, runs[1].ETag);
        Assert.Equal(9, runs[1].Length);
        Assert.Equal(1, runs[1].Attempt);
    }

    [Fact]
    public async Task FailingBlob_FiveTries_RecordedAsPoisonWithErrorAndOthersRun()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var container = AzuriteInstance.UniqueName("poison");
        var function = AzuriteInstance.UniqueName("fn");
        var log = new RunLog
        {
            Behaviour = (trigger, _) => ((BlobTrigger)trigger).Name.StartsWith("bad", StringComparison.Ordinal)
                ? throw new InvalidDataException("row 3: bad header")
                : Task.CompletedTask,
        };
        var blobs = azurite.CreateBlobServiceClient().GetBlobContainerClient(container);
        await blobs.CreateAsync();
        await blobs.UploadBlobAsync("bad.csv", BinaryData.FromString("x"));
        await blobs.UploadBlobAsync("good-1.csv", BinaryData.FromString("x"));
        await using var host = await StartHostAsync(azurite, function, $"{container}/{{name}}", log);

        await Eventually.TrueAsync(async () => (await ReceiptAsync(azurite, function, container, "bad.csv"))?.Status == BlobReceipt.Poison, "the poison receipt");
        await blobs.UploadBlobAsync("good-2.csv", BinaryData.FromString("x"));
        await log.WaitForAsync<BlobTrigger>(runs => runs.Any(r => r.Name == "good-2.csv"));

        var badRuns = log.Runs<BlobTrigger>().Where(r => r.Name == "bad.csv").ToList();
        Assert.Equal([1, 2, 3, 4, 5], badRuns.Select(r => r.Attempt));
        Assert.Single(log.Runs<BlobTrigger>(), r => r.Name == "good-1.csv");
        var receipt = await ReceiptAsync(azurite, function, container, "bad.csv");
        Assert.NotNull(receipt);
        Assert.Equal(5, receipt.Attempts);
        Assert.Contains("row 3: bad header", receipt.LastError, StringComparison.Ordinal);
        Assert.True(host.Logs.Contains(LogLevel.Error, $"Blob {container}/bad.csv is poison"));
        Assert.Equal(1, await host.Service<BlobTriggerListener>().CountPoisonAsync(new FunctionDescriptor(function, TriggerKind.Blob, "", typeof(BlobRecorder)), default));
    }

    [Fact]
    public async Task LongRunningBlob_DoesNotDelayOthers()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var container = AzuriteInstance.UniqueName("slow");
        var function = AzuriteInstance.UniqueName("fn");
        var release = new TaskCompletionSource();
        var log = new RunLog { Behaviour = (t, ct) => ((BlobTrigger)t).Name == "slow.csv" ? release.Task.WaitAsync(ct) : Task.CompletedTask };
        var blobs = azurite.CreateBlobServiceClient().GetBlobContainerClient(container);
        await blobs.CreateAsync();
        await using var host = await StartHostAsync(azurite, function, $"{container}/{{name}}", log);

        await blobs.UploadBlobAsync("slow.csv", BinaryData.FromString("x"));
        await log.WaitForAsync<BlobTrigger>(runs => runs.Count == 1);
        await blobs.UploadBlobAsync("quick.csv", BinaryData.FromString("x"));
        await log.WaitForAsync<BlobTrigger>(runs => runs.Any(r => r.Name == "quick.csv"));
        release.SetResult();
        await Eventually.TrueAsync(async () => (await ReceiptAsync(azurite, function, container, "slow.csv"))?.Status == BlobReceipt.Succeeded, "the slow run to be recorded");

        Assert.Equal(["slow.csv", "quick.csv"], log.Runs<BlobTrigger>().Select(r => r.Name));
    }

    [Fact]
    public async Task HostRestart_BlobUploadedWhileDown_RunsOnceAfterStartAndNotAgainAfterNextRestart()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var container = AzuriteInstance.UniqueName("restart");
        var function = AzuriteInstance.UniqueName("fn");
        var log = new RunLog();
        var blobs = azurite.CreateBlobServiceClient().GetBlobContainerClient(container);
        await blobs.CreateAsync();
        await using (var first = await StartHostAsync(azurite, function, $"{container}/{{name}}", log))
        {
            await blobs.UploadBlobAsync("before.csv", BinaryData.FromString("x"));
            await log.WaitForAsync<BlobTrigger>(runs => runs.Count == 1);
        }

        await blobs.UploadBlobAsync("while-down.csv", BinaryData.FromString("x"));
        await using (var second = await StartHostAsync(azurite, function, $"{container}/{{name}}", log))
        {
            await log.WaitForAsync<BlobTrigger>(runs => runs.Count == 2);
        }

        await using var third = await StartHostAsync(azurite, function, $"{container}/{{name}}", log);
        var listener = third.Service<BlobTriggerListener>();
        await Eventually.TrueAsync(() => listener.ScansCompleted >= 3, "three scans after the last restart");

        Assert.Equal(["before.csv", "while-down.csv"], log.Runs<BlobTrigger>().Select(r => r.Name));
        Assert.Equal(BlobReceipt.Succeeded, (await ReceiptAsync(azurite, function, container, "before.csv"))?.Status);
        Assert.Equal(BlobReceipt.Succeeded, (await ReceiptAsync(azurite, function, container, "while-down.csv"))?.Status);
    }

    [Fact]
    public async Task TwoHosts_OneStorage_EachBlobRunsExactlyOnce()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var container = AzuriteInstance.UniqueName("shared");
        var function = AzuriteInstance.UniqueName("fn");
        var log = new RunLog { Behaviour = (_, ct) => Task.Delay(20, ct) };
        var blobs = azurite.CreateBlobServiceClient().GetBlobContainerClient(container);
        await blobs.CreateAsync();
        await using var one = await StartHostAsync(azurite, function, $"{container}/{{name}}", log);
        await using var two = await StartHostAsync(azurite, function, $"{container}/{{name}}", log);

        var names = Enumerable.Range(1, 40).Select(i => $"file-{i:00}.csv").ToList();
        await Task.WhenAll(names.Select(n => blobs.UploadBlobAsync(n, BinaryData.FromString(n))));
        await log.WaitForAsync<BlobTrigger>(runs => runs.Select(r => r.Name).Distinct().Count() == names.Count, 30);
        var scans = one.Service<BlobTriggerListener>().ScansCompleted;
        await Eventually.TrueAsync(() => one.Service<BlobTriggerListener>().ScansCompleted >= scans + 2, "two more scans");

        Assert.Equal(names, log.Runs<BlobTrigger>().Select(r => r.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ClaimOfCrashedHost_RunsOnlyAfterItsLeaseExpires()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var container = AzuriteInstance.UniqueName("crash");
        var function = AzuriteInstance.UniqueName("fn");
        var log = new RunLog();
        var blob = azurite.CreateBlobServiceClient().GetBlobContainerClient(container).GetBlobClient("stuck.csv");
        await blob.GetParentBlobContainerClient().CreateAsync();
        var etag = (await blob.UploadAsync(BinaryData.FromString("x"))).Value.ETag;
        var receipts = azurite.CreateTableServiceClient().GetTableClient(StorageLayout.BlobReceiptsTable);
        await receipts.CreateIfNotExistsAsync();
        var claim = new BlobReceipt
        {
            PartitionKey = BlobReceipt.PartitionKeyFor(function), RowKey = BlobReceipt.RowKeyFor(container, "stuck.csv"),
            Container = container, BlobName = "stuck.csv", BlobETag = BlobReceipt.ETagText(etag), Status = BlobReceipt.Running,
            Attempts = 1, Owner = "crashed-host", LeaseExpiresAt = DateTimeOffset.UtcNow.AddHours(1),
        };
        await receipts.AddEntityAsync(claim);
        await using var host = await StartHostAsync(azurite, function, $"{container}/{{name}}", log);
        var listener = host.Service<BlobTriggerListener>();
        await Eventually.TrueAsync(() => listener.ScansCompleted >= 3, "three scans");
        Assert.Empty(log.Runs<BlobTrigger>());

        claim.LeaseExpiresAt = DateTimeOffset.UtcNow.AddSeconds(-1);
        await receipts.UpdateEntityAsync(claim, ETag.All, TableUpdateMode.Replace);
        await log.WaitForAsync<BlobTrigger>(runs => runs.Count == 1);

        Assert.Equal(2, Assert.Single(log.Runs<BlobTrigger>()).Attempt);
    }

    [Fact]
    public void BlobPath_Parse_MatchesNestedNamesAndLiteralPrefixAndNamesTheFunctionOnError()
    {
        var nested = BlobPath.Parse("f", "uploads/{name}");
        var withPrefix = BlobPath.Parse("f", "uploads/tax/{year}/{name}.csv");

        Assert.True(nested.TryMatch("a/b/c.xlsx", out var values));
        Assert.Equal("a/b/c.xlsx", values["name"]);
        Assert.Equal("tax/", withPrefix.Prefix);
        Assert.True(withPrefix.TryMatch("tax/2026/returns.csv", out values));
        Assert.Equal("2026", values["year"]);
        Assert.Equal("returns", values["name"]);
        Assert.False(withPrefix.TryMatch("tax/2026/returns.xlsx", out _));
        var error = Assert.Throws<InvalidOperationException>(() => BlobPath.Parse("RosterUpload", "Bad_Container/{name}"));
        Assert.Contains("RosterUpload", error.Message, StringComparison.Ordinal);
    }
}
