using System.Globalization;
using System.Text.Json;

namespace Collection.Runtime.Workflows;

/// <summary>
/// Everything the runtime keeps about one instance between steps (the state row's body): status,
/// the definition's state, and the bookkeeping that makes results apply once (pending activities
/// and timers by id and sequence number), waits and buffered external events.
/// </summary>
internal sealed class InstanceRecord
{
    public string InstanceId { get; set; } = "";

    public string Name { get; set; } = "";

    public string Version { get; set; } = "";

    public WorkflowRuntimeStatus Status { get; set; }

    public JsonElement Input { get; set; } = WorkflowJson.ToElement(null);

    public JsonElement? Output { get; set; }

    public JsonElement? CustomStatus { get; set; }

    public string? Error { get; set; }

    public DateTimeOffset CreatedTime { get; set; }

    public DateTimeOffset LastUpdatedTime { get; set; }

    public string? StateJson { get; set; }

    public string CreatedBy { get; set; } = "";

    /// <summary>Next sequence number for activities, timers and outbox rows of this instance.</summary>
    public long NextSeq { get; set; } = 1;

    public int HistoryCount { get; set; }

    public Dictionary<string, PendingActivity> Activities { get; set; } = [];

    public Dictionary<string, PendingTimer> Timers { get; set; } = [];

    /// <summary>Event name → deadline timer id ("" when the wait has no deadline).</summary>
    public Dictionary<string, string> Waits { get; set; } = [];

    public List<BufferedEvent> Buffered { get; set; } = [];

    /// <summary>Ids of the last <see cref="WorkflowMachine.RememberedEventIds"/> raised events, so a retried raise is not applied twice.</summary>
    public List<string> RecentEventIds { get; set; } = [];

    public bool IsTerminal => Status is WorkflowRuntimeStatus.Completed or WorkflowRuntimeStatus.Failed or WorkflowRuntimeStatus.Terminated;

    public InstanceRecord Clone() =>
        JsonSerializer.Deserialize<InstanceRecord>(JsonSerializer.SerializeToUtf8Bytes(this, WorkflowJson.Options), WorkflowJson.Options)!;
}

internal sealed record PendingActivity(long Seq, string Name);

internal sealed record PendingTimer(long Seq, DateTimeOffset DueAt);

internal sealed record BufferedEvent(string Name, JsonElement Payload, string Actor, DateTimeOffset RaisedAt);

/// <summary>What arrives at an instance. Results and timers carry the sequence number they were scheduled with.</summary>
internal abstract record Delivery
{
    public sealed record Start : Delivery;

    public sealed record ActivityResult(string ActivityId, long Seq, bool Succeeded, JsonElement Result, string? Error) : Delivery;

    public sealed record TimerDue(string TimerId, long Seq) : Delivery;

    /// <summary><paramref name="EventId"/>, when given, makes a repeated raise (a client retry) a no-op.</summary>
    public sealed record Raise(string Name, JsonElement Payload, string Actor, string? EventId = null) : Delivery;

    public sealed record Terminate(string Reason, string Actor) : Delivery;

    public string Describe() => this switch
    {
        Start => "Started",
        ActivityResult r => (r.Succeeded ? "ActivityCompleted:" : "ActivityFailed:") + r.ActivityId,
        TimerDue t => "TimerFired:" + t.TimerId,
        Raise r => "EventRaised:" + r.Name,
        Terminate => "Terminated",
        _ => GetType().Name,
    };
}

/// <summary>One history row: what happened, when, by whom.</summary>
internal sealed record HistoryEntry(string Event, DateTimeOffset Time, string? Actor, string? Detail);

/// <summary>Work the step hands to the outside; each becomes an outbox row in the same transaction.</summary>
internal abstract record Dispatch(long Seq)
{
    public sealed record RunActivity(long Seq, string ActivityId, string Name, JsonElement Input, RetryPolicy Retry) : Dispatch(Seq);

    public sealed record ArmTimer(long Seq, string TimerId, DateTimeOffset DueAt) : Dispatch(Seq);

    public sealed record DisarmTimer(long Seq, long TimerSeq, DateTimeOffset DueAt) : Dispatch(Seq);

