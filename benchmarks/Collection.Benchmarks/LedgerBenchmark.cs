using System.Diagnostics;
using System.Globalization;
using System.Text;
using Azure.Data.Tables;
using Collection.Domain;
using Collection.Domain.Assessments;
using Collection.Domain.Enrolments;
using Collection.Functions.Assessments;
using Collection.Functions.Hosting;
using Collection.Functions.Ledger;
using Collection.Functions.TaxReturns;
using Collection.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Collection.Benchmarks;

/// <summary>
/// A tax return of N rows (each row: claim the transaction, read the enrolment, re-assess, post payment +
/// enrolment in a per-partition transaction) against raw batched inserts of N payment-sized rows (100 per
/// entity-group transaction, same parallelism), both on one dedicated Azurite in the same run. Component level:
/// the app's tax-return function made from the app's own service composition (as its worker makes it), run on
/// the blob in this process, as the blob trigger runs it.
/// Options: <c>--rows N</c> (default 20,000).
/// </summary>
public static class LedgerBenchmark
{
    public static async Task RunAsync(string[] args)
    {
        var rows = BenchmarkReport.Option(args, "--rows", 20_000);
        await using var azurite = await AzuriteInstance.StartAsync();
        await using var app = TheApp.Compose(TheApp.Settings(azurite.ConnectionString, "bench"));
        var tables = azurite.CreateTableServiceClient();
        var blobs = azurite.CreateBlobServiceClient();
        var names = app.GetRequiredService<LedgerTables>();
        var ids = Enumerable.Range(0, rows).Select(i => Id($"150302{new DateOnly(1950, 1, 1).AddDays(i / 900):yyyyMMdd}{i % 900:D3}")).ToArray();

        // Baseline: raw batched inserts of rows shaped like a payment, 100 per transaction, 16 in flight.
        var raw = tables.GetTableClient("benchraw");
        await raw.CreateIfNotExistsAsync();
        var entities = ids.Select((id, i) => new PaymentEntity
        {
            PartitionKey = LedgerKeys.Partition("wuhai-2022", id), RowKey = LedgerKeys.PaymentRow(id, $"B{i:D7}"), Policy = "wuhai-2022", IdNumber = id,
            TransactionId = $"B{i:D7}", Amount = "460.00", PaidOn = "2021-12-05", Channel = "online", InTreasury = true, PostedAt = DateTimeOffset.UtcNow, Actor = "bench",
        }).ToList();
        var batches = entities.GroupBy(e => e.PartitionKey).SelectMany(g => g.Chunk(100)).ToList();
        var rawWatch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (batch, ct) =>
            await raw.SubmitTransactionAsync(batch.Select(e => new TableTransactionAction(TableTransactionActionType.Add, e)), ct));
        var rawSeconds = rawWatch.Elapsed.TotalSeconds;

        // The same people enrolled (seeded in batches: enrolment is not what is measured).
        var enrolments = tables.GetTableClient(names.Enrolments);
        await enrolments.CreateIfNotExistsAsync();
        var terms = new EnrolmentTerms(460m, 0m, 460m, 0m, new DateOnly(2022, 1, 1), new DateOnly(2022, 12, 31));
        var at = new DateTimeOffset(2021, 12, 1, 9, 0, 0, TimeSpan.FromHours(8));
        var seeds = ids.Select(id => EnrolmentRows.ToEntity(
            Enrolment.Register("wuhai-2022", id, "window", terms, new DateOnly(2021, 12, 1), at, "bench"),
            new PersonDetails("某某"),
            AssessmentRequestParser.ToBody("wuhai-2022", new AssessmentRequest { Id = ResidentId.Parse(id), Date = new DateOnly(2021, 12, 1) })));
        await Parallel.ForEachAsync(seeds.GroupBy(e => e.PartitionKey).SelectMany(g => g.Chunk(100)), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (batch, ct) =>
            await enrolments.SubmitTransactionAsync(batch.Select(e => new TableTransactionAction(TableTransactionActionType.Add, e)), ct));

        var file = new StringBuilder("身份证号,姓名,金额,缴费日期,缴费渠道,交易流水号,是否入库\r\n");
        for (var i = 0; i < rows; i++)
        {
            file.Append(CultureInfo.InvariantCulture, $"{ids[i]},某某,460,2021-12-05,线上缴费,T{i:D7},是\r\n");
        }

        const string name = "wuhai-2022/20211206-bench.csv";
        var container = blobs.GetBlobContainerClient(TaxReturnsFunction.Container);
        await container.CreateIfNotExistsAsync();
        var blob = container.GetBlobClient(name);
        var uploaded = await blob.UploadAsync(new BinaryData(Encoding.UTF8.GetBytes(file.ToString())), overwrite: true);
        var function = TheApp.Function<TaxReturnsFunction>(app);
        var trigger = new TriggeredBlob(TaxReturnsFunction.Container, name, uploaded.Value.ETag, blob);
        var fileWatch = Stopwatch.StartNew();
        await function.RunAsync(trigger, CancellationToken.None);
        var fileSeconds = fileWatch.Elapsed.TotalSeconds;

        var posted = 0;
        await foreach (var _ in enrolments.QueryAsync<TableEntity>(LedgerKeys.PaymentRowsFilter, select: ["RowKey"]))
        {
            posted++;
        }

        var redropWatch = Stopwatch.StartNew();
        await function.RunAsync(trigger, CancellationToken.None);
        var redropSeconds = redropWatch.Elapsed.TotalSeconds;

        Console.WriteLine($"ledger: {rows:N0}-row tax return on a dedicated Azurite; {posted:N0} payment rows after the run; {Environment.ProcessorCount} cores");
        BenchmarkReport.Line("baseline: raw batched inserts (100/transaction)", rows / rawSeconds, "entities/s");
        BenchmarkReport.Line("tax return posted", rows / fileSeconds, "rows/s");
        BenchmarkReport.Line("same file dropped again (all duplicates)", rows / redropSeconds, "rows/s");
        BenchmarkReport.Ratio("tax return rows/s vs raw inserts/s", rows / fileSeconds, rows / rawSeconds);
        BenchmarkReport.Ratio("re-dropped rows/s vs raw inserts/s", rows / redropSeconds, rows / rawSeconds);
    }

    private static string Id(string first17) => first17 + ResidentId.ComputeCheckCharacter(first17);
}
