using System.Text.Json;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Collection.LocalHost.Triggers;
using Collection.Testing;
using Microsoft.Extensions.Logging;

namespace Collection.LocalHost.Tests;

/// <summary>
/// The blob listener through the real host and worker: once per blob version, tries then poison, other blobs
/// unaffected, path values, receipts that outlive the host. (host.json of the test app: maxDequeueCount 2,
/// pollingInterval 1 s.)
/// </summary>
public sealed class BlobTriggerTests(LocalHostFixture host) : IClassFixture<LocalHostFixture>
{
    private BlobContainerClient Input => host.Azurite.CreateBlobServiceClient().GetBlobContainerClient("testapp-in");

    [Fact]
    public async Task Blob_Uploaded_RunsOnceWithItsNameAndSize()
    {
        await Input.CreateIfNotExistsAsync();
        await Input.UploadBlobAsync("名册-1.csv", BinaryData.FromString("姓名,身份证号\n"));

        var output = await host.WaitForOutputAsync("blob-名册-1.csv.json");
        await host.WaitForBlobScansAsync();

        Assert.Equal("名册-1.csv", output.GetProperty("name").GetString());
        Assert.Equal(System.Text.Encoding.UTF8.GetByteCount("姓名,身份证号\n"), output.GetProperty("length").GetInt64());
        Assert.Equal(1, output.GetProperty("attempt").GetInt32());
        Assert.Single(await host.RunsAsync("OnUpload", "名册-1.csv"));
        var receipt = await ReceiptAsync("OnUpload", "testapp-in/名册-1.csv", r => r.GetString("Status") == "Succeeded");
        Assert.Equal(1, receipt.GetInt32("Attempts"));
    }

