using System.Net;
using System.Text.Json;
using Azure.Storage.Blobs;
using Azure;
using Collection.Domain;
using Collection.Files.Tests;
using Collection.Functions.TaxReturns;
using Collection.Functions.Tests.Ledger;
using Collection.Testing;

namespace Collection.Functions.Tests.TaxReturns;

/// <summary>
/// Tax returns through the runtime's real blob listener (not a direct call of the function): a file
/// dropped in the container is found, posted and reported; dropped again, it posts nothing twice.
/// </summary>
public sealed class TaxReturnsListenerTests
{
    private const string Header = "身份证号,姓名,金额,缴费日期,缴费渠道,交易流水号,是否入库";

    [Fact]
    public async Task FileDroppedInContainer_IsPostedByTheListener_AndReDropPostsNothingTwice()
    {
        // A dedicated Azurite: with the listener on, this host owns the tax-returns container.
        await using var azurite = await AzuriteInstance.StartAsync();
        await using var host = await LedgerTestHost.StartAsync(azurite.ConnectionString, settings: new Dictionary<string, string> { ["AzureWebJobs.TaxReturns.Disabled"] = "false" });
        using var staff = host.Client();
        var (paid, stranger) = (LedgerTestHost.NewId(), LedgerTestHost.NewId());
        var (enrolled, _) = await host.PostAsync("/api/enrolments", new { policy = "wuhai-2022", idNumber = paid, date = "2021-12-01" });
        Assert.Equal(HttpStatusCode.Created, enrolled);

        var text = $"{Header}\r\n{paid},甲,460,2021-12-05,线上缴费,LT-1,是\r\n{stranger},乙,460,2021-12-05,线上缴费,LT-2,是\r\n";
        var blobs = azurite.CreateBlobServiceClient();
        var container = blobs.GetBlobContainerClient(TaxReturnsFunction.Container);
        await container.CreateIfNotExistsAsync();
        const string name = "wuhai-2022/20211206-listener.csv";
        var first = await container.GetBlobClient(name).UploadAsync(new BinaryData(TestFiles.Gb18030.GetBytes(text)), overwrite: true);

        var result = await WaitForResultAsync(blobs, name, first.Value.ETag);
        Assert.Equal("completed", result.GetProperty("status").GetString());
        Assert.Equal((1, 1), (result.GetProperty("posted").GetInt32(), result.GetProperty("rejected").GetInt32()));
        Assert.Equal(460m, (await host.Ledger.GetAsync("wuhai-2022", ResidentId.Parse(paid)))!.Enrolment.Paid);

        // The same rows dropped again (a new version of the blob): found again, nothing posted twice.
        var second = await container.GetBlobClient(name).UploadAsync(new BinaryData(TestFiles.Gb18030.GetBytes(text)), overwrite: true);
        var again = await WaitForResultAsync(blobs, name, second.Value.ETag);
        Assert.Equal((0, 1), (again.GetProperty("posted").GetInt32(), again.GetProperty("alreadyPosted").GetInt32()));
        var entry = (await host.Ledger.GetAsync("wuhai-2022", ResidentId.Parse(paid)))!;
        Assert.Equal(460m, entry.Enrolment.Paid);
        Assert.Single(await host.Ledger.PaymentsAsync("wuhai-2022", paid));
    }

    /// <summary>Waits for the result written for the given version of the file (the result names the ETag it read).</summary>
    private static async Task<JsonElement> WaitForResultAsync(BlobServiceClient blobs, string name, ETag version)
    {
        var result = blobs.GetBlobContainerClient(TaxReturnsFunction.ResultsContainer).GetBlobClient(name + ".json");
        return (await Eventually.GetAsync<JsonElement?>(
            async () => await result.ExistsAsync() ? JsonSerializer.Deserialize<JsonElement>((await result.DownloadContentAsync()).Value.Content) : null,
            body => body is { } b && b.TryGetProperty("etag", out var etag) && etag.GetString()?.Trim('"') == version.ToString().Trim('"')
                && b.GetProperty("status").GetString() is "completed" or "failed",
            body => $"no result for {name} at {version}: {body?.GetRawText() ?? "(none)"}"))!.Value;
    }
}
