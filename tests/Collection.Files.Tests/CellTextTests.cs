using Collection.Files;

namespace Collection.Files.Tests;

public class CellTextTests
{
    [Theory]
    [InlineData("　张三　", "张三")]
    [InlineData("\u00A0李四\u200B", "李四")]
    [InlineData("ＡＢＣ１２３", "ABC123")]
    [InlineData("=\"110101201501010018\"", "110101201501010018")]
    [InlineData("'110101201501010018", "110101201501010018")]
    [InlineData("\t110101201501010018", "110101201501010018")]
    [InlineData("买买提·艾力", "买买提·艾力")]
    public void Clean_SpacesWidthsAndExcelWrappers_AreRemoved(string cell, string expected) =>
        Assert.Equal(expected, CellText.Clean(cell));

    [Theory]
    [InlineData("11010120150202002x", "11010120150202002X")]
    [InlineData("110101 20150202 002X", "11010120150202002X")]
    [InlineData("１１０１０１２０１５０２０２００２Ｘ", "11010120150202002X")]
    public void IdNumber_Variants_AreNormalised(string cell, string expected) =>
        Assert.Equal(expected, CellText.IdNumber(cell));

    [Theory]
    [InlineData("是", true)]
    [InlineData("否", false)]
    [InlineData("Y", true)]
    [InlineData("n", false)]
    [InlineData("TRUE", true)]
    [InlineData("false", false)]
    [InlineData("1", true)]
    [InlineData("０", false)]
    public void ParseYesNo_KnownWords_Parse(string cell, bool expected) =>
        Assert.Equal(expected, CellText.ParseYesNo(cell).Value);

    [Fact]
    public void ParseYesNo_BlankAndUnknown_AreBlankAndCodedError()
    {
        Assert.True(CellText.ParseYesNo("  ").IsBlank);
        Assert.Equal(CellErrorCodes.InvalidYesNo, CellText.ParseYesNo("也许").ErrorCode);
    }

    [Theory]
    [InlineData("380", "380")]
    [InlineData("1,234.50", "1234.50")]
    [InlineData("¥380.00", "380.00")]
    [InlineData("￥380", "380")]
    [InlineData("380元", "380")]
    [InlineData("RMB 380.5", "380.5")]
    [InlineData("-30", "-30")]
    [InlineData("３８０", "380")]
    public void ParseAmount_CommonWritings_ParseToDecimal(string cell, string expected) =>
        Assert.Equal(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), CellText.ParseAmount(cell).Value);

    [Theory]
    [InlineData("三百八")]
    [InlineData("380.005")]
    [InlineData("38O")]
    public void ParseAmount_NotAnAmount_IsInvalidAmount(string cell) =>
        Assert.Equal(CellErrorCodes.InvalidAmount, CellText.ParseAmount(cell).ErrorCode);

    [Theory]
    [InlineData("2022-04-10")]
    [InlineData("2022/4/10")]
    [InlineData("2022.4.10")]
    [InlineData("20220410")]
    [InlineData("2022年4月10日")]
    [InlineData("2022-04-10 13:45:00")]
    [InlineData("44661")]
    [InlineData("２０２２－０４－１０")]
    public void ParseDate_CommonWritings_ParseToDate(string cell) =>
        Assert.Equal(new DateOnly(2022, 4, 10), CellText.ParseDate(cell).Value);

    [Theory]
    [InlineData("2022-02-30")]
    [InlineData("10/04/2022x")]
    [InlineData("明天")]
    public void ParseDate_NotADate_IsInvalidDate(string cell) =>
        Assert.Equal(CellErrorCodes.InvalidDate, CellText.ParseDate(cell).ErrorCode);

    [Theory]
    [InlineData(1, "1900-01-01")]
    [InlineData(59, "1900-02-28")]
    [InlineData(61, "1900-03-01")]
    [InlineData(44661.75, "2022-04-10")]
    public void TryFromExcelSerial_1900System_MatchesExcel(double serial, string expected)
    {
        Assert.True(CellText.TryFromExcelSerial(serial, date1904: false, out var date));
        Assert.Equal(DateOnly.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), date);
    }

    [Theory]
    [InlineData("1.10101E+17", true)]
    [InlineData("1.10101199003074E+17", true)]
    [InlineData("110101201501010018", false)]
    [InlineData("11010120150202002X", false)]
    public void LooksLikeNumberInScientificNotation_DetectsExcelExponentForm(string cell, bool expected) =>
        Assert.Equal(expected, CellText.LooksLikeNumberInScientificNotation(cell));
}
