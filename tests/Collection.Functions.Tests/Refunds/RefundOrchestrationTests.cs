using Collection.Domain.Codes;
using Collection.Domain.Refunds;
using Collection.Functions.Refunds;

namespace Collection.Functions.Tests.Refunds;

/// <summary>
/// The refund orchestrator on a scripted context (no storage, no host): every path of a case, the reminder's
/// durable timer (fired by the test, so five days pass at once), and what the case shows as custom status.
/// </summary>
public class RefundOrchestrationTests
{
    private static readonly DateTimeOffset T0 = new(2021, 12, 1, 1, 0, 0, TimeSpan.Zero);
    private static readonly RefundApplication Deceased = new() { Policy = "bagongshan-2022", IdNumber = "340405199001011234", Reason = RefundReason.Deceased, EventDate = new DateOnly(2021, 11, 2) };

    private static (ScriptedOrchestrationContext Context, Task<RefundCaseView> Run) Started(RefundApplication? application = null)
    {
        var context = new ScriptedOrchestrationContext(RefundOrchestration.Name, "refund-1", new RefundCaseInput("refund-1", application ?? Deceased, "staff"), T0);
        return (context, ScriptedOrchestrationContext.Start(() => RefundOrchestration.Run(context)));
    }

    private static RefundCheckResult Passed(RefundChannel channel, bool cancels = true, int reminderDays = 5) =>
        new(new RefundCheck { Amount = 320, ToPerson = 320, Channel = channel, CancelsEnrolment = cancels }, reminderDays);

    private static RefundEventMessage Event(string name, string actor, string? comment = null) => new(name, actor, comment);

    private static RefundCaseView View(ScriptedOrchestrationContext context) => context.CustomStatus<RefundCaseView>()!;

    [Fact]
    public void Start_RunsCheckActivityAndShowsChecking()
    {
        var (context, run) = Started();

        Assert.False(run.IsCompleted);
        Assert.Equal([RefundOrchestration.CheckActivity], context.PendingActivities);
        var check = context.Activities[0];
        var input = check.Input<RefundCaseInput>();
        Assert.Equal(("refund-1", "340405199001011234", RefundReason.Deceased), (input.CaseId, input.Application.IdNumber, input.Application.Reason));
        Assert.Equal(5, check.Options?.Retry?.Policy?.MaxNumberOfAttempts);
        var view = View(context);
        Assert.Equal(("refund-1", "checking", "deceased"), (view.Id, view.Stage, view.Reason));
        Assert.Equal("340405********1234", view.IdNumber);
        Assert.Equal(["opened"], view.History.Select(h => h.Event));
        Assert.Equal(("staff", T0), (view.History[0].Actor, view.History[0].Time));
        Assert.Empty(view.WaitingFor);
        Assert.Null(view.RemindAt);
    }

    [Fact]
    public async Task CheckRejected_CompletesRejectedWithCode()
    {
        var (context, run) = Started();

        context.CompleteActivity(RefundOrchestration.CheckActivity, new RefundCheckResult(RefundCheck.Rejected(RefundCodes.DeadlinePassed), 5));

        Assert.True(run.IsCompletedSuccessfully);
        var view = await run;
        Assert.Equal(("rejected", "rejected", RefundCodes.DeadlinePassed), (view.Stage, view.Outcome, view.OutcomeCode));
        Assert.Equal(view.Outcome, View(context).Outcome);
        Assert.Empty(context.PendingActivities);
        Assert.Empty(context.Timers);
    }

