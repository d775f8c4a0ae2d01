using System.Runtime.CompilerServices;
using CsvHelper;

namespace Collection.Files;

/// <summary>CSV through CsvHelper over a stream that detects the encoding and hands out UTF-8.</summary>
internal sealed class CsvTabularReader : TabularReader
{
    /// <summary>A record larger than this is an unclosed quote swallowing the file, or a file without line breaks, not data.</summary>
    private const int MaxRecordBytes = 1024 * 1024;

    private readonly Utf8TranscodingStream _text;
    private readonly char _separator;

    private CsvTabularReader(Utf8TranscodingStream text, char separator)
    {
        _text = text;
        _separator = separator;
    }

    public override TabularFormat Format => TabularFormat.Csv;

    public override string EncodingName => _text.Encoding switch
    {
        TextEncodingKind.Utf8 => "utf-8",
        TextEncodingKind.Utf8WithBom => "utf-8-bom",
        TextEncodingKind.Gb18030 => "gb18030",
        TextEncodingKind.Utf16LittleEndian => "utf-16le",
        TextEncodingKind.Utf16BigEndian => "utf-16be",
        _ => "ascii",
    };

    public override string Source => _separator.ToString();

    internal static async Task<TabularReader> OpenAsync(Stream stream, CancellationToken cancellationToken)
    {
        var text = new Utf8TranscodingStream(stream);
        try
        {
            var start = await text.PeekAsync(64 * 1024, cancellationToken).ConfigureAwait(false);
            return new CsvTabularReader(text, DetectSeparator(start.Span));
        }
        catch
        {
            await text.DisposeAsync().ConfigureAwait(false);
            throw;
        }
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
