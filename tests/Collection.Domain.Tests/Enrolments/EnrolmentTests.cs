using Collection.Domain.Enrolments;

namespace Collection.Domain.Tests.Enrolments;

public class EnrolmentTests
{
    private static readonly DateTimeOffset At = new(2021, 12, 1, 9, 0, 0, TimeSpan.FromHours(8));
    private static readonly EnrolmentTerms Resident2022 = new(460m, 0m, 460m, 0m, new(2022, 1, 1), new(2022, 12, 31));

    private static Enrolment Enrol(EnrolmentTerms terms, DateOnly today) =>
        Enrolment.Register("wuhai-2022", "150302198506010012", "window", terms, today, At, "staff");

    private static PostedPayment Payment(string id, decimal amount, DateOnly paidOn) =>
        new(id, amount, paidOn, "online", true, At, "tax");

    [Fact]
    public void Register_WithBalance_IsAssessedWithHistory()
    {
        var enrolment = Enrol(Resident2022, new(2021, 12, 1));

        Assert.Equal(EnrolmentStatus.Assessed, enrolment.Status);
        Assert.Equal(460m, enrolment.Balance);
        var entry = Assert.Single(enrolment.Changes);
        Assert.Equal("enrolled", entry.Cause);
        Assert.Equal("staff", entry.Actor);
    }

    [Fact]
    public void Register_Waived_IsPaidAtOnce()
    {
        var waived = Resident2022 with { Subsidy = 460m, Payable = 0m };

        var enrolment = Enrol(waived, new(2021, 12, 1));

        Assert.Equal(EnrolmentStatus.Paid, enrolment.Status);
        Assert.Equal(0m, enrolment.Balance);
    }

    [Fact]
    public void Post_FullAmountBeforeCoverageYear_IsPaidThenActiveThenExpired()
    {
        var paid = Enrol(Resident2022, new(2021, 12, 1)).Post(Payment("T1", 460m, new(2021, 12, 1)), new(2022, 1, 1), new(2021, 12, 1));

        var active = paid.AdvanceTo(new(2022, 1, 1), At, "timer:ActivateCoverage", "coverage-started");
        var expired = active.AdvanceTo(new(2023, 1, 1), At, "timer:ActivateCoverage", "coverage-ended");

        Assert.Equal(EnrolmentStatus.Paid, paid.Status);
        Assert.Equal(EnrolmentStatus.Active, active.Status);
        Assert.Equal(EnrolmentStatus.Expired, expired.Status);
        Assert.Equal(["enrolled", "payment-posted", "coverage-started", "coverage-ended"], expired.Changes.Select(h => h.Cause));
    }

