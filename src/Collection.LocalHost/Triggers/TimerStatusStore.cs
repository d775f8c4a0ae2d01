using System.Globalization;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Logging;

namespace Collection.LocalHost.Triggers;

/// <summary>The persisted schedule status of one timer function (metadata of its blob, see <see cref="StorageLayout"/>).</summary>
internal sealed record TimerStatus(
    DateTimeOffset? Next,
    DateTimeOffset? LastScheduled,
    DateTimeOffset? LastRunAt,
    string? LastOutcome,
    DateTimeOffset? LastManualRunAt)
{
    public static readonly TimerStatus Empty = new(null, null, null, null, null);
}

/// <summary>
/// The <c>azure-webjobs-hosts/timers/&lt;function&gt;</c> blobs (layout in <see cref="StorageLayout"/>):
/// the lease that lets one host run a timer, and the schedule status in the blob's metadata.
/// </summary>
internal sealed partial class TimerStatusStore(BlobContainerClient container, TimeProvider time, TimeSpan leaseRetryInterval, ILogger logger)
{
    public const string NextKey = "next";
    public const string LastScheduledKey = "lastScheduled";
    public const string LastRunAtKey = "lastRunAt";
    public const string LastOutcomeKey = "lastOutcome";
    public const string LastManualRunAtKey = "lastManualRunAt";

    // Storage measures leases in real time, so they are renewed on the system clock.
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan LeaseRenewal = TimeSpan.FromSeconds(20);

    private volatile bool _containerReady;

    public BlobClient Blob(string functionName) => container.GetBlobClient(StorageLayout.TimerBlobName(functionName));

    /// <summary>Storage may have come back empty (an emulator restart): create the container again before use.</summary>
    public void Forget() => _containerReady = false;

    public async Task EnsureAsync(BlobClient blob, CancellationToken cancellationToken)
    {
        if (!_containerReady)
        {
            await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            _containerReady = true;
        }

        try
        {
            await blob.UploadAsync(BinaryData.Empty, new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            // Already there (possibly leased by another host): that is all we need.
        }
    }

    public static async Task<TimerStatus> ReadAsync(BlobClient blob, CancellationToken cancellationToken)
    {
        var metadata = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value.Metadata;
        return new TimerStatus(
            Parse(metadata, NextKey),
            Parse(metadata, LastScheduledKey),
            Parse(metadata, LastRunAtKey),
            metadata.TryGetValue(LastOutcomeKey, out var outcome) ? outcome : null,
            Parse(metadata, LastManualRunAtKey));
    }

    /// <summary>Merges <paramref name="times"/> (and the outcome, when given) into the status; only the lease holder may write.</summary>
    public static async Task WriteAsync(BlobClient blob, BlobLeaseClient lease, Dictionary<string, DateTimeOffset?> times, string? outcome, CancellationToken cancellationToken)
    {
        var metadata = new Dictionary<string, string>((await blob.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value.Metadata, StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in times)
        {
            if (value is { } time)
            {
                metadata[key] = time.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);
            }
        }

        if (outcome is not null)
        {
            metadata[LastOutcomeKey] = outcome;
        }

        await blob.SetMetadataAsync(metadata, new BlobRequestConditions { LeaseId = lease.LeaseId }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The lease on <paramref name="blob"/>, or null when another host holds it (after trying until <paramref name="until"/>).</summary>
    public async Task<BlobLeaseClient?> AcquireLeaseAsync(BlobClient blob, DateTimeOffset? until, CancellationToken cancellationToken)
    {
        while (true)
        {
            var lease = blob.GetBlobLeaseClient();
            try
            {
                await lease.AcquireAsync(LeaseDuration, cancellationToken: cancellationToken).ConfigureAwait(false);
                return lease;
            }
            catch (RequestFailedException e) when (e.Status == 409)
            {
                if (until is null || time.GetUtcNow() >= until)
                {
                    return null;
                }

                await Task.Delay(leaseRetryInterval, TimeProvider.System, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async Task RenewUntilCancelledAsync(BlobLeaseClient lease, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(LeaseRenewal, TimeProvider.System, cancellationToken).ConfigureAwait(false);
                await lease.RenewAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (RequestFailedException e)
            {
                LogLeaseRenewFailed(e.Message);
            }
        }
    }

    public static async Task ReleaseQuietlyAsync(BlobLeaseClient lease)
    {
        try
        {
            await lease.ReleaseAsync().ConfigureAwait(false);
        }
        catch (RequestFailedException)
        {
            // Expired or storage away: the lease runs out on its own within a minute.
        }
    }

    private static DateTimeOffset? Parse(IDictionary<string, string> metadata, string key) =>
        metadata.TryGetValue(key, out var text) && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var value)
            ? value
            : null;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not renew a timer lease: {Error}")]
    private partial void LogLeaseRenewFailed(string error);
}
