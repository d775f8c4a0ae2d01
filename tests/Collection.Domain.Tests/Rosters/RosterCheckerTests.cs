using Collection.Domain.Codes;
using Collection.Domain.Rosters;
using static Collection.Domain.Tests.TestPolicies;

namespace Collection.Domain.Tests.Rosters;

public class RosterCheckerTests
{
    private static readonly DateOnly InCollection = D("2022-10-10");

    /// <summary>A valid 18-digit number of 庐阳区 (340103) for a birth date and sequence (odd = male).</summary>
    internal static string Id(string birth, int sequence, string region = "340103")
    {
        var body = $"{region}{birth.Replace("-", string.Empty, StringComparison.Ordinal)}{sequence:000}";
        return body + ResidentId.ComputeCheckCharacter(body);
    }

    private static RosterChecker School(string policy = "luyang-2023") => new(Get(policy), RosterKind.School, InCollection);

    private static RosterRowFacts Row(int line, string id, string name = "王小明") => new() { LineNumber = line, IdNumber = id, Name = name };

    [Fact]
    public void Check_ValidPupil_AcceptedAsStudentWithPayable()
    {
        var result = School().Check(Row(2, Id("2013-03-01", 21)) with { Gender = "男", Grade = "3年级" });

        Assert.True(result.Accepted);
        Assert.Equal(Population.Student, result.Person!.Population);
        Assert.Equal(350m, result.Person.Assessment.Payable);
        Assert.Equal(2, result.Person.LineNumber);
    }

    [Fact]
    public void Check_ForeignPupilWithOlderCard_AcceptedWithTheBirthDateOfTheRow()
    {
        // luyang-2023 二 “与在本市工作的外籍专家共同生活的配偶及未成年子女……均可以参加”.
        var result = School().Check(Row(2, "kor110130030112") with { IdType = "外国人永久居留身份证", BirthDate = "2013-03-01", Gender = "女", Grade = "3年级" });

        Assert.True(result.Accepted, result.Rejection?.Message);
        Assert.Equal("KOR110130030112", result.Person!.Id.ToString());
        Assert.Equal(D("2013-03-01"), result.Person.Assessment.BirthDate);
        Assert.Equal(350m, result.Person.Assessment.Payable);
    }

    [Fact]
    public void Check_ForeignPupilWithPassport_AcceptedAndKeyedWithNationality()
    {
        var result = School().Check(Row(2, "M1234567") with { IdType = "护照", Nationality = "USA", BirthDate = "2012-09-01", Grade = "初一" });

        Assert.True(result.Accepted, result.Rejection?.Message);
        Assert.Equal("PP-USA-M1234567", result.Person!.Id.ToString());
        Assert.Equal(Population.Student, result.Person.Population);
    }

