using Collection.Domain.Assessments;
using Collection.Domain.Codes;
using Collection.Domain.Refunds;
using static Collection.Domain.Tests.TestPolicies;

namespace Collection.Domain.Tests.Refunds;

public class RefundChecksTests
{
    private static RefundPayment Pay(string id, decimal amount, string paidOn, PaymentChannel channel = PaymentChannel.Online, bool inTreasury = false) =>
        new(id, amount, D(paidOn), channel, inTreasury);

    private static RefundCheck Check(string policy, RefundReason reason, decimal payable, string? eventDate = null, params RefundPayment[] payments) =>
        RefundChecks.Check(Get(policy), new RefundFacts
        {
            Reason = reason,
            EventDate = eventDate is null ? null : D(eventDate),
            Payments = payments,
            Payable = payable,
        });

    [Fact]
    public void Example1_DuplicateOnlinePayment_Refunds320ByOnlineAndKeepsEnrolment()
    {
        var check = Check("bagongshan-2022", RefundReason.DuplicatePayment, 320, null,
            Pay("T1", 320, "2021-10-01"), Pay("T2", 320, "2021-10-01"));

        Assert.True(check.Passed);
        Assert.Equal(320m, check.Amount);
        Assert.Equal(320m, check.ToPerson);
        Assert.Equal(RefundChannel.Online, check.Channel);
        Assert.False(check.CancelsEnrolment);
        Assert.Equal("T2", Assert.Single(check.Allocations).TransactionId);
    }

    [Fact]
    public void Example2_JoinedEmployeeInsuranceInPeriod_CashInTreasury_Refunds320AndCancels()
    {
        var check = Check("bagongshan-2022", RefundReason.JoinedEmployeeInsurance, 320, "2021-11-20",
            Pay("C1", 320, "2021-09-15", PaymentChannel.Cash, inTreasury: true));

        Assert.True(check.Passed);
        Assert.Equal(320m, check.Amount);
        Assert.Equal(RefundChannel.CashInTreasury, check.Channel);
        Assert.True(check.CancelsEnrolment);
    }

    [Fact]
    public void Wuhai_WronglyCollected_RefundsEverythingWithoutAnEventDate_AndCancels()
    {
        // wuhai-2022 五(四): "发生误收参保范围以外人员费款的……进行退费业务处理".
        var check = Check("wuhai-2022", RefundReason.WronglyCollected, 460, null, Pay("W1", 460, "2021-12-01", PaymentChannel.Cash, inTreasury: false));

        Assert.True(check.Passed);
        Assert.Equal(460m, check.Amount);
        Assert.Equal(RefundChannel.CashNotInTreasury, check.Channel);
        Assert.True(check.CancelsEnrolment);
    }

    [Fact]
    public void RefundGrounds_ArePerPolicy()
    {
        Assert.Contains(RefundReason.WronglyCollected, Get("wuhai-2022").RefundReasons);
        Assert.DoesNotContain(RefundReason.WronglyCollected, Get("bagongshan-2022").RefundReasons);
        Assert.Contains(RefundReason.GaveUpBeforeDeadline, Get("bagongshan-2022").RefundReasons);
        Assert.DoesNotContain(RefundReason.GaveUpBeforeDeadline, Get("luyang-2023").RefundReasons);
        Assert.All(new[] { "wuhai-2022", "dalate-2022", "baiyin-2023", "luyang-2023", "bagongshan-2022" }, code => Assert.NotEmpty(Get(code).RefundReasons));
    }

    [Fact]
    public void Example3_JoinedEmployeeInsuranceAfterPeriod_IsDeadlinePassed()
    {
        var check = Check("bagongshan-2022", RefundReason.JoinedEmployeeInsurance, 320, "2022-01-10",
            Pay("C1", 320, "2021-09-15", PaymentChannel.Cash, inTreasury: true));

        Assert.False(check.Passed);
        Assert.Equal(RefundCodes.DeadlinePassed, check.RejectionCode);
    }

    [Fact]
    public void Example4_LuyangMinimumLivingAllowancePaid350ByWeChat_Refunds315AndKeepsEnrolment()
    {
        var check = RefundChecks.Check(Get("luyang-2023"), new RefundFacts
        {
            Reason = RefundReason.SubsidisedPaidFull,
            Payments = [Pay("W1", 350, "2022-10-10", PaymentChannel.WeChatScan)],
            Payable = 350,
            Person = Person("1980-01-01", "2022-10-10", Population.Resident, SubsidyIdentity.MinimumLivingAllowance),
        });

        Assert.True(check.Passed);
        Assert.Equal(315m, check.Amount);
        Assert.Equal(RefundChannel.WeChatScan, check.Channel);
        Assert.False(check.CancelsEnrolment);
    }

