using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Queues;

namespace Collection.LocalHost.Tests;

public sealed class TriggerTests(LocalHostFixture host) : IClassFixture<LocalHostFixture>
{
    [Fact]
    public async Task Blob_Uploaded_RunsOnceWithItsNameAndSize()
    {
        var input = host.Azurite.CreateBlobServiceClient().GetBlobContainerClient("testapp-in");
        await input.CreateIfNotExistsAsync();
        await input.UploadBlobAsync("名册-1.csv", BinaryData.FromString("姓名,身份证号\n"));

        var output = await host.WaitForOutputAsync("blob-名册-1.csv.json");

        Assert.Equal("名册-1.csv", output.GetProperty("name").GetString());
        Assert.Equal(Encoding("姓名,身份证号\n"), output.GetProperty("length").GetInt64());
        Assert.Equal(1, output.GetProperty("attempt").GetInt32());
        var receipt = await ReceiptAsync("OnUpload", "testapp-in/名册-1.csv", r => r.GetString("Status") == "Succeeded");
        Assert.Equal(1, receipt.GetInt32("Attempts"));
    }

    [Fact]
    public async Task Blob_Uploaded_BindingDataHasThePropertiesAndMetadataOfThatVersion()
    {
        var input = host.Azurite.CreateBlobServiceClient().GetBlobContainerClient("testapp-in");
        await input.CreateIfNotExistsAsync();
        var blob = input.GetBlobClient("属性-1.csv");
        var uploaded = (await blob.UploadAsync(BinaryData.FromString("a,b\n"), new BlobUploadOptions
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
    public async Task Blob_ThatAlwaysFails_IsPoisonAfterMaxDequeueCount()
    {
        var input = host.Azurite.CreateBlobServiceClient().GetBlobContainerClient("testapp-in");
        await input.CreateIfNotExistsAsync();
        await input.UploadBlobAsync("fail-1.csv", BinaryData.FromString("x"));

        var receipt = await ReceiptAsync("OnUpload", "testapp-in/fail-1.csv", r => r.GetString("Status") == "Poison");

        Assert.Equal(2, receipt.GetInt32("Attempts")); // host.json maxDequeueCount
        Assert.Contains("always fails", receipt.GetString("LastError"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task QueueMessage_RunsTheFunctionWithItsText()
    {
        var queue = new QueueClient(host.Azurite.ConnectionString, host.QueueName);
        await queue.CreateIfNotExistsAsync();
        await queue.SendMessageAsync("hello-queue");

        var output = await host.WaitForOutputAsync("queue-hello-queue.json");

        Assert.Equal("hello-queue", output.GetProperty("message").GetString());
        Assert.Equal("1", output.GetProperty("dequeueCount").GetString());
    }

    [Fact]
    public async Task QueueMessage_ThatAlwaysFails_MovesToThePoisonQueue()
    {
        var queue = new QueueClient(host.Azurite.ConnectionString, host.QueueName);
        var poison = new QueueClient(host.Azurite.ConnectionString, host.QueueName + "-poison");
        await queue.CreateIfNotExistsAsync();
        await queue.SendMessageAsync("fail-queue");

        var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
        while (true)
        {
            if (await poison.ExistsAsync())
            {
                var peeked = (await poison.PeekMessagesAsync(32)).Value;
                if (peeked.Any(m => m.Body.ToString() == "fail-queue"))
                {
                    break;
                }
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, "The failing message never reached the poison queue.");
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task TimerRunFromAdmin_RunsTheFunctionNow()
    {
        using var response = await host.Http.PostAsync("admin/functions/Tick", null);
        response.EnsureSuccessStatusCode();
        var run = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal("succeeded", run.GetProperty("outcome").GetString());
        var ticks = new List<string>();
        await foreach (var blob in host.Output.GetBlobsAsync(BlobTraits.None, BlobStates.None, "tick-", default))
        {
            ticks.Add(blob.Name);
        }

        Assert.NotEmpty(ticks);
    }

    [Fact]
    public async Task AdminRun_OfAnHttpFunction_IsRefused()
    {
        using var response = await host.Http.PostAsync("admin/functions/Hello", null);

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("not-a-timer", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    private static long Encoding(string text) => System.Text.Encoding.UTF8.GetByteCount(text);

    private async Task<TableEntity> ReceiptAsync(string function, string path, Func<TableEntity, bool> done)
    {
        var table = host.Azurite.CreateTableServiceClient().GetTableClient("RuntimeBlobReceipts");
        var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
        while (true)
        {
            var row = await table.GetEntityIfExistsAsync<TableEntity>(function, Uri.EscapeDataString(path));
            if (row.HasValue && done(row.Value!))
            {
                return row.Value!;
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, $"The receipt of {path} never reached the expected state.");
            await Task.Delay(200);
        }
    }
}
