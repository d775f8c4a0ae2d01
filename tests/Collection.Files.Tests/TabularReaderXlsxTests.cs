using Collection.Files;
using static Collection.Files.Tests.TestFiles;

namespace Collection.Files.Tests;

public class TabularReaderXlsxTests
{
    [Fact]
    public void Read_SharedAndInlineStringsNumbersBooleans_ReadsCellText()
    {
        var xlsx = Xlsx(
        [
            [new XCell("A1", "姓名"), new XCell("B1", "身份证号"), new XCell("C1", "金额"), new XCell("D1", "新生")],
            [new XCell("A2", "张三"), new XCell("B2", "11010120150202002X", Inline: true), new XCell("C2", 380.5m), new XCell("D2", true)],
        ]);

        var rows = ReadAll(xlsx, "roster.xlsx");

        Assert.Equal(["姓名", "身份证号", "金额", "新生"], rows[0].Cells);
        Assert.Equal(["张三", "11010120150202002X", "380.5", "TRUE"], rows[1].Cells);
    }

    [Fact]
    public void Read_RichTextSharedStrings_JoinRunsWithoutPhoneticText()
    {
        var xlsx = Xlsx(
        [
            [new XCell("A1", "姓名"), new XCell("B1", new RichText(["身份", "证号"]))],
            [new XCell("A2", new RichText(["张", "三 "], Phonetic: "チョウ")), new XCell("B2", "11010120150202002X")],
        ]);

        var rows = ReadAll(xlsx, "roster.xlsx");

        Assert.Equal(["姓名", "身份证号"], rows[0].Cells);
        Assert.Equal(["张三 ", "11010120150202002X"], rows[1].Cells);
    }

    [Fact]
    public void Read_DateFormattedCells_BecomeIsoDates()
    {
        var xlsx = Xlsx(Grid(1, ["缴费日期", "出生日期"], [new DateOnly(2022, 4, 10), new ChineseDate(new DateOnly(2015, 1, 1))]));

        var rows = ReadAll(xlsx, "return.xlsx");

        Assert.Equal(["2022-04-10", "2015-01-01"], rows[1].Cells);
    }

    [Fact]
    public void Read_SparseCellsAndMissingRows_KeepColumnsAndExcelRowNumbers()
    {
        var xlsx = Xlsx(
        [
            [new XCell("A1", "姓名"), new XCell("B1", "身份证号"), new XCell("D1", "班级")],
            [new XCell("A4", "张三"), new XCell("B4", new StyledEmpty()), new XCell("D4", "3班"), new XCell("XFD4", new StyledEmpty())],
        ]);

        var rows = ReadAll(xlsx, "roster.xlsx");

        Assert.Equal(["姓名", "身份证号", "", "班级"], rows[0].Cells);
        Assert.Equal(4, rows[1].LineNumber);
        Assert.Equal(["张三", "", "", "3班"], rows[1].Cells);
    }

    [Fact]
    public void Read_IdNumberStoredAsNumber_IsFlaggedNotAccepted()
    {
        var xlsx = Xlsx(
            Grid(1, ["姓名", "身份证号"], ["张三", new RawNumber("1.10101201501010E+17")], ["李四", new RawNumber("110101201501")]));

        var (rows, _) = ReadFile(xlsx, "roster.xlsx", FileLayout.SchoolRoster);

        Assert.Equal("110101201501010000", rows[0].Cells[1]);
        Assert.Equal(CellErrorCodes.IdNumberAsNumber, rows[0].IdNumberProblem()?.Code);
        Assert.Null(rows[1].IdNumberProblem());
    }

    [Fact]
    public void Read_FloatingPointNoise_IsShownAsExcelShowsIt()
    {
        var xlsx = Xlsx(Grid(1, ["金额"], [new RawNumber("380.00000000000006")], [new RawNumber("1E-3")]));

        var rows = ReadAll(xlsx, "return.xlsx");

        Assert.Equal("380", rows[1].Cells[0]);
        Assert.Equal("0.001", rows[2].Cells[0]);
    }

    [Fact]
    public void Open_HiddenFirstSheet_ReadsFirstVisibleWorksheet()
    {
        var xlsx = Xlsx(Grid(1, ["姓名", "身份证号"], ["张三", "110101201501010018"]), sheetName: "学生", hiddenFirstSheet: true);

        using var reader = TabularReader.Open(xlsx, "roster.xlsx");
        var rows = reader.ReadRows().ToList();

        Assert.Equal("学生", reader.Source);
        Assert.Equal("张三", rows[1].Cells[0]);
    }

    [Fact]
    public void Open_NonSeekableStream_SpoolsAndReads()
    {
        var xlsx = Xlsx(Grid(1, ["姓名", "身份证号"], ["张三", "110101201501010018"]));

        var rows = ReadAll(NonSeekable(xlsx), "roster.xlsx");

        Assert.Equal("110101201501010018", rows[1].Cells[1]);
    }

    [Fact]
    public void Open_TruncatedWorkbook_FailsWithCorruptFile()
    {
        var xlsx = Xlsx(Grid(1, ["姓名"], ["张三"]));
        var truncated = new MemoryStream(xlsx.ToArray()[..(int)(xlsx.Length / 2)]);

        var error = Assert.Throws<TabularFileException>(() => ReadAll(truncated, "roster.xlsx"));

        Assert.Equal(FileErrorCodes.CorruptFile, error.Code);
    }

    [Fact]
    public void Open_WorkbookRenamedCsv_IsReadAsXlsx()
    {
        var xlsx = Xlsx(Grid(1, ["姓名"], ["张三"]));

        using var reader = TabularReader.Open(xlsx, "roster.csv");

        Assert.Equal(TabularFormat.Xlsx, reader.Format);
        Assert.Equal("张三", reader.ReadRows().Last().Cells[0]);
    }
}