    [Theory]
    [InlineData(RefundReason.JoinedEmployeeInsurance)]
    [InlineData(RefundReason.Deceased)]
    [InlineData(RefundReason.DuplicateEnrolment)]
    [InlineData(RefundReason.GaveUpBeforeDeadline)]
    public void Check_EventOnLastDayOfCollection_RefundsAllAndCancels(RefundReason reason)
    {
        var check = Check("bagongshan-2022", reason, 320, "2021-12-31", Pay("T1", 320, "2021-10-01"));

        Assert.True(check.Passed);
        Assert.Equal(320m, check.Amount);
        Assert.True(check.CancelsEnrolment);
    }

    [Theory]
    [InlineData(RefundReason.Deceased)]
    [InlineData(RefundReason.DuplicateEnrolment)]
    [InlineData(RefundReason.GaveUpBeforeDeadline)]
    public void Check_EventDayAfterCollectionEnd_IsDeadlinePassed(RefundReason reason)
    {
        var check = Check("bagongshan-2022", reason, 320, "2022-01-01", Pay("T1", 320, "2021-10-01"));

        Assert.Equal(RefundCodes.DeadlinePassed, check.RejectionCode);
    }

    [Fact]
    public void Check_MovedPoolingRegionAfterCollectionEnd_RefundsAllAndCancels()
    {
        var check = Check("bagongshan-2022", RefundReason.MovedPoolingRegion, 320, "2022-06-01", Pay("T1", 320, "2021-10-01", PaymentChannel.BankCounter));

        Assert.True(check.Passed);
        Assert.Equal(320m, check.Amount);
        Assert.True(check.CancelsEnrolment);
        Assert.Equal(RefundChannel.Online, check.Channel);
    }

    [Fact]
    public void Check_EventReasonWithoutDate_IsEventDateRequired()
    {
        var check = Check("bagongshan-2022", RefundReason.Deceased, 320, null, Pay("T1", 320, "2021-10-01"));

        Assert.Equal(RefundCodes.EventDateRequired, check.RejectionCode);
    }

    [Fact]
    public void Check_NoPayments_IsNoPayment()
    {
        var check = Check("bagongshan-2022", RefundReason.Deceased, 320, "2021-11-01");

        Assert.Equal(RefundCodes.NoPayment, check.RejectionCode);
    }

    [Fact]
    public void Check_DuplicatePaymentWithOnePayment_IsNotADuplicatePayment()
    {
        var check = Check("bagongshan-2022", RefundReason.DuplicatePayment, 320, null, Pay("T1", 400, "2021-10-01"));

        Assert.Equal(RefundCodes.NotADuplicatePayment, check.RejectionCode);
    }

    [Fact]
    public void Check_DuplicatePaymentsSummingToPayable_IsNotADuplicatePayment()
    {
        var check = Check("bagongshan-2022", RefundReason.DuplicatePayment, 320, null, Pay("T1", 160, "2021-10-01"), Pay("T2", 160, "2021-10-02"));

        Assert.Equal(RefundCodes.NotADuplicatePayment, check.RejectionCode);
    }

    [Fact]
    public void Check_DuplicatePaymentAlreadyRefunded_IsNothingToRefund()
    {
        var check = RefundChecks.Check(Get("bagongshan-2022"), new RefundFacts
        {
            Reason = RefundReason.DuplicatePayment,
            Payments = [Pay("T1", 320, "2021-10-01"), Pay("T2", 320, "2021-10-02")],
            Payable = 320,
            AlreadyRefunded = 320,
        });

        Assert.Equal(RefundCodes.NothingToRefund, check.RejectionCode);
    }

    [Fact]
    public void Check_CancelAfterDuplicateRefunded_RefundsOnlyWhatIsLeft()
    {
        var check = RefundChecks.Check(Get("bagongshan-2022"), new RefundFacts
        {
            Reason = RefundReason.Deceased,
            EventDate = D("2021-12-01"),
            Payments = [Pay("T1", 320, "2021-10-01", PaymentChannel.Cash), Pay("T2", 320, "2021-10-02")],
            Payable = 320,
            AlreadyRefunded = 320,
        });

        Assert.Equal(320m, check.Amount);
        var allocation = Assert.Single(check.Allocations);
        Assert.Equal("T1", allocation.TransactionId);
        Assert.Equal(RefundChannel.CashNotInTreasury, check.Channel);
    }

