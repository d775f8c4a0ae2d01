using System.Diagnostics;
using System.Globalization;
using System.Text;
using Azure.Data.Tables;
using Collection.Domain;
using Collection.Functions.Subsidies;
using Collection.Functions.Hosting;
using Collection.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Collection.Benchmarks;

/// <summary>
/// A subsidy list of N rows (each row: read the person's identity row, fold, write in a per-partition
/// transaction), the same list dropped again (all unchanged), and a scan of the policy's spells, against
/// raw batched inserts of N identity-sized rows (100 per transaction, 16 in flight) on one dedicated
/// Azurite in the same run. Component level: the app's subsidy-list function and identity book from the app's own
/// service composition (as its worker makes them), run on the blob in this process, as the blob trigger runs it.
/// Options: <c>--rows N</c> (default 20,000).
/// </summary>
public static class SubsidyListBenchmark
{
    public static async Task RunAsync(string[] args)
    {
        var rows = BenchmarkReport.Option(args, "--rows", 20_000);
        await using var azurite = await AzuriteInstance.StartAsync();
        await using var app = TheApp.Compose(TheApp.Settings(azurite.ConnectionString, "bench"));
        var tables = azurite.CreateTableServiceClient();
        var blobs = azurite.CreateBlobServiceClient();
        var ids = Enumerable.Range(0, rows).Select(i => Id($"340103{new DateOnly(1940, 1, 1).AddDays(i / 900):yyyyMMdd}{i % 900:D3}")).ToArray();

        // Baseline: raw batched inserts of rows shaped like an identity row, 100 per transaction, 16 in flight.
        var raw = tables.GetTableClient("benchsubsidyraw");
        await raw.CreateIfNotExistsAsync();
        var entities = ids.Select(id => new IdentityEntity
        {
            PartitionKey = SubsidyKeys.Partition("luyang-2023", ResidentId.Parse(id)), RowKey = id + "|extreme-poverty|civil-affairs", Policy = "luyang-2023",
            IdNumber = id, Identity = "extreme-poverty", Department = "civil-affairs", Name = "某某", OpenFrom = "2022-08-31",
            Entries = """[{"date":"2022-08-31","change":"add","name":"某某","town":"双岗街道","source":"subsidy-lists/luyang-2023/civil-affairs/20220831-bench.csv"}]""",
            Spells = """[{"from":"2022-08-31","name":"某某","town":"双岗街道","source":"subsidy-lists/luyang-2023/civil-affairs/20220831-bench.csv"}]""",
        }).ToList();
        var batches = entities.GroupBy(e => e.PartitionKey).SelectMany(g => g.Chunk(100)).ToList();
        var rawWatch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (batch, ct) =>
            await raw.SubmitTransactionAsync(batch.Select(e => new TableTransactionAction(TableTransactionActionType.Add, e)), ct));
        var rawSeconds = rawWatch.Elapsed.TotalSeconds;

        var file = new StringBuilder("姓名,身份证号,资助身份,乡镇街道,变动\r\n");
        foreach (var id in ids)
        {
            file.Append(CultureInfo.InvariantCulture, $"某某,{id},特困人员,双岗街道,新增\r\n");
        }

        const string name = "luyang-2023/civil-affairs/20220831-bench.csv";
        var container = blobs.GetBlobContainerClient(SubsidyListsFunction.Container);
        await container.CreateIfNotExistsAsync();
        var blob = container.GetBlobClient(name);
        var uploaded = await blob.UploadAsync(new BinaryData(Encoding.UTF8.GetBytes(file.ToString())), overwrite: true);
        var book = app.GetRequiredService<SubsidyIdentityBook>();
        var function = TheApp.Function<SubsidyListsFunction>(app);
        var trigger = new TriggeredBlob(SubsidyListsFunction.Container, name, uploaded.Value.ETag, blob);

        var fileWatch = Stopwatch.StartNew();
        await function.RunAsync(trigger, CancellationToken.None);
        var fileSeconds = fileWatch.Elapsed.TotalSeconds;

        var redropWatch = Stopwatch.StartNew();
        await function.RunAsync(trigger, CancellationToken.None);
        var redropSeconds = redropWatch.Elapsed.TotalSeconds;

        var scanned = 0;
        var scanWatch = Stopwatch.StartNew();
        await foreach (var _ in book.ScanAsync("luyang-2023"))
        {
            scanned++;
        }

        var scanSeconds = scanWatch.Elapsed.TotalSeconds;

        Console.WriteLine($"subsidy lists: {rows:N0}-row list on a dedicated Azurite; {scanned:N0} spells scanned; {Environment.ProcessorCount} cores");
        BenchmarkReport.Line("baseline: raw batched inserts (100/transaction)", rows / rawSeconds, "entities/s");
        BenchmarkReport.Line("list applied (new people)", rows / fileSeconds, "rows/s");
        BenchmarkReport.Line("same list dropped again (all unchanged)", rows / redropSeconds, "rows/s");
        BenchmarkReport.Line("scan of the policy's spells", scanned / scanSeconds, "spells/s");
        BenchmarkReport.Ratio("list rows/s vs raw inserts/s", rows / fileSeconds, rows / rawSeconds);
        BenchmarkReport.Ratio("re-dropped rows/s vs raw inserts/s", rows / redropSeconds, rows / rawSeconds);
        BenchmarkReport.Ratio("scanned spells/s vs raw inserts/s", scanned / scanSeconds, rows / rawSeconds);
    }

    private static string Id(string first17) => first17 + ResidentId.ComputeCheckCharacter(first17);
}
