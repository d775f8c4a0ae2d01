using Collection.Domain.Codes;
using Collection.Domain.Refunds;

namespace Collection.Domain.Tests.Refunds;

public class RefundProcessTests
{
    private static readonly DateTimeOffset T0 = new(2021, 12, 1, 9, 0, 0, TimeSpan.FromHours(8));

    private static RefundCase Opened() =>
        RefundProcess.Open("case-1", new RefundApplication { Policy = "bagongshan-2022", IdNumber = "X", Reason = RefundReason.Deceased }, T0, "staff-key");

    private static RefundCheck Passed(RefundChannel channel, bool cancels = true) =>
        new() { Amount = 320, ToPerson = 320, Channel = channel, CancelsEnrolment = cancels };

    [Fact]
    public void Open_NewCase_IsCheckingWithHistory()
    {
        var c = Opened();

        Assert.Equal(RefundStage.Checking, c.Stage);
        Assert.Equal(RefundWork.Check, RefundProcess.NextWork(c));
        Assert.Equal("opened", Assert.Single(c.History).Event);
    }

    [Fact]
    public void Checked_Failed_EndsRejectedWithCode()
    {
        var c = RefundProcess.Checked(Opened(), RefundCheck.Rejected(RefundCodes.DeadlinePassed), 5, T0);

        Assert.Equal(RefundStage.Rejected, c.Stage);
        Assert.Equal("rejected", c.Outcome);
        Assert.Equal(RefundCodes.DeadlinePassed, c.OutcomeCode);
        Assert.Equal(RefundWork.None, RefundProcess.NextWork(c));
    }

    [Fact]
    public void WeChatScan_Passed_IssuesThenCorrectsThenDone()
    {
        var c = RefundProcess.Checked(Opened(), Passed(RefundChannel.WeChatScan), 5, T0);
        Assert.Equal(RefundWork.Issue, RefundProcess.NextWork(c));

        c = RefundProcess.Issued(c, "ref-1", T0);
        Assert.Equal(RefundWork.Correct, RefundProcess.NextWork(c));

        c = RefundProcess.Corrected(c, "cancelled", T0);
        Assert.Equal(RefundStage.Done, c.Stage);
        Assert.Equal("done", c.Outcome);
    }

    [Fact]
    public void Online_Approve_IssuesAndRecordsActorAndComment()
    {
        var c = RefundProcess.Checked(Opened(), Passed(RefundChannel.Online), 5, T0);
        Assert.Equal([RefundEvents.Approve, RefundEvents.Reject], RefundProcess.Awaiting(c.Stage));
        Assert.Equal(T0, c.WaitingSince);

        var (next, result) = RefundProcess.Raise(c, RefundEvents.Approve, "bureau-key", "ok", T0.AddHours(1));

        Assert.Equal(RefundEventResult.Accepted, result);
        Assert.Equal(RefundStage.Issuing, next.Stage);
        var entry = next.History[^1];
        Assert.Equal(("approve", "bureau-key", "ok"), (entry.Event, entry.Actor, entry.Comment));
    }

    [Fact]
    public void Online_Reject_EndsRejectedByBureau()
    {
        var c = RefundProcess.Checked(Opened(), Passed(RefundChannel.Online), 5, T0);

        var (next, _) = RefundProcess.Raise(c, RefundEvents.Reject, "bureau-key", "no proof", T0);

        Assert.Equal(RefundStage.Rejected, next.Stage);
        Assert.Equal(RefundCodes.RejectedByBureau, next.OutcomeCode);
    }

    [Fact]
    public void CashNotInTreasury_CashReturned_CorrectsWithoutIssuing()
    {
        var c = RefundProcess.Checked(Opened(), Passed(RefundChannel.CashNotInTreasury), 5, T0);
        Assert.Equal(RefundStage.AwaitingCashReturn, c.Stage);

        var (next, _) = RefundProcess.Raise(c, RefundEvents.CashReturned, "community-key", null, T0);

        Assert.Equal(RefundWork.Correct, RefundProcess.NextWork(next));
        Assert.DoesNotContain(next.History, h => h.Event == "refund-issued");
    }

