using Collection.Domain;

namespace Collection.Domain.Tests;

public class ResidentIdTests
{
    [Theory]
    [InlineData("11010519491231002X", 1949, 12, 31, Sex.Female)]
    [InlineData("440524188001010014", 1880, 1, 1, Sex.Male)]
    [InlineData("110101198506074511", 1985, 6, 7, Sex.Male)]
    public void TryParse_ValidNumber_GivesBirthDateAndSex(string text, int year, int month, int day, Sex sex)
    {
        Assert.True(ResidentId.TryParse(text, null, out var id, out var error));

        Assert.Equal(ResidentIdError.None, error);
        Assert.Equal(new DateOnly(year, month, day), id.BirthDate);
        Assert.Equal(sex, id.Sex);
        Assert.Equal(text, id.ToString());
    }

    [Fact]
    public void TryParse_ForeignPermanentResidentNumber_GivesBirthDateSexAndMark()
    {
        // 2023 外国人永久居留身份证: 9, issuing province 11 (Beijing), nationality 840, 1985-06-01, sequence 123, MOD 11-2.
        Assert.True(ResidentId.TryParse("911840198506011230", null, out var id, out var error));

        Assert.Equal(ResidentIdError.None, error);
        Assert.True(id.IsForeignPermanentResident);
        Assert.Equal((new DateOnly(1985, 6, 1), Sex.Male), (id.BirthDate, id.Sex));
        Assert.Equal("911840198506011230", id.ToString());
        Assert.False(ResidentId.Parse("110101198506074511").IsForeignPermanentResident);
    }

