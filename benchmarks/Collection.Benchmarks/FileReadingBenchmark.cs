using System.Diagnostics;
using System.Globalization;
using System.Text;
using Collection.Files;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;

namespace Collection.Benchmarks;

/// <summary>
/// <c>files [csvRows] [xlsxRows]</c>: parses a generated roster (200,000 CSV rows — the largest file the
/// system accepts, <see cref="FileLimits.MaxRows"/> — in UTF-8 and in GB18030, 100,000 XLSX rows) through <see cref="TabularFile"/> — detection, header mapping and
/// typed access to every row — and prints rows/s and peak managed heap beside the raw baseline
/// of reading the same bytes line by line with a <see cref="StreamReader"/> in the same run. The
/// XLSX baseline is the StreamReader over the same rows as a UTF-8 CSV (a workbook has no lines).
/// </summary>
internal static class FileReadingBenchmark
{
    private static readonly int[] Weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    private static readonly string[] Header = ["序号", "姓名", "身份证号", "性别", "年级", "班级", "资助身份"];

    public static async Task RunAsync(string[] args)
    {
        // More rows than the limit would end in too-many-rows: the default is the largest file a school may send.
        var csvRows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : FileLimits.Default.MaxRows;
        var xlsxRows = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100_000;
        var directory = Directory.CreateTempSubdirectory("files-benchmark-");
        try
        {
            Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
            var gb18030 = Encoding.GetEncoding("GB18030");
            var utf8Path = Path.Combine(directory.FullName, "roster-utf8.csv");
            var gbPath = Path.Combine(directory.FullName, "roster-gb18030.csv");
            var xlsxPath = Path.Combine(directory.FullName, "roster.xlsx");
            var xlsxBaselinePath = Path.Combine(directory.FullName, "roster-xlsx-rows.csv");
            WriteCsv(utf8Path, csvRows, new UTF8Encoding(false));
            WriteCsv(gbPath, csvRows, gb18030);
            WriteCsv(xlsxBaselinePath, xlsxRows, new UTF8Encoding(false));
            WriteXlsx(xlsxPath, xlsxRows);
            Console.WriteLine($"files: {csvRows:N0} CSV rows ({new FileInfo(utf8Path).Length / 1048576.0:N1} MiB UTF-8, {new FileInfo(gbPath).Length / 1048576.0:N1} MiB GB18030), {xlsxRows:N0} XLSX rows ({new FileInfo(xlsxPath).Length / 1048576.0:N1} MiB)");

            await CompareAsync("csv utf-8", utf8Path, new UTF8Encoding(false), utf8Path, csvRows);
            await CompareAsync("csv gb18030", gbPath, gb18030, gbPath, csvRows);
            await CompareAsync("xlsx", xlsxBaselinePath, new UTF8Encoding(false), xlsxPath, xlsxRows);
            BenchmarkReport.Line("process peak working set", Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0, "MiB");
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static async Task CompareAsync(string name, string baselinePath, Encoding baselineEncoding, string path, int rows)
    {
        // Warm both paths once (JIT, file cache), then measure.
        Baseline(baselinePath, baselineEncoding);
        await ParseAsync(path, Math.Min(rows, 20_000));
        var baseline = Baseline(baselinePath, baselineEncoding);
        var (parsed, seconds, peakHeap) = await ParseAsync(path, int.MaxValue);
        if (parsed != rows)
        {
            throw new InvalidOperationException($"{name}: parsed {parsed} rows, expected {rows}");
        }

        BenchmarkReport.Line($"{name}: StreamReader lines (baseline)", rows / baseline, "rows/s");
        BenchmarkReport.Line($"{name}: TabularFile rows", rows / seconds, "rows/s");
        BenchmarkReport.Ratio($"{name}: TabularFile / baseline", rows / seconds, rows / baseline);
        BenchmarkReport.Line($"{name}: peak managed heap while parsing", peakHeap / 1048576.0, "MiB");
    }

    private static double Baseline(string path, Encoding encoding)
    {
        var watch = Stopwatch.StartNew();
        using var reader = new StreamReader(path, encoding, detectEncodingFromByteOrderMarks: true, bufferSize: 64 * 1024);
        var lines = 0;
        while (reader.ReadLine() is not null)
        {
            lines++;
        }

        GC.KeepAlive(lines);
        return watch.Elapsed.TotalSeconds;
    }

    private static async Task<(int Rows, double Seconds, long PeakHeap)> ParseAsync(string path, int limit)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        long peak = 0;
        var watch = Stopwatch.StartNew();
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.SequentialScan | FileOptions.Asynchronous);
        await using var file = await TabularFile.OpenAsync(stream, Path.GetFileName(path), FileLayout.SchoolRoster);
        var openSeconds = watch.Elapsed.TotalSeconds;
        var rows = 0;
        var checksum = 0;
        await foreach (var row in file.ReadRowsAsync())
        {
            // What a roster function does with every row before validating it.
            checksum += row.IdNumber().Length + row.Text(FileFields.Name).Length + row.Text(FileFields.ClassName).Length;
            if (++rows % 10_000 == 0)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: false) - before);
            }

            if (rows >= limit)
            {
                break;
            }
        }

        GC.KeepAlive(checksum);
        if (limit == int.MaxValue)
        {
            BenchmarkReport.Line($"{Path.GetFileName(path)}: open (incl. shared strings)", openSeconds * 1000, "ms");
        }

        return (rows, watch.Elapsed.TotalSeconds, Math.Max(peak, GC.GetTotalMemory(false) - before));
    }

    private static string[] Row(int i)
    {
        var birth = new DateOnly(2008, 1, 1).AddDays(i % 4000);
        var body = $"{110101 + (i % 7)}{birth:yyyyMMdd}{i % 1000:D3}";
        var sum = 0;
        for (var k = 0; k < 17; k++)
        {
            sum += (body[k] - '0') * Weights[k];
        }

        var id = body + "10X98765432"[sum % 11];
        return [(i + 1).ToString(CultureInfo.InvariantCulture), $"学生{i}", id, i % 2 == 0 ? "男" : "女", $"{1 + (i % 6)}年级", $"{1 + (i % 9)}班", i % 50 == 0 ? "低保对象" : string.Empty];
    }

    private static void WriteCsv(string path, int rows, Encoding encoding)
    {
        using var writer = new StreamWriter(path, append: false, encoding, 64 * 1024);
        writer.Write(string.Join(',', Header));
        writer.Write("\r\n");
        for (var i = 0; i < rows; i++)
        {
            writer.Write(string.Join(',', Row(i)));
            writer.Write("\r\n");
        }
    }

    private static void WriteXlsx(string path, int rows)
    {
        using var document = SpreadsheetDocument.Create(path, SpreadsheetDocumentType.Workbook);
        var workbookPart = document.AddWorkbookPart();
        workbookPart.Workbook = new Workbook();
        var sharedPart = workbookPart.AddNewPart<SharedStringTablePart>();
        var shared = new Dictionary<string, int>();
        var worksheetPart = workbookPart.AddNewPart<WorksheetPart>();
        using (var writer = OpenXmlWriter.Create(worksheetPart))
        {
            writer.WriteStartElement(new Worksheet());
            writer.WriteStartElement(new SheetData());
            WriteRow(writer, 1, Header, shared);
            for (var i = 0; i < rows; i++)
            {
                WriteRow(writer, (uint)(i + 2), Row(i), shared);
            }

            writer.WriteEndElement();
            writer.WriteEndElement();
        }

        using (var writer = OpenXmlWriter.Create(sharedPart))
        {
            writer.WriteStartElement(new SharedStringTable());
            foreach (var text in shared.OrderBy(pair => pair.Value).Select(pair => pair.Key))
            {
                writer.WriteElement(new SharedStringItem(new Text(text)));
            }

            writer.WriteEndElement();
        }

        workbookPart.Workbook.AppendChild(new Sheets(new Sheet { Id = workbookPart.GetIdOfPart(worksheetPart), SheetId = 1, Name = "名册" }));
    }

    private static void WriteRow(OpenXmlWriter writer, uint rowIndex, string[] cells, Dictionary<string, int> shared)
    {
        writer.WriteStartElement(new Row { RowIndex = rowIndex });
        for (var c = 0; c < cells.Length; c++)
        {
            if (cells[c].Length == 0)
            {
                continue;
            }

            var reference = $"{HeaderMap.ColumnName(c)}{rowIndex}";
            if (c == 0 && rowIndex > 1)
            {
                writer.WriteElement(new Cell { CellReference = reference, CellValue = new CellValue(cells[c]) });
                continue;
            }

            if (!shared.TryGetValue(cells[c], out var index))
            {
                index = shared.Count;
                shared[cells[c]] = index;
            }

            writer.WriteElement(new Cell { CellReference = reference, DataType = CellValues.SharedString, CellValue = new CellValue(index.ToString(CultureInfo.InvariantCulture)) });
        }

        writer.WriteEndElement();
    }
}
