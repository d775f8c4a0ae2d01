using Collection.Domain.Assessments;
using Collection.Domain.Codes;
using static Collection.Domain.Tests.TestPolicies;

namespace Collection.Domain.Tests.Assessments;

/// <summary>One or more tests per rule of policies.md and issue 3.</summary>
public class AssessmentRuleTests
{
    // ---- rates by population and birth date (wuhai-2022) ----

    [Theory]
    [InlineData("2004-01-01", 340)]
    [InlineData("2003-12-31", 460)]
    [InlineData("2010-07-01", 340)]
    public void Wuhai_ResidentRate_DependsOnBirthBefore2004(string birth, decimal expected) =>
        Assert.Equal(expected, Assess("wuhai-2022", Person(birth, "2021-11-01")).Payable);

    [Theory]
    [InlineData(Population.Student)]
    [InlineData(Population.Preschool)]
    [InlineData(Population.UniversityStudent)]
    public void Wuhai_StudentsAndPreschool_Pay340WhateverTheirAge(Population population) =>
        Assert.Equal(340, Assess("wuhai-2022", Person("1990-01-01", "2021-11-01", population)).Payable);

    [Theory]
    [InlineData("bagongshan-2022", "2021-10-01", 320)]
    [InlineData("dalate-2022", "2021-10-01", 360)]
    [InlineData("baiyin-2023", "2022-10-01", 350)]
    [InlineData("luyang-2023", "2022-10-01", 350)]
    public void FlatRatePolicies_ChargeTheirRate(string policy, string date, decimal rate) =>
        Assert.Equal(rate, Assess(policy, Person("1950-01-01", date)).Payable);

    // ---- eligibility ----

    [Theory]
    [InlineData("wuhai-2022", "2021-11-01")]
    [InlineData("bagongshan-2022", "2021-11-01")]
    [InlineData("dalate-2022", "2021-11-01")]
    [InlineData("baiyin-2023", "2022-11-01")]
    [InlineData("luyang-2023", "2022-11-01")]
    public void InEmployeeInsurance_IsNotEligible(string policy, string date)
    {
        var a = Assess(policy, Person("1980-01-01", date) with { InEmployeeInsurance = true });

        Assert.False(a.Eligible);
        Assert.Equal(["in-employee-insurance"], a.Reasons.Codes());
    }

    [Theory]
    [InlineData("wuhai-2022", "2021-11-01")]
    [InlineData("bagongshan-2022", "2021-11-01")]
    [InlineData("dalate-2022", "2021-11-01")]
    [InlineData("baiyin-2023", "2022-11-01")]
    [InlineData("luyang-2023", "2022-11-01")]
    public void NonLocalWithoutPermit_IsNotEligible_WithPermitIs(string policy, string date)
    {
        var without = Assess(policy, Person("1980-01-01", date) with { LocalHukou = false });
        var with = Assess(policy, Person("1980-01-01", date) with { LocalHukou = false, ResidencePermit = true });

        Assert.Equal(IneligibilityReasons.NoResidencePermit, without.Reasons);
        Assert.True(with.Eligible);
    }

    [Fact]
    public void NonLocalStudentWithoutPermit_IsEligible()
    {
        var a = Assess("dalate-2022", Person("2010-01-01", "2021-11-01", Population.Student) with { LocalHukou = false });
        Assert.True(a.Eligible);
    }

    [Theory]
    [InlineData("2012-05-01", true)]   // 10 years old
    [InlineData("2004-11-02", true)]   // 17, 18 tomorrow
    [InlineData("2004-11-01", false)]  // 18 on the day: no longer a minor
    public void Luyang_MinorLivingWithLocallyInsuredParent_NeedsNoPermit(string birth, bool eligible)
    {
        // 二“（四）非本市户籍，随在本市就业参保人员共同生活的未成年子女”.
        var a = Assess("luyang-2023", Person(birth, "2022-11-01") with { LocalHukou = false, LivesWithLocallyInsuredParent = true });

        Assert.Equal(eligible, a.Eligible);
        Assert.Equal(eligible ? IneligibilityReasons.None : IneligibilityReasons.NoResidencePermit, a.Reasons);
    }

    [Fact]
    public void Luyang_MinorWithoutTheParentFact_StillNeedsAPermit()
    {
        var a = Assess("luyang-2023", Person("2012-05-01", "2022-11-01") with { LocalHukou = false });
        Assert.Equal(IneligibilityReasons.NoResidencePermit, a.Reasons);
    }

