using System.Text;
using Collection.Files;
using Collection.Testing;

namespace Collection.Files.Tests;

/// <summary>The UTF-8-or-GB18030 decision on the start of a CSV, and what CsvHelper then decodes, or fails to.</summary>
public class TextEncodingDecisionTests
{
    private const string Roster = "姓名,身份证号,性别\r\n张三,110101201501010018,男\r\n李四,11010120150202002X,女\r\n";

    [Fact]
    public void Open_AsciiStartLongerThanTheLookahead_DecidesWithoutReadingFurther()
    {
        // 3 MiB of ASCII on a stream that cannot seek: the decision stops at the lookahead instead of holding it all.
        var source = new CountingStream(TestFiles.NonSeekable(new MemoryStream(Encoding.ASCII.GetBytes(AsciiLines(3 * 1024 * 1024)))));

        using var reader = TabularReader.Open(source, "roster.csv");

        Assert.Equal("ascii", reader.EncodingName);
        Assert.InRange(source.BytesRead, TextEncodingDecision.AsciiLookahead, TextEncodingDecision.AsciiLookahead + 1024);
    }

    [Fact]
    public void Read_Utf8AfterTheAsciiLookahead_ReadsItAndSaysUtf8()
    {
        var text = AsciiLines(TextEncodingDecision.AsciiLookahead + 4096) + "110101201501010018,380.00,王五\n";

        using var reader = TabularReader.Open(TestFiles.NonSeekable(TestFiles.Csv(text, new UTF8Encoding(false))), "roster.csv");
        var rows = reader.ReadRows().ToList();

        Assert.Equal("王五", rows[^1].Cells[2]);
        Assert.Equal("utf-8", reader.EncodingName);
    }

