using System.Net;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using Collection.Functions.Hosting;
using Collection.Functions.LastYear;
using Collection.Functions.Tests.Ledger;
using Microsoft.Extensions.DependencyInjection;

namespace Collection.Functions.Tests.LastYear;

/// <summary>What the last-year tests share: loading a roll as staff do (PUT, then the blob function on it) and enrolling and paying through the API.</summary>
internal static class LastYearSteps
{
    public const string RollHeader = "姓名,证件类型,证件号码,参保身份,缴费金额,缴费日期,乡镇（街道）,社区（村）,学校,联系电话";

    /// <summary>PUTs the roll and runs the blob function on what was written, as the trigger would; the result JSON.</summary>
    public static async Task<JsonElement> LoadRollAsync(LedgerTestHost host, string policy, string fileName, string csv)
    {
        using var client = host.Client();
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(csv));
        using var put = await client.PutAsync(new Uri($"api/last-year/{policy}/roll?fileName={Uri.EscapeDataString(fileName)}", UriKind.Relative), content);
        Assert.True(put.StatusCode == HttpStatusCode.Accepted, await put.Content.ReadAsStringAsync());
        return await TriggerAsync(host, $"{policy}/{fileName}");
    }

    /// <summary>Runs the function on a blob already in the container (same name and version), as the runtime does.</summary>
    public static async Task<JsonElement> TriggerAsync(LedgerTestHost host, string name)
    {
        var blobs = host.Services.GetRequiredService<BlobServiceClient>();
        var blob = blobs.GetBlobContainerClient(LastYearRollsFunction.Container).GetBlobClient(name);
        var properties = (await blob.GetPropertiesAsync()).Value;
        var function = ActivatorUtilities.CreateInstance<LastYearRollsFunction>(host.Services);
        await function.RunAsync(new TriggeredBlob(LastYearRollsFunction.Container, name, properties.ETag, blob), CancellationToken.None);
        var result = await blobs.GetBlobContainerClient(LastYearRollsFunction.ResultsContainer).GetBlobClient(name + ".json").DownloadContentAsync();
        return JsonSerializer.Deserialize<JsonElement>(result.Value.Content);
    }

    public static async Task EnrolAndPayAsync(LedgerTestHost host, string policy, string id, string town, string date, decimal? pay, string paidOn)
    {
        var (status, body) = await host.PostAsync("/api/enrolments", new { policy, idNumber = id, date, name = "本年" + id[^4..], town });
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        if (pay is { } amount)
        {
            var (paid, payment) = await host.PostAsync("/api/payments", new { policy, idNumber = id, amount, paidOn, channel = "online", transactionId = "R" + Guid.NewGuid().ToString("N")[..12], inTreasury = true }, "test-tax");
            Assert.True(paid == HttpStatusCode.Created, payment.ToString());
        }
    }

    /// <summary>A whole ID number as the CSV writer keeps it text for Excel.</summary>
    public static string CsvId(string id) => id.EndsWith('X') ? id : $"=\"{id}\"";
}
