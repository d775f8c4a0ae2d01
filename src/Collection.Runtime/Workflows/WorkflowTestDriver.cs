using System.Text.Json;

namespace Collection.Runtime.Workflows;

/// <summary>
/// Runs a definition in memory with the engine's own step logic (waits, buffered events, results
/// applied once, timers), so a process can be unit-tested by feeding it events, with no storage.
/// Every method returns the commands of that step; <see cref="PendingActivities"/> and
/// <see cref="PendingTimers"/> say what the runtime would be doing.
/// </summary>
public sealed class WorkflowTestDriver<TDefinition, TState>
    where TDefinition : IWorkflowDefinition<TState>
    where TState : class, new()
{
    private readonly IWorkflowRunner _runner;
    private readonly Func<string, bool> _activityExists;
    private InstanceRecord _record;

    /// <param name="activityExists">Which activity names count as registered; all by default.</param>
    public WorkflowTestDriver(TDefinition definition, string name = "Workflow", Func<string, bool>? activityExists = null)
    {
        _runner = new WorkflowRunner<TState>(name, "1", definition);
        _activityExists = activityExists ?? (_ => true);
        _record = new InstanceRecord { InstanceId = "test", Name = name, Version = "1", Status = WorkflowRuntimeStatus.Pending };
    }

    public WorkflowRuntimeStatus Status => _record.Status;

    public TState State => string.IsNullOrEmpty(_record.StateJson) ? new TState() : JsonSerializer.Deserialize<TState>(_record.StateJson, WorkflowJson.Options)!;

    public JsonElement? Output => _record.Output;

    public JsonElement? CustomStatus => _record.CustomStatus;

    public string? Error => _record.Error;

    public IReadOnlyCollection<string> PendingActivities => _record.Activities.Keys;

    public IReadOnlyDictionary<string, DateTimeOffset> PendingTimers => _record.Timers.ToDictionary(t => t.Key, t => t.Value.DueAt);

    public IReadOnlyCollection<string> WaitingFor => _record.Waits.Keys;

    /// <summary>History event names so far (Started, ActivityScheduled, EventBuffered, ...).</summary>
    public IList<string> History { get; } = [];

    /// <summary>Commands of the last applied step.</summary>
    public IReadOnlyList<string> LastDispatches { get; private set; } = [];

    public bool Start(object? input, DateTimeOffset now, string actor = "test")
    {
        _record.Input = WorkflowJson.ToElement(input);
        _record.CreatedTime = now;
        _record.CreatedBy = actor;
        return Apply(new Delivery.Start(), now);
    }

    /// <summary>Completes a pending activity; false when it was not pending (the runtime drops such results).</summary>
    public bool CompleteActivity(string activityId, object? result, DateTimeOffset now) =>
        Apply(new Delivery.ActivityResult(activityId, SeqOf(activityId), true, WorkflowJson.ToElement(result), null), now);

    public bool FailActivity(string activityId, string error, DateTimeOffset now) =>
        Apply(new Delivery.ActivityResult(activityId, SeqOf(activityId), false, default, error), now);

    public bool FireTimer(string timerId, DateTimeOffset now) =>
        Apply(new Delivery.TimerDue(timerId, _record.Timers.TryGetValue(timerId, out var timer) ? timer.Seq : -1), now);

    public bool Raise(string name, object? payload, DateTimeOffset now, string actor = "test", string? eventId = null) =>
        Apply(new Delivery.Raise(name, WorkflowJson.ToElement(payload), actor, eventId), now);

    public bool Terminate(string reason, DateTimeOffset now, string actor = "test") =>
        Apply(new Delivery.Terminate(reason, actor), now);

    private long SeqOf(string activityId) => _record.Activities.TryGetValue(activityId, out var pending) ? pending.Seq : -1;

    private bool Apply(Delivery delivery, DateTimeOffset now)
    {
        var transition = WorkflowMachine.Apply(_record, _runner, _activityExists, delivery, now);
        if (!transition.Applied)
        {
            return false;
        }

        _record = transition.Record;
        foreach (var entry in transition.History)
        {
            History.Add(entry.Event);
        }

        LastDispatches = transition.Dispatches.Select(d => d switch
        {
            Dispatch.RunActivity run => $"run {run.ActivityId} ({run.Name})",
            Dispatch.ArmTimer timer => $"timer {timer.TimerId}",
            Dispatch.DisarmTimer => "cancel timer",
            _ => d.GetType().Name,
        }).ToList();
        return true;
    }
}