    [Fact]
    public void Read_Gb18030AfterTheAsciiLookahead_FailsWithInvalidEncodingAtThatLine()
    {
        // Past the lookahead the file is read as UTF-8: GB18030 there is named, with its line, not turned into mojibake.
        var ascii = AsciiLines(TextEncodingDecision.AsciiLookahead + 4096);
        var lines = ascii.Count(c => c == '\n');
        var bytes = new MemoryStream();
        bytes.Write(Encoding.ASCII.GetBytes(ascii));
        bytes.Write(TestFiles.Gb18030.GetBytes("110101201501010018,380.00,王五\n"));
        bytes.Position = 0;

        var error = Assert.Throws<TabularFileException>(() => TestFiles.ReadAll(TestFiles.NonSeekable(bytes), "roster.csv"));

        Assert.Equal((FileErrorCodes.InvalidEncoding, lines + 1), (error.Code, error.LineNumber));
        Assert.Contains($"第 {lines + 1} 行", error.ChineseMessage, StringComparison.Ordinal);
        Assert.Contains("UTF-8", error.ChineseMessage, StringComparison.Ordinal);
        Assert.Contains("1 MB", error.ChineseMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Open_Utf16BigEndianWithBom_ReadsIt()
    {
        using var reader = TabularReader.Open(TestFiles.Csv(Roster, Encoding.BigEndianUnicode, bom: true), "roster.csv");
        var rows = reader.ReadRows().ToList();

        Assert.Equal("utf-16be", reader.EncodingName);
        Assert.Equal(["姓名", "身份证号", "性别"], rows[0].Cells);
        Assert.Equal("女", rows[2].Cells[2]);
    }

    [Fact]
    public void Open_Utf16TabSeparated_DetectsTheTab()
    {
        // What Excel saves as "Unicode text": UTF-16 LE with tabs, where the separator is not a lone byte.
        using var reader = TabularReader.Open(TestFiles.Csv(Roster.Replace(',', '\t'), Encoding.Unicode, bom: true), "roster.txt");
        var rows = reader.ReadRows().ToList();

        Assert.Equal(("utf-16le", "\t"), (reader.EncodingName, reader.Source));
        Assert.Equal("11010120150202002X", rows[2].Cells[1]);
    }

    [Fact]
    public void Open_Utf16CommaSeparated_CharactersWithATabByteDoNotMakeItTabSeparated()
    {
        // 三 is U+4E09: in UTF-16 one of its two bytes is 0x09, a tab if the bytes were counted as they are.
        using var reader = TabularReader.Open(TestFiles.Csv("三年级三班,三好学生,备注\n张三,是,无\n", Encoding.Unicode, bom: true), "roster.csv");
        var rows = reader.ReadRows().ToList();

        Assert.Equal(",", reader.Source);
        Assert.Equal(["张三", "是", "无"], rows[1].Cells);
    }

    [Fact]
    public void Read_InvalidGb18030Byte_FailsWithInvalidEncodingNamingItsLine()
    {
        var bytes = new MemoryStream();
        bytes.Write(TestFiles.Gb18030.GetBytes("姓名,身份证号\n张三,110101201501010018\n王五,110101201501010018\n"));
        bytes.Write([0x81, 0x20]);
        bytes.Write(TestFiles.Gb18030.GetBytes("李四,110101201501010018\n赵六,110101201501010018\n"));
        bytes.Position = 0;

        var error = Assert.Throws<TabularFileException>(() => TestFiles.ReadAll(bytes, "roster.csv"));

        Assert.Equal((FileErrorCodes.InvalidEncoding, 4), (error.Code, error.LineNumber));
        Assert.Contains("第 4 行", error.ChineseMessage, StringComparison.Ordinal);
        Assert.Contains("GB18030", error.ChineseMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_Gb18030CutOffInTheMiddleOfACharacter_FailsAtTheLastLine()
    {
        var bytes = new MemoryStream();
        bytes.Write(TestFiles.Gb18030.GetBytes("姓名,身份证号\n张三,110101201501010018\n李"));
        bytes.Write(TestFiles.Gb18030.GetBytes("四").AsSpan(0, 1));
        bytes.Position = 0;

        var error = Assert.Throws<TabularFileException>(() => TestFiles.ReadAll(bytes, "roster.csv"));

        Assert.Equal((FileErrorCodes.InvalidEncoding, 3), (error.Code, error.LineNumber));
    }

    [Fact]
    public void Read_Utf16LoneSurrogate_FailsWithInvalidEncodingNamingUtf16()
    {
        var bytes = new MemoryStream();
        bytes.Write(Encoding.Unicode.GetPreamble());
        bytes.Write(Encoding.Unicode.GetBytes("姓名,身份证号\n张三,110101201501010018\n"));
        bytes.Write([0x00, 0xD8]);
        bytes.Write(Encoding.Unicode.GetBytes(",110101201501010018\n"));
        bytes.Position = 0;

        var error = Assert.Throws<TabularFileException>(() => TestFiles.ReadAll(bytes, "roster.csv"));

        Assert.Equal((FileErrorCodes.InvalidEncoding, 3), (error.Code, error.LineNumber));
        Assert.Contains("UTF-16", error.ChineseMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_Utf8ReplacementCharacterWrittenInTheFile_IsText()
    {
        // Valid UTF-8 for U+FFFD is a character someone saved, not bytes that failed to decode.
        var rows = TestFiles.ReadAll(TestFiles.Csv("姓名,备注\n张三,乱码\uFFFD\n", new UTF8Encoding(false)), "roster.csv");

        Assert.Equal("乱码\uFFFD", rows[1].Cells[1]);
    }

    [Theory]
    [InlineData("gb18030")]
    [InlineData("utf-16le")]
    public void Read_TranscodedLineLongerThanARecord_FailsWithLineTooLong(string encodingName)
    {
        var encoding = encodingName == "gb18030" ? TestFiles.Gb18030 : Encoding.Unicode;
        var text = new StringBuilder("姓名,身份证号,性别\n");
        for (var i = 0; i < 150_000; i++)
        {
            text.Append("张三,110101201501010018,");
        }

        var error = Assert.Throws<TabularFileException>(() => TestFiles.ReadAll(TestFiles.Csv(text.ToString(), encoding, bom: encodingName != "gb18030"), "one-line.csv"));

        Assert.Equal((FileErrorCodes.LineTooLong, 2), (error.Code, error.LineNumber));
    }

    private static string AsciiLines(int atLeast)
    {
        var text = new StringBuilder("idNumber,amount,name\n");
        while (text.Length < atLeast)
        {
            text.Append("110101201501010018,380.00,ABCDEFGHIJ\n");
        }

        return text.ToString();
    }
}