    [Fact]
    public async Task Blob_Uploaded_BindingDataHasThePropertiesAndMetadataOfThatVersion()
    {
        await Input.CreateIfNotExistsAsync();
        var uploaded = (await Input.GetBlobClient("属性-1.csv").UploadAsync(BinaryData.FromString("a,b\n"), new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = "text/csv" },
            Metadata = new Dictionary<string, string> { ["school"] = "SCH001", ["uploadedBy"] = "staff-7" },
        })).Value;

        var output = await host.WaitForOutputAsync("blob-属性-1.csv.json");

        using var properties = JsonDocument.Parse(output.GetProperty("properties").GetString()!);
        using var metadata = JsonDocument.Parse(output.GetProperty("metadata").GetString()!);
        // Quoted, as BlobProperties.ETag.ToString() and the ETag header give it: the app compares the two.
        Assert.Equal(uploaded.ETag.ToString(), properties.RootElement.GetProperty("ETag").GetString());
        Assert.StartsWith("\"", properties.RootElement.GetProperty("ETag").GetString(), StringComparison.Ordinal);
        Assert.Equal(4, properties.RootElement.GetProperty("ContentLength").GetInt64());
        Assert.Equal("text/csv", properties.RootElement.GetProperty("ContentType").GetString());
        Assert.Equal(uploaded.LastModified, properties.RootElement.GetProperty("LastModified").GetDateTimeOffset());
        Assert.Equal("SCH001", metadata.RootElement.GetProperty("school").GetString());
        Assert.Equal("staff-7", metadata.RootElement.GetProperty("uploadedBy").GetString());
    }

    [Fact]
    public async Task Blob_Replaced_RunsAgainForTheNewVersion_FromItsFirstTry()
    {
        await Input.CreateIfNotExistsAsync();
        var blob = Input.GetBlobClient("list.csv");
        var first = (await blob.UploadAsync(BinaryData.FromString("v1"))).Value.ETag.ToString();
        await host.WaitForOutputAsync("blob-list.csv.json", o => ETagOf(o) == first);

        var second = (await blob.UploadAsync(BinaryData.FromString("version 2"), overwrite: true)).Value.ETag.ToString();
        var output = await host.WaitForOutputAsync("blob-list.csv.json", o => ETagOf(o) == second);
        await host.WaitForBlobScansAsync();

        Assert.NotEqual(first, second);
        Assert.Equal(9, output.GetProperty("length").GetInt64());
        Assert.Equal(1, output.GetProperty("attempt").GetInt32());
        var runs = await host.RunsAsync("OnUpload", "list.csv");
        Assert.Equal(new[] { first, second }.Order(StringComparer.Ordinal), runs.Select(r => JsonDocument.Parse(r.GetProperty("properties").GetString()!).RootElement.GetProperty("ETag").GetString()).Order(StringComparer.Ordinal));
        var receipt = await ReceiptAsync("OnUpload", "testapp-in/list.csv", r => r.GetString("Status") == "Succeeded");
        Assert.Equal(second.Trim('"'), receipt.GetString("BlobETag"));
    }

    [Fact]
    public async Task Blob_ThatAlwaysFails_IsTriedMaxDequeueCountTimes_ThenPoison_AndOtherBlobsRun()
    {
        await Input.CreateIfNotExistsAsync();
        await Input.UploadBlobAsync("fail-1.csv", BinaryData.FromString("x"));
        await Input.UploadBlobAsync("good-beside-fail.csv", BinaryData.FromString("x"));

        var receipt = await ReceiptAsync("OnUpload", "testapp-in/fail-1.csv", r => r.GetString("Status") == "Poison");
        // After the poison, a blob uploaded later runs; the poison one is not tried again.
        await Input.UploadBlobAsync("good-after-fail.csv", BinaryData.FromString("x"));
        await host.WaitForOutputAsync("blob-good-after-fail.csv.json");
        await host.WaitForBlobScansAsync();

        Assert.Equal(2, receipt.GetInt32("Attempts")); // host.json maxDequeueCount
        Assert.Contains("always fails", receipt.GetString("LastError"), StringComparison.Ordinal);
        Assert.Equal([1, 2], (await host.RunsAsync("OnUpload", "fail-1.csv")).Select(r => r.GetProperty("attempt").GetInt32()).Order());
        Assert.Single(await host.RunsAsync("OnUpload", "good-beside-fail.csv"));
        Assert.Single(await host.RunsAsync("OnUpload", "good-after-fail.csv"));
        await host.Logs.WaitForAsync(LogLevel.Error, "Blob testapp-in/fail-1.csv is poison for function OnUpload after 2 tries");
    }

    [Fact]
    public async Task Blob_ThatFailsOnce_SucceedsOnItsSecondTry()
    {
        await Input.CreateIfNotExistsAsync();
        await Input.UploadBlobAsync("flaky-1.csv", BinaryData.FromString("x"));

        var output = await host.WaitForOutputAsync("blob-flaky-1.csv.json");

        Assert.Equal(2, output.GetProperty("attempt").GetInt32());
        var receipt = await ReceiptAsync("OnUpload", "testapp-in/flaky-1.csv", r => r.GetString("Status") == "Succeeded");
        Assert.Equal(2, receipt.GetInt32("Attempts"));
        Assert.Null(receipt.GetString("LastError"));
    }

    [Fact]
    public async Task Blob_RunningLong_DoesNotDelayOtherBlobs()
    {
        await Input.CreateIfNotExistsAsync();
        await Input.UploadBlobAsync("hold-slow.csv", BinaryData.FromString("x"));
        await host.WaitForRunsAsync("OnUpload", "hold-slow.csv", 1);

        await Input.UploadBlobAsync("quick.csv", BinaryData.FromString("x"));
        await host.WaitForOutputAsync("blob-quick.csv.json");
        var slowFinishedFirst = await host.Output.GetBlobClient("blob-hold-slow.csv.json").ExistsAsync();
        await host.ReleaseAsync("hold-slow.csv");
        await ReceiptAsync("OnUpload", "testapp-in/hold-slow.csv", r => r.GetString("Status") == "Succeeded");

        Assert.False(slowFinishedFirst.Value);
        Assert.Single(await host.RunsAsync("OnUpload", "hold-slow.csv"));
    }

    [Fact]
    public async Task Blob_WithALongChineseName_RunsOnce_UnderABoundedReceiptKeyOfItsOwn()
    {
        // Escaped for the receipt's row key, each Chinese character takes 9: 196 of them would be 1,764, over the 1 KiB limit.
        var name = string.Concat(Enumerable.Repeat("庐阳区第一实验小学名册", 20))[..196] + ".csv";
        var sibling = name[..^5] + "乙.csv";
        await Input.CreateIfNotExistsAsync();
        await Input.UploadBlobAsync(name, BinaryData.FromString("a,b"));
        await Input.UploadBlobAsync(sibling, BinaryData.FromString("a,b"));

        await host.WaitForRunsAsync("OnUpload", name, 1);
        await host.WaitForRunsAsync("OnUpload", sibling, 1);
        var receipts = await ReceiptsAsync("OnUpload", r => r.GetString("BlobName") is { } blob && (blob == name || blob == sibling), 2);
        await host.WaitForBlobScansAsync();

        Assert.Single(await host.RunsAsync("OnUpload", name));
        Assert.Single(await host.RunsAsync("OnUpload", sibling));
        Assert.All(receipts, r => Assert.True(r.RowKey.Length <= 400, $"row key of {r.RowKey.Length} characters"));
        Assert.NotEqual(receipts[0].RowKey, receipts[1].RowKey);
    }

    [Fact]
    public async Task Blob_InAFolder_IsNamedWithItsFolders()
    {
        await Input.CreateIfNotExistsAsync();
        await Input.UploadBlobAsync("2026/SCH001/名册.csv", BinaryData.FromString("x"));

        var output = await host.WaitForOutputAsync("blob-2026/SCH001/名册.csv.json");

        Assert.Equal("2026/SCH001/名册.csv", output.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Blob_OnAPathWithAContainerFromASetting_RunsWithItsPathValues_AndOthersInTheContainerDoNotRun()
    {
        // The container does not exist until the listener creates it: nothing else in this host writes to it.
        var nested = host.Azurite.CreateBlobServiceClient().GetBlobContainerClient("testapp-nested");
        await Eventually.TrueAsync(async () => (await nested.ExistsAsync()).Value, () => "the listener to create the container");

        await nested.UploadBlobAsync("rosters/hz-2026/SCH001/roster.csv", BinaryData.FromString("x"));
        await nested.UploadBlobAsync("rosters/hz-2026/SCH001/roster.xlsx", BinaryData.FromString("x"));
        await nested.UploadBlobAsync("other/hz-2026/SCH001/roster.csv", BinaryData.FromString("x"));
        var output = await host.WaitForOutputAsync("nested-hz-2026-SCH001-roster.json");
        await host.WaitForBlobScansAsync();

        Assert.Equal("hz-2026", output.GetProperty("policy").GetString());
        Assert.Equal("SCH001", output.GetProperty("school").GetString());
        Assert.Equal("roster", output.GetProperty("name").GetString());
        Assert.Equal("testapp-nested/rosters/hz-2026/SCH001/roster.csv", output.GetProperty("blobTrigger").GetString());
        Assert.Single(await host.RunsAsync("OnNestedUpload", "rosters/hz-2026/SCH001/roster.csv"));
        Assert.Empty(await host.RunsAsync("OnNestedUpload", "rosters/hz-2026/SCH001/roster.xlsx"));
        Assert.Empty(await host.RunsAsync("OnNestedUpload", "other/hz-2026/SCH001/roster.csv"));
    }

    [Fact]
    public async Task Blob_UploadedWhileTheHostWasDown_RunsOnceAfterItStarts_AndEarlierBlobsDoNotRunAgain()
    {
        await Input.CreateIfNotExistsAsync();
        await Input.UploadBlobAsync("before-restart.csv", BinaryData.FromString("x"));
        await host.WaitForOutputAsync("blob-before-restart.csv.json");
        await ReceiptAsync("OnUpload", "testapp-in/before-restart.csv", r => r.GetString("Status") == "Succeeded");

        await host.StopHostAsync();
        await Input.UploadBlobAsync("while-down.csv", BinaryData.FromString("x"));
        await host.StartAsync();
        await host.WaitForOutputAsync("blob-while-down.csv.json");
        // The new host knows nothing in memory: only the receipts keep it from running earlier blobs again.
        await host.WaitForBlobScansAsync();

        Assert.Single(await host.RunsAsync("OnUpload", "before-restart.csv"));
        Assert.Single(await host.RunsAsync("OnUpload", "while-down.csv"));
    }

    private static string? ETagOf(JsonElement output) =>
        output.GetProperty("properties").GetString() is { } properties ? JsonDocument.Parse(properties).RootElement.GetProperty("ETag").GetString() : null;

    private TableClient Receipts => host.Azurite.CreateTableServiceClient().GetTableClient(StorageLayout.BlobReceiptsTable);

    private async Task<TableEntity> ReceiptAsync(string function, string path, Func<TableEntity, bool> done)
    {
        TableEntity? found = null;
        await Eventually.TrueAsync(
            async () =>
            {
                var row = await Receipts.GetEntityIfExistsAsync<TableEntity>(function, Uri.EscapeDataString(path));
                found = row.HasValue && done(row.Value!) ? row.Value : null;
                return found is not null;
            },
            () => $"the receipt of {path} to reach the expected state");
        return found!;
    }

    private async Task<List<TableEntity>> ReceiptsAsync(string function, Func<TableEntity, bool> which, int count)
    {
        var found = new List<TableEntity>();
        await Eventually.TrueAsync(
            async () =>
            {
                found.Clear();
                await foreach (var row in Receipts.QueryAsync<TableEntity>(r => r.PartitionKey == function))
                {
                    if (which(row) && row.GetString("Status") == "Succeeded")
                    {
                        found.Add(row);
                    }
                }

                return found.Count >= count;
            },
            () => $"{count} succeeded receipts");
        return found;
    }
}
