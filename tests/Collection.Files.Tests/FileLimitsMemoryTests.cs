using Collection.Files;
using Xunit.Abstractions;

namespace Collection.Files.Tests;

/// <summary>
/// XLSX bombs at the default limits, memory measured (issue 22, finding 2: a 1.2 MB workbook held the host at
/// 2.6 GB for 24 s before it was reported corrupt). Each fails with its code after work in proportion to its limits, and a bounded heap.
/// </summary>
[Collection(MemoryMeasuredCollection.Name)]
public class FileLimitsMemoryTests(ITestOutputHelper output)
{
    /// <summary>Well above what the limits allow to be held (the shared strings at most ~130 MB), far below the 2.6 GB of the finding.</summary>
    private const long MaxHeapGrowth = 256L * 1024 * 1024;

    public static TheoryData<string> Bombs => ["sheet 2 GiB declared", "sheet 2 GiB declared 64 KB", "shared strings 2 GiB declared", "shared strings within the part limit", "empty cells within the part limit"];

    [Theory]
    [MemberData(nameof(Bombs))]
    public void Bomb_FailsFastWithItsCode_HeapBounded(string bomb)
    {
        var rowUnit = "<row><c t=\"inlineStr\"><is><t>x</t></is></c></row>";
        var emptyRow = "<row>" + string.Concat(Enumerable.Repeat("<c s=\"1\"/>", 50)) + "</row>";
        var (xlsx, code) = bomb switch
        {
            "sheet 2 GiB declared" => (XlsxBombs.Build(XlsxBombs.Sheet(XlsxBombs.Part.ChunkOf(rowUnit), 2048)), FileErrorCodes.FileTooLarge),
            "sheet 2 GiB declared 64 KB" => (XlsxBombs.Build(XlsxBombs.Sheet(XlsxBombs.Part.ChunkOf(rowUnit), 2048), declaredSheetSize: 64 * 1024), FileErrorCodes.CorruptFile),
            "shared strings 2 GiB declared" => (XlsxBombs.Build(XlsxBombs.HeaderOnlySheet(), XlsxBombs.SharedStrings(XlsxBombs.Part.ChunkOf("<si><t>a</t></si>"), 2048)), FileErrorCodes.FileTooLarge),
            "shared strings within the part limit" => (XlsxBombs.Build(XlsxBombs.HeaderOnlySheet(), XlsxBombs.SharedStrings(XlsxBombs.Part.ChunkOf("<si><t>a</t></si>"), 250)), FileErrorCodes.FileTooLarge),
            _ => (XlsxBombs.Build(XlsxBombs.Sheet(XlsxBombs.Part.ChunkOf(emptyRow), 250)), FileErrorCodes.FileTooLarge),
        };

        var probe = MemoryProbe.Start();
        var error = Assert.Throws<TabularFileException>(() =>
        {
            using var file = TabularFile.Open(new MemoryStream(xlsx), "bomb.xlsx", FileLayout.SchoolRoster);
            foreach (var unused in file.ReadRows())
            {
            }
        });
        var figures = probe.Stop();

        output.WriteLine($"XLSX bomb, {bomb}: {xlsx.Length / 1024} KB file → {error.Code} ({error.ChineseMessage}) in {figures}");
        Assert.Equal(code, error.Code);
        Assert.True(figures.PeakHeapGrowth < MaxHeapGrowth, figures.ToString());
        // Fails fast, measured as work done rather than time taken: the bytes allocated stay in proportion to where the
        // limit trips, far below what inflating the whole bomb costs (hundreds of MB to GBs).
        Assert.True(figures.Allocated <= MostAllocatedBy(bomb), $"{figures.Allocated:N0} bytes allocated, at most {MostAllocatedBy(bomb):N0} allowed; {figures}");
    }

    /// <summary>
    /// Three bytes allocated per byte inflated up to where the limit trips, plus 16 MB for opening the workbook. A
    /// declared size over a limit is refused from the ZIP's headers and a part longer than it says within 64 KB of
    /// its declared size; the parts within the byte limit trip another limit part of the way in (2,000,000 shared
    /// strings at 34 MB of their 250 MB; 200,000 rows of empty cells at 102 MB of 250 MB).
    /// </summary>
    private static long MostAllocatedBy(string bomb)
    {
        const long Megabyte = 1024 * 1024;
        var inflatedBeforeTheLimit = bomb switch
        {
            "shared strings within the part limit" => 34 * Megabyte,
            "empty cells within the part limit" => 102 * Megabyte,
            _ => 0,
        };
        return (3 * inflatedBeforeTheLimit) + (16 * Megabyte);
    }
}
