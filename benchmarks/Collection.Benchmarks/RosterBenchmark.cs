using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using Azure.Data.Tables;
using Collection.Functions.Hosting;
using Collection.Functions.Ledger;
using Collection.Functions.Rosters;
using Collection.Testing;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;

namespace Collection.Benchmarks;

/// <summary>
/// <c>rosters [rows] [csv,xlsx] [--rounds N] [--polling-ms N]</c>: generates a roster of 100,000 pupils (CSV in
/// UTF-8, and XLSX); for each format runs the app in the local host — the host a process of its own, started
/// from its build output, and the app's real isolated worker its child — on a dedicated Azurite and measures
/// end to end: upload through the app's HTTP API → the host's blob trigger (polling every <c>--polling-ms</c>,
/// 250 by default; Event Grid in Azure) → the worker's ingestion → result JSON <c>completed</c>. Then, on the same
/// Azurite in the same run, raw batched inserts of the very rows the ingestion wrote (100 per entity-group
/// transaction, as many in flight as the ingestion uses, the app's own writer). The baseline takes the rows sorted
/// by key, the order Azurite inserts cheapest (see <see cref="RunFormatAsync"/>); beside it the same rows in the
/// file's order, batched per partition as they come (a loader that writes while it reads), and the same sorted
/// rows through the SDK's transaction. Prints rows/s, the ratios, the peak working set (VmHWM) of the worker and
/// of the host apart, and CPU per 1,000 rows of worker, host, Azurite and the raw client (read from /proc: on a
/// shared machine CPU is a steadier figure than wall time). Each format runs <c>--rounds</c> times (3) and is
/// summed up by its median ratios, beside the issue's targets (≥ 0.8 × baseline; worker and host each under
/// 300 MB peak working set).
/// </summary>
internal static class RosterBenchmark
{
    private const string Policy = "luyang-2023";
    private const string LedgerPrefix = "bench";
    private const int BatchesInFlight = RosterIngestion.DefaultBatchesInFlight;
    private const string StaffKey = "bench-staff-key";
    private static readonly LedgerTables Ledger = new(LedgerPrefix);
    private static readonly TableEntityJson<EnrolmentEntity> EntityJson = new();
    private static readonly int[] Weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    private static readonly string[] Header = ["序号", "姓名", "性别", "公民身份号码", "年级", "班级", "资助身份"];

    public static async Task RunAsync(string[] args)
    {
        var rows = args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
        var formats = args.Length > 1 && !args[1].StartsWith("--", StringComparison.Ordinal) ? args[1] : "csv,xlsx";
        var rounds = BenchmarkReport.Option(args, "--rounds", 3);
        var polling = TimeSpan.FromMilliseconds(BenchmarkReport.Option(args, "--polling-ms", 250));
        _ = TheApp.AppDirectory; // the app and the local host are built (or say so now, not after generating files)
        _ = TheApp.LocalHostDll;

        var csv = Encoding.UTF8.GetBytes(Csv(rows, salt: 0));
        var xlsx = Xlsx(rows, salt: 1);
        Console.WriteLine($"rosters: {rows:N0} rows, CSV UTF-8 {csv.Length / 1048576.0:N1} MiB, XLSX {xlsx.Length / 1048576.0:N1} MiB; {rounds} rounds per format, "
            + $"each on a dedicated Azurite with the app in a local host process of its own (its worker a child process), blob polling {polling.TotalMilliseconds:N0} ms; {Environment.ProcessorCount} cores");
        if (formats.Contains("csv", StringComparison.OrdinalIgnoreCase))
        {
            await RunFormatAsync("csv utf-8", "BENCHCSV", "roster.csv", csv, rows, salt: 0, rounds, polling);
        }

        if (formats.Contains("xlsx", StringComparison.OrdinalIgnoreCase))
        {
            await RunFormatAsync("xlsx", "BENCHXLSX", "roster.xlsx", xlsx, rows, salt: 1, rounds, polling);
        }
    }

