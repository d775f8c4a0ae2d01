using System.Diagnostics;
using System.Globalization;
using Azure.Data.Tables;
using Collection.Domain;
using Collection.Domain.Assessments;
using Collection.Domain.Codes;
using Collection.Domain.Enrolments;
using Collection.Domain.Subsidies;
using Collection.Functions.Assessments;
using Collection.Functions.Ledger;
using Collection.Functions.Subsidies;
using Collection.Functions.Supplementary;
using Collection.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Collection.Benchmarks;

/// <summary>
/// The monthly supplementary run over N people on baiyin-2023's subsidy lists and N enrolments, on a dedicated
/// Azurite: of the list people, 2.5% are fully subsidised and not enrolled (enrolled directly), 2.5% partly
/// subsidised and not enrolled (mobilisation lists, 10 towns), 12.5% enrolled and owed a top-up, 82.5% enrolled
/// with nothing owed; enrolments not on any list make up the rest (N in all). Baseline: reading both tables whole (one scan each, same
/// page size) in the same run. Component level: the app's supplementary run from the app's own service composition
/// (as its worker makes it, on a clock fixed at the run day), run in this process as the timer function runs it.
/// Peak working set is the process's VmHWM, reset before the run (clear_refs).
/// Options: <c>--people N</c> (default 200,000).
/// </summary>
public static class SupplementaryBenchmark
{
    private const string Policy = "baiyin-2023";
    private static readonly DateOnly RunDay = new(2023, 3, 5);

    public static async Task RunAsync(string[] args)
    {
        var people = BenchmarkReport.Option(args, "--people", 200_000);
        await using var azurite = await AzuriteInstance.StartAsync();
        var tables = azurite.CreateTableServiceClient();
        var time = new FixedTime(new DateTimeOffset(2023, 3, 5, 2, 0, 0, TimeSpan.FromHours(8)));
        await using var app = TheApp.Compose(TheApp.Settings(azurite.ConnectionString, "bench"), time);
        var names = app.GetRequiredService<LedgerTables>();
        var identities = app.GetRequiredService<SubsidyTables>();
        var run = app.GetRequiredService<SupplementaryRun>();

        var seedWatch = Stopwatch.StartNew();
        await SeedAsync(tables, names, identities, people);
        var seedSeconds = seedWatch.Elapsed.TotalSeconds;

        // Baseline: the two tables read whole, as the run reads them.
        var scanWatch = Stopwatch.StartNew();
        var scanned = await CountAsync(tables.GetTableClient(identities.Identities), LedgerKeys.PolicyFilter(Policy))
            + await CountAsync(tables.GetTableClient(names.Enrolments), $"{LedgerKeys.PolicyFilter(Policy)} and {LedgerKeys.EnrolmentRowsFilter}");
        var scanSeconds = scanWatch.Elapsed.TotalSeconds;

        GC.Collect();
        GC.WaitForPendingFinalizers();
        var resetPeak = ResetPeakWorkingSet();
        var before = WorkingSetMiB("VmRSS");
        var runWatch = Stopwatch.StartNew();
        var summary = await run.RunAsync(RunDay, "bench:SupplementaryEnrolment@2023-03-05", Policy);
        var runSeconds = runWatch.Elapsed.TotalSeconds;
        var peak = WorkingSetMiB("VmHWM");
        var rerunWatch = Stopwatch.StartNew();
        var again = await run.RunAsync(RunDay, "bench:SupplementaryEnrolment@2023-03-05", Policy);
        var rerunSeconds = rerunWatch.Elapsed.TotalSeconds;

        Console.WriteLine($"supplementary: {people:N0} people on {Policy}'s lists, {people:N0} enrolments, dedicated Azurite, {Environment.ProcessorCount} cores; seeded in {seedSeconds:N1} s");
        Console.WriteLine($"  first run:  {string.Join(", ", summary.Totals.Where(t => t.Value > 0).Select(t => $"{t.Key} {t.Value:N0}"))}");
        Console.WriteLine($"  second run: {string.Join(", ", again.Totals.Where(t => t.Value > 0).Select(t => $"{t.Key} {t.Value:N0}"))}");
        BenchmarkReport.Line("baseline: both tables scanned whole", scanned / scanSeconds, "rows/s");
        BenchmarkReport.Line("supplementary run, first of the month", runSeconds, "s");
        BenchmarkReport.Line("supplementary run, people/s", people / runSeconds, "people/s");
        BenchmarkReport.Line("same month again (nothing to write)", rerunSeconds, "s");
        BenchmarkReport.Line("working set before the run", before, "MiB");
        BenchmarkReport.Line(resetPeak ? "peak working set during the first run (VmHWM)" : "peak working set of the process (VmHWM)", peak, "MiB");
        BenchmarkReport.Ratio("run rows/s vs whole-table scan rows/s", scanned / runSeconds, scanned / scanSeconds);
        BenchmarkReport.Ratio("rerun rows/s vs whole-table scan rows/s", scanned / rerunSeconds, scanned / scanSeconds);
    }

