using System.Text;
using Collection.Files;
using static Collection.Files.Tests.TestFiles;

namespace Collection.Files.Tests;

public class WriterTests
{
    [Fact]
    public void RejectedRows_WrittenThenReadBack_RoundTripsOriginalCellsAndReason()
    {
        const string text = "序号,姓名,身份证号,班级\n1,张三,110101201501010019,\"3班,甲\"\n2,李四,11010120150202002X,4班\n";
        var (rows, file) = ReadFile(Csv(text, Gb18030), "roster.csv", FileLayout.SchoolRoster);
        var output = new MemoryStream();
        using (var rejected = RejectedRowsCsvWriter.Create(output, file.Header.Header, leaveOpen: true))
        {
            rejected.Write(rows[0], "invalid-id-number", "身份证号校验位错误");
        }

        var bytes = output.ToArray();
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
        var (back, backFile) = ReadFile(new MemoryStream(bytes), "roster.rejected.csv", FileLayout.SchoolRoster);
        var row = Assert.Single(back);
        Assert.Equal(["序号", "姓名", "身份证号", "班级", "行号", "原因代码", "原因说明"], backFile.Header.Header);
        Assert.Equal("110101201501010019", row.IdNumber());
        Assert.Equal("3班,甲", row.Text(FileFields.ClassName));
        Assert.Equal(["2", "invalid-id-number", "身份证号校验位错误"], row.Cells.Skip(4));
        Assert.Empty(backFile.Warnings);
    }

    [Fact]
    public void RejectedRows_LongDigitStrings_AreWrittenAsExcelText()
    {
        var output = new MemoryStream();
        using (var rejected = RejectedRowsCsvWriter.Create(output, ["姓名", "身份证号"], leaveOpen: true))
        {
            rejected.Write(5, ["张三", "110101201501010019"], "invalid-id-number", "校验位错误");
        }

        var csv = Encoding.UTF8.GetString(output.ToArray()[3..]);
        Assert.Equal("姓名,身份证号,行号,原因代码,原因说明\r\n张三,\"=\"\"110101201501010019\"\"\",5,invalid-id-number,校验位错误\r\n", csv);
    }

    [Fact]
    public void RejectedRows_CellsBeyondHeader_AreKeptAfterTheReason()
    {
        var output = new MemoryStream();
        using (var rejected = RejectedRowsCsvWriter.Create(output, ["姓名", "身份证号", ""], leaveOpen: true))
        {
            rejected.Write(3, ["张三", "1", "", "多余"], "invalid-id-number", "错");
        }

        var lines = Encoding.UTF8.GetString(output.ToArray()[3..]).Split("\r\n");
        Assert.Equal("姓名,身份证号,行号,原因代码,原因说明", lines[0]);
        Assert.Equal("张三,1,3,invalid-id-number,错,,多余", lines[1]);
    }

    [Fact]
    public async Task Report_MobilisationList_IsUtf8BomWithChineseHeaders()
    {
        var output = new MemoryStream();
        await using (var report = CsvReportWriter.Create(output, ["姓名", "身份证号", "资助身份", "应缴金额"], leaveOpen: true))
        {
            await report.WriteRowAsync(["王五", "11010120150202002X", "低保边缘", CsvReportWriter.Amount(190m)]);
            Assert.Equal(1, report.RowsWritten);
        }

        var bytes = output.ToArray();
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
        var rows = ReadAll(new MemoryStream(bytes), "城关镇.csv");
        Assert.Equal(["王五", "11010120150202002X", "低保边缘", "190.00"], rows[1].Cells);
    }

    [Theory]
    [InlineData("110101201501010019", "=\"110101201501010019\"")]
    [InlineData("13800138000", "13800138000")]
    [InlineData("11010120150202002X", "11010120150202002X")]
    [InlineData("380.00", "380.00")]
    public void ForExcel_OnlyLongDigitStrings_AreWrapped(string cell, string expected) =>
        Assert.Equal(expected, CsvReportWriter.ForExcel(cell));

    [Theory]
    [InlineData("=1+1", "'=1+1")]
    [InlineData("+86 138", "'+86 138")]
    [InlineData("-2+3", "'-2+3")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("\t=1", "'\t=1")]
    [InlineData("\r=1", "'\r=1")]
    [InlineData("＝1+1", "'＝1+1")]
    [InlineData("-12.50", "-12.50")]
    [InlineData("+5", "+5")]
    [InlineData("-", "'-")]
    [InlineData("-.5", "'-.5")]
    [InlineData("张=三", "张=三")]
    public void ForExcel_CellsThatWouldStartAFormula_AreWrittenAsText(string cell, string expected) =>
        Assert.Equal(expected, CsvReportWriter.ForExcel(cell));

    [Fact]
    public void ForExcel_WrittenThenReadBack_GivesTheTypedText()
    {
        var output = new MemoryStream();
        using (var rejected = RejectedRowsCsvWriter.Create(output, ["姓名", "身份证号"], leaveOpen: true))
        {
            rejected.Write(2, [Formula, "110101201501010019"], "invalid-id-number", "错");
        }

        var cells = AssertOpensWithoutFormulas(output.ToArray());
        Assert.Contains("'" + Formula, cells);
        Assert.Equal(Formula, CellText.Clean("'" + Formula));
    }

    [Fact]
    public async Task XlsxReport_FormulaLikeText_IsInlineTextNeverAFormula_AndTheSameRowsGiveTheSameBytes()
    {
        // Issue 22 finding 3, for the XLSX writer: a cell typed to run in whoever opens the report stays text.
        object?[] row = [Formula, "+1", "-2+3", "@SUM(A1)", "\t=1", 320.50m, 12, "110101201501010019"];
        async Task<byte[]> Write()
        {
            var output = new MemoryStream();
            await using (var report = XlsxReportWriter.Create(output, "报表", ["姓名", "a", "b", "c", "d", "金额", "人数", "身份证号"]))
            {
                report.WriteRow(row);
            }

            return output.ToArray();
        }

        var bytes = await Write();

        Assert.Equal(bytes, await Write());
        using (var zip = new System.IO.Compression.ZipArchive(new MemoryStream(bytes)))
        {
            using var sheet = new StreamReader(zip.GetEntry("xl/worksheets/sheet1.xml")!.Open());
            var xml = System.Xml.Linq.XDocument.Parse(await sheet.ReadToEndAsync());
            System.Xml.Linq.XNamespace main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
            Assert.Empty(xml.Descendants(main + "f"));
            var cells = xml.Descendants(main + "row").ElementAt(1).Elements(main + "c").ToList();
            Assert.All(cells.Take(5), c => Assert.Equal("inlineStr", (string?)c.Attribute("t")));
            Assert.Equal("inlineStr", (string?)cells[7].Attribute("t"));
        }

        using var reader = TabularReader.Open(new MemoryStream(bytes), "报表.xlsx");
        var back = reader.ReadRows().ToList();
        Assert.Equal([Formula, "+1", "-2+3", "@SUM(A1)", "\t=1", "320.5", "12", "110101201501010019"], back[1].Cells);
    }
}
