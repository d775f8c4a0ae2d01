using System.Text;
using Collection.Files;
using static Collection.Files.Tests.TestFiles;

namespace Collection.Files.Tests;

public class TabularFileTests
{
    private static readonly UTF8Encoding Utf8 = new(false);

    [Fact]
    public void Open_EnglishHeadersInAnyOrderWithOddSpelling_MapsFields()
    {
        const string text = " ID Number ,Sex,NAME,Class\n11010120150202002X,女,李四,3班\n";

        var (rows, file) = ReadFile(Csv(text, Utf8), "roster.csv", FileLayout.SchoolRoster);

        Assert.Equal(0, file.Header.ColumnOf(FileFields.IdNumber));
        Assert.Equal("李四", rows[0].Text(FileFields.Name));
        Assert.Equal("女", rows[0].Text(FileFields.Gender));
        Assert.Equal("3班", rows[0].Text(FileFields.ClassName));
        Assert.Empty(file.Warnings);
    }

    [Theory]
    [InlineData("公民身份号码")]
    [InlineData("身份证号码")]
    [InlineData("＊身份证号")]
    [InlineData("身份证号（18位）")]
    [InlineData("idNumber")]
    [InlineData("ＩＤＮＵＭＢＥＲ")]
    public void Open_IdNumberHeaderVariants_AllMapToIdNumber(string header)
    {
        var (rows, _) = ReadFile(Csv($"姓名,{header}\n张三,110101201501010018\n", Utf8), "roster.csv", FileLayout.SchoolRoster);

        Assert.Equal("110101201501010018", rows[0].IdNumber());
    }

    [Fact]
    public void Open_Gb18030ChineseHeadersForTaxReturn_ReadsTypedValues()
    {
        const string text = "交易流水号,身份证号,姓名,金额（元）,缴费日期,缴费渠道,是否入库\r\n"
            + "T20220410001,110101201501010018,张三,\"1,380.50\",2022年4月10日,微信扫码,是\r\n";

        var (rows, file) = ReadFile(Csv(text, Gb18030), "20220411-return.csv", FileLayout.TaxPaymentReturn);

        Assert.Equal("gb18030", file.EncodingName);
        Assert.Equal(1380.50m, rows[0].Amount(FileFields.Amount).Value);
        Assert.Equal(new DateOnly(2022, 4, 10), rows[0].Date(FileFields.PaidOn).Value);
        Assert.True(rows[0].YesNo(FileFields.InTreasury).Value);
        Assert.Equal("微信扫码", rows[0].Text(FileFields.Channel));
        Assert.Equal("T20220410001", rows[0].Text(FileFields.TransactionId));
    }

