using System.Globalization;
using CsvHelper;

namespace Collection.Functions.Files;

/// <summary>
/// Writes a CSV that opens correctly in Excel on a Chinese Windows: UTF-8 with BOM, CRLF, Chinese
/// headers, and long digit strings (ID numbers, transaction numbers) written as <c>="…"</c> so
/// Excel shows them as text instead of 1.10101E+17. Rows go straight to the stream (streaming; the
/// writer buffers 64 KiB). Used for reports such as the mobilisation lists, and by
/// <see cref="RejectedRowsCsvWriter"/>.
/// </summary>
public sealed class CsvReportWriter : IDisposable, IAsyncDisposable
{
    /// <summary>Excel shows numbers of more than 11 digits in exponent form and keeps only 15.</summary>
    private const int LongestSafeNumber = 11;

    private readonly CsvWriter csv;

    private CsvReportWriter(CsvWriter csv) => this.csv = csv;

    public int RowsWritten { get; private set; }

    public static CsvReportWriter Create(Stream output, IReadOnlyList<string> headers, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(headers);
        var options = new CsvWriterOptions { WriteByteOrderMark = true, ValidateFieldCount = false, NewLine = "\r\n" };
        var writer = new CsvReportWriter(CsvWriter.Create(output, options, leaveOpen));
        writer.WriteCells(headers);
        writer.csv.EndRecord();
        return writer;
    }

    public static string Amount(decimal amount) => amount.ToString("0.00", CultureInfo.InvariantCulture);

    public static string Date(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    public static string YesNo(bool value) => value ? "是" : "否";

    /// <summary>The text Excel should show as text: digit strings longer than Excel keeps exact become a formula returning the text.</summary>
    public static string ForExcel(string? cell)
    {
        if (string.IsNullOrEmpty(cell) || cell.Length <= LongestSafeNumber)
        {
            return cell ?? string.Empty;
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

    public void WriteRow(IReadOnlyList<string?> cells)
    {
        WriteCells(cells);
        csv.EndRecord();
        RowsWritten++;
    }

    public async ValueTask WriteRowAsync(IReadOnlyList<string?> cells, CancellationToken cancellationToken = default)
    {
        WriteCells(cells);
        await csv.EndRecordAsync(cancellationToken).ConfigureAwait(false);
        RowsWritten++;
    }

    public void Flush() => csv.Flush();

    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => csv.FlushAsync(cancellationToken);

    public void Dispose() => csv.Dispose();

    public ValueTask DisposeAsync() => csv.DisposeAsync();

    private void WriteCells(IReadOnlyList<string?> cells)
    {
        foreach (var cell in cells)
        {
            csv.WriteField(ForExcel(cell));
        }
    }
}
