using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Collection.LocalHost;
using Collection.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace Collection.Benchmarks;

/// <summary>
/// Durable Functions (the Durable extension's Azure Storage provider, run by the local host, orchestrations in
/// the isolated worker) on the same Azurite as the baseline: one chain of sequential activities alone, then many
/// chains at once, with the provider tuned and with its defaults. The chains are the test app's
/// (tests/Collection.LocalHost.TestApp, ChainFunctions).
/// </summary>
internal static class DurableWorkflowBenchmark
{
    /// <summary>What the app's host.json carries (for its refund cases; see the note of issue 16).</summary>
    public static readonly Dictionary<string, string> Tuned = new()
    {
        ["AzureFunctionsJobHost__extensions__durableTask__storageProvider__partitionCount"] = "2",
        ["AzureFunctionsJobHost__extensions__durableTask__storageProvider__maxQueuePollingInterval"] = "00:00:01",
        ["AzureFunctionsJobHost__extensions__durableTask__extendedSessionsEnabled"] = "true",
        ["AzureFunctionsJobHost__extensions__durableTask__maxConcurrentActivityFunctions"] = "50",
    };

    /// <summary>The test app's host.json sets a few provider settings; these put the provider's defaults back.</summary>
    public static readonly Dictionary<string, string> Defaults = new()
    {
        ["AzureFunctionsJobHost__extensions__durableTask__storageProvider__partitionCount"] = "4",
        ["AzureFunctionsJobHost__extensions__durableTask__storageProvider__maxQueuePollingInterval"] = "00:00:30",
    };

    /// <param name="AzuriteRequestsPerStep">Requests Azurite answered during the many-chains run, per step: what a step costs the storage.</param>
    public sealed record Figures(double SequentialActivitiesPerSecond, double AggregateActivitiesPerSecond, double AggregateStepsPerSecond, TimeSpan Wall, int Failed, double AzuriteRequestsPerStep);

    public static async Task<Figures> MeasureAsync(AzuriteInstance azurite, string hub, Dictionary<string, string> settings, int chainSteps, int instances, int stepsEach)
    {
        var values = new Dictionary<string, string>(settings)
        {
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["TestQueue"] = "bench-unused",
            ["TickSchedule"] = "0 0 0 1 1 *",
            ["NestedContainer"] = "bench-unused",
            ["AzureFunctionsJobHost__extensions__durableTask__hubName"] = hub,
            // Console logging of every execution would be measured too; the summary query may be slow on defaults.
            ["AzureFunctionsJobHost__logging__logLevel__default"] = "Warning",
            ["AzureFunctionsJobHost__functionTimeout"] = "00:05:00",
        };
        var settingsPath = Path.Combine(Path.GetTempPath(), $"bench.settings.{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(settingsPath, JsonSerializer.Serialize(new { Values = values }));
        var port = TheApp.FreePort();
        var host = LocalHostApp.Build(new LocalHostOptions(TestAppDirectory(), settingsPath, port));
        await host.StartAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromMinutes(5) };
            await RunChainsAsync(http, $"{hub}-warm", 5, 5);
            var alone = await RunChainsAsync(http, $"{hub}-alone", 1, chainSteps);
            var requestsBefore = azurite.RequestCount;
            var many = await RunChainsAsync(http, $"{hub}-many", instances, stepsEach);
            var requests = azurite.RequestCount - requestsBefore;
            var activities = instances * stepsEach;
            // A step: the start, each activity's completion, the end (as the old engine counts).
            var steps = instances * (stepsEach + 1);
            return new Figures(chainSteps / alone.Seconds, activities / many.Seconds, steps / many.Seconds, TimeSpan.FromSeconds(many.Seconds), many.Failed, requests / (double)steps);
        }
        finally
        {
            await host.StopAsync();
            await host.DisposeAsync();
            File.Delete(settingsPath);
        }
    }

    private static async Task<(double Seconds, int Failed)> RunChainsAsync(HttpClient http, string prefix, int count, int steps)
    {
        using (var start = await http.PostAsync($"api/chains/{prefix}?count={count}&steps={steps}", null))
        {
            start.EnsureSuccessStatusCode();
        }

        var clock = Stopwatch.StartNew();
        while (true)
        {
            // Poll gently: the check must not eat the storage capacity being measured.
            await Task.Delay(count == 1 ? 100 : 1000);
            var summary = await http.GetFromJsonAsync<JsonElement>($"api/chains/{prefix}");
            var done = summary.GetProperty("completed").GetInt32() + summary.GetProperty("failed").GetInt32();
            if (done >= count)
            {
                return (summary.GetProperty("seconds").GetDouble(), summary.GetProperty("failed").GetInt32());
            }

            if (clock.Elapsed > TimeSpan.FromMinutes(15))
            {
                throw new TimeoutException($"{prefix}: {done} of {count} chains finished in 15 minutes.");
            }
        }
    }

    /// <summary>The test app's build output, of the configuration this benchmark was built in (it builds it first).</summary>
    private static string TestAppDirectory() =>
        Path.Combine(TheApp.RepositoryRoot, "tests", "Collection.LocalHost.TestApp", "bin", TheApp.Configuration, "net10.0");
}
