using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Collection.Runtime.Functions;
using Collection.Runtime.Workflows;

namespace Collection.Workflows.TestHost;

/// <summary>Runs <c>Count</c> activities one after another, each recording its effect; completes with the sum of the steps.</summary>
public sealed class KillSequenceWorkflow : IWorkflowDefinition<KillSequenceWorkflow.State>
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
                    : WorkflowStep<State>.Of(state, Next(state));
            case WorkflowEvent.ActivityFailed failed:
                return WorkflowStep<State>.Of(state, WorkflowCommand.Failure(failed.Error));
            default:
                return WorkflowStep<State>.Of(state);
        }
    }

    private static WorkflowCommand.RunActivity Next(State state) =>
        WorkflowCommand.Activity($"effect-{state.Done + 1}", "RecordEffect", state.Done + 1, new RetryPolicy(5, TimeSpan.FromMilliseconds(100)));
}

/// <summary>The tables the activity writes: one effect row per activity id (idempotent), one run row per execution.</summary>
public sealed record EffectTables(TableClient Effects, TableClient Runs);

/// <summary>Records its effect once per activity id (an insert that treats "already there" as done) and logs every run.</summary>
public sealed class RecordEffect(EffectTables tables) : IActivity<int, int>
{
    public async Task<int> RunAsync(int input, WorkflowActivityContext context, CancellationToken cancellationToken)
    {
        await tables.Runs.AddEntityAsync(
            new TableEntity(context.InstanceId, $"{context.ActivityId}-{Guid.NewGuid():N}") { ["Attempt"] = context.Attempt },
            cancellationToken);
        try
        {
            await tables.Effects.AddEntityAsync(
                new TableEntity(context.InstanceId, context.ActivityId) { ["Step"] = input, ["At"] = DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture) },
                cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // Done by an earlier run of the same activity id.
        }

        return input;
    }
}

public static class KillTestWorkflows
{
    public const string Name = "KillSequence";

    public static void Register(FunctionCatalog functions) => functions
        .Workflow<KillSequenceWorkflow>(Name)
        .Activity<RecordEffect>("RecordEffect");
}
