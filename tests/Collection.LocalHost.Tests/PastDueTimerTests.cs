using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Collection.LocalHost.Tests;

/// <summary>A timer occurrence missed while no host ran is run once at start-up, as past due.</summary>
public sealed class PastDueTimerTests : IClassFixture<PastDueTimerTests.MissedOccurrence>
{
    private readonly MissedOccurrence _host;

    public PastDueTimerTests(MissedOccurrence host) => _host = host;

    [Fact]
    public async Task MissedOccurrence_RunsOnceAtStartUp_AsPastDue()
    {
        var ticks = new List<JsonElement>();
        var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
        while (ticks.Count == 0)
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, "The missed occurrence never ran.");
            await Task.Delay(200);
            ticks.Clear();
            if (!await _host.Output.ExistsAsync())
            {
                continue;
            }

            await foreach (var blob in _host.Output.GetBlobsAsync(BlobTraits.None, BlobStates.None, "tick-", default))
            {
                ticks.Add(await _host.WaitForOutputAsync(blob.Name));
            }
        }

        var tick = Assert.Single(ticks);
        Assert.True(tick.GetProperty("isPastDue").GetBoolean());
    }

    public sealed class MissedOccurrence : IAsyncLifetime
    {
        private readonly LocalHostFixture _fixture = new();

        public BlobContainerClient Output => _fixture.Output;

        public Task<JsonElement> WaitForOutputAsync(string name) => _fixture.WaitForOutputAsync(name);

        public Task InitializeAsync()
        {
            // The status blob says an occurrence was due a day ago (the yearly schedule's next is far off).
            _fixture.BeforeStartAsync = async azurite =>
            {
                var hosts = azurite.CreateBlobServiceClient().GetBlobContainerClient("azure-webjobs-hosts");
                await hosts.CreateIfNotExistsAsync();
                var status = hosts.GetBlobClient("timers/tick");
                await status.UploadAsync(BinaryData.Empty, new BlobUploadOptions
                {
                    Metadata = new Dictionary<string, string> { ["next"] = DateTimeOffset.UtcNow.AddDays(-1).ToString("O") },
                });
            };
            return _fixture.InitializeAsync();
        }

        public Task DisposeAsync() => _fixture.DisposeAsync();
    }
}
