using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;
using CsvHelper;

namespace Collection.Files;

/// <summary>
/// CSV through CsvHelper, which decodes the file as <see cref="TextEncodingDecision"/> decided; a record it could
/// not decode fails with <c>invalid-encoding</c> and its line, instead of producing mojibake.
/// </summary>
internal sealed class CsvTabularReader : TabularReader
{
    /// <summary>A record larger than this is an unclosed quote swallowing the file, or a file without line breaks, not data.</summary>
    private const int MaxRecordBytes = 1024 * 1024;

    /// <summary>What CsvHelper puts, as UTF-8, where it met bytes the decided encoding cannot decode.</summary>
    private static readonly byte[] ReplacementCharacter = [0xEF, 0xBF, 0xBD];

    private readonly PrefixedStream _text;
    private readonly char _separator;
    private TextEncodingKind _encoding;

    private CsvTabularReader(PrefixedStream text, TextEncodingKind encoding, char separator)
    {
        _text = text;
        _encoding = encoding;
        _separator = separator;
    }

    public override TabularFormat Format => TabularFormat.Csv;

    public override string EncodingName => _encoding switch
    {
        TextEncodingKind.Utf8 => "utf-8",
        TextEncodingKind.Utf8WithBom => "utf-8-bom",
        TextEncodingKind.Gb18030 => "gb18030",
        TextEncodingKind.Utf16LittleEndian => "utf-16le",
        TextEncodingKind.Utf16BigEndian => "utf-16be",
        _ => "ascii",
    };

    public override string Source => _separator.ToString();

    /// <summary>Whether CsvHelper transcodes the file to UTF-8 (and so marks what it cannot decode with U+FFFD).</summary>
    private bool IsTranscoded => _encoding is TextEncodingKind.Gb18030 or TextEncodingKind.Utf16LittleEndian or TextEncodingKind.Utf16BigEndian;

    internal static async Task<TabularReader> OpenAsync(Stream stream, CancellationToken cancellationToken)
    {
        var decision = await TextEncodingDecision.ReadAsync(stream, cancellationToken).ConfigureAwait(false);
        var start = decision.Bytes.Span;
        var separator = decision.Kind switch
        {
            // The separators are ASCII bytes in UTF-8 and GB18030 text alike, but not in UTF-16.
            TextEncodingKind.Utf16LittleEndian => DetectSeparator(Encoding.UTF8.GetBytes(Encoding.Unicode.GetString(start[2..]))),
            TextEncodingKind.Utf16BigEndian => DetectSeparator(Encoding.UTF8.GetBytes(Encoding.BigEndianUnicode.GetString(start[2..]))),
            _ => DetectSeparator(start),
        };
        return new CsvTabularReader(new PrefixedStream(decision.Bytes, stream, measureLines: true), decision.Kind, separator);
    }

    /// <summary>
    /// Comma unless the first non-blank line clearly uses tab or semicolon instead: more of them
    /// than commas outside quotes.
    /// </summary>
    internal static char DetectSeparator(ReadOnlySpan<byte> start)
    {
        var line = FirstNonBlankLine(start);
        int commas = 0, tabs = 0, semicolons = 0;
        var quoted = false;
        foreach (var b in line)
        {
            switch (b)
            {
                case (byte)'"':
                    quoted = !quoted;
                    break;
                case (byte)',' when !quoted:
                    commas++;
                    break;
                case (byte)'\t' when !quoted:
                    tabs++;
                    break;
                case (byte)';' when !quoted:
                    semicolons++;
                    break;
            }
        }

        if (tabs > commas && tabs >= semicolons)
        {
            return '\t';
        }

        return semicolons > commas ? ';' : ',';
    }

