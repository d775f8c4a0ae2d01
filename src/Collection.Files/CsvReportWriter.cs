using System.Globalization;
using CsvHelper;

namespace Collection.Files;

/// <summary>
/// Writes a CSV that opens correctly and safely in Excel on a Chinese Windows: UTF-8 with BOM, CRLF,
/// Chinese headers, every cell through <see cref="ForExcel"/> (long digit strings such as ID numbers
/// as text instead of 1.10101E+17, nothing that could run as a formula). Rows go straight to the stream (streaming; the
/// writer buffers 64 KiB). Used for reports such as the mobilisation lists, and by
/// <see cref="RejectedRowsCsvWriter"/>.
/// </summary>
public sealed class CsvReportWriter : IDisposable, IAsyncDisposable
{
    /// <summary>Excel shows numbers of more than 11 digits in exponent form and keeps only 15.</summary>
    private const int LongestSafeNumber = 11;

    private readonly CsvWriter _csv;

    private CsvReportWriter(CsvWriter csv) => _csv = csv;

    public int RowsWritten { get; private set; }

    public static CsvReportWriter Create(Stream output, IReadOnlyList<string> headers, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(headers);
        var options = new CsvWriterOptions { WriteByteOrderMark = true, ValidateFieldCount = false, NewLine = "\r\n" };
        var writer = new CsvReportWriter(CsvWriter.Create(output, options, leaveOpen));
        writer.WriteCells(headers);
        writer._csv.EndRecord();
        return writer;
    }

    public static string Amount(decimal amount) => amount.ToString("0.00", CultureInfo.InvariantCulture);

    public static string Date(DateOnly date) => CellText.IsoDate(date);

    public static string YesNo(bool value) => value ? "是" : "否";

    /// <summary>
    /// The one rule for every cell the system writes to a spreadsheet file, so it opens in Excel or WPS
    /// as the text it is: a cell that would start a formula (<c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, tab,
    /// carriage return, or their full-width forms, which WPS also takes) gets a leading apostrophe (OWASP
    /// CSV injection), unless it is a plain number such as an amount of -12.50; digit strings longer than
    /// Excel keeps exact (ID numbers) become <c>="…"</c>, a formula returning the text. Both wrappers are
    /// taken off again by <see cref="CellText.Clean"/> when the file comes back.
    /// </summary>
    public static string ForExcel(string? cell)
    {
        if (string.IsNullOrEmpty(cell))
        {
            return string.Empty;
        }

        if (StartsFormula(cell[0]))
        {
            return IsPlainNumber(cell) ? cell : "'" + cell;
        }

        if (cell.Length <= LongestSafeNumber)
        {
            return cell;
        }

        foreach (var c in cell)
        {
            if (!char.IsAsciiDigit(c))
            {
                return cell;
            }
        }

        return $"=\"{cell}\"";
    }

    private static bool StartsFormula(char c) => c is '=' or '+' or '-' or '@' or '\t' or '\r' or '\uFF1D' or '\uFF0B' or '\uFF0D' or '\uFF20';

    /// <summary>An optional sign, digits, an optional decimal part: what Excel reads as a number, never as a formula.</summary>
    private static bool IsPlainNumber(string cell)
    {
        if (cell[0] is not ('+' or '-') || cell.Length < 2)
        {
            return false;
        }

        var digits = 0;
        var point = false;
        for (var i = 1; i < cell.Length; i++)
        {
            if (char.IsAsciiDigit(cell[i]))
            {
                digits++;
            }
            else if (cell[i] == '.' && !point && digits > 0 && i < cell.Length - 1)
            {
                point = true;
            }
            else
            {
                return false;
            }
        }

        return digits > 0;
    }

    public void WriteRow(IReadOnlyList<string?> cells)
    {
        WriteCells(cells);
        _csv.EndRecord();
        RowsWritten++;
    }

    public async ValueTask WriteRowAsync(IReadOnlyList<string?> cells, CancellationToken cancellationToken = default)
    {
        WriteCells(cells);
        await _csv.EndRecordAsync(cancellationToken).ConfigureAwait(false);
        RowsWritten++;
    }

    public void Flush() => _csv.Flush();

    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => _csv.FlushAsync(cancellationToken);

    public void Dispose() => _csv.Dispose();

    public ValueTask DisposeAsync() => _csv.DisposeAsync();

    private void WriteCells(IReadOnlyList<string?> cells)
    {
        foreach (var cell in cells)
        {
            _csv.WriteField(ForExcel(cell));
        }
    }
}
