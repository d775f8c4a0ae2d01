using System.Reflection;
using Collection.Files;
using CsCheck;

namespace Collection.Files.Tests;

/// <summary>
/// Properties of the file readers over any bytes a person can upload: random bytes, and the sample uploads
/// with bytes flipped, inserted, deleted or cut off (what a broken USB stick or a half-finished download
/// gives). Every file either reads, row by row, or fails with a file-level code and a Chinese message —
/// never another exception — and reading allocates a bounded amount, whatever the bytes claim.
/// </summary>
public class FileReaderPropertyTests
{
    private static readonly HashSet<string> FileCodes = typeof(FileErrorCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Where(f => f.IsLiteral)
        .Select(f => (string)f.GetRawConstantValue()!)
        .ToHashSet(StringComparer.Ordinal);

    private static readonly (string Name, byte[] Bytes, FileLayout Layout)[] Samples =
    [
        ("school-roster-gb18030.csv", Sample("school-roster-gb18030.csv"), FileLayout.SchoolRoster),
        ("university-roster.xlsx", Sample("university-roster.xlsx"), FileLayout.UniversityRoster),
        ("tax-return-20221116-utf8.csv", Sample("tax-return-20221116-utf8.csv"), FileLayout.TaxPaymentReturn),
        ("subsidy-list-20220831-gb18030.csv", Sample("subsidy-list-20220831-gb18030.csv"), FileLayout.SubsidyList),
    ];

    /// <summary>One change to a file's bytes: flip a byte, insert bytes, delete a run, or cut the file short.</summary>
    private static Gen<Func<byte[], byte[]>> Mutation { get; } = Gen.OneOf(
        Gen.Select(Gen.Double[0, 1], Gen.Byte, (at, value) => (Func<byte[], byte[]>)(b =>
        {
            var copy = (byte[])b.Clone();
            if (copy.Length > 0)
            {
                copy[(int)(at * (copy.Length - 1))] = value;
            }

            return copy;
        })),
        Gen.Select(Gen.Double[0, 1], Gen.Byte.Array[1, 64], (at, bytes) => (Func<byte[], byte[]>)(b =>
        {
            var i = (int)(at * b.Length);
            return [.. b.AsSpan(0, i), .. bytes, .. b.AsSpan(i)];
        })),
        Gen.Select(Gen.Double[0, 1], Gen.Int[1, 512], (at, count) => (Func<byte[], byte[]>)(b =>
        {
            var i = (int)(at * b.Length);
            return [.. b.AsSpan(0, i), .. b.AsSpan(Math.Min(b.Length, i + count))];
        })),
        Gen.Double[0, 1].Select(at => (Func<byte[], byte[]>)(b => b[..(int)(at * b.Length)])));

    private static Gen<(string Name, byte[] Bytes, FileLayout Layout)> MutatedSample { get; } =
        Gen.Select(Gen.Int[0, Samples.Length - 1], Mutation.Array[1, 6], (which, changes) =>
        {
            var (name, bytes, layout) = Samples[which];
            return (name, changes.Aggregate(bytes, (current, change) => change(current)), layout);
        });

    private static Gen<(string Name, byte[] Bytes, FileLayout Layout)> RandomFile { get; } =
        Gen.Select(Gen.OneOf("upload.csv", "upload.xlsx", "upload.CSV", "名册.xlsx"), Gen.Byte.Array[0, 4096], Gen.Int[0, FileLayout.All.Count - 1],
            (name, bytes, layout) => (name, bytes, FileLayout.All[layout]));

    [Fact]
    public void MutatedSampleUploads_ReadOrFailWithAFileCode_WithinBoundedMemory() =>
        MutatedSample.Sample(file => ReadsOrFailsWithCode(file.Name, file.Bytes, file.Layout), iter: 1_500);

    [Fact]
    public void RandomBytes_AsCsvOrXlsx_ReadOrFailWithAFileCode_WithinBoundedMemory() =>
        RandomFile.Sample(file => ReadsOrFailsWithCode(file.Name, file.Bytes, file.Layout), iter: 1_500);

    private static void ReadsOrFailsWithCode(string name, byte[] bytes, FileLayout layout)
    {
        // MemoryStream reads complete synchronously, so the reading stays on this thread and its allocations are counted.
        var before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            using var file = TabularFile.Open(new MemoryStream(bytes, writable: false), name, layout);
            foreach (var row in file.ReadRows())
            {
                Assert.True(row.LineNumber > 0);
                _ = row.IdNumber();
            }
        }
        catch (TabularFileException e)
        {
            Assert.Contains(e.Code, FileCodes);
            Assert.Contains(e.ChineseMessage, c => c is >= '\u4e00' and <= '\u9fff');
        }

        // A deflate stream expands at most ~1,032 times; the sample files are a few KB. 64 MB is far above
        // any honest reading of them and far below what an unbounded one would take.
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 64L * 1024 * 1024, $"{name}: {bytes.Length:N0} bytes allocated {allocated:N0} bytes");
    }

    private static byte[] Sample(string name)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var path = Path.Combine(directory.FullName, "samples", name);
            if (File.Exists(path))
            {
                return File.ReadAllBytes(path);
            }
        }

        throw new FileNotFoundException($"samples/{name} not found above {AppContext.BaseDirectory}");
    }
}
