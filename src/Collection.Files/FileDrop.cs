namespace Collection.Files;

/// <summary>Why a dropped file could not be read, or only partly: every intake's result says it this way.</summary>
public sealed record FileError(string Code, string Message, int? Line = null);

/// <summary>A rejected row as every intake's result lists it: line, masked ID number, reason code and Chinese message.</summary>
public sealed record RejectedRow(int Line, string IdNumber, string Code, string Message);

/// <summary>
/// The parts of a file-drop run (rosters, tax returns, subsidy lists, last year's rolls) that do not depend on
/// where the file came from: the Chinese messages for a file that broke part-way or held no rows.
/// The storage side (trigger, result blobs) is the app's.
/// </summary>
public static class FileDrop
{
    public const string EmptyFileMessage = "文件只有表头，没有数据行";

    /// <summary>A file that broke after some rows were read says near which line, so the sender can find it.</summary>
    public static string PartWayMessage(TabularFileException error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return error.LineNumber is { } line ? $"第 {line} 行附近：{error.ChineseMessage}" : error.ChineseMessage;
    }
}

/// <summary>
/// The rejected rows of one run: every one streamed to a scratch <c>.rejected.csv</c> (a temporary file deleted
/// when this is disposed), the first <see cref="FirstLines.Listed"/> by line kept for the result document, which so
/// stays of fixed size however many rows a file has (issue 22).
/// </summary>
public sealed class RejectedRows : IAsyncDisposable
{
    private readonly FileStream _csv = new(Path.Combine(Path.GetTempPath(), "rejected-" + Guid.NewGuid().ToString("N") + ".csv"),
        FileMode.Create, FileAccess.ReadWrite, FileShare.None, 65536, FileOptions.DeleteOnClose);

    private RejectedRowsCsvWriter? _writer;

    /// <summary>The first rejected rows by line (<see cref="Count"/> says how many in all).</summary>
    public List<RejectedRow> First { get; } = [];

    public int Count { get; private set; }

    /// <summary>Once the file's header is known: the CSV repeats it before 行号, 原因代码, 原因说明.</summary>
    public void Start(IReadOnlyList<string> header) => _writer ??= RejectedRowsCsvWriter.Create(_csv, header, leaveOpen: true);

    public async ValueTask AddAsync(TabularRow row, string maskedId, string code, string message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(row);
        Count++;
        FirstLines.Add(First, new RejectedRow(row.LineNumber, maskedId, code, message), r => r.Line);
        Start([]);
        await _writer!.WriteAsync(row, code, message, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The finished CSV from its start (only the added columns' header when no file header was read); owned by this.</summary>
    public async Task<Stream> FinishAsync(CancellationToken cancellationToken = default)
    {
        Start([]);
        await _writer!.FlushAsync(cancellationToken).ConfigureAwait(false);
        await _writer.DisposeAsync().ConfigureAwait(false);
        _csv.Position = 0;
        return _csv;
    }

    public async ValueTask DisposeAsync()
    {
        if (_writer is not null)
        {
            await _writer.DisposeAsync().ConfigureAwait(false);
        }

        await _csv.DisposeAsync().ConfigureAwait(false);
    }
}