    [Fact]
    public async Task WeChatScan_IssueThenCorrect_Completes()
    {
        var (context, run) = Started();
        context.CompleteActivity(RefundOrchestration.CheckActivity, Passed(RefundChannel.WeChatScan, cancels: false));
        Assert.Equal([RefundOrchestration.IssueActivity], context.PendingActivities);
        Assert.Equal("issuing", View(context).Stage);
        var issue = context.Activities[^1].Input<RefundWorkInput>();
        Assert.Equal(("refund-1", 320m, RefundChannel.WeChatScan), (issue.CaseId, issue.Check.Amount, issue.Check.Channel));
        Assert.Equal(5, context.Activities[^1].Options?.Retry?.Policy?.MaxNumberOfAttempts);

        context.CompleteActivity(RefundOrchestration.IssueActivity, "refund-refund-1: 320.00");
        Assert.Equal([RefundOrchestration.CorrectActivity], context.PendingActivities);
        Assert.Equal("correcting-enrolment", View(context).Stage);
        Assert.Equal(("refund-1", false), (context.Activities[^1].Input<RefundWorkInput>().CaseId, context.Activities[^1].Input<RefundWorkInput>().Check.CancelsEnrolment));

        context.CompleteActivity(RefundOrchestration.CorrectActivity, "320.00 refunded; enrolment stays");
        Assert.True(run.IsCompletedSuccessfully);
        var done = await run;
        Assert.Equal(("done", "done", "wechat-scan", 320m), (done.Stage, done.Outcome, done.Channel, done.Amount));
        Assert.Equal("refund-refund-1: 320.00", done.History.Single(h => h.Event == "refund-issued").Comment);
        Assert.Equal("320.00 refunded; enrolment stays", done.History[^1].Comment);
        Assert.Equal("done", View(context).Stage);
        Assert.Empty(context.Timers);
    }

    [Fact]
    public void Online_WaitsForApproveOrRejectWithReminder()
    {
        var (context, run) = Started();

        context.CompleteActivity(RefundOrchestration.CheckActivity, Passed(RefundChannel.Online, reminderDays: 5), T0.AddMinutes(1));

        Assert.False(run.IsCompleted);
        Assert.Equal([RefundOrchestration.EventName], context.Waiting);
        Assert.Equal([T0.AddMinutes(1).AddDays(5).UtcDateTime], context.PendingTimers);
        var view = View(context);
        Assert.Equal(("awaiting-approval", "online", false), (view.Stage, view.Channel, view.Overdue));
        Assert.Equal(["approve", "reject"], view.WaitingFor);
        Assert.Equal(T0.AddMinutes(1), view.WaitingSince);
        Assert.Equal(T0.AddMinutes(1).AddDays(5), view.RemindAt);
    }

    [Fact]
    public void Check_PolicyReminderDays_SetTheTimer()
    {
        var (context, _) = Started();

        context.CompleteActivity(RefundOrchestration.CheckActivity, Passed(RefundChannel.Online, reminderDays: 3));

        Assert.Equal([T0.AddDays(3).UtcDateTime], context.PendingTimers);
        Assert.Equal(T0.AddDays(3), View(context).RemindAt);
    }

    [Fact]
    public void Online_Approve_CancelsReminderAndIssues()
    {
        var (context, _) = Started();
        context.CompleteActivity(RefundOrchestration.CheckActivity, Passed(RefundChannel.Online));

        context.Raise(RefundOrchestration.EventName, Event("approve", "approver", "documents ok"), T0.AddHours(2));

        Assert.Empty(context.PendingTimers);
        Assert.True(context.Timers[0].Cancelled);
        Assert.Empty(context.Waiting);
        Assert.Equal([RefundOrchestration.IssueActivity], context.PendingActivities);
        var view = View(context);
        Assert.Equal(("issuing", null), (view.Stage, view.RemindAt));
        var entry = view.History.Single(h => h.Event == "approve");
        Assert.Equal(("approver", "documents ok", T0.AddHours(2)), (entry.Actor, entry.Comment, entry.Time));
    }

    [Fact]
    public async Task Online_Reject_CompletesRejectedByBureau()
    {
        var (context, run) = Started();
        context.CompleteActivity(RefundOrchestration.CheckActivity, Passed(RefundChannel.Online));

        context.Raise(RefundOrchestration.EventName, Event("reject", "approver", "no proof"));

        Assert.True(run.IsCompletedSuccessfully);
        var view = await run;
        Assert.Equal(("rejected", RefundCodes.RejectedByBureau), (view.Outcome, view.OutcomeCode));
        Assert.Equal(RefundCodes.RejectedByBureau, View(context).OutcomeCode);
        Assert.Equal(("reject", "approver", "no proof"), (view.History[^1].Event, view.History[^1].Actor, view.History[^1].Comment));
        Assert.Equal([RefundOrchestration.CheckActivity], context.Activities.Select(a => a.Name));
        Assert.Empty(context.PendingTimers);
    }

