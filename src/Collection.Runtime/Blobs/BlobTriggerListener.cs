using System.Collections.Concurrent;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Collection.Runtime.Functions;
using Collection.Runtime.Hosting;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Collection.Runtime.Blobs;

/// <summary>
/// Runs every blob function once per (blob name, ETag). One loop scans the watched containers page by
/// page every <c>pollingInterval</c> (≤ 10 s); a blob whose version this host already saw finish is
/// skipped without a storage call, the rest are claimed through a receipt row (see
/// <see cref="StorageLayout"/>) so that only one host runs each version, across restarts. Runs go on
/// beside the scan (at most <c>maxDegreeOfParallelism</c> at once), so a long run does not hold up
/// detection of other blobs. A failed
/// version is tried again on later scans up to <c>maxDequeueCount</c>, then recorded as poison.
/// Storage errors are logged and the scan retried; the host never stops for them.
/// </summary>
public sealed partial class BlobTriggerListener : BackgroundService
{
    private const int MaxErrorLength = 4000;

    private readonly FunctionBindings _bindings;
    private readonly BlobServiceClient _blobs;
    private readonly TableClient _receipts;
    private readonly BlobTriggerOptions _options;
    private readonly FunctionInvoker _invoker;
    private readonly TimeProvider _time;
    private readonly ILogger<BlobTriggerListener> _logger;
    private readonly string _owner = $"{Environment.MachineName}-{Guid.NewGuid():N}";

    // Versions known to be finished (succeeded or poison): skipped without reading their receipt.
    private readonly ConcurrentDictionary<string, string> _finished = new(StringComparer.Ordinal);
    private readonly HashSet<string> _readyContainers = new(StringComparer.Ordinal);
    private bool _receiptsReady;

    // Blobs this host is claiming or running now, and those runs (awaited at shutdown).
    private readonly ConcurrentDictionary<string, byte> _inFlight = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Task, byte> _running = new();
    private readonly SemaphoreSlim _slots;