    [Fact]
    public void CashInTreasury_TaxAcceptedThenApprove_Issues()
    {
        var c = RefundProcess.Checked(Opened(), Passed(RefundChannel.CashInTreasury), 5, T0);
        Assert.Equal(RefundStage.AwaitingTaxAcceptance, c.Stage);

        var (approvedTooEarly, early) = RefundProcess.Raise(c, RefundEvents.Approve, "bureau-key", null, T0);
        Assert.Equal(RefundEventResult.NotAwaited, early);
        Assert.Same(c, approvedTooEarly);

        c = RefundProcess.Raise(c, RefundEvents.TaxAccepted, "tax-key", null, T0.AddDays(1)).Case;
        Assert.Equal(RefundStage.AwaitingApproval, c.Stage);
        Assert.Equal(T0.AddDays(1), c.WaitingSince);

        c = RefundProcess.Raise(c, RefundEvents.Approve, "bureau-key", null, T0.AddDays(2)).Case;
        Assert.Equal(RefundStage.Issuing, c.Stage);
    }

    [Fact]
    public void Remind_CurrentWait_MarksOverdueAndKeepsWaiting()
    {
        var c = RefundProcess.Checked(Opened(), Passed(RefundChannel.Online), 7, T0);
        Assert.Equal(T0.AddDays(7), RefundProcess.ReminderAt(c));

        c = RefundProcess.Remind(c, RefundStage.AwaitingApproval, T0.AddDays(7));

        Assert.True(c.Overdue);
        Assert.Equal(RefundStage.AwaitingApproval, c.Stage);
        Assert.Equal(RefundWork.Wait, RefundProcess.NextWork(c));
    }

    [Fact]
    public void Remind_StaleStage_ChangesNothing()
    {
        var c = RefundProcess.Checked(Opened(), Passed(RefundChannel.CashInTreasury), 5, T0);
        c = RefundProcess.Raise(c, RefundEvents.TaxAccepted, "tax-key", null, T0).Case;

        var reminded = RefundProcess.Remind(c, RefundStage.AwaitingTaxAcceptance, T0.AddDays(5));

        Assert.False(reminded.Overdue);
    }

    [Fact]
    public void NextStage_AfterOverdue_ClearsOverdue()
    {
        var c = RefundProcess.Checked(Opened(), Passed(RefundChannel.CashInTreasury), 5, T0);
        c = RefundProcess.Remind(c, RefundStage.AwaitingTaxAcceptance, T0.AddDays(5));

        c = RefundProcess.Raise(c, RefundEvents.TaxAccepted, "tax-key", null, T0.AddDays(6)).Case;

        Assert.False(c.Overdue);
    }

    [Theory]
    [InlineData("approve", "approver")]
    [InlineData("reject", "approver")]
    [InlineData("tax-accepted", "tax")]
    [InlineData("cash-returned", "community")]
    [InlineData("pay-me", null)]
    public void RoleFor_Event_GivesRole(string eventName, string? role)
    {
        Assert.Equal(role, RefundEvents.RoleFor(eventName));
    }

    [Fact]
    public void Issued_WrongStage_Throws()
    {
        Assert.Throws<InvalidOperationException>(() => RefundProcess.Issued(Opened(), null, T0));
    }

    [Fact]
    public void Fail_RunningCase_EndsFailed()
    {
        var c = RefundProcess.Fail(Opened(), "ledger down", T0);

        Assert.Equal(RefundStage.Failed, c.Stage);
        Assert.True(c.IsOver);
    }

    [Fact]
    public void TryParseStage_Code_RoundTrips()
    {
        foreach (var stage in Enum.GetValues<RefundStage>())
        {
            Assert.True(RefundProcess.TryParseStage(RefundProcess.StageCode(stage), out var parsed));
            Assert.Equal(stage, parsed);
        }
    }
}
