using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Collection.Files.Tests;

/// <summary>
/// Workbooks built byte by byte to attack the XLSX reader: a sheet or shared-string table that inflates to
/// gigabytes from a ZIP of a megabyte or two, declared honestly or with a lying size, or a ZIP of too many
/// entries. The big part is a prefix, a chunk repeated, and a suffix, each deflated on its own (no history,
/// sync-flushed to a byte boundary), so the compressed chunk can simply be repeated: a 1 MiB chunk of
/// repetitive XML deflates to about 1 KB, the ratio of a real ZIP bomb.
/// </summary>
internal static class XlsxBombs
{
    public const string MainNamespace = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    private const string Relationships = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    private const string PackageRelationships = "http://schemas.openxmlformats.org/package/2006/relationships";

    /// <summary>A part's content: <paramref name="Prefix"/>, then <paramref name="Chunk"/> <paramref name="Repeats"/> times, then <paramref name="Suffix"/>.</summary>
    public sealed record Part(string Prefix, string Chunk, long Repeats, string Suffix)
    {
        public long Size => Utf8(Prefix).Length + (Utf8(Chunk).Length * Repeats) + Utf8(Suffix).Length;

        /// <summary>Whole chunks of at least <paramref name="bytes"/> made of <paramref name="unit"/> repeated.</summary>
        public static string ChunkOf(string unit, int bytes = 1 << 20) =>
            string.Concat(Enumerable.Repeat(unit, Math.Max(1, bytes / Encoding.UTF8.GetByteCount(unit))));
    }

    /// <summary>A sheet whose rows are <paramref name="chunk"/> repeated (use <see cref="Part.ChunkOf"/>).</summary>
    public static Part Sheet(string chunk, long repeats) =>
        new($"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><worksheet xmlns=\"{MainNamespace}\"><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>姓名</t></is></c><c r=\"B1\" t=\"inlineStr\"><is><t>身份证号</t></is></c></row>",
            chunk, repeats, "</sheetData></worksheet>");

    /// <summary>A shared-string table of <paramref name="chunk"/> repeated (use <see cref="Part.ChunkOf"/> of <c>&lt;si&gt;…&lt;/si&gt;</c>).</summary>
    public static Part SharedStrings(string chunk, long repeats) =>
        new($"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><sst xmlns=\"{MainNamespace}\"><si><t>姓名</t></si><si><t>身份证号</t></si>",
            chunk, repeats, "</sst>");

    /// <summary>A small sheet with the header row (shared strings 0 and 1) and nothing else.</summary>
    public static Part HeaderOnlySheet() =>
        new($"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><worksheet xmlns=\"{MainNamespace}\"><sheetData><row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"B1\" t=\"s\"><v>1</v></c></row>",
            string.Empty, 0, "</sheetData></worksheet>");