    [Fact]
    public void ReminderFires_CaseOverdueAndStillWaiting()
    {
        var (context, run) = Started();
        context.CompleteActivity(RefundOrchestration.CheckActivity, Passed(RefundChannel.CashNotInTreasury));

        context.FireTimer();

        Assert.False(run.IsCompleted);
        Assert.Equal(T0.AddDays(5).UtcDateTime, context.CurrentUtcDateTime);
        var view = View(context);
        Assert.True(view.Overdue);
        Assert.Equal("awaiting-cash-return", view.Stage);
        Assert.Equal(["cash-returned"], view.WaitingFor);
        var overdue = view.History[^1];
        Assert.Equal(("overdue", "system", T0.AddDays(5)), (overdue.Event, overdue.Actor, overdue.Time));
        Assert.Equal([RefundOrchestration.EventName], context.Waiting);
        // Once per stage: no second reminder for the same wait.
        Assert.Empty(context.PendingTimers);
        Assert.Single(context.Timers);
    }

    [Fact]
    public async Task Reminder_FiveDaysWaiting_CaseOverdueAndStillApprovable()
    {
        // The HTTP suite cannot let five days of a durable timer pass; this is its reminder test.
        var (context, run) = Started();
        context.CompleteActivity(RefundOrchestration.CheckActivity, Passed(RefundChannel.Online, cancels: false));
        Assert.False(View(context).Overdue);

        context.FireTimer();
        Assert.Equal(("awaiting-approval", true), (View(context).Stage, View(context).Overdue));

        context.Raise(RefundOrchestration.EventName, Event("approve", "approver", "late"), T0.AddDays(6));
        var issuing = View(context);
        Assert.Equal(("issuing", false), (issuing.Stage, issuing.Overdue));
        context.CompleteActivity(RefundOrchestration.IssueActivity, "ref");
        context.CompleteActivity(RefundOrchestration.CorrectActivity, "320.00 refunded; enrolment stays");

        var done = await run;
        Assert.Equal("done", done.Outcome);
        Assert.Equal(["opened", "checked", "overdue", "approve", "refund-issued", "enrolment-corrected"], done.History.Select(h => h.Event));
    }

    [Fact]
    public async Task CashNotInTreasury_CashReturned_CorrectsWithoutIssuing()
    {
        var (context, run) = Started();
        context.CompleteActivity(RefundOrchestration.CheckActivity, Passed(RefundChannel.CashNotInTreasury));
        Assert.Equal("awaiting-cash-return", View(context).Stage);

        context.Raise(RefundOrchestration.EventName, Event("cash-returned", "community"));

        Assert.Equal([RefundOrchestration.CorrectActivity], context.PendingActivities);
        Assert.Equal(RefundChannel.CashNotInTreasury, context.Activities[^1].Input<RefundWorkInput>().Check.Channel);
        context.CompleteActivity(RefundOrchestration.CorrectActivity, "320.00 refunded; enrolment cancelled");
        Assert.True(run.IsCompletedSuccessfully);
        var done = await run;
        Assert.Equal("done", done.Outcome);
        Assert.DoesNotContain(context.Activities, a => a.Name == RefundOrchestration.IssueActivity);
        Assert.DoesNotContain(done.History, h => h.Event == "refund-issued");
    }

    [Fact]
    public async Task CashInTreasury_TaxAcceptedThenApprove_IssuesAndCorrects()
    {
        var (context, run) = Started(Deceased with { Reason = RefundReason.JoinedEmployeeInsurance });
        context.CompleteActivity(RefundOrchestration.CheckActivity, Passed(RefundChannel.CashInTreasury));
        Assert.Equal(["tax-accepted"], View(context).WaitingFor);
        Assert.Equal([T0.AddDays(5).UtcDateTime], context.PendingTimers);

        // A stage change moves the reminder: the tax wait's timer is cancelled, the approval's runs from now.
        context.Raise(RefundOrchestration.EventName, Event("tax-accepted", "tax"), T0.AddDays(1));
        Assert.Equal("awaiting-approval", View(context).Stage);
        Assert.Equal(T0.AddDays(6), View(context).RemindAt);
        Assert.Equal([T0.AddDays(6).UtcDateTime], context.PendingTimers);
        Assert.True(context.Timers[0].Cancelled);

        context.Raise(RefundOrchestration.EventName, Event("approve", "approver"), T0.AddDays(2));
        context.CompleteActivity(RefundOrchestration.IssueActivity, "ref", T0.AddDays(2));
        context.CompleteActivity(RefundOrchestration.CorrectActivity, "cancelled", T0.AddDays(2));

        Assert.True(run.IsCompletedSuccessfully);
        var done = await run;
        Assert.Equal("done", done.Outcome);
        Assert.Equal(["opened", "checked", "tax-accepted", "approve", "refund-issued", "enrolment-corrected"], done.History.Select(h => h.Event));
        Assert.Equal(
            [RefundOrchestration.CheckActivity, RefundOrchestration.IssueActivity, RefundOrchestration.CorrectActivity],
            context.Activities.Select(a => a.Name));
        Assert.Empty(context.PendingTimers);
    }