    /// <summary>
    /// One format, <paramref name="rounds"/> times, each on a fresh Azurite and host so the ingestion and its
    /// baseline both insert into a table that starts empty: Azurite's in-memory tables cost more per insert
    /// the more rows a table holds (LokiJS splices every insert into two sorted index arrays). Each round
    /// prints its own figures; the summary is the median ratio (one slow baseline on a shared machine does
    /// not decide it) and the highest peak working set of each process.
    /// </summary>
    private static async Task RunFormatAsync(string name, string school, string fileName, byte[] content, int rows, int salt, int rounds, TimeSpan polling)
    {
        var outcomes = new List<Round>(rounds);
        for (var round = 1; round <= rounds; round++)
        {
            var outcome = await RunRoundAsync(school, fileName, content, rows, salt, polling);
            outcomes.Add(outcome);
            var label = $"{name} round {round}";
            BenchmarkReport.Line($"{label}: raw batched inserts sorted by key (baseline)", outcome.Baseline, "rows/s");
            BenchmarkReport.Line($"{label}: the same rows in file order", outcome.FileOrder, "rows/s");
            BenchmarkReport.Line($"{label}: the same sorted, SDK transaction", outcome.ThroughSdk, "rows/s");
            BenchmarkReport.Line($"{label}: upload → result written", outcome.EndToEnd, $"rows/s ({outcome.Detection:N2} s to start, {outcome.Ingestion:N1} s ingesting)");
            BenchmarkReport.Ratio($"{label}: end to end / baseline", outcome.EndToEnd, outcome.Baseline);
            BenchmarkReport.Ratio($"{label}: end to end / file order", outcome.EndToEnd, outcome.FileOrder);

            // CPU per 1,000 rows, which the other load on a shared machine disturbs less than wall time does.
            BenchmarkReport.Line($"{label}: ingestion CPU, worker / host / Azurite", outcome.IngestCpu.Worker,
                $"ms / {outcome.IngestCpu.Host:N1} ms / {outcome.IngestCpu.Azurite:N1} ms per 1,000 rows");
            BenchmarkReport.Line($"{label}: baseline CPU, client / Azurite", outcome.BaselineCpu.Client, $"ms / {outcome.BaselineCpu.Azurite:N1} ms per 1,000 rows");
            BenchmarkReport.Line($"{label}: file order CPU, client / Azurite", outcome.FileOrderCpu.Client, $"ms / {outcome.FileOrderCpu.Azurite:N1} ms per 1,000 rows");
            BenchmarkReport.Line($"{label}: SDK transaction CPU, client / Azurite", outcome.SdkCpu.Client, $"ms / {outcome.SdkCpu.Azurite:N1} ms per 1,000 rows");
            BenchmarkReport.Line($"{label}: worker peak working set (VmHWM)", outcome.WorkerPeakMiB, "MiB");
            BenchmarkReport.Line($"{label}: host peak working set (VmHWM)", outcome.HostPeakMiB, "MiB");
        }

        var endToEnd = Median($"{name}: end to end / baseline", outcomes.Select(o => o.EndToEnd / o.Baseline).ToList());

        // Azurite's tables are LokiJS collections with sorted index arrays, and an insert splices its row in
        // before every row of a later partition: rows sorted by key land at the end of that index, rows in
        // file order in the middle (a CPU profile of Azurite, 2026-11-24: 3.6 s splicing for 100,000 rows in
        // file order, 2.1 s sorted). The ingestion writes partition by partition in key order (RosterSpill).
        Median($"{name}: end to end / file order", outcomes.Select(o => o.EndToEnd / o.FileOrder).ToList());
        var worker = outcomes.Max(o => o.WorkerPeakMiB);
        var host = outcomes.Max(o => o.HostPeakMiB);
        BenchmarkReport.Line($"{name}: worker peak working set, highest", worker, $"MiB ({worker * 1.048576:N1} MB)");
        BenchmarkReport.Line($"{name}: host peak working set, highest", host, $"MiB ({host * 1.048576:N1} MB)");

        // The issue says 300 MB; the project's notes have read its MiB figures as MB, so both readings are given.
        Console.WriteLine($"{name}: the issue's targets: end to end ≥ 0.8 × baseline {Verdict(endToEnd >= 0.8)} (median {endToEnd:N3}); "
            + $"peak under 300 MiB / under 300 MB (10^6 bytes): worker {Verdict(worker < 300)} / {Verdict(worker * 1.048576 < 300)}, host {Verdict(host < 300)} / {Verdict(host * 1.048576 < 300)}");
    }