    [Fact]
    public void Wuhai_MinorLivingWithLocallyInsuredParent_StillNeedsAPermit()
    {
        // wuhai-2022 二 names no such minors (only newborns of insured parents): the fact changes nothing there.
        var a = Assess("wuhai-2022", Person("2012-05-01", "2021-11-01") with { LocalHukou = false, LivesWithLocallyInsuredParent = true });
        Assert.Equal(IneligibilityReasons.NoResidencePermit, a.Reasons);
    }

    [Fact]
    public void SeveralReasons_AreAllReported()
    {
        var a = Assess("baiyin-2023", Person("1980-01-01", "2023-02-01") with { LocalHukou = false, InEmployeeInsurance = true });
        Assert.Equal(["in-employee-insurance", "no-residence-permit", "collection-closed"], a.Reasons.Codes());
    }

    // ---- collection periods ----

    [Theory]
    [InlineData("wuhai-2022", "2021-10-07", IneligibilityReasons.CollectionNotOpen)]
    [InlineData("wuhai-2022", "2021-10-08", IneligibilityReasons.None)]
    [InlineData("wuhai-2022", "2022-04-30", IneligibilityReasons.None)]
    [InlineData("wuhai-2022", "2022-05-01", IneligibilityReasons.CollectionClosed)]
    [InlineData("bagongshan-2022", "2021-08-31", IneligibilityReasons.CollectionNotOpen)]
    [InlineData("bagongshan-2022", "2021-12-31", IneligibilityReasons.None)]
    [InlineData("baiyin-2023", "2022-08-23", IneligibilityReasons.CollectionNotOpen)]
    [InlineData("baiyin-2023", "2022-08-24", IneligibilityReasons.None)]
    [InlineData("baiyin-2023", "2023-01-01", IneligibilityReasons.CollectionClosed)]
    [InlineData("luyang-2023", "2022-08-31", IneligibilityReasons.CollectionNotOpen)]
    [InlineData("luyang-2023", "2023-01-01", IneligibilityReasons.CollectionClosed)]
    [InlineData("dalate-2022", "2021-08-31", IneligibilityReasons.CollectionNotOpen)]
    public void CollectionPeriod_Bounds(string policy, string date, IneligibilityReasons expected)
    {
        var a = Assess(policy, Person("1980-01-01", date));
        Assert.Equal(expected, a.Reasons);
        Assert.Equal(expected == IneligibilityReasons.None, a.Eligible);
    }

    [Fact]
    public void Wuhai_PaymentInApril_IsCoveredFromJanuary()
    {
        var a = Assess("wuhai-2022", Person("1980-01-01", "2022-04-15"));
        Assert.Equal(D("2022-01-01"), a.CoverageStart);
    }

    [Theory]
    [InlineData("bagongshan-2022", "2022-01-20", "2022-01-21")]
    [InlineData("bagongshan-2022", "2022-02-28", "2022-03-01")]
    [InlineData("luyang-2023", "2023-02-10", "2023-02-11")]
    [InlineData("luyang-2023", "2023-02-28", "2023-03-01")]
    public void MigrantWorkerWithProof_AfterPeriod_IsCoveredFromDayAfterPayment(string policy, string date, string start)
    {
        var a = Assess(policy, Person("1985-01-01", date) with { MigrantWorkerWithProof = true });
        Assert.True(a.Eligible);
        Assert.Equal(D(start), a.CoverageStart);
    }

    [Theory]
    [InlineData("bagongshan-2022", "2022-03-01")]
    [InlineData("luyang-2023", "2023-03-01")]
    public void MigrantWorker_AfterExtension_IsCollectionClosed(string policy, string date) =>
        Assert.Equal(IneligibilityReasons.CollectionClosed, Assess(policy, Person("1985-01-01", date) with { MigrantWorkerWithProof = true }).Reasons);

    [Fact]
    public void MigrantWorker_InsideThePeriod_IsCoveredFromCoverageStart()
    {
        var a = Assess("bagongshan-2022", Person("1985-01-01", "2021-12-01") with { MigrantWorkerWithProof = true });
        Assert.Equal(D("2022-01-01"), a.CoverageStart);
    }