    public override async IAsyncEnumerable<RawRow> ReadRowsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var options = new CsvReaderOptions
        {
            Separator = _separator,
            HasHeader = false,
            SkipEmptyLines = false,
            TrackLineNumbers = true,
            AllowLineBreaksInQuotes = true,
            MaxRecordSize = MaxRecordBytes,
            DetectSeparatorHint = false,

            // Null leaves UTF-8 and the UTF-16 BOMs to CsvHelper.
            Encoding = _encoding == TextEncodingKind.Gb18030 ? TextEncodingDecision.Gb18030 : null,
        };
        var csv = CsvReader.Create(_text, options, leaveOpen: true);
        await using (csv.ConfigureAwait(false))
        {
            // Excel numbers records, not text lines: a cell with a line break is still one row.
            var lineNumber = 0;
            while (true)
            {
                bool more;
                try
                {
                    more = await csv.ReadAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (CsvFormatException ex)
                {
                    var line = ex.LineNumber > 0 ? (int)ex.LineNumber : lineNumber + 1;
                    if (_text.LongestLineBytes > MaxRecordBytes / 2)
                    {
                        // A record too large with no line break in it: no quote is to blame (issue 22 finding 8).
                        throw new TabularFileException(
                            FileErrorCodes.LineTooLong,
                            $"第 {line} 行长于 {MaxRecordBytes / 1024 / 1024} MB，不是名单的一行：请确认文件是按行保存的 CSV（每人一行），或另存为 XLSX 再上传",
                            line,
                            ex);
                    }

                    throw new TabularFileException(
                        FileErrorCodes.MalformedCsv,
                        $"第 {line} 行起的内容无法按 CSV 读取（多半是引号未闭合），请检查该行的引号",
                        line,
                        ex);
                }

                if (!more)
                {
                    yield break;
                }

                lineNumber++;
                if (!Decoded(csv.RawRecord))
                {
                    throw InvalidBytes(lineNumber);
                }

                var count = csv.FieldCount;
                if (count > MaxColumns)
                {
                    throw TooManyColumns(lineNumber);
                }

                var cells = new string[count];
                for (var i = 0; i < count; i++)
                {
                    cells[i] = csv.GetString(i);
                }

                var row = new RawRow(lineNumber, cells);
                if (!row.IsBlank())
                {
                    yield return row;
                }
            }
        }
    }

    /// <summary>Whether the record read is all text; a record of a file so far all ASCII that is not turns it UTF-8.</summary>
    private bool Decoded(ReadOnlySpan<byte> record)
    {
        if (IsTranscoded)
        {
            return record.IndexOf(ReplacementCharacter) < 0;
        }

        // UTF-8 reaches the record as it is in the file, where a U+FFFD would be real text.
        if (!Utf8.IsValid(record))
        {
            return false;
        }

        if (_encoding == TextEncodingKind.Ascii && !Ascii.IsValid(record))
        {
            _encoding = TextEncodingKind.Utf8;
        }

        return true;
    }

    private TabularFileException InvalidBytes(int line)
    {
        var (encoding, hint) = _encoding switch
        {
            TextEncodingKind.Gb18030 => ("GB18030/GBK", "请确认文件编码并重新保存为 UTF-8 或 GB18030"),
            TextEncodingKind.Utf16LittleEndian or TextEncodingKind.Utf16BigEndian => ("UTF-16", "请确认文件编码并重新保存为 UTF-8 或 GB18030"),
            TextEncodingKind.Ascii => ("UTF-8", $"文件前 {TextEncodingDecision.AsciiLookahead / 1024 / 1024} MB 只有英文字母、数字和符号，已按 UTF-8 读取，此处却不是 UTF-8：请把文件另存为 UTF-8 编码后再上传"),
            _ => ("UTF-8", "文件前面部分是 UTF-8 编码，此处却不是：文件混用了两种编码，请用同一种编码（建议 UTF-8）重新保存"),
        };
        return new TabularFileException(FileErrorCodes.InvalidEncoding, $"第 {line} 行含有无法按 {encoding} 解码的字节，{hint}", line);
    }

    protected override ValueTask DisposeAsyncCore() => _text.DisposeAsync();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _text.Dispose();
        }
    }

    private static ReadOnlySpan<byte> FirstNonBlankLine(ReadOnlySpan<byte> start)
    {
        while (!start.IsEmpty)
        {
            var end = start.IndexOfAny((byte)'\n', (byte)'\r');
            var line = end < 0 ? start : start[..end];
            if (!line.Trim((ReadOnlySpan<byte>)[(byte)' ', (byte)'\t', (byte)',', (byte)';']).IsEmpty)
            {
                return line;
            }

            if (end < 0)
            {
                break;
            }

            start = start[(end + 1)..];
        }

        return [];
    }
}