    /// <summary>Writes list rows and enrolments in batches of 100 per partition, a chunk at a time (seeding is not measured, and must not fill memory).</summary>
    private static async Task SeedAsync(TableServiceClient tables, LedgerTables names, SubsidyTables subsidyTables, int people)
    {
        var identities = tables.GetTableClient(subsidyTables.Identities);
        var enrolments = tables.GetTableClient(names.Enrolments);
        await identities.CreateIfNotExistsAsync();
        await enrolments.CreateIfNotExistsAsync();
        var terms = new EnrolmentTerms(350m, 100m, 250m, 0m, new DateOnly(2023, 1, 1), new DateOnly(2023, 12, 31), SubsidyMode.Deducted);
        var enrolledAt = new DateTimeOffset(2022, 10, 10, 9, 0, 0, TimeSpan.FromHours(8));
        // People 0..N-1 are on the lists (5% of them not enrolled); N..N+5%-1 are enrolled only: N enrolments in all.
        var total = people + (people / 20);
        const int Chunk = 20_000;
        for (var start = 0; start < total; start += Chunk)
        {
            var list = new List<ITableEntity>();
            var ledgerRows = new List<ITableEntity>();
            for (var i = start; i < Math.Min(total, start + Chunk); i++)
            {
                var id = Id(i);
                var onList = i < people;
                var enrolled = !onList || i % 40 >= 2;
                if (onList)
                {
                    // i % 40: 0 fully subsidised (orphan), 1 partly (at risk), 2..6 raised (at risk, enrolled as poverty-lifted), rest unchanged.
                    var identity = i % 40 == 0 ? SubsidyIdentity.Orphan : i % 40 < 7 ? SubsidyIdentity.AtRiskOfReturning : SubsidyIdentity.PovertyLifted;
                    var entry = new ListEntry(new DateOnly(2022, 8, 20), ListChange.Add, "某某", $"镇{i % 10}", null, $"{Policy}/civil-affairs/20220820-bench.csv");
                    list.Add(new IdentityEntity
                    {
                        PartitionKey = SubsidyKeys.Partition(Policy, ResidentId.Parse(id)),
                        RowKey = SubsidyKeys.Row(ResidentId.Parse(id), identity, Department.CivilAffairs),
                        Policy = Policy,
                        IdNumber = id,
                        Identity = Glossary.SubsidyIdentities.Code(identity),
                        Department = "civil-affairs",
                        Name = "某某",
                        OpenFrom = "2022-08-20",
                        Entries = IdentityRowJson.Entries([entry]),
                        Spells = IdentityRowJson.Spells(IdentitySpells.Fold([entry])),
                    });
                }

                if (enrolled)
                {
                    var request = new AssessmentRequest { Id = ResidentId.Parse(id), Identities = SubsidyIdentitySet.Of(SubsidyIdentity.PovertyLifted), Date = new DateOnly(2022, 10, 10) };
                    var enrolment = Enrolment.Register(Policy, id, "window", terms, new DateOnly(2022, 10, 10), enrolledAt, "bench")
                        .Post(new PostedPayment($"T{i:D7}", 250m, new DateOnly(2022, 10, 10), "online", true, enrolledAt, "bench"), new DateOnly(2023, 1, 1), new DateOnly(2022, 10, 10));
                    ledgerRows.Add(EnrolmentRows.ToEntity(enrolment, new PersonDetails("某某"), AssessmentRequestParser.ToBody(Policy, request)));
                }
            }

            await InsertAsync(identities, list);
            await InsertAsync(enrolments, ledgerRows);
        }
    }

    private static Task InsertAsync(TableClient table, List<ITableEntity> rows) =>
        Parallel.ForEachAsync(rows.GroupBy(e => e.PartitionKey).SelectMany(g => g.Chunk(100)), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (batch, ct) =>
            await table.SubmitTransactionAsync(batch.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, e)), ct));

    private static async Task<int> CountAsync(TableClient table, string filter)
    {
        var count = 0;
        await foreach (var _ in table.QueryAsync<TableEntity>(filter, 1000))
        {
            count++;
        }

        return count;
    }

    /// <summary>Resets the kernel's peak resident set (VmHWM) of this process, so it measures what follows.</summary>
    private static bool ResetPeakWorkingSet()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static double WorkingSetMiB(string field)
    {
        var line = File.ReadAllLines("/proc/self/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024.0;
    }

    private static string Id(int i)
    {
        var first17 = string.Create(CultureInfo.InvariantCulture, $"620402{new DateOnly(1950, 1, 1).AddDays(i / 900):yyyyMMdd}{i % 900:D3}");
        return first17 + ResidentId.ComputeCheckCharacter(first17);
    }

    /// <summary>The run day's clock: enrolments made by the run are dated as on the 5th.</summary>
    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now.ToUniversalTime();
    }
}
