using System.Text;
using Collection.Files;
using Xunit.Abstractions;

namespace Collection.Files.Tests;

[Collection(MemoryMeasuredCollection.Name)]
public class TabularReaderCsvTests(ITestOutputHelper output)
{
    private const string Roster = "姓名,身份证号,性别\r\n张三,110101201501010018,男\r\n李四,11010120150202002X,女\r\n";

    [Fact]
    public void Open_Utf8WithoutBom_DetectsUtf8AndReadsChinese()
    {
        var rows = Read(TestFiles.Csv(Roster, new UTF8Encoding(false)), out var encoding);

        Assert.Equal("utf-8", encoding);
        Assert.Equal(["姓名", "身份证号", "性别"], rows[0].Cells);
        Assert.Equal("李四", rows[2].Cells[0]);
    }

    [Fact]
    public void Open_Utf8WithBom_DetectsBomAndDropsIt()
    {
        var rows = Read(TestFiles.Csv(Roster, new UTF8Encoding(true), bom: true), out var encoding);

        Assert.Equal("utf-8-bom", encoding);
        Assert.Equal("姓名", rows[0].Cells[0]);
    }

    [Fact]
    public void Open_Gb18030_DetectsGb18030()
    {
        var rows = Read(TestFiles.Csv(Roster, TestFiles.Gb18030), out var encoding);

        Assert.Equal("gb18030", encoding);
        Assert.Equal("张三", rows[1].Cells[0]);
        Assert.Equal("女", rows[2].Cells[2]);
    }

    [Fact]
    public void Open_Utf16WithBom_ReadsIt()
    {
        var rows = Read(TestFiles.Csv(Roster, Encoding.Unicode, bom: true), out var encoding);

        Assert.Equal("utf-16le", encoding);
        Assert.Equal("张三", rows[1].Cells[0]);
    }

    [Fact]
    public void Open_Gb18030AfterLongAsciiPrefix_DecidesOnFirstNonAsciiBytes()
    {
        // 200 KB of ASCII before the first Chinese character: a prefix-only check would guess UTF-8.
        var text = new StringBuilder("idNumber,amount,name\n");
        for (var i = 0; i < 8000; i++)
        {
            text.Append("110101201501010018,380.00,ABCDEFGHIJ\n");
        }

        text.Append("110101201501010018,380.00,王五\n");
        var rows = Read(TestFiles.NonSeekable(TestFiles.Csv(text.ToString(), TestFiles.Gb18030)), out var encoding);

        Assert.Equal("gb18030", encoding);
        Assert.Equal("王五", rows[^1].Cells[2]);
        Assert.Equal(8002, rows[^1].LineNumber);
    }