    [Fact]
    public void Luyang_MigrantWorkerPayingInDecember_IsCoveredFromJanuary()
    {
        var a = Assess("luyang-2023", Person("1985-01-01", "2022-12-20") with { MigrantWorkerWithProof = true });
        Assert.Equal(D("2023-01-01"), a.CoverageStart);
    }

    [Fact]
    public void Wuhai_MigrantWorker_HasNoExtension() =>
        Assert.Equal(IneligibilityReasons.CollectionClosed, Assess("wuhai-2022", Person("1985-01-01", "2022-05-02") with { MigrantWorkerWithProof = true }).Reasons);

    // ---- dalate-2022 late enrolment with a waiting period ----

    [Theory]
    [InlineData("2022-03-01", "2022-06-01")]
    [InlineData("2022-05-31", "2022-08-31")]
    [InlineData("2022-09-30", "2022-12-30")]
    [InlineData("2022-09-15", "2022-12-15")]
    public void Dalate_LateEnrolment_StartsThreeCalendarMonthsAfterPayment(string paid, string start)
    {
        var a = Assess("dalate-2022", Person("1980-01-01", paid));
        Assert.True(a.Eligible);
        Assert.Equal(D(start), a.CoverageStart);
        Assert.Equal(360, a.Payable);
    }

    [Theory]
    [InlineData("2022-10-01")]
    [InlineData("2022-12-31")]
    public void Dalate_LateEnrolmentEndingAfterTheYear_IsNoCoverageLeft(string paid)
    {
        var a = Assess("dalate-2022", Person("1980-01-01", paid));
        Assert.False(a.Eligible);
        Assert.Equal(["no-coverage-left"], a.Reasons.Codes());
    }

    [Fact]
    public void Dalate_PaymentAfterTheCoverageYear_IsCollectionClosed() =>
        Assert.Equal(IneligibilityReasons.CollectionClosed, Assess("dalate-2022", Person("1980-01-01", "2023-02-01")).Reasons);

    [Fact]
    public void Dalate_OnLastDayOfPeriod_HasNoWaitingPeriod() =>
        Assert.Equal(D("2022-01-01"), Assess("dalate-2022", Person("1980-01-01", "2022-02-28")).CoverageStart);

    [Fact]
    public void Dalate_FullySubsidisedLate_HasNoWaitingPeriod()
    {
        var a = Assess("dalate-2022", Person("1940-01-01", "2022-05-10", Population.Resident, SubsidyIdentity.ExtremePoverty));
        Assert.True(a.Eligible);
        Assert.Equal(D("2022-05-10"), a.CoverageStart);
        Assert.Equal(0, a.Payable);
    }

    [Fact]
    public void Dalate_RebateIdentityLate_WaitsAndKeepsRebate()
    {
        var a = Assess("dalate-2022", Person("1980-01-01", "2022-04-10", Population.Resident, SubsidyIdentity.EthnicMinority));
        Assert.Equal(D("2022-07-10"), a.CoverageStart);
        Assert.Equal(150, a.Rebate);
    }

    // ---- subsidy modes, several identities, hukou ----

    [Fact]
    public void Dalate_SeveralRebateIdentities_GiveHighestOnly()
    {
        var a = Assess("dalate-2022", Person("1980-01-01", "2021-10-01", Population.Resident, SubsidyIdentity.EthnicMinority, SubsidyIdentity.MinimumLivingAllowance));
        Assert.Equal(310, a.Rebate);
        Assert.Equal(360, a.Payable);
        Assert.Equal(50, a.NetCost);
        Assert.Equal(SubsidyIdentity.MinimumLivingAllowance, a.SubsidyIdentity);
    }

    [Fact]
    public void Dalate_WaivedBeatsRebate()
    {
        var a = Assess("dalate-2022", Person("1980-01-01", "2021-10-01", Population.Resident, SubsidyIdentity.EthnicMinority, SubsidyIdentity.DisabledGrade2));
        Assert.Equal(SubsidyMode.Waived, a.SubsidyMode);
        Assert.Equal(0, a.Payable);
        Assert.Equal(0, a.Rebate);
        Assert.Equal(360, a.Subsidy);
    }

