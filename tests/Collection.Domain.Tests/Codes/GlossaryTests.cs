using Collection.Domain.Codes;
using Collection.Domain;

namespace Collection.Domain.Tests.Codes;

public class GlossaryTests
{
    [Theory]
    [InlineData("extreme-poverty", SubsidyIdentity.ExtremePoverty)]
    [InlineData("特困人员", SubsidyIdentity.ExtremePoverty)]
    [InlineData("特困供养人员（含五保）", SubsidyIdentity.ExtremePoverty)]
    [InlineData("特困供养人员 (含五保)", SubsidyIdentity.ExtremePoverty)]
    [InlineData("Minimum-Living-Allowance", SubsidyIdentity.MinimumLivingAllowance)]
    [InlineData("低保对象", SubsidyIdentity.MinimumLivingAllowance)]
    [InlineData("边缘易致贫户", SubsidyIdentity.LowIncomeMargin)]
    [InlineData("易返贫致贫人口", SubsidyIdentity.AtRiskOfReturning)]
    [InlineData("困境儿童", SubsidyIdentity.ChildrenInDifficulty)]
    [InlineData("低保边缘家庭", SubsidyIdentity.LowIncomeFamily)]
    [InlineData("蒙古族", SubsidyIdentity.EthnicMinority)]
    [InlineData(" 返贫致贫人口 ", SubsidyIdentity.ReturnedToPoverty)]
    public void SubsidyIdentities_TryParse_AcceptsCodeOrChineseLabel(string text, SubsidyIdentity expected)
    {
        Assert.True(Glossary.SubsidyIdentities.TryParse(text, out var identity));
        Assert.Equal(expected, identity);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("poverty")]
    [InlineData("贫困")]
    public void SubsidyIdentities_TryParse_UnknownText_Fails(string? text) =>
        Assert.False(Glossary.SubsidyIdentities.TryParse(text, out _));

    [Fact]
    public void Tables_HoldEveryGlossaryCode()
    {
        Assert.Equal(["resident", "preschool", "student", "university-student", "newborn"], Glossary.Populations.Codes);
        Assert.Equal(18, Glossary.SubsidyIdentities.Codes.Count());
        Assert.Equal(["rural-1", "rural-2", "rural-3", "rural-4", "urban-full", "urban-differential"], Glossary.AllowanceClasses.Codes);
        Assert.Equal(["duplicate-payment", "joined-employee-insurance", "deceased", "duplicate-enrolment", "moved-pooling-region", "gave-up-before-deadline", "subsidised-paid-full", "wrongly-collected"], Glossary.RefundReasons.Codes);
        Assert.Equal(["wechat-scan", "online", "cash", "bank-counter", "tax-client", "unified", "assistance-fund"], Glossary.PaymentChannels.Codes);
        Assert.Equal(["wechat-scan", "online", "cash-not-in-treasury", "cash-in-treasury"], Glossary.RefundChannels.Codes);
        Assert.Equal(["none", "waived", "deducted", "rebate"], Glossary.SubsidyModes.Codes);
        Assert.Equal(["resident-id-card", "foreign-permanent-resident", "passport", "newborn-registration"], Glossary.DocumentTypes.Codes);
        Assert.Equal(["insured-elsewhere", "employee-insurance", "commitment"], Glossary.InsuranceFacts.Codes);
    }

    [Theory]
    [InlineData("护照", DocumentType.Passport)]
    [InlineData("外国人永久居留证", DocumentType.ForeignPermanentResident)]
    [InlineData("身份证", DocumentType.ResidentIdCard)]
    public void DocumentTypes_TryParse_AcceptsTheChineseNames(string text, DocumentType expected)
    {
        Assert.True(Glossary.DocumentTypes.TryParse(text, out var type));
        Assert.Equal(expected, type);
    }

    [Theory]
    [InlineData("集中参保期结束前死亡", RefundReason.Deceased)]
    [InlineData("同一个人重复缴费多次，扣费多次，仅成功参保一次", RefundReason.DuplicatePayment)]
    [InlineData("同一个人重复缴费多次,扣费多次,仅成功参保一次", RefundReason.DuplicatePayment)]
    [InlineData("subsidised-paid-full", RefundReason.SubsidisedPaidFull)]
    public void RefundReasons_TryParse_AcceptsTheNoticesSentences(string text, RefundReason expected)
    {
        Assert.True(Glossary.RefundReasons.TryParse(text, out var reason));
        Assert.Equal(expected, reason);
    }

    [Theory]
    [InlineData("新生儿", Population.Newborn)]
    [InlineData("城乡居民（非在校）", Population.Resident)]
    [InlineData("大学生", Population.UniversityStudent)]
    [InlineData("university-student", Population.UniversityStudent)]
    public void Populations_TryParse_AcceptsCodeOrLabel(string text, Population expected)
    {
        Assert.True(Glossary.Populations.TryParse(text, out var population));
        Assert.Equal(expected, population);
    }

    [Theory]
    [InlineData("农村三类低保", AllowanceClass.Rural3)]
    [InlineData("城市低保差额保障对象", AllowanceClass.UrbanDifferential)]
    [InlineData("ｒｕｒａｌ－１", AllowanceClass.Rural1)]
    public void AllowanceClasses_TryParse_AcceptsLabelsAndFullWidth(string text, AllowanceClass expected)
    {
        Assert.True(Glossary.AllowanceClasses.TryParse(text, out var value));
        Assert.Equal(expected, value);
    }

    [Fact]
    public void Label_GivesTheChineseName()
    {
        Assert.Equal("现金", Glossary.PaymentChannels.Label(PaymentChannel.Cash));
        Assert.Equal("cash-in-treasury", Glossary.RefundChannels.Code(RefundChannel.CashInTreasury));
    }

    [Fact]
    public void IneligibilityReasons_Codes_ListsEachReason()
    {
        var reasons = IneligibilityReasons.CollectionClosed | IneligibilityReasons.InEmployeeInsurance;

        Assert.Equal(["in-employee-insurance", "collection-closed"], reasons.Codes());
        Assert.Equal(2, reasons.Labels().Count);
    }

    [Fact]
    public void SubsidyIdentitySet_HoldsEachIdentityOnce()
    {
        var set = SubsidyIdentitySet.Of(SubsidyIdentity.Orphan, SubsidyIdentity.Orphan, SubsidyIdentity.FamilyPlanningSpecial);

        Assert.Equal(2, set.Count);
        Assert.True(set.Contains(SubsidyIdentity.FamilyPlanningSpecial));
        Assert.False(set.Contains(SubsidyIdentity.ExtremePoverty));
        Assert.Equal("orphan,family-planning-special", set.ToString());
    }
}
