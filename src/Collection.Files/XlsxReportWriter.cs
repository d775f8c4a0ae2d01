using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Xml;

namespace Collection.Files;

/// <summary>
/// Writes a one-sheet XLSX report: a bold header row of Chinese headers, then rows of text and numbers, streamed
/// (one row in memory at a time). The same rows give the same bytes: every ZIP entry carries a fixed time
/// (1980-01-01, the ZIP epoch) and the package holds no creation date or author — the Open XML SDK's packaging
/// stamps each entry with the current time, which is why reports are not written with it (it still reads them).
/// Text cells are inline strings, so nothing in a cell is ever a formula; amounts are numbers with two decimals.
/// </summary>
public sealed class XlsxReportWriter : IAsyncDisposable
{
    private static readonly DateTimeOffset EntryTime = new(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private const string MainNs = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";

    private readonly ZipArchive _zip;
    private readonly Stream _sheet;
    private readonly XmlWriter _xml;
    private int _row;

    private XlsxReportWriter(ZipArchive zip, Stream sheet, XmlWriter xml)
    {
        _zip = zip;
        _sheet = sheet;
        _xml = xml;
    }

    public int RowsWritten => Math.Max(0, _row - 1);

    /// <summary>Starts the package on <paramref name="output"/> (left open) with the sheet <paramref name="sheetName"/> and its header row.</summary>
    public static XlsxReportWriter Create(Stream output, string sheetName, IReadOnlyList<string> headers)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(headers);
        var zip = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true, Encoding.UTF8);
        Entry(zip, "[Content_Types].xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
            + "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>"
            + "<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
            + "<Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>"
            + "<Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
            + "<Override PartName=\"/xl/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/>"
            + "</Types>");
        Entry(zip, "_rels/.rels",
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
            + "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/>"
            + "</Relationships>");
        Entry(zip, "xl/workbook.xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<workbook xmlns=\"" + MainNs + "\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">"
            + "<sheets><sheet name=\"" + SecurityElementEscape(SheetName(sheetName)) + "\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>");
        Entry(zip, "xl/_rels/workbook.xml.rels",
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
            + "<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
            + "<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>"
            + "</Relationships>");
        // Styles: 0 plain, 1 bold (header), 2 number 0.00 (amounts), 3 text (@, for long digit strings).
        Entry(zip, "xl/styles.xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n<styleSheet xmlns=\"" + MainNs + "\">"
            + "<fonts count=\"2\"><font><sz val=\"11\"/><name val=\"等线\"/></font><font><b/><sz val=\"11\"/><name val=\"等线\"/></font></fonts>"
            + "<fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill><fill><patternFill patternType=\"gray125\"/></fill></fills>"
            + "<borders count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders>"
            + "<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>"
            + "<cellXfs count=\"4\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>"
            + "<xf numFmtId=\"0\" fontId=\"1\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\"/>"
            + "<xf numFmtId=\"2\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/>"
            + "<xf numFmtId=\"49\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/></cellXfs>"
            + "</styleSheet>");

