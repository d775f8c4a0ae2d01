using System.Globalization;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Logging;

namespace Collection.Runtime.Workflows;

/// <summary>
/// Starts and manages workflow instances. The generic admin endpoints use it, and so do an app's own
/// friendly routes (a refund case's "approve" endpoint raises an event through it).
/// </summary>
public interface IWorkflowClient
{
    /// <summary>Starts the highest registered version of <paramref name="name"/>; returns the instance id.
    /// Throws <see cref="WorkflowException"/> for an unknown name, an invalid or already used id.</summary>
    Task<string> StartAsync(string name, object? input = null, string? instanceId = null, string actor = "system", CancellationToken cancellationToken = default);

    /// <summary>Delivers an external event (buffered until the instance waits for it). With an
    /// <paramref name="eventId"/>, raising it again (a retried request) is accepted and ignored.</summary>
    Task<WorkflowOperationResult> RaiseEventAsync(string instanceId, string eventName, object? payload, string actor, string? eventId = null, CancellationToken cancellationToken = default);

    Task<WorkflowStatus?> GetStatusAsync(string instanceId, bool showHistory = false, CancellationToken cancellationToken = default);

    Task<WorkflowOperationResult> TerminateAsync(string instanceId, string reason, string actor, CancellationToken cancellationToken = default);

    /// <summary>Deletes a finished instance's history and state, keeping a purge record (who, when, what).</summary>
    Task<WorkflowOperationResult> PurgeAsync(string instanceId, string actor, CancellationToken cancellationToken = default);

    Task<WorkflowPage> ListAsync(WorkflowQuery query, CancellationToken cancellationToken = default);

    Task<WorkflowStats> GetStatsAsync(CancellationToken cancellationToken = default);
}

public enum WorkflowOperationResult
{
    Accepted,
    NotFound,

    /// <summary>The instance already completed, failed or was terminated.</summary>
    Finished,

    /// <summary>Purge refused: the instance is still pending or running.</summary>
    NotFinished,
}

/// <summary>An instance as Durable Functions' status query shows it.</summary>
public sealed record WorkflowStatus(
    string Name,
    string InstanceId,
    WorkflowRuntimeStatus RuntimeStatus,
    JsonElement Input,
    JsonElement? CustomStatus,
    JsonElement? Output,
    DateTimeOffset CreatedTime,
    DateTimeOffset LastUpdatedTime,
    string Version,
    IReadOnlyList<WorkflowHistoryEvent>? History);

public sealed record WorkflowHistoryEvent(string Event, DateTimeOffset Time, string? Actor, string? Detail);

/// <summary>Filters for listing; <see cref="ContinuationToken"/> comes from the previous page.</summary>
public sealed record WorkflowQuery(
    string? Name = null,
    IReadOnlyCollection<WorkflowRuntimeStatus>? Statuses = null,
    DateTimeOffset? CreatedFrom = null,
    DateTimeOffset? CreatedTo = null,
    int PageSize = 100,
    string? ContinuationToken = null);

public sealed record WorkflowPage(IReadOnlyList<WorkflowStatus> Instances, string? ContinuationToken);

public sealed record WorkflowTimerInfo(string InstanceId, string Workflow, string TimerId, DateTimeOffset DueAt);

public sealed record WorkflowStats(
    IReadOnlyDictionary<string, int> CountsByStatus,
    IReadOnlyDictionary<string, int> QueueDepths,
    WorkflowTimerInfo? OldestPendingTimer,
    int PoisonedWorkItems,
    int PendingOutboxRows);

internal sealed class WorkflowClient : IWorkflowClient
{
    private readonly WorkflowEngine _engine;
    private readonly WorkflowStore _store;
    private readonly WorkflowRegistry _registry;
    private readonly TimeProvider _time;
    private readonly ILogger<WorkflowClient> _logger;

    public WorkflowClient(WorkflowEngine engine, WorkflowRegistry registry, TimeProvider time, ILogger<WorkflowClient> logger)
    {
        _engine = engine;
        _store = engine.Store;
        _registry = registry;
        _time = time;
        _logger = logger;
    }

    public async Task<string> StartAsync(string name, object? input = null, string? instanceId = null, string actor = "system", CancellationToken cancellationToken = default)
    {
        var (registeredName, version) = _registry.Latest(name ?? "")
            ?? throw new WorkflowException(WorkflowErrorCodes.UnknownWorkflow, $"No workflow '{name}' is registered.");
        instanceId = string.IsNullOrEmpty(instanceId) ? Guid.NewGuid().ToString("N") : instanceId;
        if (!WorkflowNames.IsValid(instanceId))
        {
            throw new WorkflowException(WorkflowErrorCodes.InvalidInstanceId, $"Instance id '{instanceId}' is not valid: use 1–100 letters, digits or -_.: characters.");
        }

        var now = _time.GetUtcNow();
        var record = new InstanceRecord
        {
            InstanceId = instanceId,
            Name = registeredName,
            Version = version,
            Status = WorkflowRuntimeStatus.Pending,
            Input = WorkflowJson.ToElement(input),
            CreatedTime = now,
            LastUpdatedTime = now,
            CreatedBy = actor,
            HistoryCount = 1,
        };
        IReadOnlyList<Dispatch> start = [new Dispatch.StartInstance(0)];
        var commit = await _store.CommitAsync(record, null, [new HistoryEntry("Scheduled", now, actor, $"{registeredName} v{version}")], start, now + _store.Options.ActivityLease, null, cancellationToken).ConfigureAwait(false);
        if (commit.Status == CommitStatus.AlreadyExists)
        {
            throw new WorkflowException(WorkflowErrorCodes.InstanceExists, $"Instance '{instanceId}' already exists.");
        }

        WorkflowLog.Managed(_logger, instanceId, registeredName, "start", actor);
        await _engine.DispatchAsync(record, start, cancellationToken).ConfigureAwait(false);
        return instanceId;
    }

