using System.Collections.Concurrent;
using Azure;
using Azure.Data.Tables;
using Collection.Runtime.Functions;
using Collection.Runtime.Workflows;

namespace Collection.Runtime.Tests.Workflows;

/// <summary>Runs activities "step-1".."step-N" one after another, then completes with the sum of their results.</summary>
public sealed class SequenceWorkflow : IWorkflowDefinition<SequenceWorkflow.State>
{
    public sealed class State
    {
        public int Count { get; set; }

        public int Done { get; set; }

        public int Sum { get; set; }
    }

    public sealed record Input(int Count);

    public WorkflowStep<State> Handle(State state, WorkflowEvent workflowEvent, DateTimeOffset now)
    {
        switch (workflowEvent)
        {
            case WorkflowEvent.Started started:
                state.Count = started.InputAs<Input>()!.Count;
                return WorkflowStep<State>.Of(state, Next(state));
            case WorkflowEvent.ActivityCompleted completed:
                state.Done++;
                state.Sum += completed.ResultAs<int>();
                return state.Done >= state.Count
                    ? WorkflowStep<State>.Of(state, WorkflowCommand.Done(state.Sum))
                    : WorkflowStep<State>.Of(state, WorkflowCommand.Status(new { state.Done }), Next(state));
            case WorkflowEvent.ActivityFailed failed:
                return WorkflowStep<State>.Of(state, WorkflowCommand.Failure(failed.Error));
            default:
                return WorkflowStep<State>.Of(state);
        }
    }

    private static WorkflowCommand Next(State state) =>
        WorkflowCommand.Activity($"step-{state.Done + 1}", "RecordEffect", new EffectInput(state.Done + 1));
}

public sealed record EffectInput(int Step);

/// <summary>Counts every run (in memory) and records the effect once per activity id in a table.</summary>
public sealed class RecordEffect(EffectLog log) : IActivity<EffectInput, int>
{
    public async Task<int> RunAsync(EffectInput input, WorkflowActivityContext context, CancellationToken cancellationToken)
    {
        log.Runs.AddOrUpdate($"{context.InstanceId}/{context.ActivityId}", 1, (_, n) => n + 1);
        log.ByHost.AddOrUpdate(log.HostName, 1, (_, n) => n + 1);
        if (log.Effects is { } effects)
        {
            try
            {
                await effects.AddEntityAsync(new TableEntity(context.InstanceId, context.ActivityId) { ["Host"] = log.HostName }, cancellationToken);
            }
            catch (RequestFailedException e) when (e.Status == 409)
            {
                // Already recorded by an earlier run: the effect is idempotent.
            }
        }

        if (log.Delay > TimeSpan.Zero)
        {
            await Task.Delay(log.Delay, cancellationToken);
        }

        return input.Step;
    }
}

public sealed class EffectLog
{
    public string HostName { get; init; } = "host";

    public TableClient? Effects { get; init; }

    public TimeSpan Delay { get; init; }

    public ConcurrentDictionary<string, int> Runs { get; } = new();

    public ConcurrentDictionary<string, int> ByHost { get; } = new();
}

/// <summary>Waits for "Approved" (deadline from the input in days); completes with the payload or "timed out".</summary>
public sealed class ApprovalWorkflow : IWorkflowDefinition<ApprovalWorkflow.State>
{
    public sealed class State
    {
        public string? Outcome { get; set; }
    }

    public sealed record Input(double DeadlineDays);

    public WorkflowStep<State> Handle(State state, WorkflowEvent workflowEvent, DateTimeOffset now) => workflowEvent switch
    {
        WorkflowEvent.Started started => WorkflowStep<State>.Of(
            state,
            WorkflowCommand.Status("waiting for approval"),
            WorkflowCommand.Wait("Approved", now.AddDays(started.InputAs<Input>()!.DeadlineDays), "approval-deadline")),
        WorkflowEvent.EventRaised raised => WorkflowStep<State>.Of(state, WorkflowCommand.Done(new { approvedBy = raised.Actor, note = raised.PayloadAs<string>() })),
        WorkflowEvent.TimerFired { TimerId: "approval-deadline" } => WorkflowStep<State>.Of(state, WorkflowCommand.Done(new { approvedBy = (string?)null, note = "timed out" })),
        _ => WorkflowStep<State>.Of(state),
    };
}