    [Fact]
    public void EventTheStageDoesNotTake_IsWaitedPastAndTheReminderStays()
    {
        var (context, _) = Started(Deceased with { Reason = RefundReason.JoinedEmployeeInsurance });
        context.CompleteActivity(RefundOrchestration.CheckActivity, Passed(RefundChannel.CashInTreasury));
        var before = View(context);

        // Only a race past the API's 409 brings one here.
        context.Raise(RefundOrchestration.EventName, Event("approve", "approver", "too early"), T0.AddHours(1));

        var after = View(context);
        Assert.Equal(("awaiting-tax-acceptance", before.History.Count), (after.Stage, after.History.Count));
        Assert.Equal([RefundOrchestration.EventName], context.Waiting);
        Assert.Equal([T0.AddDays(5).UtcDateTime], context.PendingTimers);
        context.Raise(RefundOrchestration.EventName, Event("tax-accepted", "tax"), T0.AddHours(2));
        Assert.Equal("awaiting-approval", View(context).Stage);
    }

    [Fact]
    public void SameEventTwice_SecondIsNotTakenByTheNextStage()
    {
        var (context, _) = Started(Deceased with { Reason = RefundReason.JoinedEmployeeInsurance });
        context.CompleteActivity(RefundOrchestration.CheckActivity, Passed(RefundChannel.CashInTreasury));

        // Two clicks on tax-accepted before the case moved on: one waiter, so the second is read by the approval
        // wait, which does not take it and keeps waiting for approve or reject.
        context.Raise(RefundOrchestration.EventName, Event("tax-accepted", "tax"));
        context.Raise(RefundOrchestration.EventName, Event("tax-accepted", "tax"));

        var view = View(context);
        Assert.Equal(("awaiting-approval", 1), (view.Stage, view.History.Count(h => h.Event == "tax-accepted")));
        Assert.Equal([RefundOrchestration.EventName], context.Waiting);
        context.Raise(RefundOrchestration.EventName, Event("approve", "approver"));
        Assert.Equal([RefundOrchestration.IssueActivity], context.PendingActivities);
    }

    [Fact]
    public async Task ActivityFailed_FailsCaseWithError()
    {
        var (context, run) = Started();
        context.CompleteActivity(RefundOrchestration.CheckActivity, Passed(RefundChannel.WeChatScan));

        context.FailActivity(RefundOrchestration.IssueActivity, typeof(RefundLimitException).FullName!, "Refunding 320.00 for refund-1 would make 640.00 refunded of 320.00 paid.");

        Assert.True(run.IsFaulted);
        var failure = await Assert.ThrowsAsync<RefundCaseFailedException>(() => run);
        Assert.Equal("IssueRefund: Refunding 320.00 for refund-1 would make 640.00 refunded of 320.00 paid.", failure.Message);
        var view = View(context);
        Assert.Equal(("failed", "failed", "activity-failed"), (view.Stage, view.Outcome, view.OutcomeCode));
        Assert.Equal("failed", view.History[^1].Event);
        Assert.Contains("640.00 refunded of 320.00 paid", view.History[^1].Comment, StringComparison.Ordinal);
        Assert.Empty(context.PendingActivities);
        Assert.DoesNotContain(context.Activities, a => a.Name == RefundOrchestration.CorrectActivity);
    }

    [Fact]
    public async Task CheckFailed_FailsCaseBeforeAnyWait()
    {
        var (context, run) = Started();

        context.FailActivity(RefundOrchestration.CheckActivity, "Azure.RequestFailedException", "table unreachable");

        var failure = await Assert.ThrowsAsync<RefundCaseFailedException>(() => run);
        Assert.Equal("CheckRefund: table unreachable", failure.Message);
        Assert.Equal("failed", View(context).Stage);
        Assert.Empty(context.Timers);
    }
}
