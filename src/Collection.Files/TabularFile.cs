using System.Runtime.CompilerServices;

namespace Collection.Files;

/// <summary>
/// An uploaded file read as one <see cref="FileLayout"/>: finds the header (a title row or two above
/// it is allowed), maps it, fails with a coded error when it is unusable, and streams the data rows.
/// Warnings — unknown columns, cells under no header, title rows skipped — collect in
/// <see cref="Warnings"/> as the rows are read, for the result the sender gets.
/// </summary>
public sealed class TabularFile : IAsyncDisposable, IDisposable
{
    /// <summary>How many non-blank rows may stand above the header (titles such as "XX学校2022年度参保名册").</summary>
    public const int MaxRowsBeforeHeader = 10;

    private readonly TabularReader _reader;
    private readonly IAsyncEnumerator<RawRow> _rows;
    private readonly Queue<RawRow> _pending;
    private readonly List<FileWarning> _warnings = [];
    private readonly HashSet<int> _columnsWarned = [];
    private readonly int _maxRows;
    private bool _started;

    private TabularFile(TabularReader reader, IAsyncEnumerator<RawRow> rows, HeaderMap header, Queue<RawRow> pending, IEnumerable<FileWarning> headerWarnings, int maxRows)
    {
        _reader = reader;
        _maxRows = maxRows;
        _rows = rows;
        _pending = pending;
        Header = header;
        _warnings.AddRange(headerWarnings);
    }

    public TabularFormat Format => _reader.Format;

    /// <summary>See <see cref="TabularReader.EncodingName"/>.</summary>
    public string EncodingName => _reader.EncodingName;

    /// <summary>See <see cref="TabularReader.Source"/>.</summary>
    public string Source => _reader.Source;

    public HeaderMap Header { get; }

    public IReadOnlyList<FileWarning> Warnings => _warnings;

    /// <summary>Data rows handed out so far (blank rows not counted).</summary>
    public int RowsRead { get; private set; }

    /// <summary>
    /// Opens and maps a file. Throws <see cref="TabularFileException"/> for an unreadable file or an
    /// unusable header (<c>missing-columns</c>, <c>duplicate-columns</c>, <c>empty-file</c>, …).
    /// Takes ownership of <paramref name="stream"/>.
    /// </summary>
    public static Task<TabularFile> OpenAsync(Stream stream, string fileName, FileLayout layout, CancellationToken cancellationToken = default) =>
        OpenAsync(stream, fileName, layout, FileLimits.Default, cancellationToken);

    /// <summary>
    /// <see cref="OpenAsync(Stream, string, FileLayout, CancellationToken)"/> within <paramref name="limits"/>:
    /// besides the reader's byte, part and cell limits, the rows fail with <c>too-many-rows</c> at the first
    /// data row beyond <see cref="FileLimits.MaxRows"/>, before it is handed out.
    /// </summary>
    public static async Task<TabularFile> OpenAsync(Stream stream, string fileName, FileLayout layout, FileLimits limits, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(limits);
        var reader = await TabularReader.OpenAsync(stream, fileName, limits, cancellationToken).ConfigureAwait(false);
        IAsyncEnumerator<RawRow>? rows = null;
        try
        {
            rows = reader.ReadRowsAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
            var seen = new List<RawRow>();
            HeaderMap? best = null;
            var bestAt = 0;
            while (seen.Count < MaxRowsBeforeHeader + 1 && await rows.MoveNextAsync().ConfigureAwait(false))
            {
                var map = HeaderMap.Build(rows.Current, layout);
                seen.Add(rows.Current);
                if (best is null || map.RecognisedCount > best.RecognisedCount)
                {
                    best = map;
                    bestAt = seen.Count - 1;
                }

                if (map.Missing.Count == 0)
                {
                    best = map;
                    bestAt = seen.Count - 1;
                    break;
                }
            }

            if (best is null)
            {
                throw new TabularFileException(FileErrorCodes.EmptyFile, "文件中没有任何内容");
            }

            if (best.RecognisedCount == 0)
            {
                best = HeaderMap.Build(seen[0], layout);
                bestAt = 0;
            }

            best.ThrowIfUnusable();
            var headerWarnings = new List<FileWarning>();
            foreach (var title in seen.Take(bestAt))
            {
                var text = string.Join(" ", title.Cells.Where(c => !CellText.IsBlank(c)).Select(CellText.Clean));
                headerWarnings.Add(new FileWarning(FileWarningCodes.RowsAboveHeader, $"第 {title.LineNumber} 行“{text}”在表头之上，被当作标题跳过", title.LineNumber));
            }

            foreach (var column in best.Unknown)
            {
                headerWarnings.Add(new FileWarning(FileWarningCodes.UnknownColumn, $"无法识别的列“{column.Header}”（{column.Column} 列），其内容未被使用", best.HeaderLine, column.Column));
            }

            return new TabularFile(reader, rows, best, new Queue<RawRow>(seen.Skip(bestAt + 1)), headerWarnings, limits.MaxRows);
        }
        catch
        {
            if (rows is not null)
            {
                await rows.DisposeAsync().ConfigureAwait(false);
            }

            await reader.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public static TabularFile Open(Stream stream, string fileName, FileLayout layout) =>
        OpenAsync(stream, fileName, layout).GetAwaiter().GetResult();

    public static TabularFile Open(Stream stream, string fileName, FileLayout layout, FileLimits limits) =>
        OpenAsync(stream, fileName, layout, limits).GetAwaiter().GetResult();

    /// <summary>The data rows after the header, once.</summary>
    public async IAsyncEnumerable<TabularRow> ReadRowsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (_started)
        {
            throw new InvalidOperationException("The rows of a file can be read once.");
        }

        _started = true;
        while (_pending.TryDequeue(out var buffered))
        {
            yield return Accept(buffered);
        }

        while (await _rows.MoveNextAsync().ConfigureAwait(false))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return Accept(_rows.Current);
        }

        // A header and nothing under it is most often the wrong file or sheet sent: say so in the result.
        if (RowsRead == 0)
        {
            _warnings.Add(new FileWarning(FileWarningCodes.NoRows, "文件只有表头，没有数据行；请检查是否选错了文件或工作表"));
        }
    }

    public IEnumerable<TabularRow> ReadRows() => ReadRowsAsync().ToBlockingEnumerable();

    public async ValueTask DisposeAsync()
    {
        await _rows.DisposeAsync().ConfigureAwait(false);
        await _reader.DisposeAsync().ConfigureAwait(false);
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private TabularRow Accept(RawRow raw)
    {
        if (RowsRead == _maxRows)
        {
            // At the first row beyond the limit, before it is handed out: reading on is the unbounded work the limit stops.
            throw new TabularFileException(
                FileErrorCodes.TooManyRows,
                $"文件超过 {_maxRows} 行数据的上限（第 {raw.LineNumber} 行是第 {_maxRows + 1} 行数据），请拆分为多个文件分别上传",
                raw.LineNumber);
        }

        RowsRead++;
        for (var i = 0; i < raw.Cells.Count; i++)
        {
            var unnamed = i >= Header.Header.Count || CellText.IsBlank(Header.Header[i]);
            if (unnamed && !CellText.IsBlank(raw.Cells[i]) && _columnsWarned.Add(i))
            {
                var column = HeaderMap.ColumnName(i);
                _warnings.Add(new FileWarning(FileWarningCodes.CellsWithoutHeader, $"{column} 列没有表头，第 {raw.LineNumber} 行起该列的内容未被使用", raw.LineNumber, column));
            }
        }

        return new TabularRow(raw, Header);
    }
}
