using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Text;
using System.Xml;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;

namespace Collection.Files;

/// <summary>
/// The first worksheet of an XLSX, read with a plain forward-only <see cref="XmlReader"/> over the
/// part streams so only one cell is materialised at a time; the shared strings are the one table
/// held whole, since cells refer to them by index. The Open XML SDK only finds the parts.
/// A ZIP inflates up to about a thousand times its size, so nothing is trusted to be small: the ZIP's
/// directory, every part read and the shared strings are checked against <see cref="FileLimits"/> and the
/// constants below, and a workbook beyond them fails with <c>file-too-large</c> or <c>corrupt-file</c> before
/// the excess is inflated.
/// Kept hand-written (#23): behind the same checks plus a counting pass over the sheet, MiniExcel 1.46.0 and
/// ExcelDataReader 3.6.0 both join rich-text runs quadratically (60,000 runs: 3.3 s and 33 s, over the 2 s test
/// bound) and MiniExcel's open took 4.7 s against 0.39 s here for 100,000 rows, with no gain end to end.
/// </summary>
internal sealed class XlsxTabularReader : TabularReader
{
    /// <summary>Excel's own row limit: a sheet with more row elements was not written by Excel or WPS.</summary>
    private const int MaxSheetRows = 1_048_576;

    /// <summary>
    /// Parts loaded whole (content types and relationships by the package, workbook and styles by the SDK): a few
    /// KB in a real workbook, a few MB for one formatted to excess.
    /// </summary>
    private const long MaxLoadedPartBytes = 16L * 1024 * 1024;

    /// <summary>ZIP entries: a real workbook has tens; each costs memory once the ZIP's directory is read.</summary>
    private const long MaxZipEntries = 10_000;

    /// <summary>
    /// XML one node may take (a tag and its attributes, a text): Excel's longest cell, 32,767 characters, is at
    /// most ~200 KB escaped. Bounds the XML reader's buffer whatever the part's size.
    /// </summary>
    private const int MaxNodeBytes = 1024 * 1024;

    /// <summary>One cell's text with its rich-text runs joined: 30 times Excel's 32,767 (longer rows are rejected as text-too-long).</summary>
    private const int MaxCellChars = 1_000_000;

    // Built-in number formats that show dates (the CJK ones included); time-only formats are left as numbers.
    private static readonly HashSet<uint> BuiltInDateFormats = [14, 15, 16, 17, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 50, 51, 52, 53, 54, 55, 56, 57, 58];

    private static readonly XmlReaderSettings ReaderSettings = new() { IgnoreComments = true, IgnoreWhitespace = false, DtdProcessing = DtdProcessing.Prohibit, CloseInput = false };

    private readonly SpreadsheetDocument _document;
    private readonly Stream _stream;
    private readonly FileLimits _limits;
    private readonly WorksheetPart _worksheet;
    private readonly string _sheetName;
    private readonly List<string> _sharedStrings;
    private readonly bool[] _dateStyles;
    private readonly bool _date1904;

    private XlsxTabularReader(SpreadsheetDocument document, Stream stream, FileLimits limits, WorksheetPart worksheet, string sheetName, List<string> sharedStrings, bool[] dateStyles, bool date1904)
    {
        _document = document;
        _stream = stream;
        _limits = limits;
        _worksheet = worksheet;
        _sheetName = sheetName;
        _sharedStrings = sharedStrings;
        _dateStyles = dateStyles;
        _date1904 = date1904;
    }

    public override TabularFormat Format => TabularFormat.Xlsx;

    public override string EncodingName => "xlsx";

    public override string Source => _sheetName;

