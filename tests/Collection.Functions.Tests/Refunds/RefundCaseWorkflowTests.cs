using System.Text.Json;
using Collection.Domain.Codes;
using Collection.Domain.Refunds;
using Collection.Functions.Refunds;
using Collection.Runtime.Workflows;

namespace Collection.Functions.Tests.Refunds;

public class RefundCaseWorkflowTests
{
    private static readonly DateTimeOffset T0 = new(2021, 12, 1, 1, 0, 0, TimeSpan.Zero);

    private static WorkflowTestDriver<RefundCaseWorkflow, RefundCase> Started(RefundReason reason = RefundReason.Deceased)
    {
        var driver = new WorkflowTestDriver<RefundCaseWorkflow, RefundCase>(new RefundCaseWorkflow(), RefundCaseWorkflow.Name);
        var application = new RefundApplication { Policy = "bagongshan-2022", IdNumber = "340405199001011234", Reason = reason };
        driver.Start(new RefundCaseInput("refund-1", application, "staff"), T0, "staff");
        return driver;
    }

    private static RefundCheckResult Passed(RefundChannel channel, bool cancels = true, int reminderDays = 5) =>
        new(new RefundCheck { Amount = 320, ToPerson = 320, Channel = channel, CancelsEnrolment = cancels }, reminderDays);

    private static RefundCaseView View(WorkflowTestDriver<RefundCaseWorkflow, RefundCase> driver) =>
        driver.CustomStatus!.Value.Deserialize<RefundCaseView>(WorkflowJson.Options)!;

    [Fact]
    public void Start_RunsCheckActivityAndShowsChecking()
    {
        var driver = Started();

        Assert.Equal(["check"], driver.PendingActivities);
        Assert.Equal("checking", View(driver).Stage);
        Assert.Equal("340405********1234", View(driver).IdNumber);
    }

    [Fact]
    public void CheckRejected_CompletesRejectedWithCode()
    {
        var driver = Started();

        driver.CompleteActivity("check", new RefundCheckResult(RefundCheck.Rejected(RefundCodes.DeadlinePassed), 5), T0);

        Assert.Equal(WorkflowRuntimeStatus.Completed, driver.Status);
        var view = driver.Output!.Value.Deserialize<RefundCaseView>(WorkflowJson.Options)!;
        Assert.Equal(("rejected", RefundCodes.DeadlinePassed), (view.Outcome, view.OutcomeCode));
    }

    [Fact]
    public void WeChatScan_IssueThenCorrect_Completes()
    {
        var driver = Started();
        driver.CompleteActivity("check", Passed(RefundChannel.WeChatScan, cancels: false), T0);
        Assert.Equal(["issue"], driver.PendingActivities);

        driver.CompleteActivity("issue", "refund-refund-1: 320.00", T0);
        Assert.Equal(["correct"], driver.PendingActivities);

        driver.CompleteActivity("correct", "320.00 refunded; enrolment stays", T0);
        Assert.Equal(WorkflowRuntimeStatus.Completed, driver.Status);
        Assert.Equal("done", View(driver).Outcome);
        Assert.Contains(View(driver).History, h => h.Event == "refund-issued");
    }

    [Fact]
    public void Online_WaitsForApproveOrRejectWithReminder()
    {
        var driver = Started();

        driver.CompleteActivity("check", Passed(RefundChannel.Online, reminderDays: 5), T0);

        Assert.Equal(["approve", "reject"], driver.WaitingFor.Order());
        Assert.Equal(T0.AddDays(5), driver.PendingTimers["reminder-awaiting-approval"]);
        Assert.Equal(["approve", "reject"], View(driver).WaitingFor);
    }

    [Fact]
    public void Online_Approve_CancelsReminderAndIssues()
    {
        var driver = Started();
        driver.CompleteActivity("check", Passed(RefundChannel.Online), T0);

        driver.Raise("approve", new RefundEventPayload("documents ok"), T0.AddHours(2), "approver");

        Assert.Empty(driver.PendingTimers);
        Assert.Equal(["issue"], driver.PendingActivities);
        var entry = View(driver).History.Single(h => h.Event == "approve");
        Assert.Equal(("approver", "documents ok"), (entry.Actor, entry.Comment));
    }

    [Fact]
    public void Online_Reject_CompletesRejectedByBureau()
    {
        var driver = Started();
        driver.CompleteActivity("check", Passed(RefundChannel.Online), T0);

        driver.Raise("reject", new RefundEventPayload("no proof"), T0, "approver");

        Assert.Equal(WorkflowRuntimeStatus.Completed, driver.Status);
        Assert.Equal(RefundCodes.RejectedByBureau, View(driver).OutcomeCode);
    }

    [Fact]
    public void ReminderFires_CaseOverdueAndStillWaiting()
    {
        var driver = Started();
        driver.CompleteActivity("check", Passed(RefundChannel.CashNotInTreasury), T0);

        driver.FireTimer("reminder-awaiting-cash-return", T0.AddDays(5));

        Assert.Equal(WorkflowRuntimeStatus.Running, driver.Status);
        Assert.True(View(driver).Overdue);
        Assert.Equal(["cash-returned"], driver.WaitingFor);
    }

    [Fact]
    public void CashNotInTreasury_CashReturned_CorrectsWithoutIssuing()
    {
        var driver = Started();
        driver.CompleteActivity("check", Passed(RefundChannel.CashNotInTreasury), T0);

        driver.Raise("cash-returned", new RefundEventPayload(null), T0, "community");

        Assert.Equal(["correct"], driver.PendingActivities);
        driver.CompleteActivity("correct", "320.00 refunded; enrolment cancelled", T0);
        Assert.Equal(WorkflowRuntimeStatus.Completed, driver.Status);
    }

    [Fact]
    public void CashInTreasury_TaxAcceptedThenApprove_IssuesAndCorrects()
    {
        var driver = Started(RefundReason.JoinedEmployeeInsurance);
        driver.CompleteActivity("check", Passed(RefundChannel.CashInTreasury), T0);
        Assert.Equal(["tax-accepted"], driver.WaitingFor);

        driver.Raise("tax-accepted", new RefundEventPayload(null), T0.AddDays(1), "tax");
        Assert.Equal("awaiting-approval", View(driver).Stage);
        Assert.Equal(T0.AddDays(6), driver.PendingTimers["reminder-awaiting-approval"]);
        Assert.False(driver.PendingTimers.ContainsKey("reminder-awaiting-tax-acceptance"));

        driver.Raise("approve", new RefundEventPayload(null), T0.AddDays(2), "approver");
        driver.CompleteActivity("issue", "ref", T0.AddDays(2));
        driver.CompleteActivity("correct", "cancelled", T0.AddDays(2));
        Assert.Equal(WorkflowRuntimeStatus.Completed, driver.Status);
        Assert.Equal(["opened", "checked", "tax-accepted", "approve", "refund-issued", "enrolment-corrected"], View(driver).History.Select(h => h.Event));
    }

    [Fact]
    public void ActivityFailed_FailsCaseWithError()
    {
        var driver = Started();
        driver.CompleteActivity("check", Passed(RefundChannel.WeChatScan), T0);

        driver.FailActivity("issue", "would refund more than paid", T0);

        Assert.Equal(WorkflowRuntimeStatus.Failed, driver.Status);
        Assert.Equal("failed", View(driver).Stage);
        Assert.Contains("more than paid", driver.Error, StringComparison.Ordinal);
    }
}
