using Collection.Domain.Codes;
using Collection.Domain.Enrolments;
using Collection.Domain.Policies;
using Collection.Domain.Subsidies;
using static Collection.Domain.Tests.TestPolicies;

namespace Collection.Domain.Tests.Subsidies;

/// <summary>Issue 17 in the policy files: labels per policy, who confirms what, unconfirmed claims, reassessment.</summary>
public class SubsidyListRulesTests
{
    [Theory]
    [InlineData("wuhai-2022", 340)]
    [InlineData("luyang-2023", 0)]
    [InlineData("baiyin-2023", 0)]
    [InlineData("dalate-2022", 0)]
    [InlineData("bagongshan-2022", 0)]
    public void ChildrenInDifficulty_SubsidisedOnlyInWuhai(string policy, decimal subsidy)
    {
        Assert.True(Get(policy).TryParseIdentity("困境儿童", out var identity));
        Assert.Equal(SubsidyIdentity.ChildrenInDifficulty, identity);
        var a = Assess(policy, Person("2015-01-01", policy == "wuhai-2022" ? "2021-11-01" : policy == "bagongshan-2022" || policy == "dalate-2022" ? "2021-10-01" : "2022-10-01", Population.Resident, identity));
        Assert.Equal(subsidy, a.Subsidy);
    }

    [Fact]
    public void LowIncomeFamily_IsNotLowIncomeMargin_AndOnlyItsElderlyAreSubsidisedInLuyang()
    {
        var luyang = Get("luyang-2023");
        Assert.True(luyang.TryParseIdentity("低保边缘家庭", out var family));
        Assert.Equal(SubsidyIdentity.LowIncomeFamily, family);
        Assert.Equal(0m, Assess("luyang-2023", Person("1980-01-01", "2022-10-01", Population.Resident, family)).Subsidy);
        Assert.Equal(315m, Assess("luyang-2023", Person("1950-01-01", "2022-10-01", Population.Resident, SubsidyIdentity.LowIncomeMarginElderly)).Subsidy);
        // 边缘易致贫户 is a monitored group (防止返贫监测对象, 50%) in luyang-2023 (audit L21).
        Assert.Equal(175m, Assess("luyang-2023", Person("1980-01-01", "2022-10-01", Population.Resident, SubsidyIdentity.LowIncomeMargin)).Subsidy);
    }

    [Theory]
    [InlineData("luyang-2023", "防止返贫监测对象", SubsidyIdentity.AtRiskOfReturning, 175)]
    [InlineData("baiyin-2023", "易返贫致贫人口", SubsidyIdentity.AtRiskOfReturning, 150)]
    [InlineData("baiyin-2023", "脱贫不稳定户", SubsidyIdentity.PovertyUnstable, 150)]
    [InlineData("baiyin-2023", "突发严重困难户", SubsidyIdentity.SuddenHardship, 150)]
    [InlineData("dalate-2022", "脱贫不稳定且纳入农村低收入监测范围的人员", SubsidyIdentity.PovertyUnstable, 310)]
    public void PolicyLabels_MeanTheIdentityThePolicySays(string policy, string label, SubsidyIdentity expected, decimal subsidy)
    {
        Assert.True(Get(policy).TryParseIdentity(label, out var identity));
        Assert.Equal(expected, identity);
        var date = policy == "dalate-2022" ? "2021-10-01" : "2022-10-01";
        Assert.Equal(subsidy, Assess(policy, Person("1980-01-01", date, Population.Resident, identity)).Subsidy);
    }

    [Fact]
    public void PolicyLabel_NotDefinedElsewhere_IsUnknownThere()
    {
        // 防止返贫监测对象 is luyang-2023's word; the glossary alone does not guess it for another notice.
        Assert.True(Get("luyang-2023").TryParseIdentity("防止返贫监测对象", out _));
        Assert.False(Get("dalate-2022").TryParseIdentity("防止返贫监测对象", out _));
    }

    [Theory]
    [InlineData("dalate-2022", Department.EthnicAffairs, SubsidyIdentity.ExtremePoverty, false)]
    [InlineData("dalate-2022", Department.EthnicAffairs, SubsidyIdentity.EthnicMinority, true)]
    [InlineData("dalate-2022", Department.CivilAffairs, SubsidyIdentity.Orphan, true)]
    [InlineData("dalate-2022", Department.CivilAffairs, SubsidyIdentity.DisabledGrade1, false)]
    [InlineData("dalate-2022", Department.Health, SubsidyIdentity.ExtremePoverty, false)]
    [InlineData("luyang-2023", Department.Health, SubsidyIdentity.FamilyPlanningSpecial, true)]
    [InlineData("luyang-2023", Department.RuralRevitalisation, SubsidyIdentity.MinimumLivingAllowance, false)]
    [InlineData("bagongshan-2022", Department.DisabledFederation, SubsidyIdentity.DisabledGrade2, true)]
    [InlineData("wuhai-2022", Department.CivilAffairs, SubsidyIdentity.ChildrenInDifficulty, true)]
    public void Departments_ConfirmOnlyTheirOwnIdentities(string policy, Department department, SubsidyIdentity identity, bool confirms) =>
        Assert.Equal(confirms, Get(policy).Confirms(department, identity));

