using Microsoft.Extensions.Logging;

namespace Collection.Runtime.Workflows;

/// <summary>Every step is logged with instance id, workflow name, event and duration.</summary>
internal static partial class WorkflowLog
{
    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Workflow {Workflow} instance {InstanceId}: applied {Event} → {RuntimeStatus} in {DurationMs:F1} ms ({Conflicts} conflicts)")]
    public static partial void StepApplied(ILogger logger, string instanceId, string workflow, string @event, WorkflowRuntimeStatus runtimeStatus, int conflicts, double durationMs);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Information, Message = "Workflow {Workflow} instance {InstanceId}: dropped {Event} ({Reason})")]
    public static partial void StepDropped(ILogger logger, string instanceId, string workflow, string @event, string reason);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Debug, Message = "Workflow {Workflow} instance {InstanceId}: ETag conflict applying {Event}; retrying from the new state")]
    public static partial void Conflict(ILogger logger, string instanceId, string workflow, string @event);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Information, Message = "Workflow {Workflow} instance {InstanceId}: activity {ActivityId} ({Activity}) attempt {Attempt} succeeded={Succeeded} in {DurationMs:F1} ms")]
    public static partial void ActivityRan(ILogger logger, string instanceId, string workflow, string activityId, string activity, int attempt, bool succeeded, double durationMs);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Warning, Message = "Workflow {Workflow} instance {InstanceId}: activity {ActivityId} ({Activity}) attempt {Attempt} failed after {DurationMs:F1} ms: {Error}")]
    public static partial void ActivityFailed(ILogger logger, string instanceId, string workflow, string activityId, string activity, int attempt, double durationMs, string error);

    [LoggerMessage(EventId = 6006, Level = LogLevel.Error, Message = "Work item {MessageId} of instance {InstanceId} moved from {Queue} to poison: {Reason}")]
    public static partial void Poisoned(ILogger logger, string queue, string messageId, string instanceId, string reason);

    [LoggerMessage(EventId = 6007, Level = LogLevel.Warning, Message = "Outbox sweep re-sent {Count} work items left by an interrupted step")]
    public static partial void Swept(ILogger logger, int count);

    [LoggerMessage(EventId = 6008, Level = LogLevel.Error, Message = "Workflow loop {Loop} failed; it carries on")]
    public static partial void LoopError(ILogger logger, Exception exception, string loop);

    [LoggerMessage(EventId = 6009, Level = LogLevel.Information, Message = "Workflow {Workflow} instance {InstanceId}: {Operation} by {Actor}")]
    public static partial void Managed(ILogger logger, string instanceId, string workflow, string operation, string actor);
}
