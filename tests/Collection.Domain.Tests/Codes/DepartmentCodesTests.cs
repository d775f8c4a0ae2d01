using Collection.Domain.Codes;
using Collection.Domain.Tests.Subsidies;

namespace Collection.Domain.Tests.Codes;

public class DepartmentCodesTests
{
    [Theory]
    [InlineData("civil-affairs", Department.CivilAffairs)]
    [InlineData("民政", Department.CivilAffairs)]
    [InlineData("旗残联", Department.DisabledFederation)]
    [InlineData("rural-revitalisation", Department.RuralRevitalisation)]
    [InlineData("乡村振兴统筹发展中心", Department.RuralRevitalisation)]
    [InlineData("民族事务委员会", Department.EthnicAffairs)]
    [InlineData("卫健", Department.Health)]
    public void Departments_TryParse_AcceptsCodeOrChineseName(string text, Department expected)
    {
        Assert.True(Glossary.Departments.TryParse(text, out var department));
        Assert.Equal(expected, department);
    }

    [Fact]
    public void Departments_Codes_AreTheFiveOfTheIssue()
    {
        Assert.Equal(["civil-affairs", "disabled-federation", "rural-revitalisation", "ethnic-affairs", "health"], Glossary.Departments.Codes);
        Assert.False(Glossary.Departments.TryParse("police", out _));
    }
}