    [Fact]
    public void DisabledFederation_InDalate_ExcludesEmployeeInsured()
    {
        Assert.True(Get("dalate-2022").ExcludesEmployeeInsured(Department.DisabledFederation));
        Assert.False(Get("dalate-2022").ExcludesEmployeeInsured(Department.CivilAffairs));
        Assert.False(Get("luyang-2023").ExcludesEmployeeInsured(Department.DisabledFederation));
    }

    [Fact]
    public void ClaimedIdentity_NoListConfirms_RecordedUnconfirmedAndNotApplied()
    {
        var policy = Get("bagongshan-2022");
        var claims = ClaimedIdentities.Resolve(policy, SubsidyIdentitySet.Empty, null, SubsidyIdentitySet.Of(SubsidyIdentity.ExtremePoverty), null);
        Assert.True(claims.Applied.IsEmpty);
        Assert.Equal(SubsidyIdentitySet.Of(SubsidyIdentity.ExtremePoverty), claims.Unconfirmed);
        Assert.False(policy.UnconfirmedClaimsSubsidise);
    }

    [Fact]
    public void ConfirmedIdentity_AppliedWithTheListsClass_NothingTypedNeeded()
    {
        var policy = Get("baiyin-2023");
        var claims = ClaimedIdentities.Resolve(policy, SubsidyIdentitySet.Of(SubsidyIdentity.MinimumLivingAllowance), AllowanceClass.Rural3,
            SubsidyIdentitySet.Of(SubsidyIdentity.MinimumLivingAllowance, SubsidyIdentity.Orphan), AllowanceClass.Rural1);
        Assert.Equal(SubsidyIdentitySet.Of(SubsidyIdentity.MinimumLivingAllowance), claims.Applied);
        Assert.Equal(AllowanceClass.Rural3, claims.AllowanceClass);
        Assert.Equal(SubsidyIdentitySet.Of(SubsidyIdentity.Orphan), claims.Unconfirmed);
    }

    [Fact]
    public void PolicyFile_DepartmentListedTwice_IsInvalid()
    {
        var json = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "policies", "dalate-2022.json"))
            .Replace("\"department\": \"ethnic-affairs\"", "\"department\": \"civil-affairs\"", StringComparison.Ordinal);
        var e = Assert.Throws<PolicyValidationException>(() => PolicyReader.Read(json, "dalate-2022.json"));
        Assert.Contains("subsidyLists.departments[3].department", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reassess_NothingPaid_LowerAmountDueReplacesTheTerms()
    {
        var at = new DateTimeOffset(2021, 10, 1, 9, 0, 0, TimeSpan.FromHours(8));
        var enrolment = Enrolment.Register("bagongshan-2022", "340405195001010011", "window",
            new EnrolmentTerms(320m, 0m, 320m, 0m, D("2022-01-01"), D("2022-12-31")), D("2021-10-01"), at, "staff");
        var lower = new EnrolmentTerms(320m, 288m, 32m, 0m, D("2022-01-01"), D("2022-12-31"), SubsidyMode.Deducted);

        var reassessed = enrolment.Reassess(lower, D("2021-10-02"), at, "subsidy-list", "民政名单确认低保对象");

        Assert.Equal(32m, reassessed.Balance);
        Assert.Equal("reassessed", reassessed.Changes[^1].Cause);
        Assert.Contains("320.00 → 32.00", reassessed.Changes[^1].Detail, StringComparison.Ordinal);
        // Waived: nothing left to pay, so paid (covered from the coverage year's first day).
        var waived = enrolment.Reassess(lower with { Subsidy = 320m, Payable = 0m, SubsidyMode = SubsidyMode.Waived }, D("2021-10-02"), at, "l", "x");
        Assert.Equal(EnrolmentStatus.Paid, waived.Status);
        // Once anything is paid, or for a higher amount, the terms stay.
        var paid = enrolment.Post(new PostedPayment("T1", 320m, D("2021-10-01"), "online", true, at, "tax"), D("2022-01-01"), D("2021-10-01"));
        Assert.Same(paid, paid.Reassess(lower, D("2021-10-02"), at, "l", "x"));
        Assert.Same(reassessed, reassessed.Reassess(enrolment.Terms, D("2021-10-03"), at, "l", "x"));
    }
}