    private static string Verdict(bool met) => met ? "met" : "NOT met";

    private static double Median(string name, List<double> ratios)
    {
        var median = ratios.Order().ElementAt(ratios.Count / 2);
        BenchmarkReport.Ratio($"{name}, median of {ratios.Count}", median,
            $"(rounds: {string.Join(", ", ratios.Select(r => r.ToString("N3", CultureInfo.InvariantCulture)))})");
        return median;
    }

    private sealed record Round(
        double EndToEnd, double Baseline, double FileOrder, double ThroughSdk, double Detection, double Ingestion,
        (double Worker, double Host, double Azurite) IngestCpu, (double Client, double Azurite) BaselineCpu, (double Client, double Azurite) FileOrderCpu,
        (double Client, double Azurite) SdkCpu, double WorkerPeakMiB, double HostPeakMiB);

    private static async Task<Round> RunRoundAsync(string school, string fileName, byte[] content, int rows, int salt, TimeSpan polling)
    {
        await using var azurite = await AzuriteInstance.StartAsync();
        var settings = TheApp.Settings(azurite.ConnectionString, LedgerPrefix);
        settings["AzureFunctionsJobHost__extensions__blobs__pollingInterval"] = polling.ToString("c", CultureInfo.InvariantCulture);
        settings["Keys:staff"] = StaffKey;
        await using var app = await LocalHostProcess.StartAsync(settings);
        using var api = app.Client(StaffKey);

        // Warm-up of both sides (JIT, tables, containers): small files of other people in both
        // formats through the host, and the same rows as raw inserts from this process.
        await IngestAsync(azurite, api, "WARMUP", "warm.csv", Encoding.UTF8.GetBytes(Csv(2_000, salt: 2)));
        await IngestAsync(azurite, api, "WARMUPX", "warm.xlsx", Xlsx(2_000, salt: 3));
        await RawInsertAsync(azurite, "roster:WARMUP", 2_000);
        await RawInsertAsync(azurite, "roster:WARMUP", 2_000, sdk: true);

        // Azurite keeps every table in one heap and grows dearer as it holds more rows, so each run is
        // measured with the same rows held besides its own: a ballast of as many rows during the
        // ingestion, the ingested rows during each raw run (whose table is dropped after it).
        var ballast = await BallastAsync(azurite, rows);

        // Let the host and worker settle (background tier-1 JIT after the warm-up), then measure.
        await Task.Delay(TimeSpan.FromSeconds(3));
        var cpu = new CpuMeter(app.WorkerId, app.Host.Id, azurite.ServerProcessId);
        var ingestCpu = cpu.Start();
        var (seconds, result) = await IngestAsync(azurite, api, school, fileName, content);
        var ingested = ingestCpu.Stop();
        if (result.Counts.Accepted != rows)
        {
            throw new InvalidOperationException($"{fileName}: {result.Counts.Accepted} of {rows} rows accepted ({string.Join(", ", result.Counts.ByReason)})");
        }

        // Peaks of the run so far (the warm-up and the measured ingestion): nothing the app does comes after.
        app.EnsureSameWorker();
        var workerPeak = ProcessFigures.PeakWorkingSetMiB(app.WorkerId);
        var hostPeak = ProcessFigures.PeakWorkingSetMiB(app.Host.Id);

        await ballast.DeleteAsync();
        var fileOrder = Enumerable.Range(0, rows).ToDictionary(i => "e|" + Pupil(i, salt).Id, i => i, StringComparer.Ordinal);
        var (baseline, baselineCpu) = await RawInsertAsync(azurite, "roster:" + school, rows, cpu);
        var (inFileOrder, fileOrderCpu) = await RawInsertAsync(azurite, "roster:" + school, rows, cpu, fileOrder);
        var (throughSdk, sdkCpu) = await RawInsertAsync(azurite, "roster:" + school, rows, cpu, sdk: true);
        var ingestion = (result.CompletedAt!.Value - result.StartedAt).TotalSeconds;
        return new Round(
            rows / seconds, rows / baseline, rows / inFileOrder, rows / throughSdk, seconds - ingestion, ingestion,
            (PerThousand(ingested.Worker, rows), PerThousand(ingested.Host, rows), PerThousand(ingested.Azurite, rows)),
            (PerThousand(baselineCpu.Client, rows), PerThousand(baselineCpu.Azurite, rows)),
            (PerThousand(fileOrderCpu.Client, rows), PerThousand(fileOrderCpu.Azurite, rows)),
            (PerThousand(sdkCpu.Client, rows), PerThousand(sdkCpu.Azurite, rows)),
            workerPeak, hostPeak);
    }

