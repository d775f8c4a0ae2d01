namespace Collection.Runtime.Workflows;

/// <summary>Engine settings, bound from the <c>Workflows</c> configuration section.</summary>
public sealed class WorkflowOptions
{
    public const string Section = "Workflows";

    /// <summary>Prefix of every table and queue (a Durable Functions "task hub"): lowercase letters and digits, starting with a letter.</summary>
    public string HubName { get; set; } = "workflows";

    /// <summary>
    /// How long a running activity holds its work item (queue visibility, or its outbox row on the
    /// in-process path) before another worker may take it over. Renewed while the activity runs.
    /// </summary>
    public TimeSpan ActivityLease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Idle queue polling backs off from <see cref="MinPollInterval"/> up to this.</summary>
    public TimeSpan MaxPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MinPollInterval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>How often the due-timer table is scanned (the latency of durable timers).</summary>
    public TimeSpan TimerPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often outbox rows left by a crash are re-sent (they also are at start-up).</summary>
    public TimeSpan OutboxSweepInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Messages fetched per receive (at most 32, Azure's limit).</summary>
    public int QueueBatchSize { get; set; } = 32;

    /// <summary>Activities run at once from the activity queue.</summary>
    public int MaxConcurrentActivities { get; set; } = 32;

    /// <summary>
    /// Activities run at once in-process straight after the step that scheduled them (the fast path);
    /// their outbox row stays the durable record until the result is committed. 0 sends every activity through the queue.
    /// </summary>
    public int MaxLocalActivities { get; set; } = 64;

    /// <summary>Retry delays up to this are waited in-process; longer ones go through the queue, invisible until due.</summary>
    public TimeSpan InlineRetryLimit { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Deliveries of one work item before it is moved to the poison queue (host.json maxDequeueCount).</summary>
    public int MaxDequeueCount { get; set; } = 5;
}
