using Collection.Domain.Refunds;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;

namespace Collection.Functions.Refunds;

/// <summary>What a refund case starts with.</summary>
public sealed record RefundCaseInput(string CaseId, RefundApplication Application, string OpenedBy);

/// <summary>What the check activity answers: the checks' outcome and the policy's reminder days.</summary>
public sealed record RefundCheckResult(RefundCheck Check, int ReminderDays);

/// <summary>What the issue and correct activities are given.</summary>
public sealed record RefundWorkInput(string CaseId, RefundApplication Application, RefundCheck Check);

/// <summary>
/// A hand-off sent to a case (approve, reject, tax-accepted, cash-returned) with who sent it. Every hand-off
/// travels as one external event, <see cref="RefundOrchestration.EventName"/>, so the orchestration keeps a
/// single waiter: a waiter per name would be left behind when another name wins, and would swallow the
/// next event of its name.
/// </summary>
public sealed record RefundEventMessage(string Name, string Actor, string? Comment);

/// <summary>
/// The refund case as a Durable Functions orchestration, thin over the domain's <see cref="RefundProcess"/>:
/// it asks the process for the next work (check, issue, correct, wait), runs it as an activity or waits for
/// a hand-off raced against the reminder's durable timer, and publishes the case view as custom status after
/// every step (what <c>GET /api/refunds/{id}</c> shows). A failed case ends the orchestration as Failed.
/// </summary>
public static class RefundOrchestration
{
    public const string Name = "RefundCase";
    public const string CheckActivity = "CheckRefund";
    public const string IssueActivity = "IssueRefund";
    public const string CorrectActivity = "CorrectEnrolment";
    public const string EventName = "refund-event";

    // Storage hiccups are retried; a rule violation (e.g. more refunded than paid) fails the case after them.
    private static readonly TaskOptions Retry = TaskOptions.FromRetryPolicy(new RetryPolicy(5, TimeSpan.FromSeconds(5)));

    [Function(Name)]
    public static async Task<RefundCaseView> Run([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var input = context.GetInput<RefundCaseInput>() ?? throw new InvalidOperationException("A refund case needs its input.");
        var state = RefundProcess.Open(input.CaseId, input.Application, Now(context), input.OpenedBy);
        while (true)
        {
            context.SetCustomStatus(RefundCaseView.From(state));
            switch (RefundProcess.NextWork(state))
            {
                case RefundWork.Check:
                    state = await StepAsync(context, state, CheckActivity, async () =>
                    {
                        var result = await context.CallActivityAsync<RefundCheckResult>(CheckActivity, new RefundCaseInput(state.Id, state.Application, ""), Retry);
                        return RefundProcess.Checked(state, result.Check, result.ReminderDays, Now(context));
                    });
                    break;
                case RefundWork.Issue:
                    state = await StepAsync(context, state, IssueActivity, async () =>
                        RefundProcess.Issued(state, await context.CallActivityAsync<string>(IssueActivity, Work(state), Retry), Now(context)));
                    break;
                case RefundWork.Correct:
                    state = await StepAsync(context, state, CorrectActivity, async () =>
                        RefundProcess.Corrected(state, await context.CallActivityAsync<string>(CorrectActivity, Work(state), Retry), Now(context)));
                    break;
                case RefundWork.Wait:
                    state = await WaitAsync(context, state);
                    break;
                default:
                    var view = RefundCaseView.From(state);
                    context.SetCustomStatus(view);
                    if (state.Stage == RefundStage.Failed)
                    {
                        throw new RefundCaseFailedException(state.History.Count > 0 ? state.History[^1].Comment ?? "failed" : "failed");
                    }

                    return view;
            }
        }
    }

    /// <summary>Runs one activity step; its final failure (after the retries) fails the case with the reason.</summary>
    private static async Task<RefundCase> StepAsync(TaskOrchestrationContext context, RefundCase state, string activity, Func<Task<RefundCase>> step)
    {
        try
        {
            return await step();
        }
        catch (TaskFailedException e)
        {
            return RefundProcess.Fail(state, $"{activity}: {e.FailureDetails.ErrorMessage}", Now(context));
        }
    }

    /// <summary>
    /// Waits in the current stage for a hand-off it accepts; the first time the reminder's day comes first,
    /// the case is marked overdue and waits on. A hand-off the stage does not take is recorded nowhere and
    /// waited past (the API refuses those before sending, so only a race brings one here).
    /// </summary>
    private static async Task<RefundCase> WaitAsync(TaskOrchestrationContext context, RefundCase state)
    {
        var handOff = context.WaitForExternalEvent<RefundEventMessage>(EventName);
        while (true)
        {
            if (!state.Overdue && RefundProcess.ReminderAt(state) is { } remindAt)
            {
                using var reminder = new CancellationTokenSource();
                var timer = context.CreateTimer(remindAt.UtcDateTime, reminder.Token);
                if (await Task.WhenAny(handOff, timer) == timer)
                {
                    state = RefundProcess.Remind(state, state.Stage, Now(context));
                    context.SetCustomStatus(RefundCaseView.From(state));
                    continue;
                }

                reminder.Cancel(); // not CancelAsync: an orchestrator awaits durable tasks only
            }

            var message = await handOff;
            var (next, result) = RefundProcess.Raise(state, message.Name, message.Actor, message.Comment, Now(context));
            if (result == RefundEventResult.Accepted)
            {
                return next;
            }

            handOff = context.WaitForExternalEvent<RefundEventMessage>(EventName);
        }
    }

    private static RefundWorkInput Work(RefundCase state) => new(state.Id, state.Application, state.Check!);

    private static DateTimeOffset Now(TaskOrchestrationContext context) => new(context.CurrentUtcDateTime, TimeSpan.Zero);
}

/// <summary>Ends a refund case's orchestration as Failed, with the case's own reason as the failure message.</summary>
public sealed class RefundCaseFailedException : Exception
{
    public RefundCaseFailedException(string message)
        : base(message)
    {
    }

    public RefundCaseFailedException()
    {
    }

    public RefundCaseFailedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