    /// <summary>
    /// The workbook as bytes. <paramref name="declaredSheetSize"/> / <paramref name="declaredSharedStringsSize"/>
    /// replace the true uncompressed size in the ZIP's headers (a lying bomb); <paramref name="extraEntries"/>
    /// adds that many tiny unrelated entries. The CRC of a repeated part is left 0: the reader must give up before
    /// the end of such a part, where a CRC would be checked (.NET's ZIP reader does not check it at all).
    /// </summary>
    public static byte[] Build(Part sheet, Part? sharedStrings = null, long? declaredSheetSize = null, long? declaredSharedStringsSize = null, int extraEntries = 0)
    {
        var contentTypes = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
            + "<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/>"
            + "<Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>"
            + "<Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
            + (sharedStrings is null ? string.Empty : "<Override PartName=\"/xl/sharedStrings.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml\"/>")
            + "</Types>";
        var rootRels = $"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><Relationships xmlns=\"{PackageRelationships}\"><Relationship Id=\"rId1\" Type=\"{Relationships}/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>";
        var workbook = $"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><workbook xmlns=\"{MainNamespace}\" xmlns:r=\"{Relationships}\"><sheets><sheet name=\"名册\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
        var workbookRels = $"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><Relationships xmlns=\"{PackageRelationships}\"><Relationship Id=\"rId1\" Type=\"{Relationships}/worksheet\" Target=\"worksheets/sheet1.xml\"/>"
            + (sharedStrings is null ? string.Empty : $"<Relationship Id=\"rId2\" Type=\"{Relationships}/sharedStrings\" Target=\"sharedStrings.xml\"/>")
            + "</Relationships>";

        using var zip = new ZipWriter();
        zip.Add("[Content_Types].xml", new Part(contentTypes, string.Empty, 0, string.Empty));
        zip.Add("_rels/.rels", new Part(rootRels, string.Empty, 0, string.Empty));
        zip.Add("xl/workbook.xml", new Part(workbook, string.Empty, 0, string.Empty));
        zip.Add("xl/_rels/workbook.xml.rels", new Part(workbookRels, string.Empty, 0, string.Empty));
        zip.Add("xl/worksheets/sheet1.xml", sheet, declaredSheetSize);
        if (sharedStrings is not null)
        {
            zip.Add("xl/sharedStrings.xml", sharedStrings, declaredSharedStringsSize);
        }

        for (var i = 0; i < extraEntries; i++)
        {
            zip.Add($"docProps/extra{i}.xml", new Part("<x/>", string.Empty, 0, string.Empty));
        }

        return zip.Finish();
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>Raw deflate of <paramref name="text"/> with no history, sync-flushed: not final, ends on a byte boundary.</summary>
    private static byte[] DeflateSegment(string text)
    {
        var output = new MemoryStream();
        using (var deflate = new DeflateStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            deflate.Write(Utf8(text));
            deflate.Flush();

            // Taken before disposing, which would append the final block.
            return output.ToArray();
        }
    }

    /// <summary>A ZIP written by hand (no data descriptors, no ZIP64): sizes up to 4 GiB - 1.</summary>
    private sealed class ZipWriter : IDisposable
    {
        private readonly MemoryStream _output = new();
        private readonly List<(string Name, uint Crc, long Compressed, long Size, long Offset)> _entries = [];

        public void Dispose() => _output.Dispose();

        public void Add(string name, Part part, long? declaredSize = null)
        {
            var data = new MemoryStream();
            data.Write(DeflateSegment(part.Prefix));
            if (part.Repeats > 0)
            {
                var chunk = DeflateSegment(part.Chunk);
                for (long i = 0; i < part.Repeats; i++)
                {
                    data.Write(chunk);
                }
            }

            data.Write(DeflateSegment(part.Suffix));
            data.Write([0x03, 0x00]); // an empty final block
            var crc = part.Repeats == 0 ? Crc32(Utf8(part.Prefix + part.Suffix)) : 0u;
            var size = declaredSize ?? part.Size;
            var offset = _output.Position;
            var nameBytes = Utf8(name);
            Span<byte> header = stackalloc byte[30];
            BinaryPrimitives.WriteUInt32LittleEndian(header, 0x04034B50);
            BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 20);
            BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 0x0800);
            BinaryPrimitives.WriteUInt16LittleEndian(header[8..], 8);
            BinaryPrimitives.WriteUInt16LittleEndian(header[12..], 0x21);
            BinaryPrimitives.WriteUInt32LittleEndian(header[14..], crc);
            BinaryPrimitives.WriteUInt32LittleEndian(header[18..], checked((uint)data.Length));
            BinaryPrimitives.WriteUInt32LittleEndian(header[22..], checked((uint)size));
            BinaryPrimitives.WriteUInt16LittleEndian(header[26..], (ushort)nameBytes.Length);
            _output.Write(header);
            _output.Write(nameBytes);
            data.Position = 0;
            data.CopyTo(_output);
            _entries.Add((name, crc, data.Length, size, offset));
        }

        public byte[] Finish()
        {
            var directoryAt = _output.Position;
            Span<byte> header = stackalloc byte[46];
            foreach (var (name, crc, compressed, size, offset) in _entries)
            {
                var nameBytes = Utf8(name);
                header.Clear();
                BinaryPrimitives.WriteUInt32LittleEndian(header, 0x02014B50);
                BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 20);
                BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 20);
                BinaryPrimitives.WriteUInt16LittleEndian(header[8..], 0x0800);
                BinaryPrimitives.WriteUInt16LittleEndian(header[10..], 8);
                BinaryPrimitives.WriteUInt16LittleEndian(header[14..], 0x21);
                BinaryPrimitives.WriteUInt32LittleEndian(header[16..], crc);
                BinaryPrimitives.WriteUInt32LittleEndian(header[20..], (uint)compressed);
                BinaryPrimitives.WriteUInt32LittleEndian(header[24..], (uint)size);
                BinaryPrimitives.WriteUInt16LittleEndian(header[28..], (ushort)nameBytes.Length);
                BinaryPrimitives.WriteUInt32LittleEndian(header[42..], checked((uint)offset));
                _output.Write(header);
                _output.Write(nameBytes);
            }

            Span<byte> end = stackalloc byte[22];
            BinaryPrimitives.WriteUInt32LittleEndian(end, 0x06054B50);
            BinaryPrimitives.WriteUInt16LittleEndian(end[8..], checked((ushort)_entries.Count));
            BinaryPrimitives.WriteUInt16LittleEndian(end[10..], checked((ushort)_entries.Count));
            BinaryPrimitives.WriteUInt32LittleEndian(end[12..], (uint)(_output.Position - directoryAt));
            BinaryPrimitives.WriteUInt32LittleEndian(end[16..], (uint)directoryAt);
            _output.Write(end);
            return _output.ToArray();
        }

        private static uint Crc32(byte[] bytes)
        {
            var crc = 0xFFFFFFFFu;
            foreach (var b in bytes)
            {
                crc ^= b;
                for (var k = 0; k < 8; k++)
                {
                    crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
                }
            }

            return ~crc;
        }
    }
}
