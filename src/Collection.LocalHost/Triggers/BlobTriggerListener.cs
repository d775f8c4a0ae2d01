using System.Collections.Concurrent;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Collection.LocalHost.Worker;

namespace Collection.LocalHost.Triggers;

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
internal sealed partial class BlobTriggerListener : BackgroundService
{
    private readonly TriggerInvoker _triggers;
    private readonly BlobServiceClient _blobs;
    private readonly BlobReceiptStore _receipts;
    private readonly BlobTriggerOptions _options;
    private readonly ILogger<BlobTriggerListener> _logger;

    // Versions known to be finished (succeeded or poison): skipped without reading their receipt.
    private readonly ConcurrentDictionary<string, string> _finished = new(StringComparer.Ordinal);
    private readonly HashSet<string> _readyContainers = new(StringComparer.Ordinal);

    // Blobs this host is claiming or running now, and those runs (awaited at shutdown).
    private readonly ConcurrentDictionary<string, byte> _inFlight = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Task, byte> _running = new();
    private readonly SemaphoreSlim _slots;

    public BlobTriggerListener(
        TriggerInvoker triggers,
        BlobServiceClient blobs,
        TableServiceClient tables,
        BlobTriggerOptions options,
        TimeProvider time,
        ILogger<BlobTriggerListener> logger)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(options);
        _triggers = triggers;
        _blobs = blobs;
        _options = options;
        _receipts = new BlobReceiptStore(tables.GetTableClient(StorageLayout.BlobReceiptsTable), _options, time, logger);
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

    /// <summary>Runs started (each tries to claim a blob version); with <see cref="RunsInFlight"/>, tests tell a quiet host from a busy one.</summary>
    public long RunsStarted => Interlocked.Read(ref _runsStarted);

    public int RunsInFlight => _inFlight.Count;

    private long _runsStarted;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Blob triggers declared with Source = EventGrid (as Flex Consumption needs) are scanned here too:
        // locally there is no Event Grid, and the WebJobs scan misses blobs on Azurite.
        var watches = (await _triggers.FunctionsAsync("blobTrigger", stoppingToken).ConfigureAwait(false))
            .Select(f => (Function: f, Path: TriggerArguments.BlobPath(_triggers.App, f)))
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

    private async Task PollAsync(List<(HostedFunction Function, BlobPath Path)> watches, CancellationToken stoppingToken)
    {
        // Back off while storage is away (up to 8 polling intervals), never beyond the promised detection latency.
        var longest = TimeSpan.FromTicks(Math.Min(_options.PollingInterval.Ticks * 8, BlobTriggerOptions.MaxDetectionLatency.Ticks));
        var poll = StoragePoll.Create("blob-trigger-scan", TimeSpan.FromTicks(Math.Min(_options.PollingInterval.Ticks * 2, longest.Ticks)), longest, (e, failures) =>
        {
            LogScanFailed(e, failures, e.Message);
            ForgetReadiness();
        });
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await poll.ExecuteAsync(async token => await ScanAsync(watches, token).ConfigureAwait(false), stoppingToken).ConfigureAwait(false);
                Interlocked.Increment(ref _scans);
                await Task.Delay(_options.PollingInterval, TimeProvider.System, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private void ForgetReadiness()
    {
        // Storage may have come back empty (an emulator restart): create the table and containers again.
        _readyContainers.Clear();
        _receipts.Forget();
    }

    private async Task ScanAsync(List<(HostedFunction Function, BlobPath Path)> watches, CancellationToken cancellationToken)
    {
        await _receipts.EnsureTableAsync(cancellationToken).ConfigureAwait(false);

        foreach (var (function, path) in watches)
        {
            var container = _blobs.GetBlobContainerClient(path.Container);
            if (!_readyContainers.Contains(path.Container))
            {
                await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
                _readyContainers.Add(path.Container);
            }

            // Page by page, so a large container is worked through without holding its whole listing. With
            // metadata: a run gets the properties and metadata of the very version it was claimed for.
            var pages = container.GetBlobsAsync(BlobTraits.Metadata, BlobStates.None, path.Prefix, cancellationToken).AsPages(pageSizeHint: 1000);
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

                    Interlocked.Increment(ref _runsStarted);

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
    private async Task RunInBackgroundAsync(HostedFunction function, BlobPath path, BlobItem blob, IReadOnlyDictionary<string, string> values, string key, CancellationToken stoppingToken)
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

    private static string FinishedKey(HostedFunction function, BlobPath path, string blobName) => $"{function.Name}\n{path.Container}/{blobName}";

    private async Task ProcessAsync(HostedFunction function, BlobPath path, BlobItem blob, IReadOnlyDictionary<string, string> values, CancellationToken cancellationToken)
    {
        var blobETag = BlobReceipt.ETagText(blob.Properties.ETag!.Value);
        var (claim, receipt) = await _receipts.ClaimAsync(function.Name, path.Container, blob.Name, blobETag, cancellationToken).ConfigureAwait(false);
        switch (claim)
        {
            case ClaimResult.Finished:
                _finished[FinishedKey(function, path, blob.Name)] = blobETag;
                return;
            case ClaimResult.Poisoned:
                _finished[FinishedKey(function, path, blob.Name)] = blobETag;
                LogPoison(function.Name, path.Container, blob.Name, receipt.Attempts, receipt.LastError);
                return;
            case ClaimResult.Busy:
                return;
        }

        LogRunning(function.Name, path.Container, blob.Name, receipt.Attempts);
        FunctionOutcome outcome;
        using (var renewal = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            var renewing = _receipts.RenewUntilCancelledAsync(receipt, renewal.Token);
            try
            {
                var blobUri = _blobs.GetBlobContainerClient(path.Container).GetBlobClient(blob.Name).Uri;
                outcome = await _triggers.InvokeBlobAsync(function, path.Container, blob, blobUri, values, receipt.Attempts, _options.MaxDequeueCount, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Host stopping mid-run: the try counts, and the claim is released for the next host at once.
                outcome = new FunctionOutcome(false, "The host stopped during the run.", TimeSpan.Zero);
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

    private async Task RecordAsync(HostedFunction function, BlobPath path, string blobName, BlobReceipt receipt, FunctionOutcome outcome, CancellationToken cancellationToken)
    {
        var key = FinishedKey(function, path, blobName);
        if (outcome.Succeeded)
        {
            if (await _receipts.FinishAsync(receipt, BlobReceipt.Succeeded, null, cancellationToken).ConfigureAwait(false))
            {
                _finished[key] = receipt.BlobETag;
            }
        }
        else if (receipt.Attempts >= _options.MaxDequeueCount)
        {
            if (await _receipts.FinishAsync(receipt, BlobReceipt.Poison, outcome.ErrorSummary, cancellationToken).ConfigureAwait(false))
            {
                _finished[key] = receipt.BlobETag;
                LogPoison(function.Name, path.Container, blobName, receipt.Attempts, receipt.LastError);
            }
        }
        else if (await _receipts.FinishAsync(receipt, BlobReceipt.Failed, outcome.ErrorSummary, cancellationToken).ConfigureAwait(false))
        {
            LogWillRetry(function.Name, path.Container, blobName, receipt.Attempts, _options.MaxDequeueCount, receipt.LastError);
        }
    }

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
}