    /// <summary>Delivers <see cref="Delivery.Start"/> through the work-item queue.</summary>
    public sealed record StartInstance(long Seq) : Dispatch(Seq);
}

internal sealed record Transition(bool Applied, string Outcome, InstanceRecord Record, IReadOnlyList<HistoryEntry> History, IReadOnlyList<Dispatch> Dispatches)
{
    public static Transition Dropped(InstanceRecord record, string why) => new(false, why, record, [], []);
}

/// <summary>
/// The pure heart of the engine: applies one delivery to an instance record, running the definition
/// and turning its commands into history entries and dispatches. No I/O; the store persists the result
/// in one transaction, and <see cref="WorkflowTestDriver{TDefinition, TState}"/> runs it in memory.
/// </summary>
internal static class WorkflowMachine
{
    /// <summary>History and outbox rows one step may add: an entity-group transaction holds 100 operations.</summary>
    public const int MaxRowsPerStep = 90;

    public const int RememberedEventIds = 200;

    public const string DuplicateEvent = "duplicate-event";

    public static Transition Apply(InstanceRecord original, IWorkflowRunner runner, Func<string, bool> activityExists, Delivery delivery, DateTimeOffset now)
    {
        var step = new Step(original.Clone(), runner, activityExists, now);
        var dropped = step.Run(delivery);
        if (dropped is not null)
        {
            return Transition.Dropped(original, dropped);
        }

        if (step.History.Count + step.Dispatches.Count > MaxRowsPerStep)
        {
            // Too large for one transaction: fail the instance rather than commit half a step.
            var failing = new Step(original.Clone(), runner, activityExists, now);
            failing.Fail($"step-too-large: one step produced more than {MaxRowsPerStep} history and outbox rows.");
            return failing.Result(delivery);
        }

        return step.Result(delivery);
    }

    private sealed class Step(InstanceRecord record, IWorkflowRunner runner, Func<string, bool> activityExists, DateTimeOffset now)
    {
        public List<HistoryEntry> History { get; } = [];

        public List<Dispatch> Dispatches { get; } = [];

        public Transition Result(Delivery delivery)
        {
            record.LastUpdatedTime = now;
            record.HistoryCount += History.Count;
            return new Transition(true, delivery.Describe(), record, History, Dispatches);
        }