    internal static async Task<TabularReader> OpenAsync(Stream stream, FileLimits limits, CancellationToken cancellationToken)
    {
        // A ZIP is read from its end (the central directory): a stream that cannot seek is spooled
        // to a temporary file first, never to memory (the caller bounds the stream to the file size limit).
        var seekable = stream;
        if (!stream.CanSeek)
        {
            seekable = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
            try
            {
                await stream.CopyToAsync(seekable, cancellationToken).ConfigureAwait(false);
                seekable.Position = 0;
            }
            catch
            {
                // Too large, or the upload went away: the spool goes now, not when a finalizer gets to it.
                await seekable.DisposeAsync().ConfigureAwait(false);
                throw;
            }
            finally
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
        }

        SpreadsheetDocument? document = null;
        try
        {
            // Sizes first, from the ZIP's own directory: a part is checked before anything inflates it.
            var parts = ZipParts.Read(seekable);
            seekable.Position = 0;
            document = SpreadsheetDocument.Open(seekable, isEditable: false, new OpenSettings { MaxCharactersInPart = MaxLoadedPartBytes });
            var workbook = document.WorkbookPart ?? throw Corrupt("工作簿中没有 workbook 部分");
            parts.Check(workbook.Uri, MaxLoadedPartBytes);
            parts.Check(workbook.WorkbookStylesPart?.Uri, MaxLoadedPartBytes);
            parts.Check(workbook.SharedStringTablePart?.Uri, limits.MaxXlsxPartBytes);
            var (part, name) = FirstWorksheet(workbook);
            parts.Check(part.Uri, limits.MaxXlsxPartBytes);
            var reader = new XlsxTabularReader(
                document,
                seekable,
                limits,
                part,
                name,
                ReadSharedStrings(workbook.SharedStringTablePart, limits),
                ReadDateStyles(workbook.WorkbookStylesPart),
                workbook.Workbook.WorkbookProperties?.Date1904?.Value ?? false);
            return reader;
        }
        catch (Exception ex) when (ex is not TabularFileException and not OperationCanceledException)
        {
            document?.Dispose();
            await seekable.DisposeAsync().ConfigureAwait(false);
            throw Corrupt("文件不是有效的 .xlsx 工作簿或已损坏", ex);
        }
        catch
        {
            document?.Dispose();
            await seekable.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public override async IAsyncEnumerable<RawRow> ReadRowsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await Task.CompletedTask.ConfigureAwait(false);

        // The sheet is read with a plain XmlReader over the part stream: OpenXmlReader costs about
        // 1.5 µs per element (30k rows/s for a 7-column roster), XmlReader several times less.
        Stream part;
        try
        {
            part = _worksheet.GetStream(FileMode.Open, FileAccess.Read);
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException)
        {
            // The ZIP entry's own header is broken (found by the file property tests).
            throw Corrupt("工作表内容已损坏（文件不是有效的 .xlsx 工作簿）", ex);
        }

        using var sheet = new PartXml(part, "工作表", _limits.MaxXlsxPartBytes);
        var xml = sheet.Xml;
        var cells = new List<string>();
        List<int>? lossy = null;
        var lineNumber = 0;
        var column = 0;
        long cellCount = 0;
        var rowCount = 0;
        while (sheet.Read())
        {
            if (xml.NodeType == XmlNodeType.Element && xml.LocalName == "c")
            {
                // Empty and formatted cells count too: they hold no data but cost the reading.
                if (++cellCount > _limits.MaxCells)
                {
                    throw new TabularFileException(FileErrorCodes.FileTooLarge, $"工作表超过 {_limits.MaxCells} 个单元格的上限（第 {lineNumber} 行附近），请删除表格中多余的内容或拆分为多个文件后上传", lineNumber);
                }

                var (reference, text, isLossy) = ReadCell(sheet);
                column = ColumnIndex(reference) ?? column;
                if (text.Length > 0)
                {
                    // Cells repeating one reference would otherwise pile up in a row without the column growing.
                    if (column >= MaxColumns || cells.Count >= MaxColumns)
                    {
                        throw TooManyColumns(lineNumber);
                    }

                    while (cells.Count < column)
                    {
                        cells.Add(string.Empty);
                    }

                    cells.Add(text);
                    if (isLossy)
                    {
                        (lossy ??= []).Add(column);
                    }
                }

                column++;
                continue;
            }

            if (xml.NodeType == XmlNodeType.EndElement && xml.LocalName == "sheetData")
            {
                // What follows the cells (merges, formatting, validations) is nothing to read.
                yield break;
            }

            if (xml.LocalName != "row")
            {
                continue;
            }

            var rowEnds = xml.NodeType == XmlNodeType.EndElement;
            if (xml.NodeType == XmlNodeType.Element)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (++rowCount > MaxSheetRows)
                {
                    throw Corrupt($"工作表超过 Excel 的 {MaxSheetRows} 行上限，文件可能已损坏");
                }

                lineNumber = int.TryParse(xml.GetAttribute("r"), NumberStyles.None, CultureInfo.InvariantCulture, out var r) ? r : lineNumber + 1;
                column = 0;
                cells.Clear();
                lossy = null;
                rowEnds = xml.IsEmptyElement;
            }

            if (rowEnds && cells.Count > 0)
            {
                var row = new RawRow(lineNumber, cells.ToArray(), lossy);
                cells.Clear();
                if (!row.IsBlank())
                {
                    yield return row;
                }
            }
        }
    }

