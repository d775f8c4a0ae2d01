using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Collection.Runtime.Workflows;

/// <summary>What became of a delivery.</summary>
internal enum ApplyStatus
{
    Applied,
    Dropped,
    NotFound,
}

internal sealed record ApplyOutcome(ApplyStatus Status, InstanceRecord? Record, string Reason);

internal sealed record ActivityOutcome(bool Succeeded, JsonElement Result, string? Error, bool Permanent);

/// <summary>
/// Applies deliveries to instances (read state → run the step → commit in one ETag-checked
/// transaction → dispatch the outbox) and runs activities. The fast path runs an activity in-process
/// straight after the step that scheduled it, with its outbox row as the durable record until the
/// result commits (in the same transaction that deletes that row); everything else goes through the
/// queues and the due-timer table. See <see cref="WorkflowStore"/> for the layout.
/// </summary>
#pragma warning disable CA1001 // The stop token and slots live as long as the process; DisposeAsync stops local work.
internal sealed class WorkflowEngine : IAsyncDisposable
#pragma warning restore CA1001
{
    private const int MaxConflictRetries = 100;
    private const int MaxCachedInstances = 50_000;

    private readonly WorkflowStore _store;
    private readonly WorkflowRegistry _registry;
    private readonly IServiceScopeFactory _scopes;
    private readonly TimeProvider _time;
    private readonly ILogger<WorkflowEngine> _logger;
    private readonly WorkflowOptions _options;
    private readonly ConcurrentDictionary<string, StoredInstance> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Task, byte> _inflight = new();
    private readonly SemaphoreSlim _localSlots;
    private readonly CancellationTokenSource _stopping = new();
    private volatile bool _localExecution;

    public WorkflowEngine(WorkflowStore store, WorkflowRegistry registry, IServiceScopeFactory scopes, TimeProvider time, ILogger<WorkflowEngine> logger)
    {
        _store = store;
        _registry = registry;
        _scopes = scopes;
        _time = time;
        _logger = logger;
        _options = store.Options;
        _localSlots = new SemaphoreSlim(Math.Max(0, _options.MaxLocalActivities));
    }

    /// <summary>Test hook: when it answers true for an instance, the step commits but nothing is sent (a crash between save and send).</summary>
    internal Func<string, bool>? SkipDispatchAfterCommit { get; set; }

    internal WorkflowStore Store => _store;

    internal int InFlightLocalActivities => _inflight.Count;

    /// <summary>Called by the worker: from now on activities may run in this process.</summary>
    internal void EnableLocalExecution() => _localExecution = _options.MaxLocalActivities > 0;

    public async Task<ApplyOutcome> ApplyAsync(string instanceId, Delivery delivery, string? consumedOutboxKey, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        for (var attempt = 0; ; attempt++)
        {
            var fromCache = _cache.TryGetValue(instanceId, out var stored);
            stored ??= await _store.ReadAsync(instanceId, cancellationToken).ConfigureAwait(false);
            if (stored is null)
            {
                if (consumedOutboxKey is not null)
                {
                    await WorkflowStore.DeleteIfExistsAsync(_store.Instances, instanceId, consumedOutboxKey, cancellationToken).ConfigureAwait(false);
                }

                WorkflowLog.StepDropped(_logger, instanceId, "?", delivery.Describe(), "instance-not-found");
                return new ApplyOutcome(ApplyStatus.NotFound, null, "instance-not-found");
            }

            var record = stored.Record;
            var runner = _registry.Find(record.Name, record.Version)
                ?? throw new WorkflowException(WorkflowErrorCodes.UnknownVersion, $"Workflow '{record.Name}' version '{record.Version}' is not registered in this host.");
            var now = _time.GetUtcNow();
            var transition = WorkflowMachine.Apply(record, runner, _registry.HasActivity, delivery, now);
            if (!transition.Applied)
            {
                if (fromCache)
                {
                    // A cached state may be behind another host's commit: judge a drop on fresh state.
                    _cache.TryRemove(instanceId, out _);
                    continue;
                }

                if (consumedOutboxKey is not null)
                {
                    await WorkflowStore.DeleteIfExistsAsync(_store.Instances, instanceId, consumedOutboxKey, cancellationToken).ConfigureAwait(false);
                }

                WorkflowLog.StepDropped(_logger, instanceId, record.Name, delivery.Describe(), transition.Outcome);
                return new ApplyOutcome(ApplyStatus.Dropped, record, transition.Outcome);
            }

            var commit = await _store.CommitAsync(transition.Record, stored.ETag, transition.History, transition.Dispatches, now + _options.ActivityLease, consumedOutboxKey, cancellationToken).ConfigureAwait(false);
            switch (commit.Status)
            {
                case CommitStatus.Committed:
                    Remember(transition.Record, commit.ETag);
                    WorkflowLog.StepApplied(_logger, instanceId, record.Name, transition.Outcome, transition.Record.Status, attempt, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    if (SkipDispatchAfterCommit?.Invoke(instanceId) != true)
                    {
                        await DispatchAsync(transition.Record, transition.Dispatches, cancellationToken).ConfigureAwait(false);
                    }

                    return new ApplyOutcome(ApplyStatus.Applied, transition.Record, transition.Outcome);
                case CommitStatus.ConsumedOutboxMissing:
                    consumedOutboxKey = null;
                    break;
                default:
                    if (attempt >= MaxConflictRetries)
                    {
                        throw new WorkflowException("workflow-conflict", $"Instance '{instanceId}' kept changing under {MaxConflictRetries} attempts to apply {delivery.Describe()}.");
                    }

                    WorkflowLog.Conflict(_logger, instanceId, record.Name, delivery.Describe());
                    break;
            }

            _cache.TryRemove(instanceId, out _);
        }
    }

    private void Remember(InstanceRecord record, ETag? etag)
    {
        if (record.IsTerminal || etag is null)
        {
            _cache.TryRemove(record.InstanceId, out _);
            return;
        }

        if (_cache.Count > MaxCachedInstances)
        {
            _cache.Clear();
        }

        _cache[record.InstanceId] = new StoredInstance(record, etag.Value);
    }

    internal void Forget(string instanceId) => _cache.TryRemove(instanceId, out _);

    /// <summary>Sends a committed step's outbox: activities in-process when a slot is free, the rest durably; then deletes the sent rows.</summary>
    internal async Task DispatchAsync(InstanceRecord record, IReadOnlyList<Dispatch> dispatches, CancellationToken cancellationToken)
    {
        if (dispatches.Count == 0)
        {
            return;
        }

        var sent = new List<string>(dispatches.Count);
        foreach (var dispatch in dispatches)
        {
            var item = WorkItem.From(record.InstanceId, record.Name, dispatch);
            if (dispatch is Dispatch.RunActivity && _localExecution && _localSlots.Wait(0))
            {
                StartLocal(item);
                continue;
            }

            await SendDurableAsync(item, null, cancellationToken).ConfigureAwait(false);
            sent.Add(WorkflowStore.OutboxKey(dispatch.Seq));
        }

        await _store.DeleteOutboxRowsAsync(record.InstanceId, sent, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The durable path: a queue message or a due-timer row.</summary>
    internal async Task SendDurableAsync(WorkItem item, TimeSpan? visibilityDelay, CancellationToken cancellationToken)
    {
        switch (item.Kind)
        {
            case WorkItem.StartKind:
                await _store.WorkItems.SendMessageAsync(item.ToJson(), cancellationToken).ConfigureAwait(false);
                break;
            case WorkItem.ActivityKind:
                await _store.Activities.SendMessageAsync(item.ToJson(), visibilityDelay, null, cancellationToken).ConfigureAwait(false);
                break;
            case WorkItem.ArmTimerKind:
                await _store.Timers.UpsertEntityAsync(
                    new TableEntity("t", WorkflowStore.TimerKey(item.DueAt, item.InstanceId, item.TimerSeq))
                    {
                        ["InstanceId"] = item.InstanceId,
                        ["Workflow"] = item.Workflow,
                        ["TimerId"] = item.TimerId,
                        ["Seq"] = item.TimerSeq,
                        ["DueAt"] = item.DueAt,
                    },
                    TableUpdateMode.Replace,
                    cancellationToken).ConfigureAwait(false);
                break;
            case WorkItem.DisarmTimerKind:
                await WorkflowStore.DeleteIfExistsAsync(_store.Timers, "t", WorkflowStore.TimerKey(item.DueAt, item.InstanceId, item.TimerSeq), cancellationToken).ConfigureAwait(false);
                break;
            default:
                throw new WorkflowException("workflow-bad-work-item", $"Unknown work item kind '{item.Kind}'.");
        }
    }

    private void StartLocal(WorkItem item)
    {
        var task = Task.Run(() => RunLocalAsync(item));
        _inflight.TryAdd(task, 0);
        _ = task.ContinueWith(t => _inflight.TryRemove(t, out _), TaskScheduler.Default);
    }

    private async Task RunLocalAsync(WorkItem item)
    {
        var cancellationToken = _stopping.Token;
        var outboxKey = WorkflowStore.OutboxKey(item.Seq);
        var released = false;
        try
        {
            ActivityOutcome? outcome;
            using (var lease = new OutboxLease(_store, _time, item.InstanceId, outboxKey))
            {
                outcome = await RunAttemptsAsync(item, cancellationToken).ConfigureAwait(false);
            }

            if (outcome is null)
            {
                // The next attempt waits in the queue; the outbox row has done its job.
                await WorkflowStore.DeleteIfExistsAsync(_store.Instances, item.InstanceId, outboxKey, cancellationToken).ConfigureAwait(false);
                return;
            }

            _localSlots.Release();
            released = true;
            await ApplyAsync(item.InstanceId, ResultOf(item, outcome), outboxKey, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down: the outbox row is swept once its lease lapses.
        }
#pragma warning disable CA1031 // Anything else leaves the outbox row for the sweeper; the host keeps running.
        catch (Exception e)
#pragma warning restore CA1031
        {
            WorkflowLog.LoopError(_logger, e, "local activity " + item.ActivityId);
        }
        finally
        {
            if (!released)
            {
                _localSlots.Release();
            }
        }
    }

    internal static Delivery.ActivityResult ResultOf(WorkItem item, ActivityOutcome outcome) =>
        new(item.ActivityId!, item.Seq, outcome.Succeeded, outcome.Result, outcome.Error);

    /// <summary>Runs the activity from <see cref="WorkItem.Attempt"/> on, retrying short delays in-process.
    /// Null when the next attempt was handed to the queue because its delay is long.</summary>
    internal async Task<ActivityOutcome?> RunAttemptsAsync(WorkItem item, CancellationToken cancellationToken)
    {
        for (var attempt = Math.Max(1, item.Attempt); ; attempt++)
        {
            var outcome = await ExecuteAsync(item, attempt, cancellationToken).ConfigureAwait(false);
            if (outcome.Succeeded || outcome.Permanent || attempt >= item.Attempts)
            {
                return outcome;
            }

            var delay = item.Retry.DelayBefore(attempt + 1);
            if (delay > _options.InlineRetryLimit)
            {
                var invisibleFor = delay > TimeSpan.FromDays(7) ? TimeSpan.FromDays(7) : delay;
                await _store.Activities.SendMessageAsync((item with { Attempt = attempt + 1 }).ToJson(), invisibleFor, null, cancellationToken).ConfigureAwait(false);
                return null;
            }

            if (delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<ActivityOutcome> ExecuteAsync(WorkItem item, int attempt, CancellationToken cancellationToken)
    {
        var registration = _registry.FindActivity(item.Name ?? "");
        if (registration is null)
        {
            return new ActivityOutcome(false, default, $"unknown-activity: no activity '{item.Name}' is registered.", Permanent: true);
        }

        var started = Stopwatch.GetTimestamp();
        var scope = _scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            try
            {
                var result = await registration.InvokeAsync(scope.ServiceProvider, item.Input, new WorkflowActivityContext(item.InstanceId, item.Workflow, item.ActivityId!, attempt), cancellationToken).ConfigureAwait(false);
                WorkflowLog.ActivityRan(_logger, item.InstanceId, item.Workflow, item.ActivityId!, item.Name!, attempt, true, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                return new ActivityOutcome(true, result, null, false);
            }
            catch (Exception e) when (!(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
            {
                WorkflowLog.ActivityFailed(_logger, item.InstanceId, item.Workflow, item.ActivityId!, item.Name!, attempt, Stopwatch.GetElapsedTime(started).TotalMilliseconds, e.Message);
                return new ActivityOutcome(false, default, $"{e.GetType().Name}: {e.Message}", e is JsonException);
            }
        }
    }

    /// <summary>Re-sends outbox rows whose lease has lapsed (left by a crash between commit and send). Returns how many.</summary>
    internal async Task<int> SweepOutboxAsync(CancellationToken cancellationToken)
    {
        await _store.EnsureCreatedAsync().ConfigureAwait(false);
        var now = _time.GetUtcNow();
        var filter = $"RowKey ge 'o-' and RowKey lt 'o.' and DispatchAfter le datetime'{now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture)}'";
        var swept = 0;
        await foreach (var row in _store.Instances.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            try
            {
                // Claim the row first, so two sweepers (or a live lease) do not both send it.
                await _store.Instances.UpdateEntityAsync(new TableEntity(row.PartitionKey, row.RowKey) { ["DispatchAfter"] = now + _options.ActivityLease }, row.ETag, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException e) when (e.Status is 404 or 412)
            {
                continue;
            }

            if (WorkItem.Parse(row.GetString("Body") ?? "") is { } item)
            {
                Forget(item.InstanceId);
                await SendDurableAsync(item, null, cancellationToken).ConfigureAwait(false);
            }

            await WorkflowStore.DeleteIfExistsAsync(_store.Instances, row.PartitionKey, row.RowKey, cancellationToken).ConfigureAwait(false);
            swept++;
        }

        if (swept > 0)
        {
            WorkflowLog.Swept(_logger, swept);
        }

        return swept;
    }

    /// <summary>Fires the timers that are due (at most one page); returns how many rows were handled.</summary>
    internal async Task<int> FireDueTimersAsync(CancellationToken cancellationToken)
    {
        await _store.EnsureCreatedAsync().ConfigureAwait(false);
        var now = _time.GetUtcNow();
        var filter = string.Create(CultureInfo.InvariantCulture, $"PartitionKey eq 't' and RowKey lt '{now.UtcTicks + 1:D19}'");
        var due = new List<TableEntity>();
        await foreach (var page in _store.Timers.QueryAsync<TableEntity>(filter, maxPerPage: 100, cancellationToken: cancellationToken).AsPages().ConfigureAwait(false))
        {
            due.AddRange(page.Values);
            break;
        }

        await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (row, ct) =>
        {
            var instanceId = row.GetString("InstanceId") ?? "";
            await ApplyAsync(instanceId, new Delivery.TimerDue(row.GetString("TimerId") ?? "", row.GetInt64("Seq") ?? -1), null, ct).ConfigureAwait(false);
            await WorkflowStore.DeleteIfExistsAsync(_store.Timers, row.PartitionKey, row.RowKey, ct).ConfigureAwait(false);
        }).ConfigureAwait(false);
        return due.Count;
    }

    public async ValueTask DisposeAsync()
    {
        _localExecution = false;
        await _stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_inflight.Keys).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Unfinished local activities keep their outbox rows; the sweeper re-sends them.
        }
    }

    /// <summary>Keeps an in-process activity's outbox row from being swept while it runs.</summary>
    private sealed class OutboxLease : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();

        public OutboxLease(WorkflowStore store, TimeProvider time, string instanceId, string rowKey)
        {
            var lease = store.Options.ActivityLease;
            _ = Task.Run(async () =>
            {
                try
                {
                    while (true)
                    {
                        await Task.Delay(lease / 3, _stop.Token).ConfigureAwait(false);
                        await store.Instances.UpdateEntityAsync(new TableEntity(instanceId, rowKey) { ["DispatchAfter"] = time.GetUtcNow() + lease }, ETag.All, TableUpdateMode.Merge, _stop.Token).ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or RequestFailedException or ObjectDisposedException)
                {
                    // Stopped, or the row is gone (swept): nothing left to renew.
                }
            });
        }

        public void Dispose()
        {
            _stop.Cancel();
            _stop.Dispose();
        }
    }
}
