namespace Collection.Runtime.Workflows;

/// <summary>Stable codes of workflow errors (the <c>code</c> of the problem details the API answers with).</summary>
public static class WorkflowErrorCodes
{
    public const string UnknownWorkflow = "workflow-unknown";
    public const string InvalidInstanceId = "workflow-invalid-instance-id";
    public const string InstanceExists = "workflow-instance-exists";
    public const string InstanceNotFound = "workflow-instance-not-found";
    public const string InstanceFinished = "workflow-instance-finished";
    public const string InstanceNotFinished = "workflow-instance-not-finished";
    public const string InvalidEventName = "workflow-invalid-event-name";
    public const string InvalidQuery = "workflow-invalid-query";
    public const string StateTooLarge = "workflow-state-too-large";
    public const string UnknownVersion = "workflow-version-not-registered";
}

/// <summary>A refused workflow operation with a stable <see cref="Code"/>.</summary>
public sealed class WorkflowException : Exception
{
    public WorkflowException(string code, string message)
        : base(message) => Code = code;

    public WorkflowException()
        : this("workflow-error", "Workflow operation failed.")
    {
    }

    public WorkflowException(string message)
        : this("workflow-error", message)
    {
    }

    public WorkflowException(string message, Exception innerException)
        : base(message, innerException) => Code = "workflow-error";

    public string Code { get; }
}