    [Fact]
    public void Dalate_SubsidyWithoutLocalHukou_IsNotGiven()
    {
        var a = Assess("dalate-2022", Person("1980-01-01", "2021-10-01", Population.Resident, SubsidyIdentity.EthnicMinority) with { LocalHukou = false, ResidencePermit = true });
        Assert.True(a.Eligible);
        Assert.Equal(SubsidyMode.None, a.SubsidyMode);
        Assert.Equal(360, a.Payable);
        Assert.Null(a.SubsidyIdentity);
    }

    [Fact]
    public void Baiyin_NonLocalHukou_GetsNoBaiyinSubsidy()
    {
        var a = Assess("baiyin-2023", Person("1980-01-01", "2022-09-01", Population.Resident, SubsidyIdentity.ExtremePoverty) with { LocalHukou = false, ResidencePermit = true });
        Assert.True(a.Eligible);
        Assert.Equal(350, a.Payable);
        Assert.Equal(0, a.Subsidy);
    }

    [Fact]
    public void Baiyin_NonLocalAllowanceWithoutClass_IsNotAnError()
    {
        var a = Assess("baiyin-2023", Person("1980-01-01", "2022-09-01", Population.Resident, SubsidyIdentity.MinimumLivingAllowance) with { LocalHukou = false, ResidencePermit = true });
        Assert.Equal(AssessmentError.None, a.Error);
        Assert.Equal(350, a.Payable);
    }

    [Theory]
    [InlineData(AllowanceClass.Rural1, 250, 100)]
    [InlineData(AllowanceClass.Rural2, 250, 100)]
    [InlineData(AllowanceClass.UrbanFull, 250, 100)]
    [InlineData(AllowanceClass.Rural3, 190, 160)]
    [InlineData(AllowanceClass.Rural4, 190, 160)]
    [InlineData(AllowanceClass.UrbanDifferential, 190, 160)]
    public void Baiyin_AllowanceClass_SetsTheSubsidy(AllowanceClass allowanceClass, decimal subsidy, decimal payable)
    {
        var a = Assess("baiyin-2023", Person("1980-01-01", "2022-09-01", Population.Resident, SubsidyIdentity.MinimumLivingAllowance) with { AllowanceClass = allowanceClass });
        Assert.Equal(subsidy, a.Subsidy);
        Assert.Equal(payable, a.Payable);
        Assert.Equal(SubsidyMode.Deducted, a.SubsidyMode);
    }

    [Theory]
    [InlineData(SubsidyIdentity.ExtremePoverty, 350, 0, SubsidyMode.Waived)]
    [InlineData(SubsidyIdentity.Orphan, 350, 0, SubsidyMode.Waived)]
    [InlineData(SubsidyIdentity.ReturnedToPoverty, 190, 160, SubsidyMode.Deducted)]
    [InlineData(SubsidyIdentity.AtRiskOfReturning, 150, 200, SubsidyMode.Deducted)]
    [InlineData(SubsidyIdentity.PovertyLifted, 100, 250, SubsidyMode.Deducted)]
    [InlineData(SubsidyIdentity.EthnicMinority, 0, 350, SubsidyMode.None)]
    public void Baiyin_Identities(SubsidyIdentity identity, decimal subsidy, decimal payable, SubsidyMode mode)
    {
        var a = Assess("baiyin-2023", Person("1980-01-01", "2022-09-01", Population.Resident, identity));
        Assert.Equal((subsidy, payable, mode), (a.Subsidy, a.Payable, a.SubsidyMode));
    }

    [Fact]
    public void Baiyin_SeveralIdentities_HighestOnce()
    {
        var a = Assess("baiyin-2023", Person("1980-01-01", "2022-09-01", Population.Resident, SubsidyIdentity.PovertyLifted, SubsidyIdentity.AtRiskOfReturning, SubsidyIdentity.MinimumLivingAllowance) with { AllowanceClass = AllowanceClass.Rural1 });
        Assert.Equal(250, a.Subsidy);
        Assert.Equal(100, a.Payable);
    }

    [Fact]
    public void Baiyin_MissingClass_IsAnErrorEvenWithAnotherIdentity()
    {
        var a = Assess("baiyin-2023", Person("1980-01-01", "2022-09-01", Population.Resident, SubsidyIdentity.PovertyLifted, SubsidyIdentity.MinimumLivingAllowance));
        Assert.Equal(AssessmentError.MissingAllowanceClass, a.Error);
    }

