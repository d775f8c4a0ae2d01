using System.Text.Json;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Collection.Functions.Tests.Refunds;

/// <summary>
/// A <see cref="TaskOrchestrationContext"/> the test drives by hand, without storage or replay: activities wait
/// until the test completes or fails them by name, timers until the test fires them (which moves
/// <see cref="CurrentUtcDateTime"/> to their time), external events until the test raises them (an event with no
/// waiter is kept for the next waiter of its name, as Durable does). Inputs, results, events and custom statuses
/// cross as JSON, as they do in Durable. Whatever the refund orchestration does not use throws.
/// </summary>
/// <remarks>
/// The orchestrator runs synchronously on the test's thread: every step (<see cref="Start{T}"/>, completing,
/// failing, firing, raising) runs with no synchronization context, so the continuations of the orchestrator's
/// awaits run inline and the step returns once the orchestrator waits again or has finished.
/// </remarks>
internal sealed class ScriptedOrchestrationContext : TaskOrchestrationContext
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly string _input;
    private readonly List<ScriptedActivity> _activities = [];
    private readonly List<ScriptedTimer> _timers = [];
    private readonly List<(string Name, Action<string> Deliver)> _waiters = [];
    private readonly List<(string Name, string Json)> _buffered = [];
    private readonly List<string> _statuses = [];
    private int _taskId;
    private DateTime _now;

    public ScriptedOrchestrationContext(string name, string instanceId, object input, DateTimeOffset start)
    {
        Name = new TaskName(name);
        InstanceId = instanceId;
        _input = JsonSerializer.Serialize(input, Json);
        _now = start.UtcDateTime;
    }

    public override TaskName Name { get; }

    public override string InstanceId { get; }

    public override ParentOrchestrationInstance? Parent => null;

    public override DateTime CurrentUtcDateTime => _now;

    public override bool IsReplaying => false;

    public override TaskOrchestrationEntityFeature Entities => throw new NotSupportedException("Entities are not scripted.");

    protected override ILoggerFactory LoggerFactory => NullLoggerFactory.Instance;

    /// <summary>Every activity called so far, in order.</summary>
    public IReadOnlyList<ScriptedActivity> Activities => _activities;

    /// <summary>The names of the activities called and not yet completed or failed.</summary>
    public IReadOnlyList<string> PendingActivities => [.. _activities.Where(a => !a.Finished).Select(a => a.Name)];

    /// <summary>Every timer created so far, in order.</summary>
    public IReadOnlyList<ScriptedTimer> Timers => _timers;

    /// <summary>The times of the timers neither fired nor cancelled.</summary>
    public IReadOnlyList<DateTime> PendingTimers => [.. _timers.Where(t => t.IsPending).Select(t => t.FireAt)];

    /// <summary>The names of the external events the orchestrator waits for now (one entry per waiter).</summary>
    public IReadOnlyList<string> Waiting => [.. _waiters.Select(w => w.Name)];

    /// <summary>How many custom statuses the orchestrator has set.</summary>
    public int StatusCount => _statuses.Count;

    /// <summary>The last custom status, read back from its JSON as <typeparamref name="T"/>.</summary>
    public T? CustomStatus<T>() => _statuses.Count == 0 ? default : JsonSerializer.Deserialize<T>(_statuses[^1], Json);

    /// <summary>Runs the orchestrator until it first waits.</summary>
    public static Task<T> Start<T>(Func<Task<T>> orchestrator)
    {
        ArgumentNullException.ThrowIfNull(orchestrator);
        Task<T>? run = null;
        Step(() => run = orchestrator());
        return run!;
    }

    /// <summary>Completes the one pending activity named <paramref name="name"/> with <paramref name="result"/> at <paramref name="at"/> (default: now).</summary>
    public void CompleteActivity(string name, object? result, DateTimeOffset? at = null)
    {
        var activity = Pending(name);
        Step(() =>
        {
            MoveTo(at);
            activity.Complete(JsonSerializer.Serialize(result, Json));
        });
    }

    /// <summary>Fails the one pending activity named <paramref name="name"/> as Durable reports a failure that outlived its retries.</summary>
    public void FailActivity(string name, string errorType, string message, DateTimeOffset? at = null)
    {
        var activity = Pending(name);
        Step(() =>
        {
            MoveTo(at);
            activity.Fail(new TaskFailedException(name, activity.TaskId, new TaskFailureDetails(errorType, message, null, null, null)));
        });
    }

    /// <summary>Fires the one pending timer; the orchestration's time becomes the timer's.</summary>
    public void FireTimer()
    {
        var timer = Assert.Single(_timers, t => t.IsPending);
        Step(() =>
        {
            _now = timer.FireAt;
            timer.Fire();
        });
    }

    /// <summary>Sends the external event <paramref name="name"/> with <paramref name="payload"/> at <paramref name="at"/> (default: now).</summary>
    public void Raise(string name, object? payload, DateTimeOffset? at = null)
    {
        var json = JsonSerializer.Serialize(payload, Json);
        Step(() =>
        {
            MoveTo(at);
            var index = _waiters.FindIndex(w => w.Name == name);
            if (index < 0)
            {
                _buffered.Add((name, json));
                return;
            }

            var waiter = _waiters[index];
            _waiters.RemoveAt(index);
            waiter.Deliver(json);
        });
    }

    public override T? GetInput<T>()
        where T : default => JsonSerializer.Deserialize<T>(_input, Json);

    public override Task<TResult> CallActivityAsync<TResult>(TaskName name, object? input = null, TaskOptions? options = null)
    {
        var completion = new TaskCompletionSource<TResult>();
        _activities.Add(new ScriptedActivity(
            name.Name,
            ++_taskId,
            JsonSerializer.Serialize(input, Json),
            options,
            json => completion.SetResult(JsonSerializer.Deserialize<TResult>(json, Json)!),
            completion.SetException));
        return completion.Task;
    }

    public override Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken)
    {
        var timer = new ScriptedTimer(fireAt);
        _timers.Add(timer);
        cancellationToken.Register(timer.Cancel);
        return timer.Task;
    }

    public override Task<T> WaitForExternalEvent<T>(string eventName, CancellationToken cancellationToken = default)
    {
        var completion = new TaskCompletionSource<T>();
        var buffered = _buffered.FindIndex(e => e.Name == eventName);
        if (buffered >= 0)
        {
            var json = _buffered[buffered].Json;
            _buffered.RemoveAt(buffered);
            completion.SetResult(JsonSerializer.Deserialize<T>(json, Json)!);
            return completion.Task;
        }

        _waiters.Add((eventName, json => completion.SetResult(JsonSerializer.Deserialize<T>(json, Json)!)));
        return completion.Task;
    }

    public override void SetCustomStatus(object? customStatus) => _statuses.Add(JsonSerializer.Serialize(customStatus, Json));

    public override Task<TResult> CallSubOrchestratorAsync<TResult>(TaskName orchestratorName, object? input = null, TaskOptions? options = null) =>
        throw new NotSupportedException("Sub-orchestrations are not scripted.");

    public override void SendEvent(string instanceId, string eventName, object payload) =>
        throw new NotSupportedException("Sending events is not scripted.");

    public override void ContinueAsNew(object? newInput = null, bool preserveUnprocessedEvents = true) =>
        throw new NotSupportedException("ContinueAsNew is not scripted.");

    public override Guid NewGuid() => throw new NotSupportedException("NewGuid is not scripted.");

    private ScriptedActivity Pending(string name) => Assert.Single(_activities, a => a.Name == name && !a.Finished);

    private void MoveTo(DateTimeOffset? at)
    {
        if (at is { } time)
        {
            Assert.True(time.UtcDateTime >= _now, $"Orchestration time goes forward only: {time:O} is before {_now:O}.");
            _now = time.UtcDateTime;
        }
    }

    private static void Step(Action step)
    {
        var outer = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null);
        try
        {
            step();
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(outer);
        }
    }
}