    [Fact]
    public void Check_PassportWithoutBirthDate_MissingBirthDateInChinese()
    {
        var result = School().Check(Row(4, "M1234567") with { IdType = "passport", Nationality = "USA", Grade = "初一" });

        Assert.Equal(RosterReasons.MissingBirthDate, result.Rejection!.Code);
        Assert.Contains("护照号码中没有出生日期", result.Rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_PassportWithoutNationality_InvalidIdNumberNamingTheNationality()
    {
        var result = School().Check(Row(4, "M1234567") with { IdType = "护照", BirthDate = "2012-09-01" });

        Assert.Equal(RosterReasons.InvalidIdNumber, result.Rejection!.Code);
        Assert.Contains("国籍", result.Rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_UnknownIdType_Rejected()
    {
        var result = School().Check(Row(4, "M1234567") with { IdType = "驾驶证", BirthDate = "2012-09-01" });

        Assert.Equal(RosterReasons.UnknownIdType, result.Rejection!.Code);
        Assert.Contains("驾驶证", result.Rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_CitizenNumberTypedAsForeignCard_InvalidIdNumber()
    {
        var result = School().Check(Row(4, Id("2013-03-01", 21)) with { IdType = "外国人永久居留身份证" });

        Assert.Equal(RosterReasons.InvalidIdNumber, result.Rejection!.Code);
        Assert.Contains("证件类型不符", result.Rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_SamePassportTwiceInAFile_Duplicate()
    {
        var checker = School();
        Assert.True(checker.Check(Row(2, "M1234567") with { IdType = "护照", Nationality = "USA", BirthDate = "2012-09-01" }).Accepted);

        var second = checker.Check(Row(3, "m 1234567") with { IdType = "护照", Nationality = "usa", BirthDate = "2012-09-01" });

        Assert.Equal(RosterReasons.DuplicateInFile, second.Rejection!.Code);
    }

    [Fact]
    public void Check_SeventyTwoYearOldPupil_ImplausibleAgeSayingAgeAndLimits()
    {
        var result = School().Check(Row(3, Id("1950-03-01", 31)) with { Grade = "3年级" });

        Assert.Equal(RosterReasons.ImplausibleAge, result.Rejection!.Code);
        Assert.Contains("72 岁", result.Rejection.Message, StringComparison.Ordinal);
        Assert.Contains("在校学生", result.Rejection.Message, StringComparison.Ordinal);
        Assert.Contains("5–30 岁", result.Rejection.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1992-10-10", true)]  // 30 on the day: the oldest plausible pupil
    [InlineData("1992-10-09", true)]
    [InlineData("1991-10-10", false)] // 31
    [InlineData("2017-10-10", true)]  // 5
    [InlineData("2017-10-11", false)] // 4, with a school grade
    public void Check_StudentAgeLimits_BothEndsIncluded(string birth, bool accepted)
    {
        var result = School().Check(Row(2, Id(birth, 41)) with { Grade = "1年级" });

        Assert.Equal(accepted, result.Rejection?.Code != RosterReasons.ImplausibleAge);
    }

    [Fact]
    public void Check_UniversityRosterFourteenYearOld_ImplausibleAge()
    {
        var university = new RosterChecker(Get("luyang-2023"), RosterKind.University, InCollection);

        var result = university.Check(Row(2, Id("2008-05-01", 51)) with { PaymentMode = "微信" });

        Assert.Equal(RosterReasons.ImplausibleAge, result.Rejection!.Code);
        Assert.Contains("14 岁", result.Rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_WrongCheckDigit_InvalidIdNumber()
    {
        var id = Id("2013-03-01", 21);
        var wrong = id[..17] + (id[17] == '0' ? '1' : '0');

        var result = School().Check(Row(6, wrong));

        Assert.Equal(RosterReasons.InvalidIdNumber, result.Rejection!.Code);
        Assert.Contains("校验位", result.Rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_ShortIdNumber_InvalidIdNumberSaysLength()
    {
        var result = School().Check(Row(2, "34010320130301"));

        Assert.Equal(RosterReasons.InvalidIdNumber, result.Rejection!.Code);
        Assert.Contains("14 位", result.Rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_BlankName_MissingName()
    {
        var result = School().Check(Row(4, Id("2013-03-01", 21), name: "  "));

        Assert.Equal(RosterReasons.MissingName, result.Rejection!.Code);
    }

    [Fact]
    public void Check_FemaleWithOddSequence_GenderMismatch()
    {
        var result = School().Check(Row(2, Id("2013-03-01", 21)) with { Gender = "女" });

        Assert.Equal(RosterReasons.GenderMismatch, result.Rejection!.Code);
        Assert.Contains("“女”", result.Rejection.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("M")]
    [InlineData("男性")]
    [InlineData("1")]
    public void Check_MaleSpelledOtherwise_Accepted(string gender)
    {
        Assert.True(School().Check(Row(2, Id("2013-03-01", 21)) with { Gender = gender }).Accepted);
    }

    [Fact]
    public void Check_BirthDateDiffersFromIdNumber_BirthDateMismatch()
    {
        var result = School().Check(Row(2, Id("2013-03-01", 21)) with { BirthDate = "2013-03-02" });

        Assert.Equal(RosterReasons.BirthDateMismatch, result.Rejection!.Code);
        Assert.Contains("2013-03-01", result.Rejection.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2013/3/1")]
    [InlineData("20130301")]
    [InlineData("2013年3月1日")]
    [InlineData("2013-03-01 00:00:00")]
    public void Check_BirthDateAgreesInAnyFormat_Accepted(string birthDate)
    {
        Assert.True(School().Check(Row(2, Id("2013-03-01", 21)) with { BirthDate = birthDate }).Accepted);
    }

    [Fact]
    public void Check_UnreadableBirthDate_InvalidDate()
    {
        Assert.Equal(RosterReasons.InvalidDate, School().Check(Row(2, Id("2013-03-01", 21)) with { BirthDate = "三月一日" }).Rejection!.Code);
    }

    [Fact]
    public void Check_SameIdTwice_SecondIsDuplicateNamingBothLines()
    {
        var checker = School();
        var id = Id("2013-03-01", 21);

        var first = checker.Check(Row(3, id));
        var second = checker.Check(Row(9, id, "王晓明"));

        Assert.True(first.Accepted);
        Assert.Equal(RosterReasons.DuplicateInFile, second.Rejection!.Code);
        Assert.Contains("第 9 行", second.Rejection.Message, StringComparison.Ordinal);
        Assert.Contains("第 3 行", second.Rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_LowerCaseXAndLegacyNumberOfSamePerson_Duplicate()
    {
        var checker = School();
        // A legacy 15-digit number means a birth before 2000: a 27-year-old 中专 student (ages 5–30 are plausible).
        var id18 = Id("1995-05-01", 12);
        var legacy = id18[..6] + id18[8..17];

        Assert.True(checker.Check(Row(2, id18) with { Grade = "中专二年级" }).Accepted);
        Assert.Equal(RosterReasons.DuplicateInFile, checker.Check(Row(3, legacy)).Rejection!.Code);
    }

    [Fact]
    public void Check_UnknownIdentity_UnknownIdentityNamingIt()
    {
        var result = School().Check(Row(2, Id("2013-03-01", 21)) with { Identities = "低保对象、贫困生" });

        Assert.Equal(RosterReasons.UnknownIdentity, result.Rejection!.Code);
        Assert.Contains("贫困生", result.Rejection.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("特困人员", 0)]
    [InlineData("低保对象", 35)]
    [InlineData("低保对象、特困人员", 0)]
    [InlineData("无", 350)]
    public void Check_Identities_AssessedWithHighestSubsidy(string identities, decimal payable)
    {
        var result = School().Check(Row(2, Id("2013-03-01", 21)) with { Identities = identities });

        Assert.Equal(payable, result.Person!.Assessment.Payable);
    }

    [Fact]
    public void Check_BeforeCollectionOpens_NotEligibleWithAssessmentReason()
    {
        var checker = new RosterChecker(Get("luyang-2023"), RosterKind.School, D("2022-08-01"));

        var result = checker.Check(Row(2, Id("2013-03-01", 21)));

        Assert.Equal(RosterReasons.NotEligible, result.Rejection!.Code);
        Assert.Contains("collection-not-open", result.Rejection.Message, StringComparison.Ordinal);
        Assert.Contains("征缴期尚未开始", result.Rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_UniversityRowWithoutPaymentModeUnderLuyang_MissingPaymentMode()
    {
        var checker = new RosterChecker(Get("luyang-2023"), RosterKind.University, InCollection);

        Assert.Equal(RosterReasons.MissingPaymentMode, checker.Check(Row(3, Id("2004-01-15", 71))).Rejection!.Code);
    }

    [Fact]
    public void Check_UniversityRowByWeChat_UniversityStudentCoveredFromPaymentDay()
    {
        var checker = new RosterChecker(Get("luyang-2023"), RosterKind.University, InCollection);

        var person = checker.Check(Row(3, Id("2004-01-15", 71)) with { PaymentMode = "微信" }).Person!;

        Assert.Equal(Population.UniversityStudent, person.Population);
        Assert.Equal(UniversityPaymentMode.WeChat, person.PaymentMode);
        Assert.Equal(InCollection, person.Assessment.CoverageStart);
    }

    [Theory]
    [InlineData("是", true, "2022-10-10")]
    [InlineData("新生", true, "2022-10-10")]
    [InlineData("", null, "2022-10-10")]
    [InlineData("否", false, "2023-01-01")]
    [InlineData("老生", false, "2023-01-01")]
    public void Check_UniversityRowIsNewStudent_IsKeptAndDecidesCover(string cell, bool? newStudent, string start)
    {
        var checker = new RosterChecker(Get("luyang-2023"), RosterKind.University, InCollection);

        var person = checker.Check(Row(3, Id("2004-01-15", 71)) with { PaymentMode = "统一代收", NewStudent = cell }).Person!;

        Assert.Equal(newStudent, person.NewStudent);
        Assert.Equal(D(start), person.Assessment.CoverageStart);
    }

    [Fact]
    public void Check_UniversityRowIsNewStudentUnreadable_InvalidYesNo()
    {
        var checker = new RosterChecker(Get("luyang-2023"), RosterKind.University, InCollection);

        var rejection = checker.Check(Row(3, Id("2004-01-15", 71)) with { PaymentMode = "微信", NewStudent = "大概" }).Rejection!;

        Assert.Equal(RosterReasons.InvalidYesNo, rejection.Code);
        Assert.Contains("是否新生", rejection.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Check_UnknownPaymentMode_UnknownPaymentMode()
    {
        var checker = new RosterChecker(Get("luyang-2023"), RosterKind.University, InCollection);

        Assert.Equal(RosterReasons.UnknownPaymentMode, checker.Check(Row(3, Id("2004-01-15", 71)) with { PaymentMode = "支付宝" }).Rejection!.Code);
    }

    [Theory]
    [InlineData("大班", "2017-05-01", Population.Preschool)]
    [InlineData("幼儿园中班", "2018-05-01", Population.Preschool)]
    [InlineData("3年级", "2013-05-01", Population.Student)]
    [InlineData("", "2019-05-01", Population.Preschool)]
    [InlineData("", "2012-05-01", Population.Student)]
    public void PopulationOf_SchoolRows_ByGradeOrAge(string grade, string birth, Population expected)
    {
        Assert.Equal(expected, RosterChecker.PopulationOf(RosterKind.School, grade, D(birth), D("2023-01-01")));
    }

    [Fact]
    public void Check_WuhaiKindergartenChild_PreschoolRate()
    {
        var checker = new RosterChecker(Get("wuhai-2022"), RosterKind.School, D("2021-10-10"));

        var person = checker.Check(Row(2, Id("2017-05-01", 22, "150302")) with { Grade = "大班" }).Person!;

        Assert.Equal(Population.Preschool, person.Population);
        Assert.Equal(340m, person.Assessment.StandardContribution);
    }

    [Fact]
    public void Mask_ValidAndInvalidNumbers_KeepOnlyRegionAndLastFour()
    {
        Assert.Equal("340103********0219", RosterChecker.Mask("340103201303010219"));
        Assert.Equal("340103****0301", RosterChecker.Mask("34010320130301"));
        Assert.Equal("*****", RosterChecker.Mask("12345"));
    }

    [Fact]
    public void Enrolled_NamesOtherSchoolAndDate()
    {
        var rejection = RosterReasons.Enrolled("luyang-2023", RosterReasons.DescribeSource("roster:SCH002"), D("2022-09-15"));

        Assert.Equal(RosterReasons.AlreadyEnrolled, rejection.Code);
        Assert.Contains("学校 SCH002 的名册", rejection.Message, StringComparison.Ordinal);
        Assert.Contains("2022-09-15", rejection.Message, StringComparison.Ordinal);
    }
}