    [Fact]
    public void Read_Utf8ThenGbkBytesLater_FailsWithInvalidEncodingAndLine()
    {
        var bytes = new MemoryStream();
        bytes.Write(Encoding.UTF8.GetBytes("姓名,身份证号\n张三,110101201501010018\n"));
        for (var i = 0; i < 5000; i++)
        {
            bytes.Write(Encoding.UTF8.GetBytes("张三丰,110101201501010018\n"));
        }

        bytes.Write(TestFiles.Gb18030.GetBytes("李四,110101201501010018\n"));
        bytes.Position = 0;

        var error = Assert.Throws<TabularFileException>(() => TestFiles.ReadAll(bytes, "mixed.csv"));

        Assert.Equal(FileErrorCodes.InvalidEncoding, error.Code);
        Assert.Equal(5003, error.LineNumber);
        Assert.Contains("5003", error.ChineseMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_Utf8WithStrayBytesEarlyOn_StillUtf8AndTheErrorNamesThatLine()
    {
        var bytes = new MemoryStream();
        bytes.Write(Encoding.UTF8.GetBytes("姓名,身份证号\n"));
        for (var i = 0; i < 300; i++)
        {
            bytes.Write(Encoding.UTF8.GetBytes("张三丰,110101201501010018\n"));
        }

        bytes.Write([0xFF, 0xFE]);
        bytes.Write(Encoding.UTF8.GetBytes("李四,110101201501010018\n"));
        bytes.Position = 0;

        var error = Assert.Throws<TabularFileException>(() => TestFiles.ReadAll(bytes, "stray.csv"));

        // Inside the first 64 KB, where the encoding is decided: before, the stray bytes made the whole file
        // "GB18030" and the error blamed line 2.
        Assert.Equal(FileErrorCodes.InvalidEncoding, error.Code);
        Assert.Equal(302, error.LineNumber);
        Assert.Contains("UTF-8", error.ChineseMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_NonSeekableStreamSplittingCharacters_ReadsSameRows()
    {
        var text = string.Concat(Enumerable.Repeat("欧阳娜娜,110101201501010018,女\n", 3000));
        var seekable = Read(TestFiles.Csv(text, new UTF8Encoding(false)), out _);
        var forwardOnly = Read(TestFiles.NonSeekable(TestFiles.Csv(text, new UTF8Encoding(false))), out _);

        Assert.Equal(3000, forwardOnly.Count);
        Assert.Equal(seekable.Select(r => string.Join("|", r.Cells)), forwardOnly.Select(r => string.Join("|", r.Cells)));
    }

    [Fact]
    public void Read_QuotedCommasQuotesAndNewlines_KeepsCellsAndExcelRowNumbers()
    {
        const string text = "姓名,地址,备注\n\"张,三\",\"北京市\n东城区\",\"他说\"\"好\"\"\"\n李四,上海,无\n";

        var rows = Read(TestFiles.Csv(text, new UTF8Encoding(false)), out _);

        Assert.Equal("张,三", rows[1].Cells[0]);
        Assert.Equal("北京市\n东城区", rows[1].Cells[1]);
        Assert.Equal("他说\"好\"", rows[1].Cells[2]);
        Assert.Equal(2, rows[1].LineNumber);
        Assert.Equal(3, rows[2].LineNumber);
    }

    [Fact]
    public void Read_BlankLinesAndEmptyCommaLines_AreSkippedButCounted()
    {
        const string text = "姓名,身份证号\r\n\r\n张三,110101201501010018\r\n,\r\n  ,　\r\n李四,11010120150202002X\r\n\r\n";

        var rows = Read(TestFiles.Csv(text, new UTF8Encoding(false)), out _);

        Assert.Equal([1, 3, 6], rows.Select(r => r.LineNumber));
    }

    [Theory]
    [InlineData("姓名\t身份证号\t性别\n张三\t110101201501010018\t男\n", "\t")]
    [InlineData("姓名;身份证号;性别\n张三;110101201501010018;男\n", ";")]
    [InlineData("姓名,身份证号,性别\n张三,110101201501010018,男\n", ",")]
    public void Open_SeparatorUsedByHeaderLine_IsDetected(string text, string separator)
    {
        using var reader = TabularReader.Open(TestFiles.Csv(text, new UTF8Encoding(false)), "roster.csv");
        var rows = reader.ReadRows().ToList();

        Assert.Equal(separator, reader.Source);
        Assert.Equal("110101201501010018", rows[1].Cells[1]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("姓名,身份证号,性别\n")]
    public void Read_OneLineLongerThanARecord_FailsWithLineTooLong_NotBlamedOnAQuote(string header)
    {
        // Issue 22 finding 8: a file with no line breaks (150 MB then; 3 MB is enough to pass the record limit)
        // was reported as an unclosed quote.
        var text = new StringBuilder(header);
        for (var i = 0; i < 150_000; i++)
        {
            text.Append("张三,110101201501010018,");
        }

        var error = Assert.Throws<TabularFileException>(() => TestFiles.ReadAll(TestFiles.Csv(text.ToString(), new UTF8Encoding(false)), "one-line.csv"));

        Assert.Equal((FileErrorCodes.LineTooLong, header.Length == 0 ? 1 : 2), (error.Code, error.LineNumber));
        Assert.Contains("长于 1 MB", error.ChineseMessage, StringComparison.Ordinal);
        Assert.DoesNotContain("引号", error.ChineseMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_UnclosedQuoteSwallowingTheFile_FailsWithMalformedCsv()
    {
        var text = new StringBuilder("姓名,备注\n张三,\"没有结束的引号\n");
        for (var i = 0; i < 60_000; i++)
        {
            text.Append("李四,一些内容\n");
        }

        var error = Assert.Throws<TabularFileException>(() => TestFiles.ReadAll(TestFiles.Csv(text.ToString(), new UTF8Encoding(false)), "bad.csv"));

        Assert.Equal(FileErrorCodes.MalformedCsv, error.Code);
    }

    [Theory]
    [InlineData("roster.xls")]
    [InlineData("roster.pdf")]
    [InlineData("roster")]
    public void Open_UnsupportedExtension_FailsWithUnsupportedFileType(string fileName)
    {
        var error = Assert.Throws<TabularFileException>(() => TestFiles.ReadAll(TestFiles.Csv("姓名\n张三\n", new UTF8Encoding(false)), fileName));

        Assert.Equal(FileErrorCodes.UnsupportedFileType, error.Code);
    }

    [Fact]
    public void Open_OldExcelContentNamedXlsx_FailsWithUnsupportedFileType()
    {
        var ole = new MemoryStream([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0, 0, 0]);

        var error = Assert.Throws<TabularFileException>(() => TestFiles.ReadAll(ole, "roster.xlsx"));

        Assert.Equal(FileErrorCodes.UnsupportedFileType, error.Code);
        Assert.Contains(".xls", error.ChineseMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_EmptyFile_FailsWithEmptyFile()
    {
        var error = Assert.Throws<TabularFileException>(() => TestFiles.ReadAll(new MemoryStream(), "roster.csv"));

        Assert.Equal(FileErrorCodes.EmptyFile, error.Code);
    }

    [Fact]
    public void Open_TextNamedXlsx_FailsWithCorruptFile()
    {
        var error = Assert.Throws<TabularFileException>(() => TestFiles.ReadAll(TestFiles.Csv(Roster, new UTF8Encoding(false)), "roster.xlsx"));

        Assert.Equal(FileErrorCodes.CorruptFile, error.Code);
    }

    [Fact]
    public async Task ReadRowsAsync_LargeGeneratedFile_StreamsWithBoundedMemory()
    {
        // 200,000 rows generated on the fly (never held anywhere as a whole); live heap sampled after full GCs.
        const int rowCount = 200_000;
        await using var reader = await TabularReader.OpenAsync(new GeneratedCsvStream(rowCount), "big.csv");
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        long peak = 0;
        var count = 0;
        var lastLine = 0;
        await foreach (var row in reader.ReadRowsAsync())
        {
            count++;
            lastLine = row.LineNumber;
            if (count % 20_000 == 0)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true) - baseline);
            }
        }

        output.WriteLine($"200,000-row CSV: peak live managed memory growth {peak / 1024.0 / 1024.0:N2} MiB");
        Assert.Equal(rowCount + 1, count);
        Assert.Equal(rowCount + 1, lastLine);
        Assert.True(peak < 8 * 1024 * 1024, $"peak live managed memory grew by {peak / 1024} KiB while reading ~{GeneratedCsvStream.ApproximateBytes(rowCount) / (1024 * 1024)} MiB");
    }

    private static List<RawRow> Read(Stream stream, out string encoding)
    {
        using var reader = TabularReader.Open(stream, "roster.csv");
        var rows = reader.ReadRows().ToList();
        encoding = reader.EncodingName;
        return rows;
    }

    /// <summary>A GB18030 roster of any length, produced as it is read.</summary>
    internal sealed class GeneratedCsvStream(int rows) : Stream
    {
        private static readonly Encoding Encoding = TestFiles.Gb18030;
        private readonly byte[] _header = Encoding.GetBytes("姓名,身份证号,性别,年级,班级\r\n");
        private byte[] _current = [];
        private int _position;
        private int _next = -1;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public static long ApproximateBytes(int rows) => rows * 48L;

        /// <summary>Bytes handed out so far: how far a reader got before it stopped.</summary>
        public long BytesRead { get; private set; }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_position == _current.Length)
            {
                if (_next >= rows)
                {
                    return 0;
                }

                _current = _next < 0 ? _header : Encoding.GetBytes($"学生{_next},{TestFiles.IdNumber("110101", new DateOnly(2010, 1, 1).AddDays(_next % 3000), _next)},男,三年级,{_next % 9}班\r\n");
                _position = 0;
                _next++;
            }

            var n = Math.Min(count, _current.Length - _position);
            Array.Copy(_current, _position, buffer, offset, n);
            _position += n;
            BytesRead += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
