using Collection.Domain.Refunds;
using Collection.Runtime.Workflows;

namespace Collection.Functions.Refunds;

/// <summary>What a refund case starts with.</summary>
public sealed record RefundCaseInput(string CaseId, RefundApplication Application, string OpenedBy);

/// <summary>What the check activity answers: the checks' outcome and the policy's reminder days.</summary>
public sealed record RefundCheckResult(RefundCheck Check, int ReminderDays);

/// <summary>What the issue and correct activities are given.</summary>
public sealed record RefundWorkInput(string CaseId, RefundApplication Application, RefundCheck Check);

/// <summary>
/// The refund case as a durable workflow: a thin adapter from runtime events to the domain's
/// <see cref="RefundProcess"/>, and from its next work to runtime commands. Every step republishes the
/// case view as the custom status (what <c>GET /api/refunds/{id}</c> shows).
/// </summary>
public sealed class RefundCaseWorkflow : IWorkflowDefinition<RefundCase>
{
    public const string Name = "RefundCase";
    public const string CheckActivity = "CheckRefund";
    public const string IssueActivity = "IssueRefund";
    public const string CorrectActivity = "CorrectEnrolment";

    // Storage hiccups are retried; a rule violation (e.g. more refunded than paid) fails the case after them.
    private static readonly RetryPolicy Retry = new(5, TimeSpan.FromSeconds(5));

    public static string ReminderTimerId(RefundStage stage) => "reminder-" + RefundProcess.StageCode(stage);

    public WorkflowStep<RefundCase> Handle(RefundCase state, WorkflowEvent workflowEvent, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(state);
        switch (workflowEvent)
        {
            case WorkflowEvent.Started started:
                var input = started.InputAs<RefundCaseInput>() ?? throw new InvalidOperationException("A refund case needs its input.");
                return Next(state, RefundProcess.Open(input.CaseId, input.Application, now, input.OpenedBy), now);

            case WorkflowEvent.ActivityCompleted { ActivityId: "check" } completed when state.Stage == RefundStage.Checking:
                var result = completed.ResultAs<RefundCheckResult>() ?? throw new InvalidOperationException("The check gave no result.");
                return Next(state, RefundProcess.Checked(state, result.Check, result.ReminderDays, now), now);

            case WorkflowEvent.ActivityCompleted { ActivityId: "issue" } issued when state.Stage == RefundStage.Issuing:
                return Next(state, RefundProcess.Issued(state, issued.ResultAs<string>(), now), now);

            case WorkflowEvent.ActivityCompleted { ActivityId: "correct" } corrected when state.Stage == RefundStage.CorrectingEnrolment:
                return Next(state, RefundProcess.Corrected(state, corrected.ResultAs<string>(), now), now);

            case WorkflowEvent.ActivityFailed failed:
                return Next(state, RefundProcess.Fail(state, $"{failed.ActivityId}: {failed.Error}", now), now);

            case WorkflowEvent.EventRaised raised:
                var (next, accepted) = RefundProcess.Raise(state, raised.Name, raised.Actor, raised.PayloadAs<RefundEventPayload>()?.Comment, now);
                return accepted == RefundEventResult.Accepted ? Next(state, next, now) : WorkflowStep<RefundCase>.Of(state);

            case WorkflowEvent.TimerFired fired:
                var stage = Enum.GetValues<RefundStage>().FirstOrDefault(s => ReminderTimerId(s) == fired.TimerId, RefundStage.Failed);
                var reminded = RefundProcess.Remind(state, stage, now);
                return WorkflowStep<RefundCase>.Of(reminded, WorkflowCommand.Status(RefundCaseView.From(reminded)));

            case WorkflowEvent.Terminated terminated:
                var ended = RefundProcess.Fail(state, "terminated: " + terminated.Reason, now);
                return WorkflowStep<RefundCase>.Of(ended, WorkflowCommand.Status(RefundCaseView.From(ended)));

            default:
                return WorkflowStep<RefundCase>.Of(state);
        }
    }

    /// <summary>The commands that take the case from <paramref name="before"/> to what <paramref name="after"/> needs next.</summary>
    private static WorkflowStep<RefundCase> Next(RefundCase before, RefundCase after, DateTimeOffset now)
    {
        var commands = new List<WorkflowCommand>();
        var waitWasOpen = RefundProcess.NextWork(before) == RefundWork.Wait;
        if (waitWasOpen && before.Stage != after.Stage)
        {
            commands.Add(WorkflowCommand.Cancel(ReminderTimerId(before.Stage)));
        }

        commands.Add(WorkflowCommand.Status(RefundCaseView.From(after)));
        switch (RefundProcess.NextWork(after))
        {
            case RefundWork.Check:
                commands.Add(WorkflowCommand.Activity("check", CheckActivity, new RefundCaseInput(after.Id, after.Application, ""), Retry));
                break;
            case RefundWork.Issue:
                commands.Add(WorkflowCommand.Activity("issue", IssueActivity, new RefundWorkInput(after.Id, after.Application, after.Check!), Retry));
                break;
            case RefundWork.Correct:
                commands.Add(WorkflowCommand.Activity("correct", CorrectActivity, new RefundWorkInput(after.Id, after.Application, after.Check!), Retry));
                break;
            case RefundWork.Wait when before.Stage != after.Stage:
                foreach (var eventName in RefundProcess.Awaiting(after.Stage))
                {
                    commands.Add(WorkflowCommand.Wait(eventName));
                }

                commands.Add(WorkflowCommand.Timer(ReminderTimerId(after.Stage), RefundProcess.ReminderAt(after) ?? now));
                break;
            case RefundWork.None when after.Stage == RefundStage.Failed:
                commands.Add(WorkflowCommand.Failure(after.History.Count > 0 ? after.History[^1].Comment ?? "failed" : "failed"));
                break;
            case RefundWork.None:
                commands.Add(WorkflowCommand.Done(RefundCaseView.From(after)));
                break;
        }

        return WorkflowStep<RefundCase>.Of(after, [.. commands]);
    }
}

/// <summary>The body of an event sent to a case.</summary>
public sealed record RefundEventPayload(string? Comment);
