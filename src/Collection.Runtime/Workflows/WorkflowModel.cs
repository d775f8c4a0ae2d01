using System.Text.Json;
using System.Text.Json.Serialization;

namespace Collection.Runtime.Workflows;

/// <summary>
/// A durable process definition: a pure function <c>(state, event, now) → (new state, commands)</c>.
/// It must not read the clock, touch storage or call services; activities do that. The state is
/// JSON-serialised between steps (System.Text.Json, camelCase), so keep it a plain record or class.
/// Before <see cref="WorkflowEvent.Started"/> the state is <c>new TState()</c>.
/// </summary>
public interface IWorkflowDefinition<TState>
    where TState : class, new()
{
    WorkflowStep<TState> Handle(TState state, WorkflowEvent workflowEvent, DateTimeOffset now);
}

/// <summary>The outcome of one step: the new state and what the runtime should do next.</summary>
public sealed record WorkflowStep<TState>(TState State, IReadOnlyList<WorkflowCommand> Commands)
{
    public static WorkflowStep<TState> Of(TState state, params WorkflowCommand[] commands) => new(state, commands);
}

/// <summary>Lifecycle of an instance, as Durable Functions names it.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<WorkflowRuntimeStatus>))]
public enum WorkflowRuntimeStatus
{
    Pending,
    Running,
    Completed,
    Failed,
    Terminated,
}

/// <summary>Something that happened to an instance; the definition reacts to it.</summary>
public abstract record WorkflowEvent
{
    private WorkflowEvent()
    {
    }

    /// <summary>The first event of every instance.</summary>
    public sealed record Started(JsonElement Input) : WorkflowEvent
    {
        public T? InputAs<T>() => Input.Deserialize<T>(WorkflowJson.Options);
    }

    public sealed record ActivityCompleted(string ActivityId, JsonElement Result) : WorkflowEvent
    {
        public T? ResultAs<T>() => Result.Deserialize<T>(WorkflowJson.Options);
    }

    /// <summary>The activity failed on its last allowed attempt; <see cref="Error"/> is its error.</summary>
    public sealed record ActivityFailed(string ActivityId, string Error) : WorkflowEvent;

    /// <summary>A timer (or the deadline of a <see cref="WorkflowCommand.WaitForEvent"/>) is due.</summary>
    public sealed record TimerFired(string TimerId) : WorkflowEvent;

    /// <summary>An external event the instance waited for (delivered when it waits, even if raised earlier).</summary>
    public sealed record EventRaised(string Name, JsonElement Payload, string Actor) : WorkflowEvent
    {
        public T? PayloadAs<T>() => Payload.Deserialize<T>(WorkflowJson.Options);
    }

    /// <summary>Terminated from outside; commands returned for it are ignored except custom status.</summary>
    public sealed record Terminated(string Reason, string Actor) : WorkflowEvent;
}

/// <summary>Retry for an activity: <see cref="Attempts"/> tries in all, waiting FirstDelay × Backoff^(n−1) between them.</summary>
public sealed record RetryPolicy(int Attempts, TimeSpan FirstDelay, double Backoff = 2.0)
{
    public static readonly RetryPolicy None = new(1, TimeSpan.Zero, 1);

    /// <summary>Delay before attempt <paramref name="nextAttempt"/> (2 = first retry).</summary>
    public TimeSpan DelayBefore(int nextAttempt) =>
        nextAttempt <= 1 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(FirstDelay.TotalMilliseconds * Math.Pow(Math.Max(Backoff, 1.0), nextAttempt - 2));
}

/// <summary>What a definition asks the runtime to do.</summary>
public abstract record WorkflowCommand
{
    private WorkflowCommand()
    {
    }

    /// <summary>Runs activity <paramref name="Name"/> at least once; its result comes back once as
    /// <see cref="WorkflowEvent.ActivityCompleted"/> or <see cref="WorkflowEvent.ActivityFailed"/> with <paramref name="ActivityId"/>.</summary>
    public sealed record RunActivity(string ActivityId, string Name, JsonElement Input, RetryPolicy Retry) : WorkflowCommand;

    /// <summary>Fires <see cref="WorkflowEvent.TimerFired"/> at <paramref name="DueAt"/>; re-using a pending id re-arms it.</summary>
    public sealed record StartTimer(string TimerId, DateTimeOffset DueAt) : WorkflowCommand;

    public sealed record CancelTimer(string TimerId) : WorkflowCommand;

    /// <summary>Delivers the next event <paramref name="Name"/> (buffered ones first); with a deadline,
    /// <see cref="WorkflowEvent.TimerFired"/>(<paramref name="DeadlineTimerId"/>) if none came by then.</summary>
    public sealed record WaitForEvent(string Name, DateTimeOffset? Deadline, string DeadlineTimerId) : WorkflowCommand;

    public sealed record SetCustomStatus(JsonElement CustomStatus) : WorkflowCommand;

    public sealed record Complete(JsonElement Output) : WorkflowCommand;

    public sealed record Fail(string Error) : WorkflowCommand;

    public static RunActivity Activity(string activityId, string name, object? input = null, RetryPolicy? retry = null) =>
        new(activityId, name, WorkflowJson.ToElement(input), retry ?? RetryPolicy.None);

    public static StartTimer Timer(string timerId, DateTimeOffset dueAt) => new(timerId, dueAt);

    public static CancelTimer Cancel(string timerId) => new(timerId);

    public static WaitForEvent Wait(string name, DateTimeOffset? deadline = null, string? deadlineTimerId = null) =>
        new(name, deadline, deadlineTimerId ?? name + "-deadline");

    public static SetCustomStatus Status(object? customStatus) => new(WorkflowJson.ToElement(customStatus));

    public static Complete Done(object? output = null) => new(WorkflowJson.ToElement(output));

    public static Fail Failure(string error) => new(error);
}

/// <summary>An activity: an ordinary async function resolved from DI (scoped) with its own services.
/// It runs at least once per scheduled id, so write it to be idempotent (key effects by <see cref="WorkflowActivityContext.ActivityId"/>).</summary>
public interface IActivity<TInput, TOutput>
{
    Task<TOutput> RunAsync(TInput input, WorkflowActivityContext context, CancellationToken cancellationToken);
}

/// <summary>Which run of which activity this is.</summary>
public sealed record WorkflowActivityContext(string InstanceId, string WorkflowName, string ActivityId, int Attempt);

/// <summary>The JSON settings used for states, inputs, outputs and payloads.</summary>
public static class WorkflowJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    private static readonly JsonElement Null = JsonDocument.Parse("null").RootElement.Clone();

    public static JsonElement ToElement(object? value) =>
        value switch
        {
            null => Null,
            JsonElement element => element.Clone(),
            _ => JsonSerializer.SerializeToElement(value, value.GetType(), Options),
        };

    public static bool IsNull(JsonElement element) => element.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined;
}
