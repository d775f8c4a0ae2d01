using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;

namespace Collection.Runtime.Workflows;

/// <summary>
/// Where durable workflows live in Azure Storage. Every name starts with the hub name
/// (<see cref="WorkflowOptions.HubName"/>, default <c>workflows</c>).
/// <code>
/// TABLE {hub}Instances           one partition per instance: PartitionKey = instance id
///   RowKey "state"               Name, Version, RuntimeStatus, CreatedTime, LastUpdatedTime (queryable)
///                                Body0..BodyN: the InstanceRecord as JSON in ≤30,000-char chunks
///                                (definition state, input/output, pending activities and timers by
///                                id + sequence number, waits, buffered external events). ETag-checked.
///   RowKey "h-{00000000}"        history: Event, Time, Actor, Detail (append-only, numbered from 0)
///   RowKey "o-{000000000000}"    outbox: Body (a WorkItem as JSON), DispatchAfter
///   → each step writes state + its history rows + its outbox rows (+ deletes the outbox row it
///     consumed) in ONE entity-group transaction with the state row's ETag: a concurrent writer gets
///     412 and retries from the new state, so every transition happens exactly once.
/// TABLE {hub}Timers              PartitionKey "t", RowKey "{dueAt UTC ticks:D19}_{instance}_{seq}"
///                                (InstanceId, TimerId, Seq, DueAt): scanned in key order for due timers,
///                                so timers of any length (seconds to months) survive restarts.
/// TABLE {hub}Purges              PartitionKey = instance id, RowKey = purge time ticks: who purged what.
/// QUEUE {hub}-workitems          instance events delivered through a queue (start of an instance).
/// QUEUE {hub}-activities         activity work items (attempt, retry policy); a retry is re-sent
///                                invisible until its delay has passed.
/// QUEUE {hub}-workitems-poison, {hub}-activities-poison   items delivered MaxDequeueCount times.
/// </code>
/// Outbox rows are written with DispatchAfter = now + lease. The step's host sends them (or runs the
/// activity in-process, renewing the lease) and deletes them; the sweeper re-sends any row whose
/// DispatchAfter has passed, so a crash between commit and send loses nothing. Results and timers carry
/// the sequence number they were scheduled with and apply only while that id+seq is pending: at-least-once
/// delivery, exactly-once effect on the instance.
/// </summary>
internal sealed class WorkflowStore
{
    public const string StateRow = "state";
    private const int ChunkChars = 30_000;
    private const int MaxChunks = 30;

    private readonly Lazy<Task> _created;

    public WorkflowStore(TableServiceClient tables, QueueServiceClient queues, IOptions<WorkflowOptions> options)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(queues);
        var hub = options.Value.HubName.ToLowerInvariant();
        if (hub.Length is < 3 or > 40 || !char.IsAsciiLetter(hub[0]) || !hub.All(char.IsAsciiLetterOrDigit))
        {
            throw new ArgumentException($"Workflows:HubName '{hub}' must be 3–40 lowercase letters or digits, starting with a letter.");
        }