    public BlobTriggerListener(
        FunctionBindings bindings,
        BlobServiceClient blobs,
        TableServiceClient tables,
        IOptions<BlobTriggerOptions> options,
        FunctionInvoker invoker,
        TimeProvider time,
        ILogger<BlobTriggerListener> logger)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(options);
        _bindings = bindings;
        _blobs = blobs;
        _receipts = tables.GetTableClient(StorageLayout.BlobReceiptsTable);
        _options = options.Value;
        _invoker = invoker;
        _time = time;
        _logger = logger;
        _slots = new SemaphoreSlim(Math.Max(1, _options.MaxDegreeOfParallelism));
    }

    public override void Dispose()
    {
        _slots.Dispose();
        base.Dispose();
    }

    /// <summary>Completed scans; tests wait on it instead of sleeping.</summary>
    public long ScansCompleted => Interlocked.Read(ref _scans);

    private long _scans;

    /// <summary>Poison receipts of <paramref name="function"/> (for <c>GET /admin/functions</c>).</summary>
    public async Task<int> CountPoisonAsync(FunctionDescriptor function, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(function);
        var count = 0;
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {BlobReceipt.PartitionKeyFor(function.Name)} and Status eq {BlobReceipt.Poison}");
        try
        {
            await foreach (var _ in _receipts.QueryAsync<BlobReceipt>(filter, select: ["RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                count++;
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // No receipts table yet: nothing has run, nothing is poison.
        }

        return count;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var watches = _bindings.OfKind(TriggerKind.Blob)
            .Select(b => (b.Function, Path: BlobPath.Parse(b.Function.Name, b.Binding)))
            .ToList();
        if (watches.Count == 0)
        {
            return;
        }

        try
        {
            await PollAsync(watches, stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            // Let runs cut short by the stop record their outcome or release their claim.
            await Task.WhenAll(_running.Keys).ConfigureAwait(false);
        }
    }

    private async Task PollAsync(List<(FunctionDescriptor Function, BlobPath Path)> watches, CancellationToken stoppingToken)
    {
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ScanAsync(watches, stoppingToken).ConfigureAwait(false);
                Interlocked.Increment(ref _scans);
                failures = 0;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                failures++;
                LogScanFailed(e, failures, e.Message);
                ForgetReadiness();
            }

            // Back off while storage is away (up to 8 polling intervals), never beyond the promised detection latency.
            var wait = failures == 0
                ? _options.PollingInterval
                : TimeSpan.FromTicks(Math.Min(_options.PollingInterval.Ticks << Math.Min(failures, 3), BlobTriggerOptions.MaxDetectionLatency.Ticks));
            try
            {
                // Polling runs on real time even when the host's clock is fake (tests driving timers).
                await Task.Delay(wait, TimeProvider.System, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void ForgetReadiness()
    {
        // Storage may have come back empty (an emulator restart): create the table and containers again.
        lock (_readyContainers)
        {
            _readyContainers.Clear();
            _receiptsReady = false;
        }
    }

    private async Task ScanAsync(List<(FunctionDescriptor Function, BlobPath Path)> watches, CancellationToken cancellationToken)
    {
        if (!_receiptsReady)
        {
            await _receipts.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
            _receiptsReady = true;
        }

        foreach (var (function, path) in watches)
        {
            var container = _blobs.GetBlobContainerClient(path.Container);
            if (!_readyContainers.Contains(path.Container))
            {
                await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                lock (_readyContainers)
                {
                    _readyContainers.Add(path.Container);
                }
            }

            // Page by page, so a large container is worked through without holding its whole listing.
            var pages = container.GetBlobsAsync(BlobTraits.None, BlobStates.None, path.Prefix, cancellationToken).AsPages(pageSizeHint: 1000);
            await foreach (var page in pages.ConfigureAwait(false))
            {
                var candidates = new List<(BlobItem Blob, IReadOnlyDictionary<string, string> Values)>();
                foreach (var blob in page.Values)
                {
                    if (blob.Properties.ETag is { } etag
                        && path.TryMatch(blob.Name, out var values)
                        && !(_finished.TryGetValue(FinishedKey(function, path, blob.Name), out var done) && done == BlobReceipt.ETagText(etag)))
                    {
                        candidates.Add((blob, values));
                    }
                }

                foreach (var (blob, values) in candidates)
                {
                    var key = FinishedKey(function, path, blob.Name);
                    if (!_inFlight.TryAdd(key, 0))
                    {
                        continue;
                    }

                    // A free slot first: the scan waits only when maxDegreeOfParallelism runs are busy.
                    try
                    {
                        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        _inFlight.TryRemove(key, out _);
                        throw;
                    }

                    var run = RunInBackgroundAsync(function, path, blob, values, key, cancellationToken);
                    _running[run] = 0;
                    _ = run.ContinueWith(t => _running.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                }
            }
        }
    }

    /// <summary>One blob's claim, run and record, off the scan loop so a long run never delays detection of others.</summary>
    private async Task RunInBackgroundAsync(FunctionDescriptor function, BlobPath path, BlobItem blob, IReadOnlyDictionary<string, string> values, string key, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Yield();
            await ProcessAsync(function, path, blob, values, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Host stopping before the claim was taken or after it was released: nothing to record.
        }
        catch (Exception e)
        {
            // Storage away while claiming or recording: the scan retries the blob (a live claim expires after leaseTime).
            LogRunFailed(e, function.Name, path.Container, blob.Name, e.Message);
        }
        finally
        {
            _inFlight.TryRemove(key, out _);
            _slots.Release();
        }
    }

    private static string FinishedKey(FunctionDescriptor function, BlobPath path, string blobName) => $"{function.Name}\n{path.Container}/{blobName}";

    private async Task ProcessAsync(FunctionDescriptor function, BlobPath path, BlobItem blob, IReadOnlyDictionary<string, string> values, CancellationToken cancellationToken)
    {
        var blobETag = BlobReceipt.ETagText(blob.Properties.ETag!.Value);
        var receipt = await ClaimAsync(function, path, blob.Name, blobETag, cancellationToken).ConfigureAwait(false);
        if (receipt is null)
        {
            return;
        }

        var trigger = new BlobTrigger(
            path.Container,
            blob.Name,
            blob.Properties.ETag.Value,
            blob.Properties.ContentLength ?? 0,
            receipt.Attempts,
            _blobs.GetBlobContainerClient(path.Container).GetBlobClient(blob.Name),
            values);

        LogRunning(function.Name, path.Container, blob.Name, receipt.Attempts);
        FunctionOutcome outcome;
        using (var renewal = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            var renewing = RenewClaimAsync(receipt, renewal.Token);
            try
            {
                outcome = await _invoker.InvokeAsync<IBlobFunction>(function, $"blob {path.Container}/{blob.Name}", (f, ct) => f.RunAsync(trigger, ct), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Host stopping mid-run: the try counts, and the claim is released for the next host at once.
                outcome = new FunctionOutcome(false, new OperationCanceledException("The host stopped during the run."), TimeSpan.Zero);
            }
            finally
            {
                await renewal.CancelAsync().ConfigureAwait(false);
                await renewing.ConfigureAwait(false);
            }
        }

        // Recorded even while the host stops: a run that finished must not run again.
        await RecordAsync(function, path, blob.Name, receipt, outcome, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>
    /// Takes the right to run this version: insert the receipt, or replace it If-Match its ETag. Null
    /// when the version is finished, or another host holds a live claim or won the race.
    /// </summary>
    private async Task<BlobReceipt?> ClaimAsync(FunctionDescriptor function, BlobPath path, string blobName, string blobETag, CancellationToken cancellationToken)
    {
        var partitionKey = BlobReceipt.PartitionKeyFor(function.Name);
        var rowKey = BlobReceipt.RowKeyFor(path.Container, blobName);
        var now = _time.GetUtcNow();
        var existing = await _receipts.GetEntityIfExistsAsync<BlobReceipt>(partitionKey, rowKey, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!existing.HasValue || existing.Value is null)
        {
            var receipt = new BlobReceipt
            {
                PartitionKey = partitionKey, RowKey = rowKey, Container = path.Container, BlobName = blobName,
                BlobETag = blobETag, Status = BlobReceipt.Running, Attempts = 1, Owner = _owner, LeaseExpiresAt = now + _options.LeaseTime,
            };
            try
            {
                var added = await _receipts.AddEntityAsync(receipt, cancellationToken).ConfigureAwait(false);
                receipt.ETag = added.Headers.ETag ?? default;
                return receipt;
            }
            catch (RequestFailedException e) when (e.Status == 409)
            {
                return null;
            }
        }

        var current = existing.Value;
        if (current.BlobETag == blobETag)
        {
            if (current.IsFinished)
            {
                _finished[FinishedKey(function, path, blobName)] = blobETag;
                return null;
            }

            if (current.Status == BlobReceipt.Running && current.LeaseExpiresAt > now)
            {
                return null;
            }

            if (current.Attempts >= _options.MaxDequeueCount)
            {
                // The last try ended with its host (a crash mid-run): nothing left to try.
                current.LastError ??= "The host running the last try stopped before it finished.";
                await RecordPoisonAsync(function, path, blobName, current, cancellationToken).ConfigureAwait(false);
                return null;
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
        current.Owner = _owner;
        current.LeaseExpiresAt = now + _options.LeaseTime;
        try
        {
            var replaced = await _receipts.UpdateEntityAsync(current, current.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            current.ETag = replaced.Headers.ETag ?? default;
            return current;
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            return null;
        }
    }

    /// <summary>Keeps the claim alive while the function runs longer than a third of the lease.</summary>
    private async Task RenewClaimAsync(BlobReceipt receipt, CancellationToken cancellationToken)
    {
        var every = _options.LeaseTime / 3;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(every, _time, cancellationToken).ConfigureAwait(false);
                var renewed = new BlobReceipt
                {
                    PartitionKey = receipt.PartitionKey, RowKey = receipt.RowKey,
                    LeaseExpiresAt = _time.GetUtcNow() + _options.LeaseTime,
                };
                // Merge: only the lease moves; If-Match so a claim taken over is not silently renewed.
                var response = await _receipts.UpdateEntityAsync(
                    new TableEntity(receipt.PartitionKey, receipt.RowKey) { [nameof(BlobReceipt.LeaseExpiresAt)] = renewed.LeaseExpiresAt },
                    receipt.ETag, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
                lock (receipt)
                {
                    receipt.ETag = response.Headers.ETag ?? receipt.ETag;
                    receipt.LeaseExpiresAt = renewed.LeaseExpiresAt;
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

    private async Task RecordAsync(FunctionDescriptor function, BlobPath path, string blobName, BlobReceipt receipt, FunctionOutcome outcome, CancellationToken cancellationToken)
    {
        receipt.Owner = null;
        receipt.LeaseExpiresAt = null;
        if (outcome.Succeeded)
        {
            receipt.Status = BlobReceipt.Succeeded;
            receipt.LastError = null;
            receipt.CompletedAt = _time.GetUtcNow();
            await SaveFinishedAsync(function, path, blobName, receipt, cancellationToken).ConfigureAwait(false);
            return;
        }

        receipt.LastError = Truncate(outcome.ErrorSummary);
        if (receipt.Attempts >= _options.MaxDequeueCount)
        {
            await RecordPoisonAsync(function, path, blobName, receipt, cancellationToken).ConfigureAwait(false);
            return;
        }

        receipt.Status = BlobReceipt.Failed;
        LogWillRetry(function.Name, path.Container, blobName, receipt.Attempts, _options.MaxDequeueCount, receipt.LastError);
        await SaveAsync(receipt, cancellationToken).ConfigureAwait(false);
    }

    private async Task RecordPoisonAsync(FunctionDescriptor function, BlobPath path, string blobName, BlobReceipt receipt, CancellationToken cancellationToken)
    {
        receipt.Status = BlobReceipt.Poison;
        receipt.CompletedAt = _time.GetUtcNow();
        receipt.Owner = null;
        receipt.LeaseExpiresAt = null;
        if (await SaveFinishedAsync(function, path, blobName, receipt, cancellationToken).ConfigureAwait(false))
        {
            LogPoison(function.Name, path.Container, blobName, receipt.Attempts, receipt.LastError);
        }
    }

    private async Task<bool> SaveFinishedAsync(FunctionDescriptor function, BlobPath path, string blobName, BlobReceipt receipt, CancellationToken cancellationToken)
    {
        if (!await SaveAsync(receipt, cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        _finished[FinishedKey(function, path, blobName)] = receipt.BlobETag;
        return true;
    }

    private async Task<bool> SaveAsync(BlobReceipt receipt, CancellationToken cancellationToken)
    {
        try
        {
            ETag etag;
            lock (receipt)
            {
                etag = receipt.ETag;
            }

            await _receipts.UpdateEntityAsync(receipt, etag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Blob function {Function} running for blob {Container}/{BlobName} (try {Attempt})")]
    private partial void LogRunning(string function, string container, string blobName, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Blob function {Function} failed for blob {Container}/{BlobName}, try {Attempt} of {MaxTries}; will retry: {Error}")]
    private partial void LogWillRetry(string function, string container, string blobName, int attempt, int maxTries, string? error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Blob {Container}/{BlobName} is poison for function {Function} after {Attempts} tries; recorded in the receipts table. Last error: {Error}")]
    private partial void LogPoison(string function, string container, string blobName, int attempts, string? error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Blob trigger scan failed ({Failures} in a row), retrying with backoff: {Error}")]
    private partial void LogScanFailed(Exception exception, int failures, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Blob function {Function} could not claim or record blob {Container}/{BlobName}; the scan will retry: {Error}")]
    private partial void LogRunFailed(Exception exception, string function, string container, string blobName, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not renew the claim on blob {Container}/{BlobName}: {Error}")]
    private partial void LogRenewFailed(string container, string blobName, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The claim on blob {Container}/{BlobName} was taken over by another host before this run was recorded")]
    private partial void LogClaimLost(string container, string blobName);
}
