namespace Collection.Files;

public enum TabularFormat
{
    Csv,
    Xlsx,
}

/// <summary>
/// Streams the rows of an uploaded CSV or XLSX file, header included, skipping blank rows while
/// keeping true line numbers. Memory stays bounded by one buffer (CSV) or by the workbook's shared
/// strings (XLSX, themselves within <see cref="FileLimits"/>); the file is never loaded whole.
/// </summary>
public abstract class TabularReader : IAsyncDisposable, IDisposable
{
    /// <summary>More columns than any real list has: a guard against sheets with stray cells far to the right.</summary>
    public const int MaxColumns = 1000;

    private static readonly byte[] ZipSignature = [0x50, 0x4B, 0x03, 0x04];
    private static readonly byte[] OleSignature = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

    public abstract TabularFormat Format { get; }

    /// <summary>"utf-8", "utf-8-bom", "gb18030", "utf-16le", "utf-16be" or "ascii" for CSV; "xlsx" for XLSX. Known for sure once the rows have been read.</summary>
    public abstract string EncodingName { get; }

    /// <summary>What the rows came from: the separator of a CSV (",", "\t", ";") or the worksheet name of an XLSX.</summary>
    public abstract string Source { get; }

    /// <summary>
    /// Opens <paramref name="stream"/> (read sequentially; need not be seekable) as the file
    /// <paramref name="fileName"/>. The type is decided by content where content says it (a ZIP is
    /// XLSX, an OLE compound file is the unsupported .xls) and otherwise by extension (.csv, .txt).
    /// Throws <see cref="TabularFileException"/> with a coded reason when the file cannot be read.
    /// The reader owns the stream from here on.
    /// </summary>
    public static Task<TabularReader> OpenAsync(Stream stream, string fileName, CancellationToken cancellationToken = default) =>
        OpenAsync(stream, fileName, FileLimits.Default, cancellationToken);

