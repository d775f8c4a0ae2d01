using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;

namespace Collection.LocalHost.Triggers;

/// <summary>What <see cref="BlobReceiptStore.ClaimAsync"/> found.</summary>
internal enum ClaimResult
{
    /// <summary>This host now holds the claim and runs the blob.</summary>
    Claimed,

    /// <summary>This version already succeeded or is poison.</summary>
    Finished,

    /// <summary>Another host holds a live claim or won the race: look again on a later scan.</summary>
    Busy,

    /// <summary>The last allowed try died with its host; the version was just recorded as poison.</summary>
    Poisoned,
}

/// <summary>
/// The <c>RuntimeBlobReceipts</c> table (layout in <see cref="StorageLayout"/>): claims that let one
/// host run each blob version, their renewal while the function runs, and the recorded outcomes.
/// </summary>
internal sealed partial class BlobReceiptStore(TableClient table, BlobTriggerOptions options, TimeProvider time, ILogger logger)
{
    private const int MaxErrorLength = 4000;

    private volatile bool _ready;

    public string Owner { get; } = $"{Environment.MachineName}-{Guid.NewGuid():N}";

    /// <summary>Storage may have come back empty (an emulator restart): create the table again before use.</summary>
    public void Forget() => _ready = false;

    public async Task EnsureTableAsync(CancellationToken cancellationToken)
    {
        if (!_ready)
        {
            await table.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
            _ready = true;
        }
    }

    /// <summary>
    /// Takes the right to run one blob version: inserts its receipt, or replaces it If-Match the row's
    /// ETag, so of several hosts exactly one succeeds.
    /// </summary>
    public async Task<(ClaimResult Result, BlobReceipt Receipt)> ClaimAsync(string function, string container, string blobName, string blobETag, CancellationToken cancellationToken)
    {
        var partitionKey = BlobReceipt.PartitionKeyFor(function);
        var rowKey = BlobReceipt.RowKeyFor(container, blobName);
        var now = time.GetUtcNow();
        var existing = await table.GetEntityIfExistsAsync<BlobReceipt>(partitionKey, rowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!existing.HasValue || existing.Value is null)
        {
            var receipt = new BlobReceipt
            {
                PartitionKey = partitionKey, RowKey = rowKey, Container = container, BlobName = blobName,
                BlobETag = blobETag, Status = BlobReceipt.Running, Attempts = 1, Owner = Owner, LeaseExpiresAt = now + options.LeaseTime,
            };
            try
            {
                var added = await table.AddEntityAsync(receipt, cancellationToken).ConfigureAwait(false);
                receipt.ETag = added.Headers.ETag ?? default;
                return (ClaimResult.Claimed, receipt);
            }
            catch (RequestFailedException e) when (e.Status == 409)
            {
                return (ClaimResult.Busy, receipt);
            }
        }

        var current = existing.Value;
        if (current.BlobETag == blobETag)
        {
            if (current.IsFinished)
            {
                return (ClaimResult.Finished, current);
            }

            if (current.Status == BlobReceipt.Running && current.LeaseExpiresAt > now)
            {
                return (ClaimResult.Busy, current);
            }

            if (current.Attempts >= options.MaxDequeueCount)
            {
                current.LastError ??= "The host running the last try stopped before it finished.";
                return await FinishAsync(current, BlobReceipt.Poison, null, cancellationToken).ConfigureAwait(false)
                    ? (ClaimResult.Poisoned, current)
                    : (ClaimResult.Busy, current);
            }

            current.Attempts++;
        }
        else
        {
            // Overwritten: a new version starts again at its first try.
            current.BlobETag = blobETag;
            current.Attempts = 1;
            current.LastError = null;
            current.CompletedAt = null;
        }

        current.Status = BlobReceipt.Running;
        current.Owner = Owner;
        current.LeaseExpiresAt = now + options.LeaseTime;
        try
        {
            var replaced = await table.UpdateEntityAsync(current, current.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            current.ETag = replaced.Headers.ETag ?? default;
            return (ClaimResult.Claimed, current);
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            return (ClaimResult.Busy, current);
        }
    }

    /// <summary>Keeps the claim alive (every third of <c>leaseTime</c>) until <paramref name="cancellationToken"/> fires.</summary>
    public async Task RenewUntilCancelledAsync(BlobReceipt receipt, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.LeaseTime / 3, time, cancellationToken).ConfigureAwait(false);
                var expires = time.GetUtcNow() + options.LeaseTime;
                ETag etag;
                lock (receipt)
                {
                    etag = receipt.ETag;
                }

                // Merge: only the lease moves; If-Match so a claim taken over is not silently renewed.
                var response = await table.UpdateEntityAsync(
                    new TableEntity(receipt.PartitionKey, receipt.RowKey) { [nameof(BlobReceipt.LeaseExpiresAt)] = expires },
                    etag, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
                lock (receipt)
                {
                    receipt.ETag = response.Headers.ETag ?? receipt.ETag;
                    receipt.LeaseExpiresAt = expires;
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (RequestFailedException e)
            {
                LogRenewFailed(receipt.Container, receipt.BlobName, e.Message);
                if (e.Status == 412)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Records the end of a try: Succeeded, Failed (to be tried again) or Poison. False when another host took the claim over.</summary>
    public async Task<bool> FinishAsync(BlobReceipt receipt, string status, string? error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(receipt);
        receipt.Status = status;
        receipt.Owner = null;
        receipt.LeaseExpiresAt = null;
        receipt.LastError = status == BlobReceipt.Succeeded ? null : Truncate(error ?? receipt.LastError);
        receipt.CompletedAt = receipt.IsFinished ? time.GetUtcNow() : null;
        try
        {
            ETag etag;
            lock (receipt)
            {
                etag = receipt.ETag;
            }

            await table.UpdateEntityAsync(receipt, etag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            // Our claim expired and another host took the blob over; its outcome is the one that counts.
            LogClaimLost(receipt.Container, receipt.BlobName);
            return false;
        }
    }

    private static string? Truncate(string? text) => text is { Length: > MaxErrorLength } ? text[..MaxErrorLength] : text;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not renew the claim on blob {Container}/{BlobName}: {Error}")]
    private partial void LogRenewFailed(string container, string blobName, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The claim on blob {Container}/{BlobName} was taken over by another host before this run was recorded")]
    private partial void LogClaimLost(string container, string blobName);
}
