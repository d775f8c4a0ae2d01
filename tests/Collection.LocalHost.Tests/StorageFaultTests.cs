using System.Net.Http.Json;
using System.Text.Json;
using Azure.Storage.Queues;
using Collection.Testing;
using Microsoft.Extensions.Logging;

namespace Collection.LocalHost.Tests;

/// <summary>Storage going away and coming back (in-memory Azurite comes back empty); the host is not restarted.</summary>
public sealed class StorageFaultTests(StorageFaultTests.DurableElsewhere fixture) : IClassFixture<StorageFaultTests.DurableElsewhere>
{
    private readonly LocalHostFixture _host = fixture.Host;

    [Fact]
    public async Task StorageGoneAndBack_TheListenersLogItAndRecover()
    {
        var input = _host.Azurite.CreateBlobServiceClient().GetBlobContainerClient("testapp-in");
        await input.CreateIfNotExistsAsync();
        await input.UploadBlobAsync("before-outage.csv", BinaryData.FromString("x"));
        await _host.WaitForOutputAsync("blob-before-outage.csv.json");

        await _host.Azurite.StopAsync();
        await _host.Logs.WaitForAsync(LogLevel.Warning, "Blob trigger scan failed");
        await _host.Logs.WaitForAsync(LogLevel.Warning, "could not poll queue");
        await _host.Azurite.RestartAsync();

        // The listeners create their container, receipts table and queue again.
        await Eventually.TrueAsync(async () => (await input.ExistsAsync()).Value, () => "the container to be created again");
        await input.UploadBlobAsync("after-outage.csv", BinaryData.FromString("x"));
        var queue = new QueueClient(_host.Azurite.ConnectionString, _host.QueueName);
        await Eventually.TrueAsync(async () => (await queue.ExistsAsync()).Value, () => "the queue to be created again");
        await queue.SendMessageAsync("after-outage");

        await _host.WaitForOutputAsync("blob-after-outage.csv.json");
        await _host.WaitForOutputAsync("queue-after-outage.json");
        Assert.Equal("你好 b", (await _host.Http.GetFromJsonAsync<JsonElement>("api/hello/b")).GetProperty("greeting").GetString());
    }

    /// <summary>
    /// The host with Durable's task hub on a second Azurite that stays: the Durable extension does not survive
    /// its storage coming back empty (its partition manager keeps failing and holds the host's stop for 10 minutes).
    /// </summary>
    public sealed class DurableElsewhere : IAsyncLifetime
    {
        private AzuriteInstance? _durableStorage;

        public LocalHostFixture Host { get; } = new();

        public async Task InitializeAsync()
        {
            _durableStorage = await AzuriteInstance.StartAsync();
            Host.Values["DurableStorage"] = _durableStorage.ConnectionString;
            Host.Values["AzureFunctionsJobHost__extensions__durableTask__storageProvider__connectionName"] = "DurableStorage";
            await Host.InitializeAsync();
        }

        public async Task DisposeAsync()
        {
            await Host.DisposeAsync();
            if (_durableStorage is not null)
            {
                await _durableStorage.DisposeAsync();
            }
        }
    }
}

/// <summary>A host started while its storage is not there yet.</summary>
public sealed class StorageLateTests(StorageLateTests.HostBeforeStorage fixture) : IClassFixture<StorageLateTests.HostBeforeStorage>
{
    [Fact]
    public async Task StorageUnreachableAtStartUp_TheHostStarts_AndPicksUpWorkOnceStorageAppears()
    {
        var host = fixture.Host;
        await host.Logs.WaitForAsync(LogLevel.Warning, "Blob trigger scan failed");
        Assert.Equal("你好 a", (await host.Http.GetFromJsonAsync<JsonElement>("api/hello/a")).GetProperty("greeting").GetString());

        await host.Azurite.RestartAsync();
        var input = host.Azurite.CreateBlobServiceClient().GetBlobContainerClient("testapp-in");
        await Eventually.TrueAsync(async () => (await input.ExistsAsync()).Value, () => "the listener to create the container");
        await input.UploadBlobAsync("first.csv", BinaryData.FromString("x"));

        Assert.Equal("first.csv", (await host.WaitForOutputAsync("blob-first.csv.json")).GetProperty("name").GetString());
    }

    public sealed class HostBeforeStorage : IAsyncLifetime
    {
        public LocalHostFixture Host { get; } = new() { StartStorage = false };

        public Task InitializeAsync() => Host.InitializeAsync();

        public Task DisposeAsync() => Host.DisposeAsync();
    }
}