    /// <summary>
    /// <see cref="OpenAsync(Stream, string, CancellationToken)"/> within <paramref name="limits"/>: a file
    /// beyond <see cref="FileLimits.MaxBytes"/> fails with <c>file-too-large</c> at once when its length is
    /// known, else as soon as that many bytes have been read; an XLSX also within the part, shared-string and
    /// cell limits.
    /// </summary>
    public static async Task<TabularReader> OpenAsync(Stream stream, string fileName, FileLimits limits, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(fileName);
        ArgumentNullException.ThrowIfNull(limits);
        try
        {
            stream = Bounded(stream, limits.MaxBytes);
            var head = new byte[8];
            var headLength = await ReadAtLeastAsync(stream, head, cancellationToken).ConfigureAwait(false);
            var kind = Classify(head.AsSpan(0, headLength), fileName);
            var rest = Rewind(stream, head, headLength);
            return kind == TabularFormat.Xlsx
                ? await XlsxTabularReader.OpenAsync(rest, limits, cancellationToken).ConfigureAwait(false)
                : await CsvTabularReader.OpenAsync(rest, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Synchronous <see cref="OpenAsync(Stream, string, CancellationToken)"/>, for the offline check and tests.</summary>
    public static TabularReader Open(Stream stream, string fileName) =>
        OpenAsync(stream, fileName).GetAwaiter().GetResult();

    /// <summary>Synchronous <see cref="OpenAsync(Stream, string, FileLimits, CancellationToken)"/>, for tests.</summary>
    public static TabularReader Open(Stream stream, string fileName, FileLimits limits) =>
        OpenAsync(stream, fileName, limits).GetAwaiter().GetResult();

    internal static TabularFileException FileTooLarge(long maxBytes, long? size = null) =>
        new(FileErrorCodes.FileTooLarge, size is { } known
            ? $"文件有 {FileLimits.Megabytes(known)}，超过 {FileLimits.Megabytes(maxBytes)} 的上限，请拆分为多个文件分别上传"
            : $"文件超过 {FileLimits.Megabytes(maxBytes)} 的上限，请拆分为多个文件分别上传");

    /// <summary>
    /// A stream whose length is known is refused at once when too long (a blob's read stream knows it); any
    /// other is counted as it is read.
    /// </summary>
    private static Stream Bounded(Stream stream, long maxBytes)
    {
        if (stream.CanSeek)
        {
            var size = stream.Length - stream.Position;
            return size > maxBytes ? throw FileTooLarge(maxBytes, size) : stream;
        }

        return new BoundedReadStream(stream, maxBytes, () => FileTooLarge(maxBytes));
    }

    /// <summary>The non-blank rows in file order, header first.</summary>
    public abstract IAsyncEnumerable<RawRow> ReadRowsAsync(CancellationToken cancellationToken = default);

    public IEnumerable<RawRow> ReadRows() => ReadRowsAsync().ToBlockingEnumerable();

    public async ValueTask DisposeAsync()
    {
        await DisposeAsyncCore().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected abstract ValueTask DisposeAsyncCore();

    protected abstract void Dispose(bool disposing);

    internal static TabularFileException TooManyColumns(int lineNumber) =>
        new(FileErrorCodes.TooManyColumns, $"第 {lineNumber} 行超过 {MaxColumns} 列，请删除表格右侧多余的内容", lineNumber);

    private static TabularFormat Classify(ReadOnlySpan<byte> head, string fileName)
    {
        var extension = Path.GetExtension(fileName).ToUpperInvariant();
        if (head.IsEmpty)
        {
            throw new TabularFileException(FileErrorCodes.EmptyFile, "文件是空的");
        }

        if (head.StartsWith(OleSignature))
        {
            throw new TabularFileException(
                FileErrorCodes.UnsupportedFileType,
                "不支持 Excel 97-2003 工作簿（.xls）或加密的工作簿，请另存为 .xlsx 或 CSV（UTF-8）后上传");
        }

        switch (extension)
        {
            case ".XLSX" or ".XLSM":
                return head.StartsWith(ZipSignature)
                    ? TabularFormat.Xlsx
                    : throw new TabularFileException(FileErrorCodes.CorruptFile, "文件扩展名是 .xlsx，但内容不是 Excel 工作簿，文件可能已损坏或被改过扩展名");
            case ".CSV" or ".TXT":
                // A renamed workbook is still read as what it is.
                return head.StartsWith(ZipSignature) ? TabularFormat.Xlsx : TabularFormat.Csv;
            default:
                throw new TabularFileException(
                    FileErrorCodes.UnsupportedFileType,
                    $"不支持的文件类型“{(extension.Length == 0 ? "无扩展名" : extension.ToLowerInvariant())}”，请上传 .csv 或 .xlsx 文件");
        }
    }

    private static Stream Rewind(Stream stream, byte[] head, int headLength)
    {
        if (stream.CanSeek)
        {
            stream.Seek(-headLength, SeekOrigin.Current);
            return stream;
        }

        return new PrefixedStream(head.AsMemory(0, headLength), stream);
    }

    private static async Task<int> ReadAtLeastAsync(Stream stream, byte[] buffer, CancellationToken cancellationToken) =>
        await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Replays bytes already read from a stream that cannot seek, then reads on; when asked, measures the longest
    /// line that goes by.
    /// </summary>
    private protected sealed class PrefixedStream(ReadOnlyMemory<byte> prefix, Stream inner, bool measureLines = false) : Stream
    {
        private ReadOnlyMemory<byte> _pending = prefix;
        private long _bytesSinceLineFeed;

        /// <summary>
        /// The longest line read so far, in bytes, exact for lines longer than one read (a line inside one read is
        /// shorter than a read buffer anyway): what tells a file without line breaks from an unclosed quote. Counts
        /// the byte 0x0A, which in UTF-16 may also be half of another character: there lines only look shorter.
        /// </summary>
        public long LongestLineBytes { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var read = _pending.IsEmpty ? inner.Read(buffer) : TakePending(buffer);
            Measure(buffer[..read]);
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = _pending.IsEmpty
                ? await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)
                : TakePending(buffer.Span);
            Measure(buffer.Span[..read]);
            return read;
        }

        public override void Flush()
        {
        }

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

        private int TakePending(Span<byte> buffer)
        {
            var count = Math.Min(buffer.Length, _pending.Length);
            _pending.Span[..count].CopyTo(buffer);

            // An empty slice would still hold the whole prefix array (up to a MiB for a CSV) until the end.
            _pending = count == _pending.Length ? ReadOnlyMemory<byte>.Empty : _pending[count..];
            return count;
        }

        private void Measure(ReadOnlySpan<byte> bytes)
        {
            if (!measureLines)
            {
                return;
            }

            var firstLineFeed = bytes.IndexOf((byte)'\n');
            if (firstLineFeed < 0)
            {
                _bytesSinceLineFeed += bytes.Length;
            }
            else
            {
                LongestLineBytes = Math.Max(LongestLineBytes, _bytesSinceLineFeed + firstLineFeed);
                _bytesSinceLineFeed = bytes.Length - bytes.LastIndexOf((byte)'\n') - 1;
            }

            LongestLineBytes = Math.Max(LongestLineBytes, _bytesSinceLineFeed);
        }
    }
}
