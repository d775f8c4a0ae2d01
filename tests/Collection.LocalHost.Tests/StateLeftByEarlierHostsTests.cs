using Azure.Data.Tables;
using Azure.Storage.Blobs.Models;
using Collection.LocalHost.Triggers;
using Collection.Testing;

namespace Collection.LocalHost.Tests;

/// <summary>
/// A host starting on state that hosts before it left in storage: a timer occurrence missed while none ran,
/// and the claim of a host that crashed while running a blob.
/// </summary>
public sealed class StateLeftByEarlierHostsTests(StateLeftByEarlierHostsTests.EarlierState state) : IClassFixture<StateLeftByEarlierHostsTests.EarlierState>
{
    private const string ClaimedBlob = "claimed-by-crashed-host.csv";

    private readonly LocalHostFixture _host = state.Host;

    [Fact]
    public async Task MissedOccurrence_RunsOnceAtStartUp_AsPastDue()
    {
        // The schedule waits for its next occurrence only once the missed one has run.
        var next = await TimerTriggerTests.ScheduledAsync(_host);

        var tick = Assert.Single(await TimerTriggerTests.TicksAsync(_host)).Value;
        Assert.True(tick.GetProperty("isPastDue").GetBoolean());
        Assert.True(next > DateTimeOffset.UtcNow);
        Assert.Equal(state.MissedOccurrence, (await _host.Service<TimerTriggerListener>().GetStatusAsync("Tick", default)).LastScheduled);
    }

    [Fact]
    public async Task ClaimOfACrashedHost_HoldsItsBlobUntilTheClaimExpires_ThenTheBlobRunsAsItsNextTry()
    {
        await _host.WaitForBlobScansAsync(3);
        Assert.Empty(await _host.RunsAsync("OnUpload", ClaimedBlob));

        var receipts = _host.Azurite.CreateTableServiceClient().GetTableClient(StorageLayout.BlobReceiptsTable);
        var claim = new TableEntity(BlobReceipt.PartitionKeyFor("OnUpload"), BlobReceipt.RowKeyFor("testapp-in", ClaimedBlob))
        {
            [nameof(BlobReceipt.LeaseExpiresAt)] = DateTimeOffset.UtcNow.AddSeconds(-1),
        };
        await receipts.UpdateEntityAsync(claim, Azure.ETag.All, TableUpdateMode.Merge);
        var output = await _host.WaitForOutputAsync($"blob-{ClaimedBlob}.json");

        Assert.Equal(2, output.GetProperty("attempt").GetInt32());
        Assert.Single(await _host.RunsAsync("OnUpload", ClaimedBlob));
    }

    /// <summary>Storage as the earlier hosts left it, written before this host starts.</summary>
    public sealed class EarlierState : IAsyncLifetime
    {
        public LocalHostFixture Host { get; } = new();

        /// <summary>A day ago; the yearly schedule's next occurrence is far off.</summary>
        public DateTimeOffset MissedOccurrence { get; } = DateTimeOffset.UtcNow.AddDays(-1);

        public Task InitializeAsync()
        {
            Host.BeforeStartAsync = async azurite =>
            {
                await LeaveMissedOccurrenceAsync(azurite);
                await LeaveClaimOfCrashedHostAsync(azurite);
            };
            return Host.InitializeAsync();
        }

        public Task DisposeAsync() => Host.DisposeAsync();

        private async Task LeaveMissedOccurrenceAsync(AzuriteInstance azurite)
        {
            var hosts = azurite.CreateBlobServiceClient().GetBlobContainerClient(StorageLayout.HostsContainer);
            await hosts.CreateIfNotExistsAsync();
            await hosts.GetBlobClient(StorageLayout.TimerBlobName("Tick")).UploadAsync(BinaryData.Empty, new BlobUploadOptions
            {
                Metadata = new Dictionary<string, string> { [TimerStatusStore.NextKey] = MissedOccurrence.ToString("O") },
            });
        }

        /// <summary>The blob's first try, claimed for another hour by a host that is gone.</summary>
        private static async Task LeaveClaimOfCrashedHostAsync(AzuriteInstance azurite)
        {
            var input = azurite.CreateBlobServiceClient().GetBlobContainerClient("testapp-in");
            await input.CreateIfNotExistsAsync();
            var etag = (await input.GetBlobClient(ClaimedBlob).UploadAsync(BinaryData.FromString("x"))).Value.ETag;
            var receipts = azurite.CreateTableServiceClient().GetTableClient(StorageLayout.BlobReceiptsTable);
            await receipts.CreateIfNotExistsAsync();
            await receipts.AddEntityAsync(new BlobReceipt
            {
                PartitionKey = BlobReceipt.PartitionKeyFor("OnUpload"),
                RowKey = BlobReceipt.RowKeyFor("testapp-in", ClaimedBlob),
                Container = "testapp-in",
                BlobName = ClaimedBlob,
                BlobETag = BlobReceipt.ETagText(etag),
                Status = BlobReceipt.Running,
                Attempts = 1,
                Owner = "crashed-host",
                LeaseExpiresAt = DateTimeOffset.UtcNow.AddHours(1),
            });
        }
    }
}