    [Fact]
    public void Baiyin_ExtremePovertyWithAllowanceOfUnknownClass_IsWaived()
    {
        // 三“按照就高不重复原则实行参保资助”: 特困 is paid in full; no 低保 class (250 or 190) can beat it.
        var a = Assess("baiyin-2023", Person("1980-01-01", "2022-09-01", Population.Resident, SubsidyIdentity.MinimumLivingAllowance, SubsidyIdentity.ExtremePoverty));
        Assert.True(a.Eligible);
        Assert.Equal((350m, 0m, SubsidyMode.Waived, SubsidyIdentity.ExtremePoverty), (a.Subsidy, a.Payable, a.SubsidyMode, a.SubsidyIdentity));
    }

    [Fact]
    public void Baiyin_ReturnedToPovertyWithAllowanceOfUnknownClass_IsAnError()
    {
        // 返贫致贫 gives 190, a first-class 低保 250: here the class decides the answer.
        var a = Assess("baiyin-2023", Person("1980-01-01", "2022-09-01", Population.Resident, SubsidyIdentity.ReturnedToPoverty, SubsidyIdentity.MinimumLivingAllowance));
        Assert.Equal(AssessmentError.MissingAllowanceClass, a.Error);
    }

    [Fact]
    public void Baiyin_SubsidisedPersonAfterPeriod_IsEnrolledFromDayAfterPayment()
    {
        var a = Assess("baiyin-2023", Person("1980-01-01", "2023-03-05", Population.Resident, SubsidyIdentity.ReturnedToPoverty));
        Assert.True(a.Eligible);
        Assert.Equal(D("2023-03-06"), a.CoverageStart);
        Assert.Equal(160, a.Payable);
    }

    [Fact]
    public void Baiyin_IdentityChange_TopsUpRisesButNeverClawsBack()
    {
        var baiyin = Get("baiyin-2023");
        Assert.Equal(90, baiyin.SubsidyAdjustment(100, 190));
        Assert.Equal(0, baiyin.SubsidyAdjustment(250, 100));
        Assert.Equal(0, baiyin.SubsidyAdjustment(190, 0));
        Assert.Equal(0, Get("wuhai-2022").SubsidyAdjustment(100, 190));
    }

    [Theory]
    [InlineData(SubsidyIdentity.ExtremePoverty, 320, 0, SubsidyMode.Waived)]
    [InlineData(SubsidyIdentity.MinimumLivingAllowance, 288, 32, SubsidyMode.Deducted)]
    [InlineData(SubsidyIdentity.PovertyLifted, 288, 32, SubsidyMode.Deducted)]
    [InlineData(SubsidyIdentity.DisabledGrade1, 320, 0, SubsidyMode.Waived)]
    [InlineData(SubsidyIdentity.ReturnedToPoverty, 0, 320, SubsidyMode.None)]
    public void Bagongshan_Identities(SubsidyIdentity identity, decimal subsidy, decimal payable, SubsidyMode mode)
    {
        var a = Assess("bagongshan-2022", Person("1980-01-01", "2021-10-01", Population.Resident, identity));
        Assert.Equal((subsidy, payable, mode), (a.Subsidy, a.Payable, a.SubsidyMode));
    }

    [Fact]
    public void Bagongshan_SeveralIdentities_HighestRatio()
    {
        var a = Assess("bagongshan-2022", Person("1980-01-01", "2021-10-01", Population.Resident, SubsidyIdentity.MinimumLivingAllowance, SubsidyIdentity.ExtremePoverty, SubsidyIdentity.PovertyLifted));
        Assert.Equal(SubsidyIdentity.ExtremePoverty, a.SubsidyIdentity);
        Assert.Equal(0, a.Payable);
    }