/// <summary>An activity the orchestrator called: its name, input (JSON), options, and whether the test has answered it.</summary>
internal sealed class ScriptedActivity(string name, int taskId, string input, TaskOptions? options, Action<string> complete, Action<Exception> fail)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Name { get; } = name;

    public int TaskId { get; } = taskId;

    public TaskOptions? Options { get; } = options;

    public bool Finished { get; private set; }

    public T Input<T>() => JsonSerializer.Deserialize<T>(input, Json)!;

    public void Complete(string json)
    {
        Finished = true;
        complete(json);
    }

    public void Fail(Exception exception)
    {
        Finished = true;
        fail(exception);
    }
}

/// <summary>A durable timer the orchestrator created.</summary>
internal sealed class ScriptedTimer(DateTime fireAt)
{
    private readonly TaskCompletionSource _completion = new();

    public DateTime FireAt { get; } = fireAt;

    public bool Fired { get; private set; }

    public bool Cancelled { get; private set; }

    public bool IsPending => !Fired && !Cancelled;

    public Task Task => _completion.Task;

    public void Fire()
    {
        Fired = true;
        _completion.SetResult();
    }

    public void Cancel()
    {
        if (!Fired)
        {
            Cancelled = true;
            _completion.TrySetCanceled();
        }
    }
}
