using System.Text;

namespace Collection.Files;

/// <summary>The text encoding a CSV turned out to have.</summary>
public enum TextEncodingKind
{
    /// <summary>Only ASCII bytes so far (or in the whole file): UTF-8 and GB18030 read it alike.</summary>
    Ascii,
    Utf8,
    Utf8WithBom,
    Gb18030,
    Utf16LittleEndian,
    Utf16BigEndian,
}

/// <summary>
/// Reads a text file of unknown encoding and hands out strict UTF-8 (without BOM), detecting the
/// encoding as it goes: a BOM decides at once; otherwise the bytes pass through while they are
/// ASCII (both candidates read ASCII the same), and at the first non-ASCII byte a window of
/// <see cref="DecisionWindow"/> bytes from there is validated as UTF-8 — valid means UTF-8,
/// invalid means GB18030 (a superset of GBK and GB2312). So the decision is always made on real
/// evidence, never on an all-ASCII prefix. After a UTF-8 decision every later byte is still
/// validated, and a file that turns invalid further on fails with <c>invalid-encoding</c> and the
/// line, instead of producing mojibake.
/// </summary>
internal sealed class Utf8TranscodingStream : Stream
{
    internal const int DecisionWindow = 64 * 1024;

    /// <summary>Non-ASCII UTF-8 characters before the first invalid byte that make a window UTF-8 all the same.</summary>
    private const int Utf8Evidence = 8;
    private const int ChunkSize = 64 * 1024;

    private static readonly Encoding StrictGb18030 = CreateStrict(54936);
    private static readonly Encoding StrictUtf16Le = new UnicodeEncoding(bigEndian: false, byteOrderMark: false, throwOnInvalidBytes: true);
    private static readonly Encoding StrictUtf16Be = new UnicodeEncoding(bigEndian: true, byteOrderMark: false, throwOnInvalidBytes: true);

    private readonly Stream _source;
    private readonly bool _leaveOpen;
    private byte[] _input = new byte[DecisionWindow + ChunkSize];
    private int _inputStart;
    private int _inputEnd;
    private bool _sourceEnded;
    private bool _bomChecked;
    private byte[] _output = new byte[ChunkSize * 4];
    private int _outputStart;
    private int _outputEnd;
    private long _lineFeedsProduced;
    private long _bytesSinceLineFeed;
    private Decoder? _decoder;
    private char[]? _chars;

    public Utf8TranscodingStream(Stream source, bool leaveOpen = false)
    {
        _source = source;
        _leaveOpen = leaveOpen;
    }

    public TextEncodingKind Encoding { get; private set; } = TextEncodingKind.Ascii;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    internal static Encoding CreateStrict(int codePage)
    {
        System.Text.Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        return System.Text.Encoding.GetEncoding(codePage, EncoderFallback.ExceptionFallback, DecoderFallback.ExceptionFallback);
    }

    /// <summary>The first UTF-8 bytes the stream will hand out (at least <paramref name="minimum"/> unless the file is shorter), without consuming them.</summary>
    public async ValueTask<ReadOnlyMemory<byte>> PeekAsync(int minimum, CancellationToken cancellationToken)
    {
        while (_outputEnd - _outputStart < minimum)
        {
            if (!await FillAsync(append: true, cancellationToken).ConfigureAwait(false))
            {
                break;
            }
        }

        return _output.AsMemory(_outputStart, _outputEnd - _outputStart);
    }

    public ReadOnlyMemory<byte> Peek(int minimum)
    {
        while (_outputEnd - _outputStart < minimum)
        {
            if (!Fill(append: true))
            {
                break;
            }
        }

        return _output.AsMemory(_outputStart, _outputEnd - _outputStart);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_outputStart == _outputEnd && !Fill(append: false))
        {
            return 0;
        }