    [Theory]
    [InlineData(SubsidyIdentity.ExtremePoverty, 350, 0, SubsidyMode.Waived)]
    [InlineData(SubsidyIdentity.Orphan, 350, 0, SubsidyMode.Waived)]
    [InlineData(SubsidyIdentity.MinimumLivingAllowance, 315, 35, SubsidyMode.Deducted)]
    [InlineData(SubsidyIdentity.LowIncomeMarginElderly, 315, 35, SubsidyMode.Deducted)]
    [InlineData(SubsidyIdentity.FamilyPlanningSpecial, 315, 35, SubsidyMode.Deducted)]
    [InlineData(SubsidyIdentity.ReturnedToPoverty, 280, 70, SubsidyMode.Deducted)]
    [InlineData(SubsidyIdentity.AtRiskOfReturning, 175, 175, SubsidyMode.Deducted)]
    [InlineData(SubsidyIdentity.PovertyUnstable, 175, 175, SubsidyMode.Deducted)]
    [InlineData(SubsidyIdentity.PovertyLifted, 0, 350, SubsidyMode.None)]
    public void Luyang_Identities(SubsidyIdentity identity, decimal subsidy, decimal payable, SubsidyMode mode)
    {
        var a = Assess("luyang-2023", Person("1950-01-01", "2022-10-01", Population.Resident, identity));
        Assert.Equal((subsidy, payable, mode), (a.Subsidy, a.Payable, a.SubsidyMode));
    }

    [Fact]
    public void Luyang_AllowanceClass_IsIgnoredWhereThePolicyHasNone()
    {
        var a = Assess("luyang-2023", Person("1950-01-01", "2022-10-01", Population.Resident, SubsidyIdentity.MinimumLivingAllowance));
        Assert.Equal(315, a.Subsidy);
    }

    [Fact]
    public void Luyang_PartiallySubsidisedAfterPeriod_MayStillPay()
    {
        var a = Assess("luyang-2023", Person("1950-01-01", "2023-04-03", Population.Resident, SubsidyIdentity.AtRiskOfReturning));
        Assert.True(a.Eligible);
        Assert.Equal(175, a.Payable);
        Assert.Equal(D("2023-04-04"), a.CoverageStart);
    }

    [Theory]
    [InlineData(SubsidyIdentity.MinimumLivingAllowance)]
    [InlineData(SubsidyIdentity.ExtremePoverty)]
    [InlineData(SubsidyIdentity.Orphan)]
    [InlineData(SubsidyIdentity.Sanmin)]
    [InlineData(SubsidyIdentity.DisabledUnableToWork)]
    [InlineData(SubsidyIdentity.LowIncomeMargin)]
    [InlineData(SubsidyIdentity.PovertyUnstable)]
    [InlineData(SubsidyIdentity.SuddenHardship)]
    public void Wuhai_SubsidisedIdentities_AreWaived(SubsidyIdentity identity)
    {
        var a = Assess("wuhai-2022", Person("2010-01-01", "2021-11-01", Population.Resident, identity));
        Assert.Equal(SubsidyMode.Waived, a.SubsidyMode);
        Assert.Equal(340, a.Subsidy);
        Assert.Equal(0, a.Payable);
    }

    [Fact]
    public void Wuhai_UnlistedIdentity_GivesNoSubsidy() =>
        Assert.Equal(460, Assess("wuhai-2022", Person("1980-01-01", "2021-11-01", Population.Resident, SubsidyIdentity.EthnicMinority)).Payable);

    // ---- newborns ----

    private static AssessmentRequest Newborn(string birth, string date, bool parentInsured = true, bool? beforeBirth = null, string? registration = null) =>
        Person(birth, date, Population.Newborn) with
        {
            Newborn = new NewbornFacts(beforeBirth, parentInsured, registration is null ? null : D(registration)),
        };

    [Fact]
    public void Wuhai_NewbornRegisteredBeforeBirth_PaysNothingAndIsCoveredFromBirth()
    {
        var a = Assess("wuhai-2022", Newborn("2022-06-15", "2022-05-20"));
        Assert.True(a.Eligible);
        Assert.Equal(0, a.Payable);
        Assert.Equal(0, a.StandardContribution);
        Assert.Equal(D("2022-06-15"), a.CoverageStart);
    }

    [Fact]
    public void Wuhai_NewbornRegisteredBeforeBirth_OutsideThePeriod_IsStillFree()
    {
        var a = Assess("wuhai-2022", Newborn("2022-08-01", "2022-07-01", beforeBirth: true));
        Assert.True(a.Eligible);
        Assert.Equal(0, a.Payable);
    }

    [Fact]
    public void Wuhai_NewbornRegisteredAfterBirth_Pays340WithinThePeriod()
    {
        var a = Assess("wuhai-2022", Newborn("2022-02-01", "2022-03-01"));
        Assert.True(a.Eligible);
        Assert.Equal(340, a.Payable);
        Assert.Equal(D("2022-02-01"), a.CoverageStart);
    }

