using Collection.Runtime.Workflows;

namespace Collection.Runtime.Tests.Workflows;

/// <summary>Definitions tested with no storage: the test driver runs the engine's own step logic in memory.</summary>
public class WorkflowDefinitionTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 9, 0, 0, TimeSpan.FromHours(8));

    [Fact]
    public void Sequence_ResultsFedInOrder_CompletesWithSum()
    {
        var driver = new WorkflowTestDriver<SequenceWorkflow, SequenceWorkflow.State>(new SequenceWorkflow());

        driver.Start(new SequenceWorkflow.Input(3), Now);
        Assert.Equal(["step-1"], driver.PendingActivities);
        driver.CompleteActivity("step-1", 1, Now);
        driver.CompleteActivity("step-2", 2, Now);
        driver.CompleteActivity("step-3", 3, Now);

        Assert.Equal(WorkflowRuntimeStatus.Completed, driver.Status);
        Assert.Equal(6, driver.Output!.Value.GetInt32());
    }

    [Fact]
    public void Sequence_DuplicateResult_IsNotAppliedTwice()
    {
        var driver = new WorkflowTestDriver<SequenceWorkflow, SequenceWorkflow.State>(new SequenceWorkflow());
        driver.Start(new SequenceWorkflow.Input(3), Now);

        Assert.True(driver.CompleteActivity("step-1", 1, Now));
        Assert.False(driver.CompleteActivity("step-1", 1, Now));

        Assert.Equal(1, driver.State.Done);
        Assert.Equal(["step-2"], driver.PendingActivities);
    }

    [Fact]
    public void Approval_EventRaisedBeforeWaiting_IsBufferedThenDelivered()
    {
        var driver = new WorkflowTestDriver<ApprovalWorkflow, ApprovalWorkflow.State>(new ApprovalWorkflow());

        driver.Raise("Approved", "early", Now, actor: "approver");
        Assert.Equal(WorkflowRuntimeStatus.Pending, driver.Status);
        driver.Start(new ApprovalWorkflow.Input(7), Now);

        Assert.Equal(WorkflowRuntimeStatus.Completed, driver.Status);
        Assert.Equal("approver", driver.Output!.Value.GetProperty("approvedBy").GetString());
        Assert.Equal(["EventBuffered", "Started", "CustomStatusSet", "WaitingForEvent", "TimerCreated", "EventRaised", "Completed"], driver.History);
        Assert.Empty(driver.PendingTimers);
    }

    [Fact]
    public void Counter_SameEventIdRaisedTwice_CountsOnce()
    {
        var driver = new WorkflowTestDriver<CounterWorkflow, CounterWorkflow.State>(new CounterWorkflow());
        driver.Start(null, Now);

        Assert.True(driver.Raise("inc", null, Now, eventId: "req-1"));
        Assert.False(driver.Raise("inc", null, Now, eventId: "req-1"));
        Assert.True(driver.Raise("inc", null, Now, eventId: "req-2"));

        Assert.Equal(2, driver.State.Count);
    }

    [Fact]
    public void Approval_NoEventByDeadline_TimerFiresAndCompletesTimedOut()
    {
        var driver = new WorkflowTestDriver<ApprovalWorkflow, ApprovalWorkflow.State>(new ApprovalWorkflow());
        driver.Start(new ApprovalWorkflow.Input(30), Now);

        Assert.Equal(Now.AddDays(30), driver.PendingTimers["approval-deadline"]);
        Assert.True(driver.FireTimer("approval-deadline", Now.AddDays(30)));

        Assert.Equal("timed out", driver.Output!.Value.GetProperty("note").GetString());
        Assert.False(driver.Raise("Approved", "late", Now.AddDays(31)));
    }

    [Fact]
    public void Flaky_ActivityFailed_FailsWithTheErrorKept()
    {
        var driver = new WorkflowTestDriver<FlakyWorkflow, FlakyWorkflow.State>(new FlakyWorkflow());
        driver.Start(new FlakyInput(9), Now);

        driver.FailActivity("flaky", "timeout", Now);

        Assert.Equal(WorkflowRuntimeStatus.Failed, driver.Status);
        Assert.Equal("flaky gave up: timeout", driver.Error);
    }

    [Fact]
    public void DefinitionIgnoringAFailure_FailsWithTheActivityErrorInsteadOfStalling()
    {
        var driver = new WorkflowTestDriver<IgnoresFailures, IgnoresFailures.State>(new IgnoresFailures());
        driver.Start(null, Now);

        driver.FailActivity("only", "HttpRequestException: bank timeout", Now);

        Assert.Equal(WorkflowRuntimeStatus.Failed, driver.Status);
        Assert.Equal("activity-failed: only: HttpRequestException: bank timeout", driver.Error);
    }

    [Fact]
    public void Counter_Terminated_StopsAcceptingEvents()
    {
        var driver = new WorkflowTestDriver<CounterWorkflow, CounterWorkflow.State>(new CounterWorkflow());
        driver.Start(null, Now);
        driver.Raise("inc", null, Now);

        Assert.True(driver.Terminate("duplicate case", Now));

        Assert.Equal(WorkflowRuntimeStatus.Terminated, driver.Status);
        Assert.False(driver.Raise("inc", null, Now));
        Assert.Equal(1, driver.State.Count);
    }

    [Fact]
    public void UnknownActivity_FailsTheInstanceWithCode()
    {
        var driver = new WorkflowTestDriver<SequenceWorkflow, SequenceWorkflow.State>(new SequenceWorkflow(), activityExists: _ => false);

        driver.Start(new SequenceWorkflow.Input(1), Now);

        Assert.Equal(WorkflowRuntimeStatus.Failed, driver.Status);
        Assert.StartsWith("unknown-activity", driver.Error, StringComparison.Ordinal);
    }

    private sealed class IgnoresFailures : IWorkflowDefinition<IgnoresFailures.State>
    {
        public WorkflowStep<State> Handle(State state, WorkflowEvent workflowEvent, DateTimeOffset now) =>
            workflowEvent is WorkflowEvent.Started
                ? WorkflowStep<State>.Of(state, WorkflowCommand.Activity("only", "Anything"))
                : WorkflowStep<State>.Of(state);

        public sealed class State;
    }
}
