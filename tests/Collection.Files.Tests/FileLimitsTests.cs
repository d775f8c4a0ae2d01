using System.Text;
using Collection.Files;
using Microsoft.Extensions.Configuration;
using static Collection.Files.Tests.TestFiles;

namespace Collection.Files.Tests;

/// <summary>
/// Bounded work per file: rows and bytes of any file, and the parts, shared strings, cells and nodes of an
/// XLSX. Each limit fails with its code before the reader goes much past it. (Bombs at the default limits,
/// with memory measured, are in FileLimitsMemoryTests.)
/// </summary>
public class FileLimitsTests
{
    private static readonly string RowUnit = "<row><c t=\"inlineStr\"><is><t>x</t></is></c></row>";

    [Fact]
    public void From_Configuration_DefaultsWhereUnsetAndOverridesWhereSet()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Files:MaxRows"] = "1000",
            ["Files:MaxBytes"] = "2097152",
        }).Build();

        var limits = FileLimits.From(configuration);

        Assert.Equal((1000, 2L * 1024 * 1024), (limits.MaxRows, limits.MaxBytes));
        Assert.Equal(FileLimits.Default with { MaxRows = 1000, MaxBytes = 2L * 1024 * 1024 }, limits);
        Assert.Equal((200_000, 50L * 1024 * 1024), (FileLimits.Default.MaxRows, FileLimits.Default.MaxBytes));
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("50MB")]
    [InlineData("3000000000")]
    public void From_ValueNotAPositiveWholeNumber_Refused(string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Files:MaxRows"] = value }).Build();

        var error = Assert.Throws<InvalidOperationException>(() => FileLimits.From(configuration));

        Assert.Contains("Files:MaxRows", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rows_ExactlyTheLimit_AllRead_BlankRowsNotCounted()
    {
        var text = "姓名,身份证号\r\n" + string.Concat(Enumerable.Range(0, 5).Select(i => $"学生{i},110101201501010018\r\n,\r\n"));

        var (rows, _) = ReadFile(Csv(text, new UTF8Encoding(false)), "roster.csv", FileLayout.SchoolRoster, new FileLimits { MaxRows = 5 });

        Assert.Equal(5, rows.Count);
    }

    [Fact]
    public void Rows_OneBeyondTheLimit_TooManyRowsAtThatLine_NoRowBeyondHandedOut()
    {
        var text = "姓名,身份证号\r\n" + string.Concat(Enumerable.Range(0, 8).Select(i => $"学生{i},110101201501010018\r\n"));
        using var file = TabularFile.Open(Csv(text, new UTF8Encoding(false)), "roster.csv", FileLayout.SchoolRoster, new FileLimits { MaxRows = 5 });
        var seen = new List<int>();

        var error = Assert.Throws<TabularFileException>(() =>
        {
            foreach (var row in file.ReadRows())
            {
                seen.Add(row.LineNumber);
            }
        });

        Assert.Equal((FileErrorCodes.TooManyRows, 7), (error.Code, error.LineNumber));
        Assert.Equal([2, 3, 4, 5, 6], seen);
        Assert.Contains("5 行数据的上限", error.ChineseMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Rows_XlsxBeyondTheLimit_TooManyRows()
    {
        var xlsx = XlsxBombs.Build(XlsxBombs.Sheet(XlsxBombs.Part.ChunkOf(RowUnit, 4096), 1));

        var error = OpenFails(new MemoryStream(xlsx), "roster.xlsx", new FileLimits { MaxRows = 10 }, FileLayout.SchoolRoster, headerOnly: false);

        Assert.Equal(FileErrorCodes.TooManyRows, error.Code);
    }

    [Fact]
    public void Bytes_SeekableStreamLongerThanTheLimit_RefusedAtOnceSayingItsSize()
    {
        var stream = new UnreadableSeekableStream(3L * 1024 * 1024);

        var error = Assert.Throws<TabularFileException>(() => TabularReader.Open(stream, "roster.csv", new FileLimits { MaxBytes = 1024 * 1024 }));

        Assert.Equal(FileErrorCodes.FileTooLarge, error.Code);
        Assert.Equal("文件有 3 MB，超过 1 MB 的上限，请拆分为多个文件分别上传", error.ChineseMessage);
    }

    [Fact]
    public void Bytes_StreamOfUnknownLength_FailsOnceTheLimitIsRead_NotAfterTheWholeFile()
    {
        var generated = new TabularReaderCsvTests.GeneratedCsvStream(200_000);
        using var reader = TabularReader.Open(generated, "roster.csv", new FileLimits { MaxBytes = 1024 * 1024 });

        var error = Assert.Throws<TabularFileException>(() => reader.ReadRows().Count());

        Assert.Equal(FileErrorCodes.FileTooLarge, error.Code);
        Assert.InRange(generated.BytesRead, 1024 * 1024, (1024 * 1024) + (256 * 1024));
    }

    [Fact]
    public void Bytes_XlsxOfUnknownLength_SpoolStopsAtTheLimit()
    {
        var xlsx = XlsxBombs.Build(XlsxBombs.Sheet(XlsxBombs.Part.ChunkOf(RowUnit, 4096), 1), extraEntries: 3000);

        var error = Assert.Throws<TabularFileException>(() => TabularReader.Open(NonSeekable(new MemoryStream(xlsx)), "roster.xlsx", new FileLimits { MaxBytes = xlsx.Length - 1 }));

        Assert.Equal(FileErrorCodes.FileTooLarge, error.Code);
    }

    [Fact]
    public void Xlsx_SheetDeclaredAsTwoGigabytes_FileTooLargeBeforeInflatingIt()
    {
        var xlsx = XlsxBombs.Build(XlsxBombs.Sheet(XlsxBombs.Part.ChunkOf(RowUnit), 2048));

        var error = Assert.Throws<TabularFileException>(() => TabularReader.Open(new MemoryStream(xlsx), "roster.xlsx"));

        Assert.True(xlsx.Length < 8 * 1024 * 1024, $"the bomb is {xlsx.Length} bytes");
        Assert.Equal(FileErrorCodes.FileTooLarge, error.Code);
        Assert.Contains("“xl/worksheets/sheet1.xml”解压后有 2048 MB，超过 256 MB 的上限", error.ChineseMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Xlsx_SheetOfTwoGigabytesDeclaredSmall_CorruptFileAtTheDeclaredSize()
    {
        var xlsx = XlsxBombs.Build(XlsxBombs.Sheet(XlsxBombs.Part.ChunkOf(RowUnit), 2048), declaredSheetSize: 64 * 1024);

        var error = OpenFails(new MemoryStream(xlsx), "roster.xlsx", FileLimits.Default, FileLayout.SchoolRoster, headerOnly: false);

        Assert.Equal(FileErrorCodes.CorruptFile, error.Code);
    }

    [Fact]
    public void Xlsx_SharedStringsDeclaredAsTwoGigabytes_FileTooLarge()
    {
        var xlsx = XlsxBombs.Build(XlsxBombs.HeaderOnlySheet(), XlsxBombs.SharedStrings(XlsxBombs.Part.ChunkOf("<si><t>a</t></si>"), 2048));

        var error = Assert.Throws<TabularFileException>(() => TabularReader.Open(new MemoryStream(xlsx), "roster.xlsx"));

        Assert.Equal(FileErrorCodes.FileTooLarge, error.Code);
        Assert.Contains("xl/sharedStrings.xml", error.ChineseMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Xlsx_MoreSharedStringsThanTheLimit_FileTooLarge()
    {
        var xlsx = XlsxBombs.Build(XlsxBombs.HeaderOnlySheet(), XlsxBombs.SharedStrings(XlsxBombs.Part.ChunkOf("<si><t>a</t></si>"), 1));

        var error = Assert.Throws<TabularFileException>(() => TabularReader.Open(new MemoryStream(xlsx), "roster.xlsx", new FileLimits { MaxSharedStrings = 1000 }));

        Assert.Equal(FileErrorCodes.FileTooLarge, error.Code);
        Assert.Contains("1000 个", error.ChineseMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Xlsx_SharedStringsLongerThanTheLimit_FileTooLarge()
    {
        var xlsx = XlsxBombs.Build(XlsxBombs.HeaderOnlySheet(), XlsxBombs.SharedStrings(XlsxBombs.Part.ChunkOf("<si><t>" + new string('长', 1000) + "</t></si>"), 1));

        var error = Assert.Throws<TabularFileException>(() => TabularReader.Open(new MemoryStream(xlsx), "roster.xlsx", new FileLimits { MaxSharedStringChars = 100_000 }));

        Assert.Equal(FileErrorCodes.FileTooLarge, error.Code);
    }

    [Fact]
    public void Xlsx_WithinEveryLimit_HeaderOnlySheetStillReads()
    {
        var xlsx = XlsxBombs.Build(XlsxBombs.HeaderOnlySheet(), XlsxBombs.SharedStrings(XlsxBombs.Part.ChunkOf("<si><t>a</t></si>", 4096), 1));

        var rows = ReadAll(new MemoryStream(xlsx), "roster.xlsx");

        Assert.Equal(["姓名", "身份证号"], Assert.Single(rows).Cells);
    }

    [Fact]
    public void Xlsx_MoreCellsThanTheLimit_EvenEmptyOnes_FileTooLarge()
    {
        var emptyRow = "<row>" + string.Concat(Enumerable.Repeat("<c s=\"1\"/>", 50)) + "</row>";
        var xlsx = XlsxBombs.Build(XlsxBombs.Sheet(XlsxBombs.Part.ChunkOf(emptyRow), 4));

        var error = OpenFails(new MemoryStream(xlsx), "roster.xlsx", new FileLimits { MaxCells = 100_000 }, FileLayout.SchoolRoster, headerOnly: false);

        Assert.Equal(FileErrorCodes.FileTooLarge, error.Code);
        Assert.Contains("100000 个单元格", error.ChineseMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Xlsx_OneCellOfTwoMegabytes_CorruptFile()
    {
        var huge = "<row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>" + new string('x', 2 * 1024 * 1024) + "</t></is></c></row>";
        var xlsx = XlsxBombs.Build(XlsxBombs.Sheet(huge, 1));

        var error = OpenFails(new MemoryStream(xlsx), "roster.xlsx", FileLimits.Default, FileLayout.SchoolRoster, headerOnly: false);

        Assert.Equal(FileErrorCodes.CorruptFile, error.Code);
        Assert.Contains("1 MB", error.ChineseMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Xlsx_InlineStringOfManyRuns_ReadInLinearTime()
    {
        // 60,000 one-character runs: joined by += this took seconds (the square of the length). The work is measured
        // as the bytes this thread allocated, against a quarter of the runs: linear is about 4 times, joined by += 16.
        var (allocatedQuarter, _) = AllocatedReadingRuns(15_000);
        var started = System.Diagnostics.Stopwatch.StartNew();
        var (allocated, rows) = AllocatedReadingRuns(60_000);

        Assert.Equal(60_000, rows[1].Cells[0].Length);
        var ratio = allocated / (double)allocatedQuarter;
        Assert.True(ratio < 6, $"{ratio:N1} times the bytes allocated for four times the runs ({allocated:N0} bytes; {started.Elapsed.TotalSeconds:N2} s)");
    }

    private static (long Allocated, List<RawRow> Rows) AllocatedReadingRuns(int runs)
    {
        var cell = "<row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is>" + string.Concat(Enumerable.Repeat("<r><t>张</t></r>", runs)) + "</is></c></row>";
        var xlsx = XlsxBombs.Build(XlsxBombs.Sheet(cell, 1));
        // The reader runs on this thread alone: what it allocated, and nothing a test beside it did.
        var before = GC.GetAllocatedBytesForCurrentThread();
        var rows = ReadAll(new MemoryStream(xlsx), "roster.xlsx");
        return (GC.GetAllocatedBytesForCurrentThread() - before, rows);
    }

    [Fact]
    public void Xlsx_MoreRowsThanExcelHas_CorruptFile()
    {
        var xlsx = XlsxBombs.Build(XlsxBombs.Sheet(XlsxBombs.Part.ChunkOf("<row/>"), 7));

        var error = OpenFails(new MemoryStream(xlsx), "roster.xlsx", FileLimits.Default, FileLayout.SchoolRoster, headerOnly: false);

        Assert.Equal(FileErrorCodes.CorruptFile, error.Code);
        Assert.Contains("1048576", error.ChineseMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Xlsx_TenThousandAndOneZipEntries_FileTooLargeBeforeReadingTheDirectory()
    {
        var xlsx = XlsxBombs.Build(XlsxBombs.HeaderOnlySheet(), extraEntries: 10_001 - 5);

        var error = Assert.Throws<TabularFileException>(() => TabularReader.Open(new MemoryStream(xlsx), "roster.xlsx"));

        Assert.Equal(FileErrorCodes.FileTooLarge, error.Code);
        Assert.Contains("10001 个部件", error.ChineseMessage, StringComparison.Ordinal);
    }

    private static (List<TabularRow> Rows, TabularFile File) ReadFile(Stream stream, string fileName, FileLayout layout, FileLimits limits)
    {
        var file = TabularFile.Open(stream, fileName, layout, limits);
        return ([.. file.ReadRows()], file);
    }

    private static TabularFileException OpenFails(Stream stream, string fileName, FileLimits limits, FileLayout layout, bool headerOnly) =>
        Assert.Throws<TabularFileException>(() =>
        {
            using var file = TabularFile.Open(stream, fileName, layout, limits);
            if (!headerOnly)
            {
                foreach (var unused in file.ReadRows())
                {
                }
            }
        });

    /// <summary>A stream that says how long it is and fails if anything reads it.</summary>
    private sealed class UnreadableSeekableStream(long length) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position { get; set; }

        public override int Read(byte[] buffer, int offset, int count) => throw new InvalidOperationException("read");

        public override long Seek(long offset, SeekOrigin origin) => throw new InvalidOperationException("seek");

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