    public async Task<WorkflowOperationResult> RaiseEventAsync(string instanceId, string eventName, object? payload, string actor, string? eventId = null, CancellationToken cancellationToken = default)
    {
        if (!WorkflowNames.IsValid(eventName))
        {
            throw new WorkflowException(WorkflowErrorCodes.InvalidEventName, $"Event name '{eventName}' is not valid: use 1–100 letters, digits or -_.: characters.");
        }

        if (!WorkflowNames.IsValid(instanceId))
        {
            return WorkflowOperationResult.NotFound;
        }

        var outcome = await _engine.ApplyAsync(instanceId, new Delivery.Raise(eventName, WorkflowJson.ToElement(payload), actor, string.IsNullOrEmpty(eventId) ? null : eventId), null, cancellationToken).ConfigureAwait(false);
        return outcome.Reason == WorkflowMachine.DuplicateEvent ? WorkflowOperationResult.Accepted : Result(outcome);
    }

    public async Task<WorkflowOperationResult> TerminateAsync(string instanceId, string reason, string actor, CancellationToken cancellationToken = default)
    {
        if (!WorkflowNames.IsValid(instanceId))
        {
            return WorkflowOperationResult.NotFound;
        }

        var outcome = await _engine.ApplyAsync(instanceId, new Delivery.Terminate(reason ?? "", actor), null, cancellationToken).ConfigureAwait(false);
        if (outcome.Status == ApplyStatus.Applied)
        {
            WorkflowLog.Managed(_logger, instanceId, outcome.Record!.Name, "terminate", actor);
        }

        return Result(outcome);
    }

    private static WorkflowOperationResult Result(ApplyOutcome outcome) => outcome.Status switch
    {
        ApplyStatus.Applied => WorkflowOperationResult.Accepted,
        ApplyStatus.NotFound => WorkflowOperationResult.NotFound,
        _ => WorkflowOperationResult.Finished,
    };

    public async Task<WorkflowOperationResult> PurgeAsync(string instanceId, string actor, CancellationToken cancellationToken = default)
    {
        if (!WorkflowNames.IsValid(instanceId))
        {
            return WorkflowOperationResult.NotFound;
        }

        var stored = await _store.ReadAsync(instanceId, cancellationToken).ConfigureAwait(false);
        if (stored is null)
        {
            return WorkflowOperationResult.NotFound;
        }

        if (!stored.Record.IsTerminal)
        {
            return WorkflowOperationResult.NotFinished;
        }

        var now = _time.GetUtcNow();
        await _store.Purges.AddEntityAsync(
            new TableEntity(instanceId, now.UtcTicks.ToString("D19", CultureInfo.InvariantCulture))
            {
                ["Name"] = stored.Record.Name,
                ["Version"] = stored.Record.Version,
                ["RuntimeStatus"] = stored.Record.Status.ToString(),
                ["CreatedTime"] = stored.Record.CreatedTime,
                ["HistoryEvents"] = stored.Record.HistoryCount,
                ["PurgedBy"] = actor,
                ["PurgedAt"] = now,
            },
            cancellationToken).ConfigureAwait(false);

        var keys = new List<string>();
        await foreach (var row in _store.Instances.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {instanceId}"), select: ["RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            keys.Add(row.RowKey);
        }

        foreach (var chunk in keys.Chunk(100))
        {
            await _store.Instances.SubmitTransactionAsync(chunk.Select(k => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(instanceId, k), ETag.All)), cancellationToken).ConfigureAwait(false);
        }