    protected override ValueTask DisposeAsyncCore()
    {
        _document.Dispose();
        return _stream.DisposeAsync();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _document.Dispose();
            _stream.Dispose();
        }
    }

    private static TabularFileException Corrupt(string message, Exception? inner = null) =>
        new(FileErrorCodes.CorruptFile, message, null, inner);

    private static TabularFileException PartTooLarge(string _what, long maxBytes, long? size = null) =>
        new(FileErrorCodes.FileTooLarge, size is { } known
            ? $"工作簿中的{_what}解压后有 {FileLimits.Megabytes(known)}，超过 {FileLimits.Megabytes(maxBytes)} 的上限，请删除表格中多余的内容或拆分为多个文件后上传"
            : $"工作簿中的{_what}解压后超过 {FileLimits.Megabytes(maxBytes)} 的上限，请删除表格中多余的内容或拆分为多个文件后上传");

    private static TabularFileException CellTooLong() =>
        Corrupt($"工作表中有超过 {MaxCellChars} 个字符的单元格（Excel 的单元格最多 32767 个字符），文件可能已损坏");


    private static (WorksheetPart Part, string Name) FirstWorksheet(WorkbookPart workbook)
    {
        var sheets = workbook.Workbook.Sheets?.Elements<Sheet>().ToList() ?? [];
        (WorksheetPart Part, string Name)? firstHidden = null;
        foreach (var sheet in sheets)
        {
            if (sheet.Id?.Value is not { } id || workbook.GetPartById(id) is not WorksheetPart part)
            {
                continue;
            }

            var visible = sheet.State is null || sheet.State.Value == SheetStateValues.Visible;
            if (visible)
            {
                return (part, sheet.Name?.Value ?? string.Empty);
            }

            firstHidden ??= (part, sheet.Name?.Value ?? string.Empty);
        }

        return firstHidden ?? throw Corrupt("工作簿中没有工作表");
    }

    /// <summary>
    /// The shared strings, read with a plain <see cref="XmlReader"/> (the typed reader materialises
    /// every item, several times slower for the one string per cell a roster has).
    /// </summary>
    private static List<string> ReadSharedStrings(SharedStringTablePart? part, FileLimits _limits)
    {
        var strings = new List<string>();
        if (part is null)
        {
            return strings;
        }

        using var table = new PartXml(part.GetStream(FileMode.Open, FileAccess.Read), "共享字符串表", _limits.MaxXlsxPartBytes);
        var xml = table.Xml;
        long chars = 0;
        while (table.Read())
        {
            if (xml.NodeType == XmlNodeType.Element && xml.LocalName == "si")
            {
                if (strings.Count >= _limits.MaxSharedStrings)
                {
                    throw new TabularFileException(FileErrorCodes.FileTooLarge, $"工作簿的共享字符串超过 {_limits.MaxSharedStrings} 个的上限，请删除表格中多余的内容或拆分为多个文件后上传");
                }

                var text = ItemText(table);
                chars += text.Length;
                if (chars > _limits.MaxSharedStringChars)
                {
                    throw new TabularFileException(FileErrorCodes.FileTooLarge, $"工作簿的共享字符串超过共 {_limits.MaxSharedStringChars} 个字符的上限，请删除表格中多余的内容或拆分为多个文件后上传");
                }

                strings.Add(text);
            }
        }

        return strings;
    }

    /// <summary>
    /// The visible text of a string item (positioned on its start, left on its end): its own t, or
    /// else its rich-text runs' t texts joined, without phonetic (furigana) runs.
    /// </summary>
    private static string ItemText(PartXml part)
    {
        var xml = part.Xml;
        if (xml.IsEmptyElement)
        {
            return string.Empty;
        }

        var depth = xml.Depth;
        string? plain = null;
        StringBuilder? runs = null;
        var more = part.Read();
        while (more && !(xml.NodeType == XmlNodeType.EndElement && xml.Depth == depth))
        {
            if (xml.NodeType != XmlNodeType.Element)
            {
                more = part.Read();
            }
            else if (xml.LocalName == "rPh")
            {
                part.Skip();
            }
            else if (xml.LocalName == "t")
            {
                var ownText = xml.Depth == depth + 1;
                var text = part.Content();
                if (ownText)
                {
                    plain ??= text;
                }
                else
                {
                    // Joined in a builder: thousands of tiny runs must not cost the square of their length.
                    AppendCapped(runs ??= new StringBuilder(), text);
                }
            }
            else
            {
                more = part.Read();
            }
        }

        return more ? plain ?? runs?.ToString() ?? string.Empty : throw Corrupt("共享字符串表已损坏（XML 不完整）");
    }

    private static void AppendCapped(StringBuilder text, string more)
    {
        if (text.Length + more.Length > MaxCellChars)
        {
            throw CellTooLong();
        }

        text.Append(more);
    }

    private static bool[] ReadDateStyles(WorkbookStylesPart? part)
    {
        var stylesheet = part?.Stylesheet;
        if (stylesheet?.CellFormats is not { } formats)
        {
            return [];
        }

        var customDateFormats = new HashSet<uint>();
        foreach (var format in stylesheet.NumberingFormats?.Elements<NumberingFormat>() ?? [])
        {
            if (format.NumberFormatId?.Value is { } id && IsDateFormatCode(format.FormatCode?.Value))
            {
                customDateFormats.Add(id);
            }
        }

        return formats.Elements<CellFormat>()
            .Select(f => f.NumberFormatId?.Value is { } id && (BuiltInDateFormats.Contains(id) || customDateFormats.Contains(id)))
            .ToArray();
    }

    /// <summary>A custom format shows a date when, outside quoted text and [..] sections, it has y, d or e (era year).</summary>
    private static bool IsDateFormatCode(string? code)
    {
        if (string.IsNullOrEmpty(code))
        {
            return false;
        }

        var quoted = false;
        var bracket = false;
        for (var i = 0; i < code.Length; i++)
        {
            var c = code[i];
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (!quoted && c == '[')
            {
                bracket = true;
            }
            else if (!quoted && c == ']')
            {
                bracket = false;
            }
            else if (!quoted && c == '\\')
            {
                i++;
            }
            else if (!quoted && !bracket && (c is 'y' or 'Y' or 'd' or 'D' or 'e' or 'E'))
            {
                return c is not ('e' or 'E') || !code.Contains("0E", StringComparison.OrdinalIgnoreCase);
            }
        }

        return false;
    }

    /// <summary>
    /// Reads one cell (positioned on its start element, left on its end): the attributes r, t and s,
    /// then the v text or the inline string's t texts, phonetic runs (rPh) left out.
    /// </summary>
    private (string? Reference, string Text, bool Lossy) ReadCell(PartXml part)
    {
        var xml = part.Xml;
        var reference = xml.GetAttribute("r");
        var type = xml.GetAttribute("t");
        _ = uint.TryParse(xml.GetAttribute("s"), NumberStyles.None, CultureInfo.InvariantCulture, out var style);
        string? value = null;
        StringBuilder? inline = null;
        if (!xml.IsEmptyElement)
        {
            var depth = xml.Depth;
            var phonetic = 0;
            while (part.Read() && !(xml.NodeType == XmlNodeType.EndElement && xml.Depth == depth))
            {
                if (xml.LocalName == "rPh" && !xml.IsEmptyElement)
                {
                    phonetic += xml.NodeType == XmlNodeType.Element ? 1 : -1;
                }
                else if (xml.NodeType == XmlNodeType.Element && xml.LocalName == "v")
                {
                    value = part.Content();
                    if (xml.NodeType == XmlNodeType.EndElement && xml.Depth == depth)
                    {
                        break;
                    }
                }
                else if (xml.NodeType == XmlNodeType.Element && xml.LocalName == "t" && phonetic == 0)
                {
                    AppendCapped(inline ??= new StringBuilder(), part.Content());
                    if (xml.NodeType == XmlNodeType.EndElement && xml.Depth == depth)
                    {
                        break;
                    }
                }
            }
        }

        var (text, lossy) = CellText(reference, type, style, value, inline?.ToString());
        return (reference, text, lossy);
    }

    private (string Text, bool Lossy) CellText(string? reference, string? type, uint styleIndex, string? raw, string? inline)
    {
        switch (type)
        {
            case "s":
                return int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index >= 0 && index < _sharedStrings.Count
                    ? (_sharedStrings[index], false)
                    : throw Corrupt($"单元格 {reference} 引用了不存在的共享字符串");
            case "inlineStr":
                return (inline ?? string.Empty, false);
        }

        if (string.IsNullOrEmpty(raw))
        {
            return (string.Empty, false);
        }

        switch (type)
        {
            case "b":
                return (raw == "1" ? "TRUE" : "FALSE", false);
            case "str" or "e" or "d":
                return (raw, false);
        }

        if (styleIndex < _dateStyles.Length && _dateStyles[styleIndex]
            && double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var serial)
            && Files.CellText.TryFromExcelSerial(serial, _date1904, out var date))
        {
            return (Files.CellText.IsoDate(date), false);
        }

        return NumberText(raw);
    }

    /// <summary>
    /// A number as Excel shows it: plain digits rather than exponent notation, at most 15
    /// significant digits for fractions (so 0.1+0.2 reads 0.3). Integers of 16 or more digits are
    /// kept as stored but flagged: Excel itself has already dropped their last digits.
    /// </summary>
    internal static (string Text, bool Lossy) NumberText(string raw)
    {
        if (!decimal.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            return (raw, false);
        }

        if (value == decimal.Truncate(value))
        {
            var digits = decimal.Abs(value).ToString("0", CultureInfo.InvariantCulture);
            return (value.ToString("0", CultureInfo.InvariantCulture), digits.Length >= 16);
        }

        var rounded = double.Parse(raw, NumberStyles.Float, CultureInfo.InvariantCulture).ToString("G15", CultureInfo.InvariantCulture);
        return decimal.TryParse(rounded, NumberStyles.Float, CultureInfo.InvariantCulture, out var shown)
            ? (shown.ToString(CultureInfo.InvariantCulture), false)
            : (raw, false);
    }

    /// <summary>The 0-based column of a reference such as "C5" or "AB12".</summary>
    internal static int? ColumnIndex(string? reference)
    {
        if (string.IsNullOrEmpty(reference))
        {
            return null;
        }

        var column = 0;
        var letters = 0;
        foreach (var c in reference)
        {
            if (!char.IsAsciiLetter(c))
            {
                break;
            }

            column = (column * 26) + (char.ToUpperInvariant(c) - 'A' + 1);
            letters++;
            if (letters > 3)
            {
                return null;
            }
        }

        return letters == 0 ? null : column - 1;
    }

    /// <summary>
    /// An <see cref="XmlReader"/> over one part's stream, counted (<see cref="BoundedReadStream"/>): beyond
    /// <c>maxBytes</c> in all it fails with <c>file-too-large</c>; beyond <see cref="MaxNodeBytes"/> for one node
    /// (every read here marks where the next node starts) with <c>corrupt-file</c>. XML errors become
    /// <c>corrupt-file</c> too.
    /// </summary>
    private sealed class PartXml : IDisposable
    {
        private readonly BoundedReadStream _stream;
        private readonly string _what;

        public PartXml(Stream part, string what, long maxBytes)
        {
            _what = what;
            _stream = new BoundedReadStream(part, maxBytes, () => PartTooLarge(_what, maxBytes))
            {
                MaxBytesPerMark = MaxNodeBytes,
                TooManyPerMark = () => Corrupt($"{_what}中有超过 {FileLimits.Megabytes(MaxNodeBytes)} 的单个单元格或标记，Excel 不会写出这样的文件，文件可能已损坏"),
            };
            try
            {
                // Creating the reader reads the part's first bytes (its encoding): broken compressed bytes show here.
                Xml = XmlReader.Create(_stream, ReaderSettings);
            }
            catch (Exception ex) when (ex is XmlException or InvalidDataException)
            {
                _stream.Dispose();
                throw Corrupt($"{_what}内容已损坏（XML 无法解析）", ex);
            }
        }

        public XmlReader Xml { get; }

        public bool Read()
        {
            _stream.Mark();
            try
            {
                return Xml.Read();
            }
            catch (Exception ex) when (ex is XmlException or InvalidDataException)
            {
                // InvalidDataException: the part's compressed bytes are broken (found by the file property tests).
                throw Corrupt($"{_what}内容已损坏（XML 无法解析）", ex);
            }
        }

        public void Skip()
        {
            _stream.Mark();
            try
            {
                Xml.Skip();
            }
            catch (Exception ex) when (ex is XmlException or InvalidDataException)
            {
                // InvalidDataException: the part's compressed bytes are broken (found by the file property tests).
                throw Corrupt($"{_what}内容已损坏（XML 无法解析）", ex);
            }
        }

        /// <summary>The text of the element the reader is on; leaves it after its end.</summary>
        public string Content()
        {
            _stream.Mark();
            try
            {
                return Xml.ReadElementContentAsString();
            }
            catch (Exception ex) when (ex is XmlException or InvalidDataException)
            {
                // InvalidDataException: the part's compressed bytes are broken (found by the file property tests).
                throw Corrupt($"{_what}内容已损坏（XML 无法解析）", ex);
            }
        }

        public void Dispose()
        {
            Xml.Dispose();
            _stream.Dispose();
        }
    }

    /// <summary>
    /// The ZIP's directory as declared: how many entries, and each one's uncompressed size. .NET's ZIP reader
    /// stops inflating an entry at its declared size, so a declared size bounds what the entry can become; a
    /// part is checked here before anything inflates it.
    /// </summary>
    private sealed class ZipParts
    {
        private const uint EndOfDirectory = 0x06054B50;
        private const uint Zip64Locator = 0x07064B50;
        private const uint Zip64EndOfDirectory = 0x06064B50;

        private readonly Dictionary<string, long> _sizes;

        private ZipParts(Dictionary<string, long> sizes) => _sizes = sizes;

        public static ZipParts Read(Stream zip)
        {
            // The entry count from the end record first: reading the directory itself costs memory per entry.
            if (CountEntries(zip) is var entries && entries > MaxZipEntries)
            {
                throw new TabularFileException(FileErrorCodes.FileTooLarge, $"工作簿包含 {entries} 个部件，超过 {MaxZipEntries} 个的上限，文件可能已损坏");
            }

            zip.Position = 0;
            var sizes = new Dictionary<string, long>(StringComparer.OrdinalIgnoreCase);
            using var archive = new ZipArchive(zip, ZipArchiveMode.Read, leaveOpen: true);
            foreach (var entry in archive.Entries)
            {
                sizes[entry.FullName] = Math.Max(entry.Length, sizes.GetValueOrDefault(entry.FullName));

                // Read whole by the package as it opens, before any part is asked for.
                var loadedWhole = entry.FullName.EndsWith(".rels", StringComparison.OrdinalIgnoreCase)
                    || entry.FullName.Equals("[Content_Types].xml", StringComparison.OrdinalIgnoreCase);
                if (loadedWhole && entry.Length > MaxLoadedPartBytes)
                {
                    throw PartTooLarge($"“{entry.FullName}”", MaxLoadedPartBytes, entry.Length);
                }
            }

            return new ZipParts(sizes);
        }

        /// <summary>Fails when the part at <paramref name="uri"/> is declared larger than <paramref name="maxBytes"/>.</summary>
        public void Check(Uri? uri, long maxBytes)
        {
            if (uri is null)
            {
                return;
            }

            var name = uri.OriginalString.TrimStart('/');
            if ((_sizes.TryGetValue(name, out var size) || _sizes.TryGetValue(Uri.UnescapeDataString(name), out size)) && size > maxBytes)
            {
                throw PartTooLarge($"“{name}”", maxBytes, size);
            }
        }

        private static long CountEntries(Stream zip)
        {
            // The end record is the last 22 bytes but for a comment of up to 65,535 bytes.
            var length = zip.Length;
            var tail = new byte[(int)Math.Min(length, 22 + ushort.MaxValue)];
            zip.Position = length - tail.Length;
            zip.ReadExactly(tail);
            for (var at = tail.Length - 22; at >= 0; at--)
            {
                if (BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(at)) != EndOfDirectory)
                {
                    continue;
                }

                long entries = BinaryPrimitives.ReadUInt16LittleEndian(tail.AsSpan(at + 10));
                if (entries == ushort.MaxValue && at >= 20 && BinaryPrimitives.ReadUInt32LittleEndian(tail.AsSpan(at - 20)) == Zip64Locator)
                {
                    var recordAt = BinaryPrimitives.ReadUInt64LittleEndian(tail.AsSpan(at - 20 + 8));
                    var record = new byte[56];
                    if (recordAt > (ulong)(length - record.Length))
                    {
                        break;
                    }

                    zip.Position = (long)recordAt;
                    zip.ReadExactly(record);
                    if (BinaryPrimitives.ReadUInt32LittleEndian(record) != Zip64EndOfDirectory)
                    {
                        break;
                    }

                    entries = (long)Math.Min(BinaryPrimitives.ReadUInt64LittleEndian(record.AsSpan(32)), long.MaxValue);
                }

                return entries;
            }

            throw Corrupt("文件不是有效的 .xlsx 工作簿或已损坏");
        }
    }
}
