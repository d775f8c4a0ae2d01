using System.Diagnostics;
using Azure.Data.Tables;
using Collection.Runtime.Workflows;
using Collection.Testing;
using Collection.Workflows.TestHost;
using Xunit.Abstractions;

namespace Collection.Runtime.Tests.Workflows;

/// <summary>
/// A real host process running 200 instances is SIGKILLed at random points and restarted; in the end
/// every instance completes and every activity's effect is recorded exactly once.
/// </summary>
public class WorkflowKillTests(ITestOutputHelper output)
{
    private const int Instances = 200;
    private const int ActivitiesPerInstance = 4;
    private const int Kills = 4;

    [Fact]
    [Trait("Category", "Slow")]
    public async Task HostKilledRepeatedly_AllInstancesCompleteWithEachEffectOnce()
    {
        await using var azurite = await AzuriteInstance.StartAsync();
        var hub = AzuriteInstance.UniqueName("kill");
        var tables = azurite.CreateTableServiceClient();
        var effects = tables.GetTableClient(AzuriteInstance.UniqueName("effects"));
        var runs = tables.GetTableClient(AzuriteInstance.UniqueName("runs"));
        await effects.CreateAsync();
        await runs.CreateAsync();
        await using var client = await EngineHost.StartAsync(azurite.ConnectionString, hub, runWorkers: false, register: KillTestWorkflows.Register);

        var ids = new List<string>();
        for (var i = 0; i < Instances; i++)
        {
            ids.Add(await client.Client.StartAsync(KillTestWorkflows.Name, new KillSequenceWorkflow.Input(ActivitiesPerInstance), $"kill-{i:D3}"));
        }

        var clock = Stopwatch.StartNew();
        var random = new Random(20261123);
        for (var kill = 1; kill <= Kills; kill++)
        {
            using var child = StartChild(azurite.ConnectionString, hub, effects.Name, runs.Name);
            await WaitForReadyAsync(child);
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(1000, 5000)));
            child.Process.Kill(); // SIGKILL on Linux: no shutdown code runs.
            await child.Process.WaitForExitAsync();
            var stats = await client.Client.GetStatsAsync();
            output.WriteLine($"kill {kill} at {clock.Elapsed.TotalSeconds:F1}s: {string.Join(", ", stats.CountsByStatus.Select(c => $"{c.Key}={c.Value}"))}, outbox {stats.PendingOutboxRows}");
        }

        using (var last = StartChild(azurite.ConnectionString, hub, effects.Name, runs.Name))
        {
            await WaitForReadyAsync(last);
            var deadline = DateTime.UtcNow.AddSeconds(120);
            WorkflowStats stats;
            while ((stats = await client.Client.GetStatsAsync()).CountsByStatus["Completed"] < Instances && DateTime.UtcNow < deadline && !last.Process.HasExited)
            {
                await Task.Delay(500);
            }

            output.WriteLine($"final at {clock.Elapsed.TotalSeconds:F1}s: {string.Join(", ", stats.CountsByStatus.Select(c => $"{c.Key}={c.Value}"))}; host output:\n{last.Tail()}");
            last.Process.Kill();
            await last.Process.WaitForExitAsync();
        }

        var effectRows = effects.Query<TableEntity>().ToList();
        var runRows = runs.Query<TableEntity>().ToList();
        output.WriteLine($"{effectRows.Count} effects from {runRows.Count} activity runs ({runRows.Count - effectRows.Count} repeated runs after kills)");
        foreach (var id in ids)
        {
            var status = (await client.Client.GetStatusAsync(id, showHistory: true))!;
            Assert.True(status.RuntimeStatus == WorkflowRuntimeStatus.Completed, $"{id} is {status.RuntimeStatus}: {status.Output}");
            Assert.Equal(10, status.Output!.Value.GetInt32());
            Assert.Single(status.History!, h => h.Event == "Started");
            Assert.Equal(
                Enumerable.Range(1, ActivitiesPerInstance).Select(n => $"effect-{n}"),
                status.History!.Where(h => h.Event == "ActivityCompleted").Select(h => h.Detail!.Split(':')[0]));
            Assert.Equal(
                Enumerable.Range(1, ActivitiesPerInstance).Select(n => $"effect-{n}"),
                effectRows.Where(r => r.PartitionKey == id).Select(r => r.RowKey).Order(StringComparer.Ordinal));
        }

        Assert.Equal(Instances * ActivitiesPerInstance, effectRows.Count);
        Assert.True(runRows.Count >= effectRows.Count);
    }

    private static ChildHost StartChild(string connection, string hub, string effects, string runs)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Collection.Workflows.TestHost.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { dll, connection, hub, effects, runs })
        {
            start.ArgumentList.Add(argument);
        }

        return new ChildHost(Process.Start(start) ?? throw new InvalidOperationException("The test host did not start."));
    }

    private static async Task WaitForReadyAsync(ChildHost child)
    {
        var ready = await Task.WhenAny(child.Ready, Task.Delay(TimeSpan.FromSeconds(30)));
        Assert.True(ready == child.Ready, $"The test host did not start:\n{child.Tail()}");
    }

    /// <summary>A child host process with its output drained (a full pipe would block it).</summary>
    private sealed class ChildHost : IDisposable
    {
        private readonly Queue<string> _tail = new();
        private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ChildHost(Process process)
        {
            Process = process;
            process.OutputDataReceived += (_, e) => Keep(e.Data);
            process.ErrorDataReceived += (_, e) => Keep(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public Process Process { get; }

        public Task Ready => _ready.Task;

        public string Tail()
        {
            lock (_tail)
            {
                return string.Join('\n', _tail);
            }
        }

        public void Dispose()
        {
            if (!Process.HasExited)
            {
                Process.Kill();
            }

            Process.Dispose();
        }

        private void Keep(string? line)
        {
            if (line is null)
            {
                return;
            }

            if (line == "ready")
            {
                _ready.TrySetResult();
            }

            lock (_tail)
            {
                _tail.Enqueue(line);
                if (_tail.Count > 40)
                {
                    _tail.Dequeue();
                }
            }
        }
    }
}