    /// <summary>CPU milliseconds per 1,000 rows.</summary>
    private static double PerThousand(double processSeconds, int rows) => processSeconds * 1_000_000 / rows;

    /// <summary>
    /// Uploads through the app's API, as a school does (<c>PUT /api/rosters/school/…</c>, proxied by the host to
    /// the worker, which streams it to storage), and waits for the result, which the worker writes once the
    /// host's blob trigger has run the ingestion. The time runs from the upload to the result's completion stamp.
    /// </summary>
    private static async Task<(double Seconds, RosterResult Result)> IngestAsync(AzuriteInstance azurite, HttpClient api, string school, string fileName, byte[] content)
    {
        var blobName = RosterBlobs.BlobName(Policy, school, fileName);
        var results = new RosterResultStore(azurite.CreateBlobServiceClient());
        var watch = Stopwatch.StartNew();
        var uploadStarted = DateTimeOffset.UtcNow;
        using var body = new ByteArrayContent(content);
        using var response = await api.PutAsync(new Uri($"api/rosters/school/{Policy}/{school}/{fileName}?date=2022-10-10", UriKind.Relative), body);
        var accepted = await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<RosterAccepted>()
            ?? throw new InvalidOperationException("The upload answered no body.");
        while (true)
        {
            var result = await results.ReadAsync(RosterBlobs.SchoolContainer, blobName, CancellationToken.None);
            if (result is { } done && done.ETag == accepted.ETag && done.Status != RosterStatus.Processing)
            {
                // The worker stamps the result when it writes it (same machine, same clock): the end of the run
                // to the millisecond, however long this loop sleeps between polls.
                return done.Status == RosterStatus.Completed
                    ? ((done.CompletedAt!.Value - uploadStarted).TotalSeconds, done)
                    : throw new InvalidOperationException($"{blobName}: {done.Error}");
            }

            if (watch.Elapsed > TimeSpan.FromMinutes(15))
            {
                throw new TimeoutException($"{blobName}: no result after 15 minutes");
            }

            // Every poll is a request Azurite serves while it ingests: keep them few (the end time comes from the result).
            await Task.Delay(1000);
        }
    }

