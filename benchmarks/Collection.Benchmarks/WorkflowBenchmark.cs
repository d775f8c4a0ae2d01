using System.Diagnostics;
using Azure.Storage.Queues;
using Collection.Testing;

namespace Collection.Benchmarks;

/// <summary>
/// Durable workflow throughput on a dedicated Azurite, beside the raw rate of queue send+receive+delete round
/// trips measured on the same Azurite in the same run (the baseline): the app's own refund cases through its HTTP
/// API (see <see cref="RefundWorkflowBenchmark"/>), then chains of sequential activities of the local host's test
/// app (one alone, many at once) with the Durable provider tuned as the app's host.json and with its defaults (see
/// <see cref="DurableWorkflowBenchmark"/>). Every part runs in the local host with a real isolated worker.
/// Options: <c>[instances=200] [concurrency=16] [--cases N]</c> — chains at once, baseline streams, refund cases
/// (default: as many as chains).
/// </summary>
public static class WorkflowBenchmark
{
    private const int Activities = 5;
    private const int ChainAlone = 50;

    public static async Task RunAsync(string[] args)
    {
        var positional = args.TakeWhile(a => !a.StartsWith("--", StringComparison.Ordinal)).ToArray();
        var instances = positional.Length > 0 ? int.Parse(positional[0], System.Globalization.CultureInfo.InvariantCulture) : 200;
        var concurrency = positional.Length > 1 ? int.Parse(positional[1], System.Globalization.CultureInfo.InvariantCulture) : 16;
        var cases = BenchmarkReport.Option(args, "--cases", instances);
        Console.WriteLine($"workflows: dedicated Azurite, {Environment.ProcessorCount} cores; {cases} refund cases at once; chains: {ChainAlone} activities alone, {instances} × {Activities} at once");
        await using var azurite = await AzuriteInstance.StartAsync();

        var baselineRequests = azurite.RequestCount;
        var (sequentialRoundTrips, parallelRoundTrips, roundTrips) = await QueueRoundTripsAsync(azurite, concurrency);
        var requestsPerRoundTrip = (azurite.RequestCount - baselineRequests) / (double)roundTrips;
        BenchmarkReport.Line("queue round trips/s, 1 stream (baseline)", sequentialRoundTrips, "round trips/s");
        BenchmarkReport.Line($"queue round trips/s, {concurrency} streams (baseline)", parallelRoundTrips, "round trips/s");
        BenchmarkReport.Line("Azurite requests per round trip", requestsPerRoundTrip, "requests");

        // The app's refund orchestration, as staff, tax and the approver drive it over HTTP.
        var refunds = await RefundWorkflowBenchmark.MeasureAsync(azurite, cases);
        var casesPerSecond = refunds.Cases / refunds.Seconds;
        var caseStepsPerSecond = refunds.Steps / refunds.Seconds;
        BenchmarkReport.Line($"refunds: {refunds.Cases} cases opened at once → all over", refunds.Seconds, $"s ({refunds.Completed} completed, {refunds.Failed} failed)");
        BenchmarkReport.Line("refunds: cases/s", casesPerSecond, "cases/s");
        BenchmarkReport.Line($"refunds: case steps/s ({refunds.Steps / (double)refunds.Cases:N0} per case)", caseStepsPerSecond, "steps/s");
        BenchmarkReport.Line("refunds: one case, opened → completed (mean)", refunds.MeanCaseSeconds, "s");
        BenchmarkReport.Line($"refunds: of it, waiting for approval (poll {RefundWorkflowBenchmark.PollInterval.TotalMilliseconds:N0} ms)", refunds.MeanApprovalWaitSeconds, "s");
        BenchmarkReport.Line("refunds: setup, enrol + 2 payments per person", refunds.Cases * 3 / refunds.SetupSeconds, "requests/s (not in the figures above)");
        BenchmarkReport.Ratio("refunds: case steps/s vs parallel round trips", caseStepsPerSecond, parallelRoundTrips);
        BenchmarkReport.Ratio("refunds: cases/s vs parallel round trips", casesPerSecond, parallelRoundTrips);
        BenchmarkReport.Line("refunds: Azurite requests per case step (incl. the poll)", refunds.AzuriteRequests / (double)refunds.Steps, "requests");

        // Durable Functions chains of the test app: 50 sequential activities alone, then many chains at once.
        var tunedSteps = 0.0;
        foreach (var (name, settings) in new[] { ("tuned", DurableWorkflowBenchmark.Tuned), ("defaults", DurableWorkflowBenchmark.Defaults) })
        {
            var durable = await DurableWorkflowBenchmark.MeasureAsync(azurite, $"bench{name}", settings, ChainAlone, instances, Activities);
            BenchmarkReport.Line($"durable ({name}): sequential activities/s, alone", durable.SequentialActivitiesPerSecond, "activities/s");
            BenchmarkReport.Line($"durable ({name}): aggregate steps/s, {instances} inst.", durable.AggregateStepsPerSecond, "steps/s");
            BenchmarkReport.Line($"durable ({name}): aggregate activities/s", durable.AggregateActivitiesPerSecond, "activities/s");
            BenchmarkReport.Line($"durable ({name}): wall for {instances} × {Activities}", durable.Wall.TotalSeconds, $"s ({durable.Failed} failed)");
            BenchmarkReport.Ratio($"durable ({name}): steps/s vs parallel round trips", durable.AggregateStepsPerSecond, parallelRoundTrips);
            BenchmarkReport.Ratio($"durable ({name}): alone vs 1-stream round trips", durable.SequentialActivitiesPerSecond, sequentialRoundTrips);
            BenchmarkReport.Line($"durable ({name}): Azurite requests per step", durable.AzuriteRequestsPerStep, "requests");
            // Azurite (one Node.js thread) is the bottleneck: at equal cost per request, a step can go at most this fast.
            BenchmarkReport.Ratio($"durable ({name}): request-count ceiling (round-trip requests / step requests)", requestsPerRoundTrip, durable.AzuriteRequestsPerStep);
            tunedSteps = name == "tuned" ? durable.AggregateStepsPerSecond : tunedSteps;
        }

        BenchmarkReport.Ratio("refunds: case steps/s vs durable (tuned) chain steps/s", caseStepsPerSecond, tunedSteps);
    }

    private static async Task<(double Sequential, double Parallel, int RoundTrips)> QueueRoundTripsAsync(AzuriteInstance azurite, int concurrency)
    {
        var queue = new QueueServiceClient(azurite.ConnectionString).GetQueueClient("baseline");
        await queue.CreateIfNotExistsAsync();

        async Task<int> Stream(TimeSpan duration)
        {
            var done = 0;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < duration)
            {
                await queue.SendMessageAsync("{\"kind\":\"activity\"}");
                var received = (await queue.ReceiveMessagesAsync(1)).Value;
                foreach (var message in received)
                {
                    await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
                    done++;
                }
            }

            return done;
        }

        var warm = await Stream(TimeSpan.FromSeconds(1));
        var sequentialCount = await Stream(TimeSpan.FromSeconds(3));
        var parallelCount = (await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Stream(TimeSpan.FromSeconds(5))))).Sum();
        return (sequentialCount / 3.0, parallelCount / 5.0, warm + sequentialCount + parallelCount);
    }
}