    [Fact]
    public void Wuhai_NewbornRegisteredAfterBirth_AfterThePeriod_IsCollectionClosed() =>
        Assert.Equal(IneligibilityReasons.CollectionClosed, Assess("wuhai-2022", Newborn("2022-06-01", "2022-07-01")).Reasons);

    [Fact]
    public void Wuhai_NewbornWithoutInsuredParent_PaysLikeAChild() =>
        Assert.Equal(340, Assess("wuhai-2022", Newborn("2022-03-01", "2022-02-01", parentInsured: false)).Payable);

    [Theory]
    [InlineData("2022-03-10", "2022-06-10", "2022-03-10")]
    [InlineData("2022-03-10", "2022-04-01", "2022-03-10")]
    [InlineData("2022-03-10", "2022-06-11", "2022-06-12")]
    [InlineData("2022-05-31", "2022-08-31", "2022-05-31")]
    public void Bagongshan_Newborn_CoveredFromBirthWithinThreeMonthsElseDayAfterPayment(string birth, string paid, string start)
    {
        var a = Assess("bagongshan-2022", Newborn(birth, paid, parentInsured: false));
        Assert.True(a.Eligible);
        Assert.Equal(320, a.Payable);
        Assert.Equal(D(start), a.CoverageStart);
    }

    [Fact]
    public void Bagongshan_Newborn_PaysThePersonalShareAfterSubsidy()
    {
        var a = Assess("bagongshan-2022", Newborn("2022-03-10", "2022-04-01") with { Identities = SubsidyIdentitySet.Of(SubsidyIdentity.MinimumLivingAllowance) });
        Assert.Equal(32, a.Payable);
    }

    [Fact]
    public void Dalate_NewbornOf2022WithInsuredParent_IsFreeFromBirth()
    {
        var a = Assess("dalate-2022", Newborn("2022-05-05", "2022-11-20"));
        Assert.True(a.Eligible);
        Assert.Equal(0, a.Payable);
        Assert.Equal(D("2022-05-05"), a.CoverageStart);
    }

    [Fact]
    public void Dalate_NewbornRegisteredTheNextYear_IsNotFree()
    {
        var a = Assess("dalate-2022", Newborn("2022-11-05", "2023-01-10"));
        Assert.False(a.Eligible);
        Assert.Equal(["collection-closed"], a.Reasons.Codes());
    }

    [Fact]
    public void Dalate_NewbornWithoutInsuredParent_EnrolsLateWithWaitingPeriod()
    {
        var a = Assess("dalate-2022", Newborn("2022-05-05", "2022-06-01", parentInsured: false));
        Assert.Equal(360, a.Payable);
        Assert.Equal(D("2022-09-01"), a.CoverageStart);
    }

    [Fact]
    public void Luyang_Newborn_MayEnrolDuringTheYear()
    {
        var a = Assess("luyang-2023", Newborn("2023-05-01", "2023-05-20"));
        Assert.True(a.Eligible);
        Assert.Equal(350, a.Payable);
        Assert.Equal(D("2023-05-01"), a.CoverageStart);
    }

    [Fact]
    public void Luyang_NewbornBornTheYearBefore_IsCoveredFromJanuary() =>
        Assert.Equal(D("2023-01-01"), Assess("luyang-2023", Newborn("2022-11-01", "2022-11-20")).CoverageStart);

    [Fact]
    public void Baiyin_Newborn_IsBoundToThePeriod() =>
        Assert.Equal(IneligibilityReasons.CollectionClosed, Assess("baiyin-2023", Newborn("2023-03-01", "2023-03-10")).Reasons);

    [Fact]
    public void NonLocalNewbornWithInsuredParent_NeedsNoPermitWhereThePolicySaysSo()
    {
        var wuhai = Assess("wuhai-2022", Newborn("2022-03-01", "2022-03-10") with { LocalHukou = false });
        var baiyin = Assess("baiyin-2023", Newborn("2022-09-01", "2022-09-10") with { LocalHukou = false });
        Assert.True(wuhai.Eligible);
        Assert.Equal(IneligibilityReasons.NoResidencePermit, baiyin.Reasons);
    }

    // ---- university students (luyang-2023) ----