    [Theory]
    [InlineData("911840198506011231", ResidentIdError.WrongCheckDigit)]
    [InlineData("900840198506011238", ResidentIdError.UnknownProvince)] // 9 then 00: no issuing province
    [InlineData("98884019850601123X", ResidentIdError.UnknownProvince)]
    [InlineData("911840198513011236", ResidentIdError.InvalidBirthDate)]
    [InlineData("AB1123456789012", ResidentIdError.InvalidCharacter)] // the older card: 3 letters, then 12 digits
    [InlineData("ABC12345678901Z", ResidentIdError.InvalidCharacter)]
    [InlineData("ABC12345678901", ResidentIdError.WrongLength)]
    public void TryParse_BadForeignPermanentResidentNumber_SaysWhy(string text, ResidentIdError expected)
    {
        Assert.False(ResidentId.TryParse(text, null, out _, out var error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void TryParse_OlderForeignPermanentResidentCard_IsKeyedByItsUpperCasedNumber()
    {
        // 2017 外国人永久居留身份证: 3 Latin letters (nationality) + 12 digits; luyang-2023 二 names foreigners.
        Assert.True(ResidentId.TryParse(" usa１10085060112 ", null, out var id, out var error));

        Assert.Equal(ResidentIdError.None, error);
        Assert.Equal("USA110085060112", id.ToString());
        Assert.Equal(DocumentType.ForeignPermanentResident, id.DocumentType);
        Assert.True(id.IsForeign);
        Assert.False(id.EncodesBirthDate);
        Assert.Throws<InvalidOperationException>(() => id.BirthDate);
        Assert.Equal("USA*********112", id.Masked);
        Assert.Equal(id, ResidentId.Parse(id.ToString()));
    }

    [Fact]
    public void TryParse_Passport_NeedsItsNationality_AndIsKeyedWithIt()
    {
        Assert.True(ResidentId.TryParse(DocumentType.Passport, "e 1234-5678", "usa", null, out var id, out var error));

        Assert.Equal(ResidentIdError.None, error);
        Assert.Equal("PP-USA-E12345678", id.ToString());
        Assert.Equal(DocumentType.Passport, id.DocumentType);
        Assert.True(id.IsForeign);
        Assert.False(id.EncodesBirthDate);
        Assert.Equal("PP-USA-*******78", id.Masked);
        Assert.DoesNotContain("123456", id.Masked, StringComparison.Ordinal);
        Assert.Equal(id, ResidentId.Parse("PP-USA-E12345678"));

        // The same number from another country is another person.
        Assert.True(ResidentId.TryParse(DocumentType.Passport, "E12345678", "KOR", null, out var korean, out _));
        Assert.NotEqual(id, korean);
    }

    [Theory]
    [InlineData("E12345678", "", ResidentIdError.MissingNationality)]
    [InlineData("E12345678", "US", ResidentIdError.InvalidNationality)]
    [InlineData("E12345678", "美国", ResidentIdError.InvalidNationality)]
    [InlineData("E123", "USA", ResidentIdError.WrongLength)]
    [InlineData("E1234567890123456789", "USA", ResidentIdError.WrongLength)]
    [InlineData("E1234567#", "USA", ResidentIdError.InvalidCharacter)]
    [InlineData("", "USA", ResidentIdError.Empty)]
    public void TryParse_BadPassport_SaysWhy(string number, string nationality, ResidentIdError expected)
    {
        Assert.False(ResidentId.TryParse(DocumentType.Passport, number, nationality, null, out _, out var error));
        Assert.Equal(expected, error);
    }

    [Theory]
    [InlineData(DocumentType.ForeignPermanentResident, "110101198506074511", ResidentIdError.WrongDocumentType)]
    [InlineData(DocumentType.ResidentIdCard, "911840198506011230", ResidentIdError.WrongDocumentType)]
    [InlineData(DocumentType.ResidentIdCard, "USA110085060112", ResidentIdError.WrongDocumentType)]
    [InlineData(DocumentType.ForeignPermanentResident, "911840198506011231", ResidentIdError.WrongCheckDigit)]
    [InlineData(DocumentType.ForeignPermanentResident, "911840198506011230", ResidentIdError.None)]
    [InlineData(DocumentType.ForeignPermanentResident, "USA110085060112", ResidentIdError.None)]
    [InlineData(DocumentType.ResidentIdCard, "110101198506074511", ResidentIdError.None)]
    public void TryParse_WithDocumentType_ChecksTheNumberIsThatDocuments(DocumentType type, string number, ResidentIdError expected)
    {
        Assert.Equal(expected == ResidentIdError.None, ResidentId.TryParse(type, number, "", null, out _, out var error));
        Assert.Equal(expected, error);
    }

    [Fact]
    public void TryParse_LowerCaseX_IsAcceptedAsUpperCase()
    {
        Assert.True(ResidentId.TryParse("11010519491231002x", out var id));
        Assert.Equal("11010519491231002X", id.ToString());
    }

    [Fact]
    public void TryParse_FullWidthDigitsAndSpaces_AreNormalised()
    {
        Assert.True(ResidentId.TryParse(" １１０１０５１９４９１２３１００２Ｘ ", out var id));
        Assert.Equal("11010519491231002X", id.ToString());
    }

    [Fact]
    public void TryParse_Legacy15Digits_InsertsCenturyAndComputesCheck()
    {
        Assert.True(ResidentId.TryParse("110105491231002", null, out var id, out _));

        Assert.Equal("11010519491231002X", id.ToString());
        Assert.Equal(new DateOnly(1949, 12, 31), id.BirthDate);
        Assert.Equal(ResidentId.Parse("11010519491231002X"), id);
    }

    [Theory]
    [InlineData("", ResidentIdError.Empty)]
    [InlineData("   ", ResidentIdError.Empty)]
    [InlineData("1101051949123100", ResidentIdError.WrongLength)]
    [InlineData("11010519491231002X1", ResidentIdError.WrongLength)]
    [InlineData("1101051949123100AX", ResidentIdError.InvalidCharacter)]
    [InlineData("11010519491231002Y", ResidentIdError.InvalidCharacter)]
    [InlineData("110105194912310021", ResidentIdError.WrongCheckDigit)]
    [InlineData("11010519491231002-", ResidentIdError.InvalidCharacter)]
    [InlineData("11010519491331002X", ResidentIdError.InvalidBirthDate)]
    [InlineData("110105194902300020", ResidentIdError.InvalidBirthDate)]
    [InlineData("11010549123100A", ResidentIdError.InvalidCharacter)]
    public void TryParse_BadNumber_GivesItsError(string text, ResidentIdError expected)
    {
        Assert.False(ResidentId.TryParse(text, null, out _, out var error));
        Assert.Equal(expected, error);
    }

    [Theory]
    [InlineData("00")]
    [InlineData("10")]
    [InlineData("20")]
    [InlineData("66")]
    [InlineData("99")]
    public void TryParse_UnknownProvince_IsRejectedEvenWithRightCheck(string province)
    {
        var first17 = province + "0105194912310020"[..15];
        var text = first17 + ResidentId.ComputeCheckCharacter(first17);

        Assert.False(ResidentId.TryParse(text, null, out _, out var error));
        Assert.Equal(ResidentIdError.UnknownProvince, error);
    }

    [Fact]
    public void TryParse_BirthAfterAssessmentDay_IsRejected()
    {
        const string text = "150302202203151237";

        Assert.False(ResidentId.TryParse(text, new DateOnly(2022, 3, 14), out _, out var error));
        Assert.Equal(ResidentIdError.BirthDateInFuture, error);
        Assert.True(ResidentId.TryParse(text, new DateOnly(2022, 3, 15), out _, out _));
    }

    [Fact]
    public void Masked_HidesTheBirthDate()
    {
        Assert.Equal("110101********4511", ResidentId.Parse("110101198506074511").Masked);
        Assert.Equal("110105********002X", ResidentId.Parse("11010519491231002X").Masked);
    }

    [Fact]
    public void ComputeCheckCharacter_MatchesTheStandardsExample()
    {
        Assert.Equal('X', ResidentId.ComputeCheckCharacter("11010519491231002"));
        Assert.Equal('4', ResidentId.ComputeCheckCharacter("44052418800101001"));
    }

    [Fact]
    public void Parse_Invalid_ThrowsFormatExceptionWithoutTheNumber()
    {
        var e = Assert.Throws<FormatException>(() => ResidentId.Parse("110105194912310021"));
        Assert.DoesNotContain("110105194912310021", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AreaCode_IsTheFirstSixDigits()
    {
        Assert.Equal(150302, ResidentId.Parse("150302198506011232").AreaCode);
    }
}
