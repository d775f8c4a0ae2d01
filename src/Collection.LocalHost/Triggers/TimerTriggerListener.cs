using System.Collections.Concurrent;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Collection.LocalHost.Worker;

namespace Collection.LocalHost.Triggers;

/// <summary>How a run started through <see cref="TimerTriggerListener.RunNowAsync"/> ended.</summary>
internal sealed record TimerRunResult(string RunId, string Function, string Outcome, DateTimeOffset StartedAt, double DurationMs, string? Error)
{
    public const string SucceededOutcome = "succeeded";
    public const string FailedOutcome = "failed";
    public const string BusyOutcome = "busy";
}

/// <summary>
/// Runs every timer function on its six-field NCrontab schedule, read in the host's time zone
/// (<c>WEBSITE_TIME_ZONE</c>, China time by default). Each occurrence is run by one host only: the
/// host must hold the lease on the function's blob, and skips an occurrence the blob's metadata says
/// already ran. The next occurrence is persisted, so one missed while every host was down runs once
/// at start-up with <c>IsPastDue</c>. Schedules follow the injected <see cref="TimeProvider"/>, so tests
/// drive them with a fake clock: <see cref="WaitUntilScheduledAsync"/>, then advance the clock.
/// </summary>
internal sealed partial class TimerTriggerListener : BackgroundService
{
    private readonly TriggerInvoker _triggers;
    private readonly TimerStatusStore _store;
    private readonly TimerTriggerOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<TimerTriggerListener> _logger;
    private readonly ConcurrentDictionary<string, TimerState> _states = new(StringComparer.OrdinalIgnoreCase);

    public TimerTriggerListener(
        TriggerInvoker triggers,
        BlobServiceClient blobs,
        TimerTriggerOptions options,
        TimeProvider time,
        ILogger<TimerTriggerListener> logger)
    {
        ArgumentNullException.ThrowIfNull(blobs);
        ArgumentNullException.ThrowIfNull(options);
        _triggers = triggers;
        _options = options;
        _store = new TimerStatusStore(blobs.GetBlobContainerClient(StorageLayout.HostsContainer), time, _options.LeaseRetryInterval, logger);
        _time = time;
        _logger = logger;
    }