    /// <summary>
    /// Reads back what the ingestion wrote (not timed), then inserts the same entities into a fresh table:
    /// the seconds that took. Batches go partition by partition in key order (as read back), or, given
    /// <paramref name="fileOrder"/> (row key → line), in the order a reader streaming the file fills them;
    /// through the app's own batch writer (<see cref="TableBatchInserter"/>), or with <paramref name="sdk"/>
    /// through the SDK's <see cref="TableClient.SubmitTransactionAsync"/>.
    /// </summary>
    private static async Task<(double Seconds, (double Worker, double Host, double Azurite, double Client) Cpu)> RawInsertAsync(
        AzuriteInstance azurite, string source, int rows, CpuMeter? cpu = null, Dictionary<string, int>? fileOrder = null, bool sdk = false)
    {
        var tables = azurite.CreateTableServiceClient();
        var written = new List<EnrolmentEntity>(rows);
        await foreach (var entity in tables.GetTableClient(Ledger.Enrolments).QueryAsync<EnrolmentEntity>(TableClient.CreateQueryFilter($"Source eq {source}")))
        {
            entity.ETag = default;
            entity.Timestamp = null;
            written.Add(entity);
        }

        if (written.Count != rows)
        {
            throw new InvalidOperationException($"{source}: {written.Count} rows in the ledger, expected {rows}");
        }

        var table = AzuriteInstance.UniqueName("raw");
        var raw = tables.GetTableClient(table);
        await raw.CreateIfNotExistsAsync();
        var inserter = new TableBatchInserter(tables, azurite.ConnectionString, new TableClientOptions());
        var batches = fileOrder is null
            ? written.GroupBy(e => e.PartitionKey).SelectMany(g => g.Chunk(TableBatchInserter.MaxBatch)).ToList()
            : InFileOrder(written.OrderBy(e => fileOrder[e.RowKey]));
        var phase = cpu?.Start();
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = BatchesInFlight }, async (batch, ct) =>
        {
            if (sdk)
            {
                await raw.SubmitTransactionAsync(batch.Select(e => new TableTransactionAction(TableTransactionActionType.Add, e)), ct);
            }
            else if (!await inserter.TryInsertAllAsync(table, batch, EntityJson, ct))
            {
                throw new InvalidOperationException($"{table}: a raw batch found its rows already there");
            }
        });
        var measured = (watch.Elapsed.TotalSeconds, phase?.Stop() ?? default);
        await raw.DeleteAsync();
        return measured;
    }

    /// <summary>A table of <paramref name="rows"/> copies of the warm-up's ledger rows (other row keys).</summary>
    private static async Task<TableClient> BallastAsync(AzuriteInstance azurite, int rows)
    {
        var tables = azurite.CreateTableServiceClient();
        var warm = new List<EnrolmentEntity>();
        await foreach (var entity in tables.GetTableClient(Ledger.Enrolments).QueryAsync<EnrolmentEntity>(TableClient.CreateQueryFilter($"Source eq {"roster:WARMUP"}")))
        {
            entity.ETag = default;
            entity.Timestamp = null;
            warm.Add(entity);
        }

        var ballast = tables.GetTableClient(AzuriteInstance.UniqueName("ballast"));
        await ballast.CreateIfNotExistsAsync();
        var copies = Enumerable.Range(0, rows).Select(i =>
        {
            var copy = warm[i % warm.Count];
            return new EnrolmentEntity
            {
                PartitionKey = copy.PartitionKey, RowKey = $"{copy.RowKey}-{i / warm.Count}", Policy = copy.Policy, IdNumber = copy.IdNumber,
                Name = copy.Name, Source = copy.Source, Status = copy.Status, EnrolledOn = copy.EnrolledOn, SubsidyMode = copy.SubsidyMode,
                Payable = copy.Payable, Subsidy = copy.Subsidy, Paid = copy.Paid, Balance = copy.Balance, Overpayment = copy.Overpayment,
                Request = copy.Request, State = copy.State,
            };
        });
        var inserter = new TableBatchInserter(tables, azurite.ConnectionString, new TableClientOptions());
        await Parallel.ForEachAsync(copies.GroupBy(e => e.PartitionKey).SelectMany(g => g.Chunk(TableBatchInserter.MaxBatch)), new ParallelOptions { MaxDegreeOfParallelism = BatchesInFlight },
            async (batch, ct) => await inserter.TryInsertAllAsync(ballast.Name, batch, EntityJson, ct));
        return ballast;
    }

    /// <summary>Batches as a streaming reader forms them: one buffer per partition, sent when full, the rest at the end.</summary>
    private static List<EnrolmentEntity[]> InFileOrder(IEnumerable<EnrolmentEntity> entities)
    {
        var batches = new List<EnrolmentEntity[]>();
        var buffers = new Dictionary<string, List<EnrolmentEntity>>(StringComparer.Ordinal);
        foreach (var entity in entities)
        {
            if (!buffers.TryGetValue(entity.PartitionKey, out var buffer))
            {
                buffer = buffers[entity.PartitionKey] = [];
            }

            buffer.Add(entity);
            if (buffer.Count == TableBatchInserter.MaxBatch)
            {
                batches.Add([.. buffer]);
                buffer.Clear();
            }
        }

        batches.AddRange(buffers.Values.Where(b => b.Count > 0).Select(b => b.ToArray()));
        return batches;
    }

    private static (string Name, string Id, string Gender) Pupil(int index, int salt)
    {
        var birth = new DateOnly(2010, 1, 1).AddDays(index % 2500);
        var body = string.Create(CultureInfo.InvariantCulture, $"340103{birth:yyyyMMdd}{(salt * 100) + (index / 2500):D3}");
        var sum = 0;
        for (var i = 0; i < 17; i++)
        {
            sum += (body[i] - '0') * Weights[i];
        }

        var id = body + "10X98765432"[sum % 11];
        return ($"学生{index}", id, (id[16] - '0') % 2 == 1 ? "男" : "女");
    }

    private static IEnumerable<string[]> Rows(int rows, int salt)
    {
        for (var i = 0; i < rows; i++)
        {
            var (name, id, gender) = Pupil(i, salt);
            yield return [(i + 1).ToString(CultureInfo.InvariantCulture), name, gender, id, $"{1 + (i % 6)}年级", $"{1 + (i % 8)}班", i % 40 == 3 ? "低保对象" : string.Empty];
        }
    }

    private static string Csv(int rows, int salt)
    {
        var text = new StringBuilder(rows * 64);
        text.Append(string.Join(',', Header)).Append("\r\n");
        foreach (var row in Rows(rows, salt))
        {
            text.Append(string.Join(',', row)).Append("\r\n");
        }

        return text.ToString();
    }

    /// <summary>An XLSX as Excel writes it: shared strings for text cells.</summary>
    private static byte[] Xlsx(int rows, int salt)
    {
        using var stream = new MemoryStream();
        using (var document = SpreadsheetDocument.Create(stream, SpreadsheetDocumentType.Workbook))
        {
            var workbook = document.AddWorkbookPart();
            workbook.Workbook = new Workbook();
            var shared = workbook.AddNewPart<SharedStringTablePart>();
            var strings = new Dictionary<string, int>(StringComparer.Ordinal);
            var sheet = workbook.AddNewPart<WorksheetPart>();
            using (var writer = OpenXmlWriter.Create(sheet))
            {
                writer.WriteStartElement(new Worksheet());
                writer.WriteStartElement(new SheetData());
                var index = 1u;
                foreach (var row in Rows(rows, salt).Prepend(Header))
                {
                    writer.WriteStartElement(new Row { RowIndex = index++ });
                    foreach (var cell in row)
                    {
                        if (!strings.TryGetValue(cell, out var at))
                        {
                            at = strings[cell] = strings.Count;
                        }

                        writer.WriteElement(new Cell { DataType = CellValues.SharedString, CellValue = new CellValue(at.ToString(CultureInfo.InvariantCulture)) });
                    }

                    writer.WriteEndElement();
                }

                writer.WriteEndElement();
                writer.WriteEndElement();
            }

            using (var writer = OpenXmlWriter.Create(shared))
            {
                writer.WriteStartElement(new SharedStringTable());
                foreach (var text in strings.OrderBy(p => p.Value).Select(p => p.Key))
                {
                    writer.WriteElement(new SharedStringItem(new Text(text)));
                }

                writer.WriteEndElement();
            }

            workbook.Workbook.AppendChild(new Sheets(new Sheet { Id = workbook.GetIdOfPart(sheet), SheetId = 1, Name = "名册" }));
        }

        return stream.ToArray();
    }

    /// <summary>User + system CPU seconds of the worker, the host, Azurite and this process (from /proc), over a phase.</summary>
    private sealed class CpuMeter(int workerId, int hostId, int azuriteId)
    {
        public Phase Start() => new(this, Read());

        private (double Worker, double Host, double Azurite, double Client) Read() =>
            (ProcessFigures.CpuSeconds(workerId), ProcessFigures.CpuSeconds(hostId), ProcessFigures.CpuSeconds(azuriteId), ProcessFigures.CpuSeconds(Environment.ProcessId));

        public sealed class Phase(CpuMeter meter, (double Worker, double Host, double Azurite, double Client) start)
        {
            public (double Worker, double Host, double Azurite, double Client) Stop()
            {
                var end = meter.Read();
                return (end.Worker - start.Worker, end.Host - start.Host, end.Azurite - start.Azurite, end.Client - start.Client);
            }
        }
    }
}
