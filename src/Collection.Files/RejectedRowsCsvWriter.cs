namespace Collection.Files;

/// <summary>
/// The <c>.rejected.csv</c> beside a result: the sender's own header and cells, then 行号, 原因代码
/// and 原因说明, so the sender can fix the rows in Excel and upload the file again (the three added
/// columns are recognised and ignored on the way back in). Cells beyond the header are kept after
/// the reason, never dropped.
/// </summary>
public sealed class RejectedRowsCsvWriter : IDisposable, IAsyncDisposable
{
    public const string LineNumberHeader = "行号";
    public const string ReasonCodeHeader = "原因代码";
    public const string ReasonMessageHeader = "原因说明";

    private readonly CsvReportWriter _writer;
    private readonly int _width;

    private RejectedRowsCsvWriter(CsvReportWriter writer, int width)
    {
        _writer = writer;
        _width = width;
    }

    public int RowsWritten => _writer.RowsWritten;

    public static RejectedRowsCsvWriter Create(Stream output, IReadOnlyList<string> originalHeader, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(originalHeader);
        var width = originalHeader.Count;
        while (width > 0 && CellText.IsBlank(originalHeader[width - 1]))
        {
            width--;
        }

        string[] header = [.. originalHeader.Take(width), LineNumberHeader, ReasonCodeHeader, ReasonMessageHeader];
        return new RejectedRowsCsvWriter(CsvReportWriter.Create(output, header, leaveOpen), width);
    }

    public void Write(TabularRow row, string code, string message)
    {
        ArgumentNullException.ThrowIfNull(row);
        Write(row.LineNumber, row.Cells, code, message);
    }

    public void Write(int lineNumber, IReadOnlyList<string> cells, string code, string message) =>
        _writer.WriteRow(Layout(lineNumber, cells, code, message));

    public ValueTask WriteAsync(TabularRow row, string code, string message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(row);
        return WriteAsync(row.LineNumber, row.Cells, code, message, cancellationToken);
    }

    public ValueTask WriteAsync(int lineNumber, IReadOnlyList<string> cells, string code, string message, CancellationToken cancellationToken = default) =>
        _writer.WriteRowAsync(Layout(lineNumber, cells, code, message), cancellationToken);

    public void Flush() => _writer.Flush();

    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => _writer.FlushAsync(cancellationToken);

    public void Dispose() => _writer.Dispose();

    public ValueTask DisposeAsync() => _writer.DisposeAsync();

    private string?[] Layout(int lineNumber, IReadOnlyList<string> cells, string code, string message)
    {
        var extra = 0;
        for (var i = cells.Count - 1; i >= _width; i--)
        {
            if (!CellText.IsBlank(cells[i]))
            {
                extra = i - _width + 1;
                break;
            }
        }

        var line = new string?[_width + 3 + extra];
        for (var i = 0; i < _width; i++)
        {
            line[i] = i < cells.Count ? cells[i] : string.Empty;
        }

        line[_width] = lineNumber.ToString(System.Globalization.CultureInfo.InvariantCulture);
        line[_width + 1] = code;
        line[_width + 2] = message;
        for (var i = 0; i < extra; i++)
        {
            line[_width + 3 + i] = cells[_width + i];
        }

        return line;
    }
}