    [Fact]
    public void Luyang_UniversityWeChat_IsCoveredFromPaymentDay()
    {
        var a = Assess("luyang-2023", Person("2004-01-01", "2022-10-20", Population.UniversityStudent) with { PaymentMode = UniversityPaymentMode.WeChat });
        Assert.Equal(D("2022-10-20"), a.CoverageStart);
        Assert.Equal(D("2023-12-31"), a.CoverageEnd);
    }

    [Theory]
    [InlineData(true, "2022-10-20", true)]
    [InlineData(null, "2022-10-20", true)]    // not said: a university's list is of new students
    [InlineData(false, "2023-01-01", false)]  // returning: covered like any resident paying in the period
    public void Luyang_UniversityPaymentDayCover_IsForNewStudentsOnly(bool? newStudent, string start, bool fromPaymentDay)
    {
        // 五(四)“新入学大学生由高校统一代收代缴参保费用的，自代收费用之日起可享受居民医保待遇”.
        var a = Assess("luyang-2023", Person("2004-01-01", "2022-10-20", Population.UniversityStudent) with { PaymentMode = UniversityPaymentMode.Unified, NewStudent = newStudent });

        Assert.True(a.Eligible);
        Assert.Equal((D(start), fromPaymentDay), (a.CoverageStart, a.CoverageFromPaymentDay));
        Assert.Equal(350m, a.Payable);
    }

    [Fact]
    public void Luyang_UniversityWithoutPaymentMode_IsMissingPaymentMode()
    {
        var a = Assess("luyang-2023", Person("2004-01-01", "2022-10-20", Population.UniversityStudent));
        Assert.Equal(AssessmentError.MissingPaymentMode, a.Error);
        Assert.True(a.Error.IsMissingFact());
    }

    [Fact]
    public void Baiyin_UniversityStudent_IsCoveredFromCoverageStart() =>
        Assert.Equal(D("2023-01-01"), Assess("baiyin-2023", Person("2004-01-01", "2022-10-20", Population.UniversityStudent) with { PaymentMode = UniversityPaymentMode.WeChat }).CoverageStart);

    // ---- resident ID numbers and birth dates ----

    [Fact]
    public void Id_GivesTheBirthDateForTheRate()
    {
        var request = new AssessmentRequest { Id = ResidentId.Parse("150302200603011234"), Date = D("2021-12-01") };
        Assert.Equal(340, Assess("wuhai-2022", request).Payable);
        Assert.Equal(D("2006-03-01"), Assess("wuhai-2022", request).BirthDate);
    }

    [Fact]
    public void Id_AndDisagreeingBirthDate_IsBirthDateMismatch()
    {
        var request = new AssessmentRequest { Id = ResidentId.Parse("150302200603011234"), BirthDate = D("2006-03-02"), Date = D("2021-12-01") };
        var a = Assess("wuhai-2022", request);
        Assert.Equal(AssessmentError.BirthDateMismatch, a.Error);
        Assert.False(a.Error.IsMissingFact());
    }

    [Fact]
    public void Id_AndAgreeingBirthDate_IsFine() =>
        Assert.True(Assess("wuhai-2022", new AssessmentRequest { Id = ResidentId.Parse("150302200603011234"), BirthDate = D("2006-03-01"), Date = D("2021-12-01") }).Eligible);

    [Fact]
    public void NeitherIdNorBirthDate_IsMissingBirthDate() =>
        Assert.Equal(AssessmentError.MissingBirthDate, Assess("wuhai-2022", new AssessmentRequest { Date = D("2021-12-01") }).Error);

    [Fact]
    public void BirthDateAfterTheDay_IsAnErrorExceptForNewborns()
    {
        Assert.Equal(AssessmentError.BirthDateInFuture, Assess("wuhai-2022", Person("2022-01-01", "2021-12-01")).Error);
        Assert.Equal(AssessmentError.None, Assess("wuhai-2022", Newborn("2022-01-05", "2021-12-01")).Error);
    }

    [Fact]
    public void NoDate_UsesTheAssessmentDay()
    {
        var request = Person("1980-01-01", "2021-11-01") with { Date = null };
        Assert.True(AssessmentEngine.Assess(Get("wuhai-2022"), request, D("2021-11-01")).Eligible);
        Assert.Equal(IneligibilityReasons.CollectionClosed, AssessmentEngine.Assess(Get("wuhai-2022"), request, D("2022-06-01")).Reasons);
    }
}
