using System.Buffers;
using System.Text;
using System.Text.Unicode;

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
/// Decides whether a CSV is UTF-8 or GB18030 (a superset of GBK and GB2312) from its first bytes; CsvHelper
/// then decodes the file. A BOM decides at once; otherwise the bytes are read while they are ASCII (both
/// candidates read ASCII the same), and at the first non-ASCII byte a window of <see cref="Window"/> bytes
/// from there is validated as UTF-8. So the decision is made on real evidence, never on an all-ASCII prefix.
/// The bytes read here are kept in <see cref="Bytes"/>, to be read again in front of the rest of the file.
/// </summary>
internal sealed class TextEncodingDecision
{
    internal const int Window = 64 * 1024;

    /// <summary>
    /// How far the ASCII start of a file is read before it is taken as UTF-8, so that memory stays bounded: a file
    /// whose first MiB is all ASCII is read as UTF-8, and GB18030 bytes after that fail with <c>invalid-encoding</c>
    /// and their line.
    /// </summary>
    internal const int AsciiLookahead = 1024 * 1024;

    /// <summary>Non-ASCII UTF-8 characters before the first invalid byte that make a window UTF-8 all the same.</summary>
    private const int Utf8Evidence = 8;

    private byte[] _bytes = new byte[Window];
    private int _length;
    private bool _ended;

    private TextEncodingDecision()
    {
    }

    public TextEncodingKind Kind { get; private set; }

    /// <summary>The first bytes of the file, read to decide: at least <see cref="Window"/> of them unless the file is shorter.</summary>
    public ReadOnlyMemory<byte> Bytes => _bytes.AsMemory(0, _length);

    /// <summary>GB18030 that turns undecodable bytes into U+FFFD, for CsvHelper to transcode and the reader to find.</summary>
    internal static Encoding Gb18030 { get; } = CreateGb18030();

    public static async Task<TextEncodingDecision> ReadAsync(Stream source, CancellationToken cancellationToken)
    {
        var decision = new TextEncodingDecision();
        await decision.ReadUntilAsync(source, Window, cancellationToken).ConfigureAwait(false);
        var start = decision._bytes.AsSpan(0, decision._length);
        if (start.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            decision.Kind = TextEncodingKind.Utf8WithBom;
        }
        else if (start.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]))
        {
            decision.Kind = TextEncodingKind.Utf16LittleEndian;
        }
        else if (start.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
        {
            decision.Kind = TextEncodingKind.Utf16BigEndian;
        }
        else
        {
            decision.Kind = await decision.DecideOnFirstNonAsciiAsync(source, cancellationToken).ConfigureAwait(false);
        }

        return decision;
    }

    private async Task<TextEncodingKind> DecideOnFirstNonAsciiAsync(Stream source, CancellationToken cancellationToken)
    {
        var firstNonAscii = _bytes.AsSpan(0, _length).IndexOfAnyInRange((byte)0x80, (byte)0xFF);
        while (firstNonAscii < 0 && !_ended && _length < AsciiLookahead)
        {
            var searched = _length;
            await ReadUntilAsync(source, Math.Min(_length * 2, AsciiLookahead), cancellationToken).ConfigureAwait(false);
            firstNonAscii = _bytes.AsSpan(searched, _length - searched).IndexOfAnyInRange((byte)0x80, (byte)0xFF);
            firstNonAscii = firstNonAscii < 0 ? -1 : searched + firstNonAscii;
        }

        if (firstNonAscii < 0)
        {
            return TextEncodingKind.Ascii;
        }

        await ReadUntilAsync(source, firstNonAscii + Window, cancellationToken).ConfigureAwait(false);
        var window = _bytes.AsSpan(firstNonAscii, Math.Min(Window, _length - firstNonAscii));

        // A UTF-8 file with a bad spot inside the window is still UTF-8 (the error then names the bad line, not
        // "line 2 is not GB18030"): GB18030 text stops being valid UTF-8 at its first Chinese character or two.
        var chars = ArrayPool<char>.Shared.Rent(window.Length);
        try
        {
            var isWholeRest = _ended && firstNonAscii + window.Length == _length;
            var status = Utf8.ToUtf16(window, chars, out var validBytes, out _, replaceInvalidSequences: false, isFinalBlock: isWholeRest);
            return status != OperationStatus.InvalidData || NonAsciiCharacters(window[..validBytes]) >= Utf8Evidence
                ? TextEncodingKind.Utf8
                : TextEncodingKind.Gb18030;
        }
        finally
        {
            ArrayPool<char>.Shared.Return(chars);
        }
    }

    private async Task ReadUntilAsync(Stream source, int wanted, CancellationToken cancellationToken)
    {
        if (_ended || _length >= wanted)
        {
            return;
        }

        if (_bytes.Length < wanted)
        {
            Array.Resize(ref _bytes, wanted);
        }

        var read = await source.ReadAtLeastAsync(_bytes.AsMemory(_length, wanted - _length), wanted - _length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        _ended = read < wanted - _length;
        _length += read;
    }

    private static Encoding CreateGb18030()
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        return Encoding.GetEncoding(54936, EncoderFallback.ExceptionFallback, new DecoderReplacementFallback("\uFFFD"));
    }

    /// <summary>The non-ASCII characters of valid UTF-8, counted up to <see cref="Utf8Evidence"/>: their lead bytes.</summary>
    private static int NonAsciiCharacters(ReadOnlySpan<byte> validUtf8)
    {
        var count = 0;
        int next;
        while (count < Utf8Evidence && (next = validUtf8.IndexOfAnyInRange((byte)0xC0, (byte)0xFF)) >= 0)
        {
            count++;
            validUtf8 = validUtf8[(next + 1)..];
        }

        return count;
    }
}