        Options = options.Value;
        Instances = tables.GetTableClient(hub + "Instances");
        Timers = tables.GetTableClient(hub + "Timers");
        Purges = tables.GetTableClient(hub + "Purges");
        WorkItems = queues.GetQueueClient(hub + "-workitems");
        WorkItemsPoison = queues.GetQueueClient(hub + "-workitems-poison");
        Activities = queues.GetQueueClient(hub + "-activities");
        ActivitiesPoison = queues.GetQueueClient(hub + "-activities-poison");
        _created = new Lazy<Task>(CreateAsync);
    }

    public WorkflowOptions Options { get; }

    public TableClient Instances { get; }

    public TableClient Timers { get; }

    public TableClient Purges { get; }

    public QueueClient WorkItems { get; }

    public QueueClient WorkItemsPoison { get; }

    public QueueClient Activities { get; }

    public QueueClient ActivitiesPoison { get; }

    public Task EnsureCreatedAsync() => _created.Value;

    public static string HistoryKey(int index) => "h-" + index.ToString("D8", CultureInfo.InvariantCulture);

    public static string OutboxKey(long seq) => "o-" + seq.ToString("D12", CultureInfo.InvariantCulture);

    public static string TimerKey(DateTimeOffset dueAt, string instanceId, long seq) =>
        string.Create(CultureInfo.InvariantCulture, $"{dueAt.UtcTicks:D19}_{instanceId}_{seq}");

    public async Task<StoredInstance?> ReadAsync(string instanceId, CancellationToken cancellationToken)
    {
        await EnsureCreatedAsync().ConfigureAwait(false);
        var response = await Instances.GetEntityIfExistsAsync<TableEntity>(instanceId, StateRow, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? new StoredInstance(FromEntity(response.Value!), response.Value!.ETag) : null;
    }

    public static InstanceRecord FromEntity(TableEntity entity)
    {
        var body = new StringBuilder();
        for (var i = 0; entity.GetString("Body" + i.ToString(CultureInfo.InvariantCulture)) is { } chunk; i++)
        {
            body.Append(chunk);
        }

        return JsonSerializer.Deserialize<InstanceRecord>(body.ToString(), WorkflowJson.Options)!;
    }

    /// <summary>
    /// Writes one step in one entity-group transaction: the state row (added when <paramref name="etag"/>
    /// is null, else replaced if unchanged), its history and outbox rows, and the deletion of the outbox row it consumed.
    /// </summary>
    public async Task<CommitResult> CommitAsync(
        InstanceRecord record, ETag? etag, IReadOnlyList<HistoryEntry> history, IReadOnlyList<Dispatch> dispatches,
        DateTimeOffset dispatchAfter, string? consumedOutboxKey, CancellationToken cancellationToken)
    {
        await EnsureCreatedAsync().ConfigureAwait(false);
        var id = record.InstanceId;
        var state = StateEntity(record);
        var actions = new List<TableTransactionAction>(2 + history.Count + dispatches.Count)
        {
            etag is null ? new(TableTransactionActionType.Add, state) : new(TableTransactionActionType.UpdateReplace, state, etag.Value),
        };
        var historyIndex = record.HistoryCount - history.Count;
        foreach (var entry in history)
        {
            actions.Add(new(TableTransactionActionType.Add, new TableEntity(id, HistoryKey(historyIndex++))
            {
                ["Event"] = entry.Event,
                ["Time"] = entry.Time,
                ["Actor"] = entry.Actor,
                ["Detail"] = entry.Detail,
            }));
        }

        foreach (var dispatch in dispatches)
        {
            actions.Add(new(TableTransactionActionType.Add, OutboxEntity(id, dispatch, record, dispatchAfter)));
        }

        var consumedIndex = -1;
        if (consumedOutboxKey is not null)
        {
            consumedIndex = actions.Count;
            actions.Add(new(TableTransactionActionType.Delete, new TableEntity(id, consumedOutboxKey), ETag.All));
        }

        try
        {
            var response = await Instances.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
            var newEtag = response.Value.Count > 0 ? response.Value[0].Headers.ETag : null;
            return new CommitResult(CommitStatus.Committed, newEtag);
        }
        catch (TableTransactionFailedException e) when (e.Status is 404 or 409 or 412)
        {
            var index = e.FailedTransactionActionIndex;
            if (e.Status == 409 && index is 0 or null && etag is null)
            {
                return new CommitResult(CommitStatus.AlreadyExists, null);
            }

            if (e.Status == 404 && consumedIndex >= 0 && (index == consumedIndex || index is null))
            {
                return new CommitResult(CommitStatus.ConsumedOutboxMissing, null);
            }

            // 412: another writer changed the state row; 404/409 elsewhere: the partition moved on under us.
            return new CommitResult(CommitStatus.Conflict, null);
        }
    }

    private static TableEntity StateEntity(InstanceRecord record)
    {
        var entity = new TableEntity(record.InstanceId, StateRow)
        {
            ["Name"] = record.Name,
            ["Version"] = record.Version,
            ["RuntimeStatus"] = record.Status.ToString(),
            ["CreatedTime"] = record.CreatedTime,
            ["LastUpdatedTime"] = record.LastUpdatedTime,
        };
        var body = JsonSerializer.Serialize(record, WorkflowJson.Options);
        var chunks = (body.Length + ChunkChars - 1) / ChunkChars;
        if (chunks > MaxChunks)
        {
            throw new WorkflowException(WorkflowErrorCodes.StateTooLarge, $"The state of instance '{record.InstanceId}' is {body.Length:N0} characters; at most {ChunkChars * MaxChunks:N0} fit in its state row.");
        }

        for (var i = 0; i < chunks; i++)
        {
            entity["Body" + i.ToString(CultureInfo.InvariantCulture)] = body.Substring(i * ChunkChars, Math.Min(ChunkChars, body.Length - (i * ChunkChars)));
        }

        return entity;
    }

    private static TableEntity OutboxEntity(string instanceId, Dispatch dispatch, InstanceRecord record, DateTimeOffset dispatchAfter) =>
        new(instanceId, OutboxKey(dispatch.Seq))
        {
            ["Body"] = JsonSerializer.Serialize(WorkItem.From(instanceId, record.Name, dispatch), WorkflowJson.Options),
            ["DispatchAfter"] = dispatchAfter,
        };

    public async Task DeleteOutboxRowsAsync(string instanceId, IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        if (keys.Count == 0)
        {
            return;
        }

        if (keys.Count > 1)
        {
            try
            {
                await Instances.SubmitTransactionAsync(keys.Select(k => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(instanceId, k), ETag.All)), cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (TableTransactionFailedException e) when (e.Status == 404)
            {
                // One was already swept: fall back to one at a time.
            }
        }

        foreach (var key in keys)
        {
            await DeleteIfExistsAsync(Instances, instanceId, key, cancellationToken).ConfigureAwait(false);
        }
    }

    public static async Task DeleteIfExistsAsync(TableClient table, string partitionKey, string rowKey, CancellationToken cancellationToken)
    {
        try
        {
            await table.DeleteEntityAsync(partitionKey, rowKey, ETag.All, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
        }
    }

    private async Task CreateAsync()
    {
        await Task.WhenAll(
            Instances.CreateIfNotExistsAsync(),
            Timers.CreateIfNotExistsAsync(),
            Purges.CreateIfNotExistsAsync(),
            WorkItems.CreateIfNotExistsAsync(),
            WorkItemsPoison.CreateIfNotExistsAsync(),
            Activities.CreateIfNotExistsAsync(),
            ActivitiesPoison.CreateIfNotExistsAsync()).ConfigureAwait(false);
    }
}

internal sealed record StoredInstance(InstanceRecord Record, ETag ETag);

internal enum CommitStatus
{
    Committed,
    Conflict,
    AlreadyExists,
    ConsumedOutboxMissing,
}

internal sealed record CommitResult(CommitStatus Status, ETag? ETag);

/// <summary>One unit of work as it travels in an outbox row or a queue message.</summary>
internal sealed record WorkItem
{
    public const string StartKind = "start";
    public const string ActivityKind = "activity";
    public const string ArmTimerKind = "arm-timer";
    public const string DisarmTimerKind = "disarm-timer";

    public string Kind { get; init; } = "";

    public string InstanceId { get; init; } = "";

    public string Workflow { get; init; } = "";

    /// <summary>Sequence number of the dispatch (its outbox row).</summary>
    public long Seq { get; init; }

    public string? ActivityId { get; init; }

    public string? Name { get; init; }

    public JsonElement Input { get; init; } = WorkflowJson.ToElement(null);

    public int Attempt { get; init; } = 1;

    public int Attempts { get; init; } = 1;

    public double FirstDelayMs { get; init; }

    public double Backoff { get; init; } = 1;

    public string? TimerId { get; init; }

    /// <summary>For a disarm: the sequence number of the timer being removed.</summary>
    public long TimerSeq { get; init; }

    public DateTimeOffset DueAt { get; init; }

    public string? Actor { get; init; }

    public RetryPolicy Retry => new(Attempts, TimeSpan.FromMilliseconds(FirstDelayMs), Backoff);

    public static WorkItem From(string instanceId, string workflow, Dispatch dispatch) => dispatch switch
    {
        Dispatch.RunActivity run => new WorkItem
        {
            Kind = ActivityKind, InstanceId = instanceId, Workflow = workflow, Seq = run.Seq, ActivityId = run.ActivityId, Name = run.Name,
            Input = run.Input, Attempts = Math.Max(1, run.Retry.Attempts), FirstDelayMs = run.Retry.FirstDelay.TotalMilliseconds, Backoff = run.Retry.Backoff,
        },
        Dispatch.ArmTimer timer => new WorkItem { Kind = ArmTimerKind, InstanceId = instanceId, Workflow = workflow, Seq = timer.Seq, TimerId = timer.TimerId, TimerSeq = timer.Seq, DueAt = timer.DueAt },
        Dispatch.DisarmTimer disarm => new WorkItem { Kind = DisarmTimerKind, InstanceId = instanceId, Workflow = workflow, Seq = disarm.Seq, TimerSeq = disarm.TimerSeq, DueAt = disarm.DueAt },
        Dispatch.StartInstance start => new WorkItem { Kind = StartKind, InstanceId = instanceId, Workflow = workflow, Seq = start.Seq },
        _ => throw new ArgumentOutOfRangeException(nameof(dispatch)),
    };

    public string ToJson() => JsonSerializer.Serialize(this, WorkflowJson.Options);

    public static WorkItem? Parse(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<WorkItem>(json, WorkflowJson.Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
