using System.Net;
using Collection.Runtime.Functions;
using Collection.Runtime.Tests.Support;
using Collection.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Collection.Runtime.Tests;

/// <summary>Storage going away and coming back, with a dedicated Azurite per test.</summary>
public class StorageFaultTests
{
    private static Task<TestFunctionsHost> StartHostAsync(AzuriteInstance azurite, string container, string queue, RunLog log) =>
        TestFunctionsHost.StartAsync(
            f => f.Blob<BlobRecorder>("Uploads", $"{container}/{{name}}").Queue<QueueRecorder>("Work", queue),
            TestFunctionsHost.FastSettings(azurite.ConnectionString),
            s => s.AddSingleton(log));

    [Fact]
    public async Task AzuriteStoppedAndRestarted_ListenersLogRetryAndRecoverWithoutHostRestart()
    {
        await using var azurite = await AzuriteInstance.StartAsync();
        var log = new RunLog();
        await using var host = await StartHostAsync(azurite, "uploads", "work", log);
        var blobs = azurite.CreateBlobServiceClient().GetBlobContainerClient("uploads");
        await blobs.CreateIfNotExistsAsync();
        await blobs.UploadBlobAsync("before.csv", BinaryData.FromString("x"));
        await log.WaitForAsync<BlobTrigger>(runs => runs.Count == 1);

        await azurite.StopAsync();
        await Eventually.TrueAsync(() => host.Logs.Contains(LogLevel.Warning, "Blob trigger scan failed") && host.Logs.Contains(LogLevel.Warning, "could not poll queue"), "both listeners to log the outage");
        await azurite.RestartAsync();

        // In-memory Azurite comes back empty: the listeners create their container and queue again.
        await Eventually.TrueAsync(async () => (await blobs.ExistsAsync()).Value, "the container to be created again");
        await blobs.UploadBlobAsync("after.csv", BinaryData.FromString("x"));
        var queue = azurite.CreateQueueServiceClient().GetQueueClient("work");
        await Eventually.TrueAsync(async () => (await queue.ExistsAsync()).Value, "the queue to be created again");
        await queue.SendMessageAsync("after");
        await log.WaitForAsync<BlobTrigger>(runs => runs.Any(r => r.Name == "after.csv"), 30);
        await log.WaitForAsync<QueueTrigger>(runs => runs.Count == 1, 30);

        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync(new Uri("/api/health", UriKind.Relative))).StatusCode);
        Assert.Equal(["before.csv", "after.csv"], log.Runs<BlobTrigger>().Select(r => r.Name));
    }

    [Fact]
    public async Task StorageUnreachableAtStartUp_HostStartsAndPicksUpWorkOnceStorageAppears()
    {
        await using var azurite = AzuriteInstance.NotStartedOnFreePorts();
        var log = new RunLog();
        await using var host = await StartHostAsync(azurite, "late", "late-work", log);
        await Eventually.TrueAsync(() => host.Logs.Contains(LogLevel.Warning, "Blob trigger scan failed"), "the listener to log the outage");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await host.Client.GetAsync(new Uri("/api/health", UriKind.Relative))).StatusCode);

        await azurite.RestartAsync();
        var blobs = azurite.CreateBlobServiceClient().GetBlobContainerClient("late");
        await Eventually.TrueAsync(async () => (await blobs.ExistsAsync()).Value, "the container to be created", 30);
        await blobs.UploadBlobAsync("first.csv", BinaryData.FromString("x"));
        await log.WaitForAsync<BlobTrigger>(runs => runs.Count == 1, 30);

        Assert.Equal("first.csv", log.Runs<BlobTrigger>()[0].Name);
    }
}
