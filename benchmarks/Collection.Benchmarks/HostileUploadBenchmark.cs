using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using Collection.Functions.Rosters;
using Collection.Files.Tests;
using Collection.Testing;

namespace Collection.Benchmarks;

/// <summary>
/// <c>hostile</c>: what one school key can make the system carry. The app runs as in production — the local host
/// a process of its own, the real worker its child — on a dedicated Azurite; through the roster API come a roster of
/// 1,000,000 invalid rows (over the 200,000-row limit), one of 200,000 invalid rows (at the limit: every row
/// rejected and written to the <c>.rejected.csv</c>), and an XLSX whose shared strings inflate to 1.2 GiB from about
/// a megabyte. For each: seconds from upload to result, the outcome, the result document's size; at the end the
/// peak working set (VmHWM) of host and worker over the whole run, against the 1 GB the hardening issue allows.
/// </summary>
internal static class HostileUploadBenchmark
{
    private const string StaffKey = "bench-staff-key";
    private const string School = "HOSTILE";

    public static async Task RunAsync(string[] args)
    {
        await using var azurite = await AzuriteInstance.StartAsync();
        var settings = TheApp.Settings(azurite.ConnectionString, "hostile");
        settings["AzureFunctionsJobHost__extensions__blobs__pollingInterval"] = "00:00:00.250";
        settings["Keys:staff"] = StaffKey;
        await using var app = await LocalHostProcess.StartAsync(settings);
        using var api = app.Client(StaffKey);
        Console.WriteLine($"hostile uploads: one school through the roster API; app in a local host process with its worker; {Environment.ProcessorCount} cores");

        var files = new (string Label, string FileName, Func<byte[]> Content)[]
        {
            ("1,000,000 invalid rows (CSV)", "million.csv", () => InvalidRoster(1_000_000)),
            ("200,000 invalid rows, the row limit (CSV)", "limit.csv", () => InvalidRoster(200_000)),
            ("shared strings inflating to 1.2 GiB (XLSX)", "bomb.xlsx", () => XlsxBombs.Build(XlsxBombs.HeaderOnlySheet(), XlsxBombs.SharedStrings(XlsxBombs.Part.ChunkOf("<si><t>a</t></si>"), 1_200))),
        };
        foreach (var (label, fileName, content) in files)
        {
            var bytes = content();
            var (seconds, result, resultBytes) = await UploadAsync(azurite, api, fileName, bytes);
            var outcome = result.Error is { } error ? $"{result.Status} {error.Code}" : $"{result.Status}, {result.Counts.Rejected:N0} rejected";
            BenchmarkReport.Line($"{label}, {bytes.Length / 1048576.0:N1} MiB: upload → result", seconds, $"s ({outcome}; result {resultBytes / 1024.0:N1} KiB)");
        }

        app.EnsureSameWorker();
        var worker = ProcessFigures.PeakWorkingSetMiB(app.WorkerId);
        var host = ProcessFigures.PeakWorkingSetMiB(app.Host.Id);
        BenchmarkReport.Line("worker peak working set (VmHWM)", worker, $"MiB ({worker * 1.048576:N0} MB)");
        BenchmarkReport.Line("host peak working set (VmHWM)", host, $"MiB ({host * 1.048576:N0} MB)");
        Console.WriteLine($"hostile: the issue's bound, each process under 1 GB: {(worker * 1.048576 < 1000 && host * 1.048576 < 1000 ? "met" : "NOT met")}");
    }

    /// <summary>Rows whose ID numbers fail their check digit (each a different number): every one a rejected row with a code.</summary>
    private static byte[] InvalidRoster(int rows)
    {
        const string CheckCharacters = "10X98765432";
        var text = new StringBuilder("姓名,身份证号,性别,年级\r\n", rows * 36);
        for (var i = 0; i < rows; i++)
        {
            var first17 = string.Create(CultureInfo.InvariantCulture, $"340103{new DateOnly(2012, 1, 1).AddDays(i % 1461):yyyyMMdd}{i / 1461 % 1000:D3}");
            var wrong = CheckCharacters[(CheckCharacters.IndexOf(Collection.Domain.ResidentId.ComputeCheckCharacter(first17), StringComparison.Ordinal) + 1) % 11];
            text.Append(CultureInfo.InvariantCulture, $"学生{i},{first17}{wrong},男,3年级\r\n");
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static async Task<(double Seconds, RosterResult Result, long ResultBytes)> UploadAsync(AzuriteInstance azurite, HttpClient api, string fileName, byte[] content)
    {
        var blobName = RosterBlobs.BlobName("luyang-2023", School, fileName);
        var results = new RosterResultStore(azurite.CreateBlobServiceClient());
        var watch = Stopwatch.StartNew();
        using var body = new ByteArrayContent(content);
        using var response = await api.PutAsync(new Uri($"api/rosters/school/luyang-2023/{School}/{fileName}?date=2022-10-10", UriKind.Relative), body);
        var accepted = await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<RosterAccepted>()
            ?? throw new InvalidOperationException("The upload answered no body.");
        while (true)
        {
            if (await results.ReadAsync(RosterBlobs.SchoolContainer, blobName, CancellationToken.None) is { } done && done.ETag == accepted.ETag && done.Status != RosterStatus.Processing)
            {
                var size = (await azurite.CreateBlobServiceClient().GetBlobContainerClient(RosterBlobs.ResultsContainer)
                    .GetBlobClient(RosterBlobs.ResultName(RosterBlobs.SchoolContainer, blobName)).GetPropertiesAsync()).Value.ContentLength;
                return (watch.Elapsed.TotalSeconds, done, size);
            }

            if (watch.Elapsed > TimeSpan.FromMinutes(15))
            {
                throw new TimeoutException($"{blobName}: no result after 15 minutes");
            }

            await Task.Delay(500);
        }
    }
}