        /// <summary>Applies the delivery; returns why it was dropped, or null.</summary>
        public string? Run(Delivery delivery)
        {
            switch (delivery)
            {
                case Delivery.Start:
                    if (record.Status != WorkflowRuntimeStatus.Pending)
                    {
                        return "already-started";
                    }

                    record.Status = WorkflowRuntimeStatus.Running;
                    Record("Started", record.CreatedBy, record.Input.GetRawText());
                    Deliver(new WorkflowEvent.Started(record.Input));
                    break;

                case Delivery.ActivityResult result:
                    if (record.IsTerminal)
                    {
                        return "instance-finished";
                    }

                    if (!record.Activities.TryGetValue(result.ActivityId, out var pending) || pending.Seq != result.Seq)
                    {
                        return "result-already-applied";
                    }

                    record.Activities.Remove(result.ActivityId);
                    if (result.Succeeded)
                    {
                        Record("ActivityCompleted", null, $"{result.ActivityId}: {result.Result.GetRawText()}");
                        Deliver(new WorkflowEvent.ActivityCompleted(result.ActivityId, result.Result));
                    }
                    else
                    {
                        Record("ActivityFailed", null, $"{result.ActivityId}: {result.Error}");
                        Deliver(new WorkflowEvent.ActivityFailed(result.ActivityId, result.Error ?? "unknown error"));
                    }

                    break;

                case Delivery.TimerDue due:
                    if (record.IsTerminal)
                    {
                        return "instance-finished";
                    }

                    if (!record.Timers.TryGetValue(due.TimerId, out var timer) || timer.Seq != due.Seq)
                    {
                        return "timer-already-fired-or-cancelled";
                    }

                    record.Timers.Remove(due.TimerId);
                    foreach (var wait in record.Waits.Where(w => w.Value == due.TimerId).ToList())
                    {
                        record.Waits.Remove(wait.Key);
                    }

                    Record("TimerFired", null, due.TimerId);
                    Deliver(new WorkflowEvent.TimerFired(due.TimerId));
                    break;

                case Delivery.Raise raise:
                    if (record.IsTerminal)
                    {
                        return "instance-finished";
                    }

                    if (raise.EventId is not null)
                    {
                        if (record.RecentEventIds.Contains(raise.EventId))
                        {
                            return DuplicateEvent;
                        }

                        record.RecentEventIds.Add(raise.EventId);
                        if (record.RecentEventIds.Count > RememberedEventIds)
                        {
                            record.RecentEventIds.RemoveAt(0);
                        }
                    }

                    if (record.Status == WorkflowRuntimeStatus.Pending || !record.Waits.ContainsKey(raise.Name))
                    {
                        record.Buffered.Add(new BufferedEvent(raise.Name, raise.Payload, raise.Actor, now));
                        Record("EventBuffered", raise.Actor, $"{raise.Name}: {raise.Payload.GetRawText()}");
                    }
                    else
                    {
                        DeliverRaised(raise.Name, raise.Payload, raise.Actor, null);
                    }

                    break;

                case Delivery.Terminate terminate:
                    if (record.IsTerminal)
                    {
                        return "instance-finished";
                    }

                    Record("Terminated", terminate.Actor, terminate.Reason);
                    Deliver(new WorkflowEvent.Terminated(terminate.Reason, terminate.Actor), terminating: true);
                    record.Status = WorkflowRuntimeStatus.Terminated;
                    record.Error = null;
                    ClearOnFinish();
                    break;
            }

            DrainBuffered();
            if (record.Status == WorkflowRuntimeStatus.Running && record.Activities.Count == 0 && record.Timers.Count == 0 && record.Waits.Count == 0)
            {
                // Nothing could ever wake this instance again: fail it (keeping a failure's error) rather than leave it stuck.
                Fail(delivery is Delivery.ActivityResult { Succeeded: false } failed
                    ? $"activity-failed: {failed.ActivityId}: {failed.Error}"
                    : $"stalled: after {delivery.Describe()} the definition left nothing to wait for and did not complete.");
            }

            return null;
        }

        public void Fail(string error)
        {
            record.Status = WorkflowRuntimeStatus.Failed;
            record.Error = error;
            Record("Failed", null, error);
            ClearOnFinish();
        }

        private void DrainBuffered()
        {
            while (!record.IsTerminal && record.Status != WorkflowRuntimeStatus.Pending)
            {
                var next = record.Buffered.FindIndex(b => record.Waits.ContainsKey(b.Name));
                if (next < 0)
                {
                    return;
                }

                var buffered = record.Buffered[next];
                record.Buffered.RemoveAt(next);
                DeliverRaised(buffered.Name, buffered.Payload, buffered.Actor, buffered.RaisedAt);
            }
        }

        private void DeliverRaised(string name, JsonElement payload, string actor, DateTimeOffset? raisedAt)
        {
            var deadline = record.Waits[name];
            record.Waits.Remove(name);
            if (deadline.Length > 0)
            {
                DisarmTimer(deadline);
            }

            var detail = raisedAt is null ? $"{name}: {payload.GetRawText()}" : $"{name} (raised {raisedAt.Value.ToString("O", CultureInfo.InvariantCulture)}): {payload.GetRawText()}";
            Record("EventRaised", actor, detail);
            Deliver(new WorkflowEvent.EventRaised(name, payload, actor));
        }

        private void Deliver(WorkflowEvent workflowEvent, bool terminating = false)
        {
            IReadOnlyList<WorkflowCommand> commands;
            try
            {
                (record.StateJson, commands) = runner.Handle(record.StateJson, workflowEvent, now);
            }
#pragma warning disable CA1031 // A definition bug fails its instance, never the host.
            catch (Exception e)
#pragma warning restore CA1031
            {
                if (!terminating)
                {
                    Fail($"definition-error: {e.GetType().Name}: {e.Message}");
                }

                return;
            }

            foreach (var command in commands)
            {
                if (record.IsTerminal)
                {
                    return;
                }

                if (terminating)
                {
                    if (command is WorkflowCommand.SetCustomStatus status)
                    {
                        record.CustomStatus = status.CustomStatus;
                    }

                    continue;
                }

                Execute(command);
            }
        }