    [Fact]
    public void Check_SubsidisedPaidFullUnderRebatePolicy_IsNothingToRefund()
    {
        var check = RefundChecks.Check(Get("dalate-2022"), new RefundFacts
        {
            Reason = RefundReason.SubsidisedPaidFull,
            Payments = [Pay("T1", 360, "2021-10-01")],
            Payable = 360,
            Person = Person("1980-01-01", "2021-10-01", Population.Resident, SubsidyIdentity.MinimumLivingAllowance),
        });

        Assert.Equal(RefundCodes.NothingToRefund, check.RejectionCode);
    }

    [Fact]
    public void Check_SubsidisedPaidFullWithoutIdentity_IsNoSubsidyIdentity()
    {
        var check = RefundChecks.Check(Get("luyang-2023"), new RefundFacts
        {
            Reason = RefundReason.SubsidisedPaidFull,
            Payments = [Pay("T1", 350, "2022-10-01")],
            Payable = 350,
            Person = Person("1980-01-01", "2022-10-01"),
        });

        Assert.Equal(RefundCodes.NoSubsidyIdentity, check.RejectionCode);
    }

    [Fact]
    public void Check_BagongshanPovertyLiftedPaidFull_RefundsTheSubsidy288()
    {
        var check = RefundChecks.Check(Get("bagongshan-2022"), new RefundFacts
        {
            Reason = RefundReason.SubsidisedPaidFull,
            Payments = [Pay("T1", 320, "2021-10-01", PaymentChannel.Cash, inTreasury: true)],
            Payable = 320,
            Person = Person("1970-05-05", "2021-10-01", Population.Resident, SubsidyIdentity.PovertyLifted),
        });

        Assert.Equal(288m, check.Amount);
        Assert.Equal(RefundChannel.CashInTreasury, check.Channel);
    }

    [Fact]
    public void Check_AssistanceFundShare_GoesBackToTheFund()
    {
        var check = Check("bagongshan-2022", RefundReason.Deceased, 320, "2021-11-01",
            Pay("F1", 288, "2021-09-10", PaymentChannel.AssistanceFund), Pay("T1", 32, "2021-09-20", PaymentChannel.WeChatScan));

        Assert.Equal(320m, check.Amount);
        Assert.Equal(288m, check.ToFund);
        Assert.Equal(32m, check.ToPerson);
        Assert.Equal(RefundChannel.WeChatScan, check.Channel);
    }

    [Fact]
    public void Check_OnlyAssistanceFundMoney_IsApprovedLikeOnline()
    {
        var check = Check("bagongshan-2022", RefundReason.Deceased, 320, "2021-11-01", Pay("F1", 320, "2021-09-10", PaymentChannel.AssistanceFund));

        Assert.Equal(320m, check.ToFund);
        Assert.Equal(0m, check.ToPerson);
        Assert.Equal(RefundChannel.Online, check.Channel);
    }

    [Fact]
    public void Check_UnknownTransactionId_IsUnknownTransaction()
    {
        var check = RefundChecks.Check(Get("bagongshan-2022"), new RefundFacts
        {
            Reason = RefundReason.Deceased,
            EventDate = D("2021-11-01"),
            Payments = [Pay("T1", 320, "2021-10-01")],
            Payable = 320,
            TransactionIds = ["NOPE"],
        });

        Assert.Equal(RefundCodes.UnknownTransaction, check.RejectionCode);
    }

    [Fact]
    public void Check_TransactionIdsGiven_RefundsOnlyThosePayments()
    {
        var check = RefundChecks.Check(Get("bagongshan-2022"), new RefundFacts
        {
            Reason = RefundReason.DuplicatePayment,
            Payments = [Pay("T1", 320, "2021-10-01", PaymentChannel.WeChatScan), Pay("T2", 320, "2021-10-02", PaymentChannel.Cash)],
            Payable = 320,
            TransactionIds = ["T1"],
        });

        Assert.Equal("T1", Assert.Single(check.Allocations).TransactionId);
        Assert.Equal(RefundChannel.WeChatScan, check.Channel);
    }

    [Theory]
    [InlineData(PaymentChannel.WeChatScan, false, RefundChannel.WeChatScan)]
    [InlineData(PaymentChannel.Online, false, RefundChannel.Online)]
    [InlineData(PaymentChannel.BankCounter, false, RefundChannel.Online)]
    [InlineData(PaymentChannel.TaxClient, false, RefundChannel.Online)]
    [InlineData(PaymentChannel.Unified, false, RefundChannel.Online)]
    [InlineData(PaymentChannel.Cash, false, RefundChannel.CashNotInTreasury)]
    [InlineData(PaymentChannel.Cash, true, RefundChannel.CashInTreasury)]
    public void ChannelFor_PaymentChannel_GivesRefundChannel(PaymentChannel channel, bool inTreasury, RefundChannel expected)
    {
        Assert.Equal(expected, RefundChecks.ChannelFor([new RefundAllocation("T", 1, channel, inTreasury)]));
    }
}