    [Fact]
    public void Post_UnderPayment_StaysAssessedWithBalance()
    {
        var enrolment = Enrol(Resident2022, new(2021, 12, 1)).Post(Payment("T1", 400m, new(2021, 12, 1)), new(2022, 1, 1), new(2021, 12, 1));

        Assert.Equal(EnrolmentStatus.Assessed, enrolment.Status);
        Assert.Equal(60m, enrolment.Balance);
        Assert.Contains("balance 60.00", enrolment.Changes[^1].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Post_TwoPaymentsBeyondPayable_RecordsOverpayment()
    {
        var enrolment = Enrol(Resident2022, new(2021, 12, 1))
            .Post(Payment("T1", 460m, new(2021, 12, 1)), new(2022, 1, 1), new(2021, 12, 1))
            .Post(Payment("T2", 460m, new(2021, 12, 2)), new(2022, 1, 1), new(2021, 12, 2));

        Assert.Equal(EnrolmentStatus.Paid, enrolment.Status);
        Assert.Equal(460m, enrolment.Overpayment);
        Assert.Equal(920m, enrolment.Paid);
    }

    [Fact]
    public void RecordRefund_OfTheOverpayment_LeavesNoOverpaymentAndKeepsTheStatus()
    {
        var overpaid = Enrol(Resident2022, new(2021, 12, 1))
            .Post(Payment("T1", 460m, new(2021, 12, 1)), new(2022, 1, 1), new(2021, 12, 1))
            .Post(Payment("T2", 460m, new(2021, 12, 2)), new(2022, 1, 1), new(2021, 12, 2));

        var refunded = overpaid.RecordRefund(new RefundEntry("refund-1", 460m, false, "duplicate-payment", "online", At, "refund:refund-1"), new(2021, 12, 10));

        Assert.Equal(0m, refunded.Overpayment);
        Assert.Equal(0m, refunded.Balance);
        Assert.Equal(460m, refunded.Paid);
        Assert.Equal(920m, refunded.PaidGross);
        Assert.Equal(EnrolmentStatus.Paid, refunded.Status);
        Assert.Equal("refund-issued", refunded.Changes[^1].Cause);
        Assert.Equal(1, refunded.Money.RefundCount);
    }

    [Fact]
    public void RecordRefund_OfASubsidy_DoesNotReopenTheBalance()
    {
        // subsidised-paid-full: the person paid 460, a list then showed the government owed it; the refund replaces their money.
        var paid = Enrol(Resident2022, new(2021, 12, 1)).Post(Payment("T1", 460m, new(2021, 12, 1)), new(2022, 1, 1), new(2021, 12, 1));

        var refunded = paid.RecordRefund(new RefundEntry("refund-2", 460m, true, "subsidised-paid-full", "online", At, "refund:refund-2"), new(2021, 12, 10));

        Assert.Equal(0m, refunded.Paid);
        Assert.Equal(0m, refunded.Balance);
        Assert.Equal(EnrolmentStatus.Paid, refunded.Status);
    }

    [Fact]
    public void RecordRefund_OfOwnMoney_ReopensTheBalance_AndBeyondWhatWasPaidIsRefused()
    {
        var paid = Enrol(Resident2022, new(2021, 12, 1)).Post(Payment("T1", 460m, new(2021, 12, 1)), new(2022, 1, 1), new(2021, 12, 1));

        var refunded = paid.RecordRefund(new RefundEntry("refund-3", 460m, false, "wrongly-collected", "online", At, "staff"), new(2021, 12, 10));

        Assert.Equal(460m, refunded.Balance);
        Assert.Equal(EnrolmentStatus.Assessed, refunded.Status);
        Assert.Throws<ArgumentException>(() => refunded.RecordRefund(new RefundEntry("refund-4", 0.01m, false, "x", "online", At, "staff"), new(2021, 12, 11)));
    }

    [Fact]
    public void Post_ByTheGovernment_PaysTheSubsidisedShareNotAnOverpayment()
    {
        // wuhai-2022 四(四): a department pays a waived person's share through the tax client.
        var waived = Enrol(Resident2022 with { Subsidy = 460m, Payable = 0m, SubsidyMode = Collection.Domain.Codes.SubsidyMode.Waived }, new(2021, 12, 1));

        var paid = waived.Post(Payment("T1", 460m, new(2021, 12, 5)) with { Payer = PaymentPayer.Government }, new(2022, 1, 1), new(2021, 12, 5));

        Assert.Equal(0m, paid.Overpayment);
        Assert.Equal(460m, paid.Money.GovernmentPaid);
        Assert.Equal(460m, paid.Paid);
        Assert.Contains("government share", paid.Changes[^1].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Post_LateEnrolmentWithWaitingPeriod_CoverageStartsFromReassessedDay()
    {
        // dalate-2022: paid 2022-04-10, covered from 2022-07-10.
        var terms = new EnrolmentTerms(360m, 0m, 360m, 0m, new(2022, 7, 10), new(2022, 12, 31));
        var paid = Enrolment.Register("dalate-2022", "150621199001010011", "window", terms, new(2022, 4, 10), At, "staff")
            .Post(Payment("T1", 360m, new(2022, 4, 10)), new(2022, 7, 10), new(2022, 4, 10));

        Assert.Equal(EnrolmentStatus.Paid, paid.AdvanceTo(new(2022, 7, 9), At, "timer", "calendar").Status);
        Assert.Equal(EnrolmentStatus.Active, paid.AdvanceTo(new(2022, 7, 10), At, "timer", "calendar").Status);
        Assert.Equal(new DateOnly(2022, 7, 10), paid.CoverageStart);
    }

    [Fact]
    public void AdvanceTo_NoChange_AddsNoHistory()
    {
        var enrolment = Enrol(Resident2022, new(2021, 12, 1));

        var same = enrolment.AdvanceTo(new(2021, 12, 5), At, "timer", "calendar");

        Assert.Same(enrolment, same);
    }

    [Fact]
    public void Cancel_KeepsReasonAndStaysCancelledThroughCalendar()
    {
        var cancelled = Enrol(Resident2022, new(2021, 12, 1))
            .Post(Payment("T1", 460m, new(2021, 12, 1)), new(2022, 1, 1), new(2021, 12, 1))
            .Cancel("refund:deceased", At, "workflow:refund");

        var later = cancelled.AdvanceTo(new(2022, 6, 1), At, "timer", "calendar");

        Assert.Equal(EnrolmentStatus.Cancelled, later.Status);
        Assert.Equal("refund:deceased", later.CancellationReason);
    }

    [Fact]
    public void Post_NonPositiveAmount_IsRefused()
    {
        var enrolment = Enrol(Resident2022, new(2021, 12, 1));

        Assert.Throws<ArgumentException>(() => enrolment.Post(Payment("T1", 0m, new(2021, 12, 1)), new(2022, 1, 1), new(2021, 12, 1)));
    }

    [Fact]
    public void Register_WithEnrolmentDay_KeepsItApartFromTheStatusDay()
    {
        var enrolment = Enrolment.Register("wuhai-2022", "150302198506010012", "window", Resident2022, new(2022, 3, 1), At, "staff", new DateOnly(2021, 12, 1));

        Assert.Equal(new DateOnly(2021, 12, 1), enrolment.EnrolledOn);
    }

    [Fact]
    public void Restore_GivesBackTheSavedStateWithoutRerunningRules()
    {
        var original = Enrol(Resident2022 with { SubsidyMode = Collection.Domain.Codes.SubsidyMode.Deducted }, new(2021, 12, 1))
            .Post(Payment("T1", 500m, new(2021, 12, 1)), new(2022, 1, 1), new(2021, 12, 1))
            .Cancel("refund:duplicate-payment", At, "workflow:refund");

        var restored = Enrolment.Restore(original.Policy, original.IdNumber, original.Source, original.Terms, original.EnrolledOn, original.CoverageStart,
            original.Status, original.CancellationReason, original.Money, original.Generation);

        Assert.Equal(EnrolmentStatus.Cancelled, restored.Status);
        Assert.Equal(40m, restored.Overpayment);
        Assert.Equal(original.Money, restored.Money);
        Assert.Empty(restored.Changes);
        Assert.Equal(Collection.Domain.Codes.SubsidyMode.Deducted, restored.Terms.SubsidyMode);
    }

    [Fact]
    public void Terms_WaivedMode_IsWaived()
    {
        Assert.True((Resident2022 with { SubsidyMode = Collection.Domain.Codes.SubsidyMode.Waived }).Waived);
        Assert.False(Resident2022.Waived);
    }
}