        private void Execute(WorkflowCommand command)
        {
            switch (command)
            {
                case WorkflowCommand.RunActivity run:
                    if (string.IsNullOrEmpty(run.ActivityId) || record.Activities.ContainsKey(run.ActivityId))
                    {
                        Fail($"definition-error: activity id '{run.ActivityId}' is empty or already pending.");
                        return;
                    }

                    if (!activityExists(run.Name))
                    {
                        Fail($"unknown-activity: no activity '{run.Name}' is registered.");
                        return;
                    }

                    var seq = record.NextSeq++;
                    record.Activities[run.ActivityId] = new PendingActivity(seq, run.Name);
                    Dispatches.Add(new Dispatch.RunActivity(seq, run.ActivityId, run.Name, run.Input, run.Retry ?? RetryPolicy.None));
                    Record("ActivityScheduled", null, $"{run.ActivityId}: {run.Name}");
                    break;

                case WorkflowCommand.StartTimer timer:
                    ArmTimer(timer.TimerId, timer.DueAt);
                    break;

                case WorkflowCommand.CancelTimer cancel:
                    if (record.Timers.ContainsKey(cancel.TimerId))
                    {
                        DisarmTimer(cancel.TimerId);
                        Record("TimerCancelled", null, cancel.TimerId);
                    }

                    break;

                case WorkflowCommand.WaitForEvent wait:
                    if (record.Waits.TryGetValue(wait.Name, out var previousDeadline) && previousDeadline.Length > 0)
                    {
                        DisarmTimer(previousDeadline);
                    }

                    record.Waits[wait.Name] = wait.Deadline is null ? "" : wait.DeadlineTimerId;
                    Record("WaitingForEvent", null, wait.Deadline is null ? wait.Name : $"{wait.Name} until {wait.Deadline.Value.ToString("O", CultureInfo.InvariantCulture)}");
                    if (wait.Deadline is { } deadline)
                    {
                        ArmTimer(wait.DeadlineTimerId, deadline);
                    }

                    break;

                case WorkflowCommand.SetCustomStatus status:
                    record.CustomStatus = status.CustomStatus;
                    Record("CustomStatusSet", null, status.CustomStatus.GetRawText());
                    break;

                case WorkflowCommand.Complete complete:
                    record.Status = WorkflowRuntimeStatus.Completed;
                    record.Output = complete.Output;
                    Record("Completed", null, complete.Output.GetRawText());
                    ClearOnFinish();
                    break;

                case WorkflowCommand.Fail fail:
                    Fail(fail.Error);
                    break;
            }
        }

        private void ArmTimer(string timerId, DateTimeOffset dueAt)
        {
            if (record.Timers.ContainsKey(timerId))
            {
                DisarmTimer(timerId);
            }

            var seq = record.NextSeq++;
            record.Timers[timerId] = new PendingTimer(seq, dueAt);
            Dispatches.Add(new Dispatch.ArmTimer(seq, timerId, dueAt));
            Record("TimerCreated", null, $"{timerId} at {dueAt.ToString("O", CultureInfo.InvariantCulture)}");
        }

        private void DisarmTimer(string timerId)
        {
            if (record.Timers.Remove(timerId, out var timer))
            {
                Dispatches.Add(new Dispatch.DisarmTimer(record.NextSeq++, timer.Seq, timer.DueAt));
            }
        }

        /// <summary>A finished instance keeps no pending work: late results and timers are dropped.</summary>
        private void ClearOnFinish()
        {
            foreach (var timerId in record.Timers.Keys.ToList())
            {
                DisarmTimer(timerId);
            }

            record.Activities.Clear();
            record.Waits.Clear();
        }

        private void Record(string name, string? actor, string? detail) =>
            History.Add(new HistoryEntry(name, now, actor, detail is { Length: > 4000 } ? detail[..4000] + "…" : detail));
    }
}
