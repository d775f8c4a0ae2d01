namespace Collection.Files;

/// <summary>
/// A forward-only read of another stream that fails with a coded <see cref="TabularFileException"/> as soon as
/// more than <see cref="MaxBytes"/> have come through it, so a reader gives up at the limit instead of after
/// the whole input. Optionally also when more than <see cref="MaxBytesPerMark"/> come through between two
/// <see cref="Mark"/> calls: an XML reader asked for one node reads only as far as that node ends, so a caller
/// that marks each node bounds the memory a single node (a tag, a text) can take, whatever the part's size.
/// </summary>
internal sealed class BoundedReadStream(Stream inner, long maxBytes, Func<TabularFileException> tooMany) : Stream
{
    private long _mark;

    public long MaxBytes { get; } = maxBytes;

    public long BytesRead { get; private set; }

    public long MaxBytesPerMark { get; init; } = long.MaxValue;

    public Func<TabularFileException>? TooManyPerMark { get; init; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Starts a new span for <see cref="MaxBytesPerMark"/> here.</summary>
    public void Mark() => _mark = BytesRead;

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer) => Count(inner.Read(buffer));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        Count(await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false));

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

    private int Count(int read)
    {
        BytesRead += read;
        if (BytesRead > MaxBytes)
        {
            throw tooMany();
        }

        if (BytesRead - _mark > MaxBytesPerMark)
        {
            throw (TooManyPerMark ?? tooMany)();
        }

        return read;
    }
}
