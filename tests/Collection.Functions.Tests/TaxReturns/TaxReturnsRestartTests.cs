using System.Globalization;
using System.Text;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Collection.Domain.Enrolments;
using Collection.Domain;
using Collection.Functions.Assessments;
using Collection.Functions.Ledger;
using Collection.Functions.TaxReturns;
using Collection.Functions.Tests.Ledger;
using Collection.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Collection.Functions.Tests.TaxReturns;

/// <summary>A host stopped in the middle of a 50,000-row tax return; another host runs the file again.</summary>
public sealed class TaxReturnsRestartTests
{
    // The 50,000; LEDGER_RESTART_ROWS lowers it for a quick local check of the same path.
    private static readonly int Rows = int.TryParse(Environment.GetEnvironmentVariable("LEDGER_RESTART_ROWS"), out var rows) && rows >= 100 ? rows : 50_000;

    [Fact]
    [Trait("Category", "Slow")]
    public async Task HostStoppedMidFile_NextHostFinishes_EveryRowPostedExactlyOnce()
    {
        await using var azurite = await AzuriteInstance.StartAsync();
        var prefix = AzuriteInstance.UniqueName("r");
        var ids = Enumerable.Range(0, Rows).Select(i => LedgerTestHost.Id($"150302{new DateOnly(1950, 1, 1).AddDays(i / 900):yyyyMMdd}{i % 900:D3}")).ToArray();
        var tables = azurite.CreateTableServiceClient();
        await SeedEnrolmentsAsync(tables, new LedgerTables(prefix), ids);
        var file = new StringBuilder("身份证号,姓名,金额,缴费日期,缴费渠道,交易流水号,是否入库\r\n");
        for (var i = 0; i < Rows; i++)
        {
            file.Append(CultureInfo.InvariantCulture, $"{ids[i]},某某,460,2021-12-05,线上缴费,R{i:D6},是\r\n");
        }

        const string name = "wuhai-2022/20211206-restart.csv";
        var blobs = azurite.CreateBlobServiceClient().GetBlobContainerClient(TaxReturnsFunction.Container);
        await blobs.CreateIfNotExistsAsync();
        await blobs.GetBlobClient(name).UploadAsync(new BinaryData(Encoding.UTF8.GetBytes(file.ToString())), overwrite: true);

        // Host A: stopped (its token cancelled, as at shutdown) once a row a third of the way in is posted.
        var watched = ResidentId.Parse(ids[Rows / 3]);
        await using (var first = await LedgerTestHost.StartAsync(azurite.ConnectionString, prefix))
        {
            using var stop = new CancellationTokenSource();
            var run = TaxReturnsTests.TriggerAsync(first, name, stop.Token);
            // Bounded by the run itself (it ends the wait when it completes), not by how fast this machine posts rows.
            await Eventually.TrueAsync(
                async () => run.IsCompleted || (await first.Ledger.GetAsync("wuhai-2022", watched))?.Enrolment.Paid is > 0,
                () => $"the row of {watched} to be posted",
                TimeSpan.FromMinutes(10));

            await stop.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        }

        var afterStop = await CountPaymentRowsAsync(tables, prefix);
        Assert.InRange(afterStop, 1, Rows - 1);

        // Host B: a new process on the same storage runs the same blob again.
        await using var second = await LedgerTestHost.StartAsync(azurite.ConnectionString, prefix);
        var result = await TaxReturnsTests.TriggerAsync(second, name);

        Assert.Equal(Rows, result.GetProperty("rows").GetInt32());
        Assert.Equal(0, result.GetProperty("rejected").GetInt32());
        Assert.Equal(Rows, result.GetProperty("posted").GetInt32() + result.GetProperty("alreadyPosted").GetInt32());
        Assert.True(result.GetProperty("alreadyPosted").GetInt32() >= afterStop);
        Assert.Equal(Rows, await CountPaymentRowsAsync(tables, prefix));
        var paidOnce = 0;
        await foreach (var entry in second.Ledger.ScanAsync("wuhai-2022"))
        {
            Assert.Equal(1, entry.Enrolment.Money.PaymentCount);
            Assert.Equal(460m, entry.Enrolment.Paid);
            paidOnce++;
        }

        Assert.Equal(Rows, paidOnce);
    }

    private static async Task<int> CountPaymentRowsAsync(TableServiceClient tables, string prefix)
    {
        var count = 0;
        var table = tables.GetTableClient(new LedgerTables(prefix).Enrolments);
        await foreach (var _ in table.QueryAsync<TableEntity>(LedgerKeys.PaymentRowsFilter, select: ["RowKey"]))
        {
            count++;
        }

        return count;
    }

    /// <summary>Enrolment rows written straight in batches (the API would take minutes for 50,000 people).</summary>
    internal static async Task SeedEnrolmentsAsync(TableServiceClient tables, LedgerTables names, IReadOnlyList<string> ids, string policy = "wuhai-2022")
    {
        var table = tables.GetTableClient(names.Enrolments);
        await table.CreateIfNotExistsAsync();
        var terms = new EnrolmentTerms(460m, 0m, 460m, 0m, new DateOnly(2022, 1, 1), new DateOnly(2022, 12, 31));
        var at = new DateTimeOffset(2021, 12, 1, 9, 0, 0, TimeSpan.FromHours(8));
        var rows = ids.Select(id =>
        {
            var enrolment = Enrolment.Register(policy, id, "window", terms, new DateOnly(2021, 12, 1), at, "seed");
            var request = AssessmentRequestParser.ToBody(policy, new Domain.Assessments.AssessmentRequest { Id = ResidentId.Parse(id), Date = new DateOnly(2021, 12, 1) });
            return EnrolmentRows.ToEntity(enrolment, new PersonDetails("某某"), request);
        });
        var batches = rows.GroupBy(r => r.PartitionKey).SelectMany(g => g.Chunk(100)).ToList();
        await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (batch, ct) =>
            await table.SubmitTransactionAsync(batch.Select(e => new TableTransactionAction(TableTransactionActionType.Add, e)), ct));
    }
}