        var entry = zip.CreateEntry("xl/worksheets/sheet1.xml", CompressionLevel.Optimal);
        entry.LastWriteTime = EntryTime;
        var sheet = entry.Open();
        var xml = XmlWriter.Create(sheet, new XmlWriterSettings { Encoding = new UTF8Encoding(false), CloseOutput = false });
        xml.WriteStartDocument(true);
        xml.WriteStartElement("worksheet", MainNs);
        xml.WriteStartElement("sheetViews", MainNs);
        xml.WriteStartElement("sheetView", MainNs);
        xml.WriteAttributeString("workbookViewId", "0");
        xml.WriteStartElement("pane", MainNs);
        xml.WriteAttributeString("ySplit", "1");
        xml.WriteAttributeString("topLeftCell", "A2");
        xml.WriteAttributeString("activePane", "bottomLeft");
        xml.WriteAttributeString("state", "frozen");
        xml.WriteEndElement();
        xml.WriteEndElement();
        xml.WriteEndElement();
        xml.WriteStartElement("sheetData", MainNs);
        var writer = new XlsxReportWriter(zip, sheet, xml);
        writer.WriteRow([.. headers.Select(h => (object?)h)], style: 1);
        return writer;
    }

    /// <summary>One row: <see cref="string"/> cells as text, <see cref="decimal"/> as amounts (0.00), <see cref="int"/> as whole numbers, null as empty.</summary>
    public void WriteRow(IReadOnlyList<object?> cells) => WriteRow(cells, style: 0);

    private void WriteRow(IReadOnlyList<object?> cells, int style)
    {
        ArgumentNullException.ThrowIfNull(cells);
        _row++;
        _xml.WriteStartElement("row", MainNs);
        _xml.WriteAttributeString("r", _row.ToString(CultureInfo.InvariantCulture));
        for (var i = 0; i < cells.Count; i++)
        {
            var cell = cells[i];
            if (cell is null)
            {
                continue;
            }

            _xml.WriteStartElement("c", MainNs);
            _xml.WriteAttributeString("r", Column(i) + _row.ToString(CultureInfo.InvariantCulture));
            switch (cell)
            {
                case decimal amount:
                    _xml.WriteAttributeString("s", style == 1 ? "1" : "2");
                    _xml.WriteElementString("v", MainNs, amount.ToString(CultureInfo.InvariantCulture));
                    break;
                case int number:
                    if (style == 1)
                    {
                        _xml.WriteAttributeString("s", "1");
                    }

                    _xml.WriteElementString("v", MainNs, number.ToString(CultureInfo.InvariantCulture));
                    break;
                default:
                    var text = Clean(Convert.ToString(cell, CultureInfo.InvariantCulture) ?? "");
                    _xml.WriteAttributeString("t", "inlineStr");
                    if (style == 1)
                    {
                        _xml.WriteAttributeString("s", "1");
                    }
                    else if (text.Length > 11 && text.All(char.IsAsciiDigit))
                    {
                        _xml.WriteAttributeString("s", "3");
                    }

                    _xml.WriteStartElement("is", MainNs);
                    _xml.WriteStartElement("t", MainNs);
                    if (text.Length > 0 && (char.IsWhiteSpace(text[0]) || char.IsWhiteSpace(text[^1])))
                    {
                        _xml.WriteAttributeString("xml", "space", null, "preserve");
                    }

                    _xml.WriteString(text);
                    _xml.WriteEndElement();
                    _xml.WriteEndElement();
                    break;
            }

            _xml.WriteEndElement();
        }

        _xml.WriteEndElement();
    }

    public async ValueTask DisposeAsync()
    {
        _xml.WriteEndElement(); // sheetData
        _xml.WriteEndElement(); // worksheet
        _xml.WriteEndDocument();
        _xml.Flush();
        _xml.Dispose();
        await _sheet.DisposeAsync().ConfigureAwait(false);
        _zip.Dispose();
    }

    private static void Entry(ZipArchive zip, string name, string content)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
        entry.LastWriteTime = EntryTime;
        using var stream = entry.Open();
        var bytes = Encoding.UTF8.GetBytes(content);
        stream.Write(bytes);
    }

    /// <summary>A1-style column letters of a 0-based index.</summary>
    private static string Column(int index)
    {
        var name = "";
        for (var n = index + 1; n > 0; n = (n - 1) / 26)
        {
            name = (char)('A' + ((n - 1) % 26)) + name;
        }

        return name;
    }

    /// <summary>XML 1.0 cannot carry control characters other than tab, CR and LF: they are dropped.</summary>
    private static string Clean(string text)
    {
        if (!text.Any(c => char.IsControl(c) && c is not '\t' and not '\r' and not '\n' || char.IsSurrogate(c)))
        {
            return text;
        }

        var builder = new StringBuilder(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(c).Append(text[++i]);
            }
            else if (!char.IsSurrogate(c) && (!char.IsControl(c) || c is '\t' or '\r' or '\n'))
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    /// <summary>Excel's sheet names: at most 31 characters, none of <c>[]:*?/\</c>.</summary>
    private static string SheetName(string name)
    {
        var clean = new string([.. (string.IsNullOrWhiteSpace(name) ? "Sheet1" : name).Where(c => c is not ('[' or ']' or ':' or '*' or '?' or '/' or '\\'))]);
        return clean.Length > 31 ? clean[..31] : clean.Length == 0 ? "Sheet1" : clean;
    }

    private static string SecurityElementEscape(string text) => System.Security.SecurityElement.Escape(text) ?? "";
}