    /// <summary>
    /// Completes when <paramref name="functionName"/>'s schedule is waiting for an occurrence later than
    /// <paramref name="after"/> and returns that occurrence: the moment a test may advance its fake clock to.
    /// </summary>
    public async Task<DateTimeOffset> WaitUntilScheduledAsync(string functionName, DateTimeOffset? after = null, CancellationToken cancellationToken = default)
    {
        var state = State(functionName);
        while (true)
        {
            var occurrence = await state.Sleeping.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (after is null || occurrence > after)
            {
                return occurrence;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), TimeProvider.System, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The persisted status of a timer function (empty before its first start).</summary>
    public async Task<TimerStatus> GetStatusAsync(string functionName, CancellationToken cancellationToken)
    {
        try
        {
            return await TimerStatusStore.ReadAsync(_store.Blob(functionName), cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return TimerStatus.Empty;
        }
    }

    /// <summary>
    /// Runs a timer function now, outside its schedule (<c>POST /admin/functions/{name}</c>), under the same
    /// lease as scheduled runs so the two never overlap.
    /// </summary>
    public async Task<TimerRunResult> RunNowAsync(HostedFunction function, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(function);

        var schedule = Schedule(function);
        var blob = _store.Blob(function.Name);
        await _store.EnsureAsync(blob, cancellationToken).ConfigureAwait(false);
        var runId = Guid.NewGuid().ToString("N");
        var startedAt = _time.GetUtcNow();
        var lease = await _store.AcquireLeaseAsync(blob, until: _time.GetUtcNow() + TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        if (lease is null)
        {
            return new TimerRunResult(runId, function.Name, TimerRunResult.BusyOutcome, startedAt, 0, "Another run of this function is in progress.");
        }

        try
        {
            var status = await TimerStatusStore.ReadAsync(blob, cancellationToken).ConfigureAwait(false);
            var outcome = await RunWithLeaseAsync(function, lease, $"manual run {runId}", false, status.LastRunAt, status.Next ?? schedule.NextAfter(startedAt), cancellationToken).ConfigureAwait(false);
            await TimerStatusStore.WriteAsync(blob, lease, new() { [TimerStatusStore.LastManualRunAtKey] = startedAt }, OutcomeName(outcome), cancellationToken).ConfigureAwait(false);
            return new TimerRunResult(runId, function.Name, OutcomeName(outcome), startedAt, outcome.Duration.TotalMilliseconds, outcome.ErrorSummary);
        }
        finally
        {
            await TimerStatusStore.ReleaseQuietlyAsync(lease).ConfigureAwait(false);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var functions = await _triggers.FunctionsAsync("timerTrigger", stoppingToken).ConfigureAwait(false);
        await Task.WhenAll(functions.Select(f => RunScheduleAsync(f, stoppingToken))).ConfigureAwait(false);
    }

    private async Task RunScheduleAsync(HostedFunction function, CancellationToken stoppingToken)
    {
        await Task.Yield();
        var schedule = Schedule(function);
        var state = State(function.Name);
        var blob = _store.Blob(function.Name);
        // Storage away or emptied: keep trying, from 0.5 s doubling up to 30 s.
        var poll = StoragePoll.Create("timer-trigger-schedule", TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30), (e, failures) =>
        {
            state.Wake();
            _store.Forget();
            LogScheduleFailed(e, function.Name, failures, e.Message);
        });
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await poll.ExecuteAsync(async token => await RunNextOccurrenceAsync(function, schedule, state, blob, token).ConfigureAwait(false), stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>Waits for the next occurrence of <paramref name="function"/>'s schedule on the host's clock, then runs it.</summary>
    private async Task RunNextOccurrenceAsync(HostedFunction function, TimerSchedule schedule, TimerState state, BlobClient blob, CancellationToken cancellationToken)
    {
        await _store.EnsureAsync(blob, cancellationToken).ConfigureAwait(false);
        var status = await TimerStatusStore.ReadAsync(blob, cancellationToken).ConfigureAwait(false);
        var now = _time.GetUtcNow();
        var due = status.Next ?? await InitialiseAsync(blob, schedule.NextAfter(now), cancellationToken).ConfigureAwait(false);
        var pastDue = due <= now;
        if (!pastDue)
        {
            state.SleepUntil(due);
            if (_logger.IsEnabled(LogLevel.Information))
            {
                var local = TimeZoneInfo.ConvertTime(due, schedule.Zone);
                LogWaiting(function.Name, due, local);
            }

            await Task.Delay(due - now, _time, cancellationToken).ConfigureAwait(false);
            state.Wake();
        }

        await RunOccurrenceAsync(function, schedule, blob, due, pastDue, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs occurrence <paramref name="due"/> unless another host ran it; waits while another host holds the lease.</summary>
    private async Task RunOccurrenceAsync(HostedFunction function, TimerSchedule schedule, BlobClient blob, DateTimeOffset due, bool pastDue, CancellationToken cancellationToken)
    {
        while (true)
        {
            var lease = await _store.AcquireLeaseAsync(blob, until: null, cancellationToken).ConfigureAwait(false);
            if (lease is null)
            {
                if ((await TimerStatusStore.ReadAsync(blob, cancellationToken).ConfigureAwait(false)).LastScheduled >= due)
                {
                    return;
                }

                await Task.Delay(_options.LeaseRetryInterval, TimeProvider.System, cancellationToken).ConfigureAwait(false);
                continue;
            }

            try
            {
                var status = await TimerStatusStore.ReadAsync(blob, cancellationToken).ConfigureAwait(false);
                if (status.LastScheduled >= due)
                {
                    return;
                }

                var now = _time.GetUtcNow();
                var next = schedule.NextAfter(now > due ? now : due);
                if (pastDue)
                {
                    LogPastDue(function.Name, due);
                }

                var outcome = await RunWithLeaseAsync(function, lease, $"schedule {due:O}{(pastDue ? " (past due)" : "")}", pastDue, status.LastRunAt, next, cancellationToken).ConfigureAwait(false);
                var finished = _time.GetUtcNow();
                await TimerStatusStore.WriteAsync(
                    blob,
                    lease,
                    new()
                    {
                        [TimerStatusStore.LastScheduledKey] = due,
                        [TimerStatusStore.LastRunAtKey] = now,
                        [TimerStatusStore.NextKey] = schedule.NextAfter(finished > due ? finished : due),
                    },
                    OutcomeName(outcome),
                    cancellationToken).ConfigureAwait(false);
                return;
            }
            finally
            {
                await TimerStatusStore.ReleaseQuietlyAsync(lease).ConfigureAwait(false);
            }
        }
    }

    private async Task<FunctionOutcome> RunWithLeaseAsync(HostedFunction function, BlobLeaseClient lease, string trigger, bool pastDue, DateTimeOffset? last, DateTimeOffset? next, CancellationToken cancellationToken)
    {
        using var renewal = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var renewing = _store.RenewUntilCancelledAsync(lease, renewal.Token);
        try
        {
            var outcome = await _triggers.InvokeTimerAsync(function, trigger, pastDue, last, next, cancellationToken).ConfigureAwait(false);
            if (_logger.IsEnabled(LogLevel.Information))
            {
                var outcomeName = OutcomeName(outcome);
                LogRunFinished(function.Name, trigger, outcomeName);
            }

            return outcome;
        }
        finally
        {
            await renewal.CancelAsync().ConfigureAwait(false);
            await renewing.ConfigureAwait(false);
        }
    }

    /// <summary>Persists the first next occurrence (under the lease, so concurrent first starts agree), and returns it.</summary>
    private async Task<DateTimeOffset> InitialiseAsync(BlobClient blob, DateTimeOffset next, CancellationToken cancellationToken)
    {
        var lease = await _store.AcquireLeaseAsync(blob, until: null, cancellationToken).ConfigureAwait(false);
        if (lease is null)
        {
            return next;
        }

        try
        {
            var status = await TimerStatusStore.ReadAsync(blob, cancellationToken).ConfigureAwait(false);
            if (status.Next is { } already)
            {
                return already;
            }

            await TimerStatusStore.WriteAsync(blob, lease, new() { [TimerStatusStore.NextKey] = next }, null, cancellationToken).ConfigureAwait(false);
            return next;
        }
        finally
        {
            await TimerStatusStore.ReleaseQuietlyAsync(lease).ConfigureAwait(false);
        }
    }

    private static string OutcomeName(FunctionOutcome outcome) => outcome.Succeeded ? TimerRunResult.SucceededOutcome : TimerRunResult.FailedOutcome;

    private TimerSchedule Schedule(HostedFunction function) =>
        TriggerArguments.Schedule(_triggers.App, function, _options);

    private TimerState State(string functionName) => _states.GetOrAdd(functionName, _ => new TimerState());

    /// <summary>Where a schedule loop is: sleeping until an occurrence, or not.</summary>
    private sealed class TimerState
    {
        private TaskCompletionSource<DateTimeOffset> _sleeping = NewSource();

        public TaskCompletionSource<DateTimeOffset> Sleeping => Volatile.Read(ref _sleeping);

        public void SleepUntil(DateTimeOffset occurrence)
        {
            if (!Sleeping.TrySetResult(occurrence))
            {
                var source = NewSource();
                source.SetResult(occurrence);
                Volatile.Write(ref _sleeping, source);
            }
        }

        public void Wake()
        {
            if (Sleeping.Task.IsCompleted)
            {
                Volatile.Write(ref _sleeping, NewSource());
            }
        }

        private static TaskCompletionSource<DateTimeOffset> NewSource() => new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Timer {Function} next runs at {Due:O} ({Local:yyyy-MM-dd HH:mm:ss} local)")]
    private partial void LogWaiting(string function, DateTimeOffset due, DateTimeOffset local);

    [LoggerMessage(Level = LogLevel.Information, Message = "Timer {Function} {Trigger}: {Outcome}")]
    private partial void LogRunFinished(string function, string trigger, string outcome);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Timer {Function} missed its run due {Due:O} (host down or storage away); running it now as past due")]
    private partial void LogPastDue(string function, DateTimeOffset due);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Timer {Function} could not read or run its schedule ({Failures} in a row), retrying with backoff: {Error}")]
    private partial void LogScheduleFailed(Exception exception, string function, int failures, string error);
}