        return CopyOut(buffer);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_outputStart == _outputEnd && !await FillAsync(append: false, cancellationToken).ConfigureAwait(false))
        {
            return 0;
        }

        return CopyOut(buffer.Span);
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_leaveOpen)
        {
            _source.Dispose();
        }

        base.Dispose(disposing);
    }

    private int CopyOut(Span<byte> buffer)
    {
        var count = Math.Min(buffer.Length, _outputEnd - _outputStart);
        _output.AsSpan(_outputStart, count).CopyTo(buffer);
        _outputStart += count;
        return count;
    }

    private bool Fill(bool append)
    {
        PrepareOutput(append);
        while (true)
        {
            var produced = Produce(out var bytesWanted);
            if (produced != 0)
            {
                return produced > 0;
            }

            ReadSource(bytesWanted);
        }
    }

    private async ValueTask<bool> FillAsync(bool append, CancellationToken cancellationToken)
    {
        PrepareOutput(append);
        while (true)
        {
            var produced = Produce(out var bytesWanted);
            if (produced != 0)
            {
                return produced > 0;
            }

            PrepareInput(bytesWanted);
            var read = await _source.ReadAsync(_input.AsMemory(_inputEnd), cancellationToken).ConfigureAwait(false);
            AfterSourceRead(read);
        }
    }

    private void ReadSource(int bytesWanted)
    {
        PrepareInput(bytesWanted);
        AfterSourceRead(_source.Read(_input.AsSpan(_inputEnd)));
    }

    private void AfterSourceRead(int read)
    {
        if (read == 0)
        {
            _sourceEnded = true;
        }

        _inputEnd += read;
    }

    /// <summary>Makes room at the end of the input buffer for at least <paramref name="bytesWanted"/> unread bytes.</summary>
    private void PrepareInput(int bytesWanted)
    {
        var unread = _inputEnd - _inputStart;
        if (_inputStart > 0)
        {
            Buffer.BlockCopy(_input, _inputStart, _input, 0, unread);
            _inputStart = 0;
            _inputEnd = unread;
        }

        if (_input.Length - _inputEnd < ChunkSize / 4 || _input.Length < bytesWanted)
        {
            Array.Resize(ref _input, Math.Max(_input.Length * 2, bytesWanted + ChunkSize));
        }
    }

    private void PrepareOutput(bool append)
    {
        if (!append || _outputStart == _outputEnd)
        {
            _outputStart = _outputEnd = 0;
            return;
        }

        if (_output.Length - _outputEnd < ChunkSize)
        {
            var buffered = _outputEnd - _outputStart;
            if (_outputStart > 0)
            {
                Buffer.BlockCopy(_output, _outputStart, _output, 0, buffered);
                _outputStart = 0;
                _outputEnd = buffered;
            }

            if (_output.Length - _outputEnd < ChunkSize)
            {
                Array.Resize(ref _output, _output.Length * 2);
            }
        }
    }

    /// <summary>
    /// Turns buffered input into output. Returns the number of bytes produced, -1 at the end of the
    /// file, or 0 with the number of unread bytes it wants before it can go on.
    /// </summary>
    private int Produce(out int bytesWanted)
    {
        bytesWanted = 0;
        var available = _inputEnd - _inputStart;
        if (!_bomChecked)
        {
            if (available < 3 && !_sourceEnded)
            {
                bytesWanted = 3;
                return 0;
            }

            CheckByteOrderMark();
            available = _inputEnd - _inputStart;
        }

        if (available == 0)
        {
            if (!_sourceEnded)
            {
                bytesWanted = 1;
                return 0;
            }

            return FlushDecoder();
        }

        var room = _output.Length - _outputEnd;
        switch (Encoding)
        {
            case TextEncodingKind.Ascii:
            {
                var pending = _input.AsSpan(_inputStart, Math.Min(available, room));
                var firstNonAscii = pending.IndexOfAnyInRange((byte)0x80, (byte)0xFF);
                if (firstNonAscii != 0)
                {
                    var asciiLength = firstNonAscii < 0 ? pending.Length : firstNonAscii;
                    return Emit(pending[..asciiLength]);
                }

                if (available < DecisionWindow && !_sourceEnded)
                {
                    bytesWanted = DecisionWindow;
                    return 0;
                }

                Decide(_input.AsSpan(_inputStart, available));
                return Produce(out bytesWanted);
            }

            case TextEncodingKind.Utf8:
            case TextEncodingKind.Utf8WithBom:
                return PassValidUtf8(available, room, out bytesWanted);

            default:
                return Transcode(available, room, out bytesWanted);
        }
    }

    private void CheckByteOrderMark()
    {
        _bomChecked = true;
        var start = _input.AsSpan(_inputStart, _inputEnd - _inputStart);
        if (start.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            Encoding = TextEncodingKind.Utf8WithBom;
            _inputStart += 3;
        }
        else if (start.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]))
        {
            UseDecoder(TextEncodingKind.Utf16LittleEndian, StrictUtf16Le);
            _inputStart += 2;
        }
        else if (start.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
        {
            UseDecoder(TextEncodingKind.Utf16BigEndian, StrictUtf16Be);
            _inputStart += 2;
        }
    }

    private void Decide(ReadOnlySpan<byte> window)
    {
        // A UTF-8 file with a bad spot inside the window is still UTF-8 (the error then names the bad line, not
        // "line 2 is not GB18030"): GB18030 text stops being valid UTF-8 at its first Chinese character or two.
        if (IsValidUtf8Window(window, isFinal: _sourceEnded) || Utf8CharactersBeforeFirstError(window) >= Utf8Evidence)
        {
            Encoding = TextEncodingKind.Utf8;
        }
        else
        {
            UseDecoder(TextEncodingKind.Gb18030, StrictGb18030);
        }
    }

    private void UseDecoder(TextEncodingKind kind, Encoding encoding)
    {
        Encoding = kind;
        _decoder = encoding.GetDecoder();
        _chars = new char[ChunkSize];
    }

    private static int Utf8CharactersBeforeFirstError(ReadOnlySpan<byte> window)
    {
        var characters = 0;
        var index = window.IndexOfAnyInRange((byte)0x80, (byte)0xFF);
        while (index >= 0 && index < window.Length && characters < Utf8Evidence)
        {
            if (System.Text.Rune.DecodeFromUtf8(window[index..], out _, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                break;
            }

            characters++;
            index += consumed;
            var next = window[index..].IndexOfAnyInRange((byte)0x80, (byte)0xFF);
            index = next < 0 ? -1 : index + next;
        }

        return characters;
    }

    private static bool IsValidUtf8Window(ReadOnlySpan<byte> window, bool isFinal)
    {
        var complete = CompletePrefixLength(window);
        if (complete < window.Length && isFinal)
        {
            return false;
        }

        return System.Text.Unicode.Utf8.IsValid(window[..complete]);
    }

    /// <summary>The length of <paramref name="bytes"/> without a UTF-8 sequence cut off at its end.</summary>
    private static int CompletePrefixLength(ReadOnlySpan<byte> bytes)
    {
        // A sequence is at most 4 bytes: look back at most 3 for the lead byte of a cut-off one.
        for (var back = 1; back <= Math.Min(3, bytes.Length); back++)
        {
            var b = bytes[^back];
            if (b < 0x80)
            {
                return bytes.Length;
            }

            if (b >= 0xC0)
            {
                var sequenceLength = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2;
                return sequenceLength > back ? bytes.Length - back : bytes.Length;
            }
        }

        return bytes.Length;
    }

    private int PassValidUtf8(int available, int room, out int bytesWanted)
    {
        bytesWanted = 0;
        var pending = _input.AsSpan(_inputStart, Math.Min(available, room));
        var complete = pending.Length == available && _sourceEnded ? pending.Length : CompletePrefixLength(pending);
        if (complete == 0)
        {
            bytesWanted = available + 4;
            return 0;
        }

        var chunk = pending[..complete];
        if (!System.Text.Unicode.Utf8.IsValid(chunk))
        {
            throw InvalidBytes(chunk, FirstInvalidUtf8Index(chunk), "UTF-8");
        }

        return Emit(chunk);
    }

    private int Transcode(int available, int room, out int bytesWanted)
    {
        bytesWanted = 0;
        var charRoom = Math.Min(_chars!.Length, room / 3);
        int bytesUsed;
        int charsWritten;
        try
        {
            _decoder!.Convert(_input, _inputStart, available, _chars, 0, charRoom, flush: _sourceEnded, out bytesUsed, out charsWritten, out _);
        }
        catch (DecoderFallbackException ex)
        {
            throw InvalidBytes(_input.AsSpan(_inputStart, available), Math.Max(0, ex.Index), EncodingLabel());
        }

        _inputStart += bytesUsed;
        if (charsWritten == 0)
        {
            if (_sourceEnded && _inputStart == _inputEnd)
            {
                return -1;
            }

            bytesWanted = _inputEnd - _inputStart + 4;
            return 0;
        }

        var written = System.Text.Encoding.UTF8.GetBytes(_chars, 0, charsWritten, _output, _outputEnd);
        CountLineFeeds(_output.AsSpan(_outputEnd, written));
        _outputEnd += written;
        return written;
    }

    private int FlushDecoder()
    {
        if (_decoder is null)
        {
            return -1;
        }

        int charsWritten;
        try
        {
            _decoder.Convert(Array.Empty<byte>(), 0, 0, _chars!, 0, _chars!.Length, flush: true, out _, out charsWritten, out _);
        }
        catch (DecoderFallbackException)
        {
            throw new TabularFileException(FileErrorCodes.InvalidEncoding, $"文件末尾有不完整的{EncodingLabel()}字符", (int)_lineFeedsProduced + 1);
        }

        if (charsWritten == 0)
        {
            return -1;
        }

        var written = System.Text.Encoding.UTF8.GetBytes(_chars, 0, charsWritten, _output, _outputEnd);
        _outputEnd += written;
        return written;
    }

    private int Emit(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(_output.AsSpan(_outputEnd));
        CountLineFeeds(bytes);
        _outputEnd += bytes.Length;
        _inputStart += bytes.Length;
        return bytes.Length;
    }

    /// <summary>
    /// The longest line handed out so far, in bytes, counting lines that span chunks exactly (a line inside one
    /// chunk is shorter than a chunk): what tells a file without line breaks from an unclosed quote.
    /// </summary>
    public long LongestLineBytes { get; private set; }

    private void CountLineFeeds(ReadOnlySpan<byte> bytes)
    {
        var first = bytes.IndexOf((byte)'\n');
        if (first < 0)
        {
            _bytesSinceLineFeed += bytes.Length;
        }
        else
        {
            LongestLineBytes = Math.Max(LongestLineBytes, _bytesSinceLineFeed + first);
            _lineFeedsProduced += bytes.Count((byte)'\n');
            _bytesSinceLineFeed = bytes.Length - bytes.LastIndexOf((byte)'\n') - 1;
        }

        LongestLineBytes = Math.Max(LongestLineBytes, _bytesSinceLineFeed);
    }

    private string EncodingLabel() => Encoding switch
    {
        TextEncodingKind.Gb18030 => "GB18030/GBK",
        TextEncodingKind.Utf16LittleEndian or TextEncodingKind.Utf16BigEndian => "UTF-16",
        _ => "UTF-8",
    };

    private TabularFileException InvalidBytes(ReadOnlySpan<byte> pending, int index, string encoding)
    {
        // In UTF-8 and GB18030 the byte 0x0A only ever means a line feed, so counting it is exact.
        var line = _lineFeedsProduced + pending[..Math.Min(index, pending.Length)].Count((byte)'\n') + 1;
        var hint = Encoding is TextEncodingKind.Utf8 or TextEncodingKind.Utf8WithBom
            ? "文件前面部分是 UTF-8 编码，此处却不是：文件混用了两种编码，请用同一种编码（建议 UTF-8）重新保存"
            : "请确认文件编码并重新保存为 UTF-8 或 GB18030";
        return new TabularFileException(FileErrorCodes.InvalidEncoding, $"第 {line} 行含有无法按 {encoding} 解码的字节，{hint}", (int)Math.Min(line, int.MaxValue));
    }

    private static int FirstInvalidUtf8Index(ReadOnlySpan<byte> bytes)
    {
        var index = 0;
        while (index < bytes.Length)
        {
            if (System.Text.Rune.DecodeFromUtf8(bytes[index..], out _, out var consumed) != System.Buffers.OperationStatus.Done)
            {
                return index;
            }

            index += consumed;
        }

        return bytes.Length;
    }
}