    [Fact]
    public void Open_MissingRequiredColumns_FailsListingThem()
    {
        var error = OpenFails(Csv("姓名,金额\n张三,380\n", Utf8), "return.csv", FileLayout.TaxPaymentReturn);

        Assert.Equal(FileErrorCodes.MissingColumns, error.Code);
        foreach (var label in new[] { "公民身份号码", "缴费日期", "缴费渠道", "交易流水号", "是否入库" })
        {
            Assert.Contains(label, error.ChineseMessage, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Open_TwoColumnsForOneField_FailsWithDuplicateColumns()
    {
        var error = OpenFails(Csv("姓名,身份证号,公民身份号码\n张三,110101201501010018,110101201501010018\n", Utf8), "roster.csv");

        Assert.Equal(FileErrorCodes.DuplicateColumns, error.Code);
        Assert.Contains("B、C", error.ChineseMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_UnknownColumn_IsReportedAsWarningAndKeptInCells()
    {
        var (rows, file) = ReadFile(Csv("姓名,身份证号,家长QQ\n张三,110101201501010018,12345\n", Utf8), "roster.csv", FileLayout.SchoolRoster);

        var warning = Assert.Single(file.Warnings);
        Assert.Equal(FileWarningCodes.UnknownColumn, warning.Code);
        Assert.Equal("C", warning.Column);
        Assert.Contains("家长QQ", warning.Message, StringComparison.Ordinal);
        Assert.Equal("12345", rows[0].Cells[2]);
    }

    [Fact]
    public void Open_TitleRowAboveHeader_SkipsItWithWarning()
    {
        var xlsx = Xlsx(Grid(1, ["某某小学2022年度城乡居民医保参保名册"], ["序号", "姓名", "身份证号"], [1, "张三", "110101201501010018"]));

        var (rows, file) = ReadFile(xlsx, "roster.xlsx", FileLayout.SchoolRoster);

        Assert.Equal(2, file.Header.HeaderLine);
        Assert.Equal(3, rows[0].LineNumber);
        Assert.Equal(FileWarningCodes.RowsAboveHeader, Assert.Single(file.Warnings).Code);
    }

    [Fact]
    public void Read_CellsUnderNoHeader_AreReportedOnce()
    {
        var (rows, file) = ReadFile(Csv("姓名,身份证号\n张三,110101201501010018,多余\n李四,11010120150202002X,多余\n", Utf8), "roster.csv", FileLayout.SchoolRoster);

        Assert.Equal(2, rows.Count);
        var warning = Assert.Single(file.Warnings);
        Assert.Equal(FileWarningCodes.CellsWithoutHeader, warning.Code);
        Assert.Equal(2, warning.LineNumber);
    }

    [Fact]
    public void Read_FullWidthDigitsSpacesAndLowerX_AreNormalised()
    {
        const string text = "姓名,身份证号,年级\n　张三\u00A0,１１０１０１２０１５０２０２００２ｘ ,三年级\n";

        var (rows, _) = ReadFile(Csv(text, Utf8), "roster.csv", FileLayout.SchoolRoster);

        Assert.Equal("张三", rows[0].Text(FileFields.Name));
        Assert.Equal("11010120150202002X", rows[0].IdNumber());
    }

    [Fact]
    public void Open_HeaderOnlyFile_HasNoRows()
    {
        var (rows, file) = ReadFile(Csv("姓名,身份证号\n\n", Utf8), "roster.csv", FileLayout.SchoolRoster);

        Assert.Empty(rows);
        Assert.Equal(0, file.RowsRead);
    }

    [Fact]
    public void Open_BlankFile_FailsWithEmptyFile()
    {
        var error = OpenFails(Csv("\r\n,,\r\n", Utf8), "roster.csv");

        Assert.Equal(FileErrorCodes.EmptyFile, error.Code);
    }

    [Fact]
    public void Open_UniversityRosterXlsx_ReadsPaymentMethodAndNewStudent()
    {
        var xlsx = Xlsx(Grid(1, ["学号", "姓名", "身份证号", "缴费方式", "是否新生"], ["2022001", "王五", "110101200401010017", "统一代收", "是"]));

        var (rows, file) = ReadFile(xlsx, "freshmen.xlsx", FileLayout.UniversityRoster);

        Assert.Empty(file.Warnings);
        Assert.Equal("统一代收", rows[0].Text(FileFields.PaymentMethod));
        Assert.True(rows[0].YesNo(FileFields.IsNewStudent).Value);
    }

    [Fact]
    public void Open_SubsidyListWithoutChangeColumn_MapsAndLeavesChangeAbsent()
    {
        var (rows, file) = ReadFile(Csv("姓名,身份证号,资助身份,低保类别,乡镇（街道）\n张三,110101201501010018,低保对象,rural-1,城关镇\n", Utf8), "20220301-list.csv", FileLayout.SubsidyList);

        Assert.False(file.Header.Has(FileFields.Change));
        Assert.Equal(string.Empty, rows[0].Text(FileFields.Change));
        Assert.Equal("城关镇", rows[0].Text(FileFields.Town));
        Assert.Equal("rural-1", rows[0].Text(FileFields.AllowanceClass));
    }

    [Fact]
    public void Layouts_NoAliasMeansTwoFields()
    {
        foreach (var layout in FileLayout.All)
        {
            var keys = layout.Fields.Append(FileFields.Ignored)
                .SelectMany(f => f.Aliases.Select(a => (Key: CellText.HeaderKey(a, dropBracketed: false), Field: f.Name)))
                .GroupBy(x => x.Key)
                .Where(g => g.Select(x => x.Field).Distinct().Count() > 1)
                .Select(g => g.Key)
                .ToList();

            Assert.True(keys.Count == 0, $"{layout.Code}: ambiguous aliases {string.Join(", ", keys)}");
        }
    }
}