/// <summary>Counts "inc" events forever (until terminated): each one is applied once.</summary>
public sealed class CounterWorkflow : IWorkflowDefinition<CounterWorkflow.State>
{
    public sealed class State
    {
        public int Count { get; set; }
    }

    public WorkflowStep<State> Handle(State state, WorkflowEvent workflowEvent, DateTimeOffset now)
    {
        if (workflowEvent is WorkflowEvent.EventRaised)
        {
            state.Count++;
        }

        return WorkflowStep<State>.Of(state, WorkflowCommand.Status(state.Count), WorkflowCommand.Wait("inc"));
    }
}

/// <summary>Sleeps on a durable timer for the input's seconds, then completes with the time it woke.</summary>
public sealed class SleepWorkflow : IWorkflowDefinition<SleepWorkflow.State>
{
    public sealed class State
    {
        public DateTimeOffset DueAt { get; set; }
    }

    public sealed record Input(double Seconds);

    public WorkflowStep<State> Handle(State state, WorkflowEvent workflowEvent, DateTimeOffset now)
    {
        switch (workflowEvent)
        {
            case WorkflowEvent.Started started:
                state.DueAt = now.AddSeconds(started.InputAs<Input>()!.Seconds);
                return WorkflowStep<State>.Of(state, WorkflowCommand.Timer("wake", state.DueAt));
            case WorkflowEvent.TimerFired:
                return WorkflowStep<State>.Of(state, WorkflowCommand.Done(new { dueAt = state.DueAt, firedAt = now }));
            default:
                return WorkflowStep<State>.Of(state);
        }
    }
}

/// <summary>Runs "Flaky" with a retry policy of three attempts; fails the workflow with the activity's error.</summary>
public sealed class FlakyWorkflow : IWorkflowDefinition<FlakyWorkflow.State>
{
    public sealed class State;

    public WorkflowStep<State> Handle(State state, WorkflowEvent workflowEvent, DateTimeOffset now) => workflowEvent switch
    {
        WorkflowEvent.Started started => WorkflowStep<State>.Of(state, WorkflowCommand.Activity("flaky", "Flaky", started.Input, new RetryPolicy(3, TimeSpan.FromMilliseconds(50), 2))),
        WorkflowEvent.ActivityCompleted done => WorkflowStep<State>.Of(state, WorkflowCommand.Done(done.Result)),
        WorkflowEvent.ActivityFailed failed => WorkflowStep<State>.Of(state, WorkflowCommand.Failure($"flaky gave up: {failed.Error}")),
        _ => WorkflowStep<State>.Of(state),
    };
}

public sealed record FlakyInput(int FailuresBeforeSuccess);

public sealed class Flaky(EffectLog log) : IActivity<FlakyInput, string>
{
    public Task<string> RunAsync(FlakyInput input, WorkflowActivityContext context, CancellationToken cancellationToken)
    {
        log.Runs.AddOrUpdate($"{context.InstanceId}/{context.ActivityId}", 1, (_, n) => n + 1);
        if (context.Attempt <= input.FailuresBeforeSuccess)
        {
            throw new InvalidOperationException($"tax bureau unreachable (attempt {context.Attempt})");
        }

        return Task.FromResult($"ok on attempt {context.Attempt}");
    }
}

public static class TestWorkflows
{
    public static void Register(FunctionCatalog functions) => functions
        .Workflow<SequenceWorkflow>("Sequence")
        .Workflow<ApprovalWorkflow>("Approval")
        .Workflow<CounterWorkflow>("Counter")
        .Workflow<SleepWorkflow>("Sleep")
        .Workflow<FlakyWorkflow>("FlakyCase")
        .Activity<RecordEffect>("RecordEffect")
        .Activity<Flaky>("Flaky");
}
