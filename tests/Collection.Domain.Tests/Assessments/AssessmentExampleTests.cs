using Collection.Domain.Assessments;
using Collection.Domain.Codes;
using static Collection.Domain.Tests.TestPolicies;

namespace Collection.Domain.Tests.Assessments;

/// <summary>The examples of issue 3's table, one test each.</summary>
public class AssessmentExampleTests
{
    private static void AssertCovered(Assessment a, decimal payable, decimal subsidy, SubsidyMode mode, decimal rebate, string start, string end)
    {
        Assert.Equal(AssessmentError.None, a.Error);
        Assert.True(a.Eligible);
        Assert.Equal(IneligibilityReasons.None, a.Reasons);
        Assert.Equal(payable, a.Payable);
        Assert.Equal(subsidy, a.Subsidy);
        Assert.Equal(mode, a.SubsidyMode);
        Assert.Equal(rebate, a.Rebate);
        Assert.Equal(D(start), a.CoverageStart);
        Assert.Equal(D(end), a.CoverageEnd);
    }

    [Fact]
    public void Wuhai_ResidentBorn1985_Pays460()
    {
        var a = Assess("wuhai-2022", Person("1985-06-01", "2021-12-01"));
        AssertCovered(a, 460, 0, SubsidyMode.None, 0, "2022-01-01", "2022-12-31");
        Assert.Equal(460, a.StandardContribution);
    }

    [Fact]
    public void Wuhai_ResidentBorn2006_Pays340()
    {
        var a = Assess("wuhai-2022", Person("2006-03-01", "2021-12-01"));
        AssertCovered(a, 340, 0, SubsidyMode.None, 0, "2022-01-01", "2022-12-31");
    }

    [Fact]
    public void Wuhai_ExtremePovertyBorn1960_IsWaived460()
    {
        var a = Assess("wuhai-2022", Person("1960-01-01", "2021-12-01", Population.Resident, SubsidyIdentity.ExtremePoverty));
        AssertCovered(a, 0, 460, SubsidyMode.Waived, 0, "2022-01-01", "2022-12-31");
        Assert.Equal(SubsidyIdentity.ExtremePoverty, a.SubsidyIdentity);
        Assert.Equal(0, a.NetCost);
    }

    [Fact]
    public void Bagongshan_PovertyLifted_Pays32With288Deducted()
    {
        var a = Assess("bagongshan-2022", Person("1970-05-05", "2021-10-01", Population.Resident, SubsidyIdentity.PovertyLifted));
        AssertCovered(a, 32, 288, SubsidyMode.Deducted, 0, "2022-01-01", "2022-12-31");
        Assert.Equal("288", a.Subsidy.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Bagongshan_ResidentWithoutMigrantProofAfterPeriod_IsCollectionClosed()
    {
        var a = Assess("bagongshan-2022", Person("1970-05-05", "2022-01-20"));

        Assert.False(a.Eligible);
        Assert.Equal(IneligibilityReasons.CollectionClosed, a.Reasons);
        Assert.Null(a.CoverageStart);
        Assert.Equal(0, a.Payable);
    }

    [Fact]
    public void Dalate_EthnicMinorityLocalHukou_PaysFullAndGets150Back()
    {
        var a = Assess("dalate-2022", Person("1980-01-01", "2021-10-01", Population.Resident, SubsidyIdentity.EthnicMinority));
        AssertCovered(a, 360, 150, SubsidyMode.Rebate, 150, "2022-01-01", "2022-12-31");
        Assert.Equal(210, a.NetCost);
    }

    [Fact]
    public void Dalate_ResidentPayingLate_WaitsThreeMonths()
    {
        var a = Assess("dalate-2022", Person("1980-01-01", "2022-04-10"));
        AssertCovered(a, 360, 0, SubsidyMode.None, 0, "2022-07-10", "2022-12-31");
    }

    [Fact]
    public void Baiyin_MinimumLivingAllowanceRural3_Pays160With190Deducted()
    {
        var a = Assess("baiyin-2023", Person("1975-01-01", "2022-09-01", Population.Resident, SubsidyIdentity.MinimumLivingAllowance) with { AllowanceClass = AllowanceClass.Rural3 });
        AssertCovered(a, 160, 190, SubsidyMode.Deducted, 0, "2023-01-01", "2023-12-31");
    }

    [Fact]
    public void Baiyin_MinimumLivingAllowanceWithoutClass_IsMissingAllowanceClass()
    {
        var a = Assess("baiyin-2023", Person("1975-01-01", "2022-09-01", Population.Resident, SubsidyIdentity.MinimumLivingAllowance));

        Assert.Equal(AssessmentError.MissingAllowanceClass, a.Error);
        Assert.True(a.Error.IsMissingFact());
        Assert.Equal("missing-allowance-class", a.Error.Code());
        Assert.Equal("allowanceClass", a.Error.Field());
    }

    [Fact]
    public void Luyang_ReturnedToPoverty_Pays70With280Deducted()
    {
        var a = Assess("luyang-2023", Person("1966-01-01", "2022-10-01", Population.Resident, SubsidyIdentity.ReturnedToPoverty));
        AssertCovered(a, 70, 280, SubsidyMode.Deducted, 0, "2023-01-01", "2023-12-31");
    }

    [Fact]
    public void Luyang_UniversityStudentUnified_IsCoveredFromCollectionDay()
    {
        var a = Assess("luyang-2023", Person("2004-05-05", "2022-09-25", Population.UniversityStudent) with { PaymentMode = UniversityPaymentMode.Unified });
        AssertCovered(a, 350, 0, SubsidyMode.None, 0, "2022-09-25", "2023-12-31");
    }
}