        _engine.Forget(instanceId);
        WorkflowLog.Managed(_logger, instanceId, stored.Record.Name, "purge", actor);
        return WorkflowOperationResult.Accepted;
    }

    public async Task<WorkflowStatus?> GetStatusAsync(string instanceId, bool showHistory = false, CancellationToken cancellationToken = default)
    {
        if (!WorkflowNames.IsValid(instanceId))
        {
            return null;
        }

        var stored = await _store.ReadAsync(instanceId, cancellationToken).ConfigureAwait(false);
        if (stored is null)
        {
            return null;
        }

        List<WorkflowHistoryEvent>? history = null;
        if (showHistory)
        {
            history = [];
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {instanceId} and RowKey ge {"h-"} and RowKey lt {"h."}");
            await foreach (var row in _store.Instances.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                history.Add(new WorkflowHistoryEvent(row.GetString("Event") ?? "", row.GetDateTimeOffset("Time") ?? default, row.GetString("Actor"), row.GetString("Detail")));
            }
        }

        return ToStatus(stored.Record, history);
    }

    private static WorkflowStatus ToStatus(InstanceRecord record, IReadOnlyList<WorkflowHistoryEvent>? history) =>
        new(record.Name, record.InstanceId, record.Status, record.Input, record.CustomStatus,
            record.Status == WorkflowRuntimeStatus.Failed ? WorkflowJson.ToElement(record.Error) : record.Output,
            record.CreatedTime, record.LastUpdatedTime, record.Version, history);

    public async Task<WorkflowPage> ListAsync(WorkflowQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await _store.EnsureCreatedAsync().ConfigureAwait(false);
        var filter = new StringBuilder("RowKey eq 'state'");
        if (!string.IsNullOrEmpty(query.Name))
        {
            filter.Append(" and ").Append(TableClient.CreateQueryFilter($"Name eq {query.Name}"));
        }

        if (query.Statuses is { Count: > 0 })
        {
            filter.Append(" and (").AppendJoin(" or ", query.Statuses.Select(s => TableClient.CreateQueryFilter($"RuntimeStatus eq {s.ToString()}"))).Append(')');
        }

        if (query.CreatedFrom is { } from)
        {
            filter.Append(" and ").Append(TableClient.CreateQueryFilter($"CreatedTime ge {from}"));
        }

        if (query.CreatedTo is { } to)
        {
            filter.Append(" and ").Append(TableClient.CreateQueryFilter($"CreatedTime le {to}"));
        }

        var pageSize = Math.Clamp(query.PageSize, 1, 1000);
        string? token = null;
        if (!string.IsNullOrEmpty(query.ContinuationToken))
        {
            try
            {
                token = Encoding.UTF8.GetString(Convert.FromBase64String(query.ContinuationToken.Replace('-', '+').Replace('_', '/').PadRight((query.ContinuationToken.Length + 3) / 4 * 4, '=')));
            }
            catch (FormatException)
            {
                throw new WorkflowException(WorkflowErrorCodes.InvalidQuery, "The continuation token is not one this API gave out.");
            }
        }

        var instances = new List<WorkflowStatus>();
        string? next = null;
        await foreach (var page in _store.Instances.QueryAsync<TableEntity>(filter.ToString(), maxPerPage: pageSize, cancellationToken: cancellationToken).AsPages(token, pageSize).ConfigureAwait(false))
        {
            instances.AddRange(page.Values.Select(e => ToStatus(WorkflowStore.FromEntity(e), null)));
            next = page.ContinuationToken;
            if (instances.Count >= pageSize || next is null)
            {
                break;
            }
        }

        var encoded = next is null ? null : Convert.ToBase64String(Encoding.UTF8.GetBytes(next)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return new WorkflowPage(instances, encoded);
    }

    public async Task<WorkflowStats> GetStatsAsync(CancellationToken cancellationToken = default)
    {
        await _store.EnsureCreatedAsync().ConfigureAwait(false);
        var counts = Enum.GetValues<WorkflowRuntimeStatus>().ToDictionary(s => s.ToString(), _ => 0);
        await foreach (var row in _store.Instances.QueryAsync<TableEntity>("RowKey eq 'state'", select: ["RuntimeStatus"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var status = row.GetString("RuntimeStatus") ?? "";
            counts[status] = counts.GetValueOrDefault(status) + 1;
        }

        var outbox = 0;
        await foreach (var unused in _store.Instances.QueryAsync<TableEntity>("RowKey ge 'o-' and RowKey lt 'o.'", select: ["RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            outbox++;
        }

        var depths = new Dictionary<string, int>();
        foreach (var queue in new[] { _store.WorkItems, _store.Activities, _store.WorkItemsPoison, _store.ActivitiesPoison })
        {
            depths[queue.Name] = (await queue.GetPropertiesAsync(cancellationToken).ConfigureAwait(false)).Value.ApproximateMessagesCount;
        }

        WorkflowTimerInfo? oldest = null;
        await foreach (var page in _store.Timers.QueryAsync<TableEntity>("PartitionKey eq 't'", maxPerPage: 1, cancellationToken: cancellationToken).AsPages().ConfigureAwait(false))
        {
            if (page.Values.FirstOrDefault() is { } timer)
            {
                oldest = new WorkflowTimerInfo(timer.GetString("InstanceId") ?? "", timer.GetString("Workflow") ?? "", timer.GetString("TimerId") ?? "", timer.GetDateTimeOffset("DueAt") ?? default);
            }

            break;
        }

        return new WorkflowStats(counts, depths, oldest, depths[_store.WorkItemsPoison.Name] + depths[_store.ActivitiesPoison.Name], outbox);
    }
}
