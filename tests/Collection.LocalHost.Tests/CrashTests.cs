using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;
using Azure.Data.Tables;
using Collection.Testing;
using Xunit.Abstractions;

namespace Collection.LocalHost.Tests;

/// <summary>
/// The local host (and with it the worker) killed with SIGKILL twice while 200 Durable cases run: every case
/// completes after the next start, each issues exactly once, and nothing is lost.
/// </summary>
public sealed class CrashTests(ITestOutputHelper output)
{
    private const int Cases = 200;

    // Hosts this test started and has not killed: killed when it ends, also when it fails.
    private readonly List<Process> _runningHosts = [];

    [Fact]
    [Trait("Category", "Slow")]
    public async Task HostKilledTwiceMidRun_EveryCaseCompletes_EachIssuedExactlyOnce()
    {
        await using var azurite = await AzuriteInstance.StartAsync();
        var settings = await WriteSettingsAsync(azurite);
        var port = FreePort();
        var tables = azurite.CreateTableServiceClient();
        try
        {
            var host = StartHost(settings, port);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(120) };
            await WaitForHttpAsync(http, host);
            using (var start = await http.PostAsync($"api/issues/case?count={Cases}", null))
            {
                start.EnsureSuccessStatusCode();
            }

            // Kill once some cases have issued, start again, kill again a little later.
            await WaitForIssuedAsync(tables, atLeast: 20);
            Kill(host);
            host = StartHost(settings, port);
            await WaitForHttpAsync(http, host);
            var issuedAtSecondKill = await WaitForIssuedAsync(tables, atLeast: 80);
            Kill(host);
            host = StartHost(settings, port);

            var issued = await WaitForIssuedAsync(tables, atLeast: Cases, timeout: TimeSpan.FromMinutes(8));
            Kill(host);

            Assert.True(issuedAtSecondKill < Cases, "The second kill came after every case had issued; the test proved nothing.");
            Assert.Equal(Cases, issued);
            var ids = await KeysAsync(tables.GetTableClient("TestAppIssued"), "issued");
            Assert.Equal(Enumerable.Range(0, Cases).Select(i => $"case-{i}").Order(StringComparer.Ordinal), ids.Order(StringComparer.Ordinal));
            // Executions may repeat (activities are at-least-once); the issuing they guard never does.
            var executions = await KeysAsync(tables.GetTableClient("TestAppExecutions"), "IssueOnce");
            Assert.True(executions.Count >= Cases);
            output.WriteLine($"issued before the second kill: {issuedAtSecondKill}; IssueOnce executions: {executions.Count} for {Cases} cases");
            Assert.Equal(Cases, executions.Select(e => e[..e.LastIndexOf('-')]).Distinct(StringComparer.Ordinal).Count());
        }
        finally
        {
            KillRunningHosts();
            File.Delete(settings);
        }
    }

    private static readonly string HostLog = Path.Combine(Path.GetTempPath(), $"crash-host-{Guid.NewGuid():N}.log");

    [Fact]
    [Trait("Category", "Slow")]
    public async Task WorkerOfAKilledHost_IsStoppedByTheNextHost()
    {
        await using var azurite = await AzuriteInstance.StartAsync();
        var settings = await WriteSettingsAsync(azurite);
        var port = FreePort();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(60) };
            var first = StartHost(settings, port);
            await WaitForHttpAsync(http, first);
            var hello = JsonDocument.Parse(await http.GetStringAsync("api/hello/a")).RootElement;
            using var orphan = Process.GetProcessById(hello.GetProperty("worker").GetInt32());

            first.Kill(entireProcessTree: false); // the host only: its worker keeps running
            first.WaitForExit();
            Assert.False(orphan.HasExited);

            var second = StartHost(settings, port);
            await WaitForHttpAsync(http, second);
            Assert.True(orphan.WaitForExit(TimeSpan.FromSeconds(30)), "The orphaned worker is still running.");
            Kill(second);
        }
        finally
        {
            KillRunningHosts();
            File.Delete(settings);
        }
    }

    private Process StartHost(string settings, int port)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["AzureFunctionsJobHost__logging__logLevel__default"] = "Warning";
        foreach (var argument in new[] { LocalHostDll(), "--script-root", LocalHostFixture.TestAppDirectory, "--settings", settings, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        // Kept for a failure's message: what the host said while it ran.
        process.OutputDataReceived += (_, line) => { if (line.Data is not null) { lock (HostLog) { File.AppendAllLines(HostLog, [line.Data]); } } };
        process.ErrorDataReceived += (_, line) => { if (line.Data is not null) { lock (HostLog) { File.AppendAllLines(HostLog, [line.Data]); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _runningHosts.Add(process);
        return process;
    }

    private void Kill(Process host)
    {
        if (!host.HasExited)
        {
            host.Kill(entireProcessTree: true);
        }

        host.WaitForExit();
        _runningHosts.Remove(host);
        host.Dispose();
    }

    private void KillRunningHosts()
    {
        foreach (var host in _runningHosts.ToList())
        {
            Kill(host);
        }
    }

    private static async Task<string> WriteSettingsAsync(AzuriteInstance azurite)
    {
        var path = Path.Combine(Path.GetTempPath(), $"crash.settings.{Guid.NewGuid():N}.json");
        var values = new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["TestQueue"] = "crash-unused",
            ["TickSchedule"] = "0 0 0 1 1 *",
            ["NestedContainer"] = "crash-unused",
            // Starting 200 cases in one request can take longer than the test app's 20 s on a busy machine.
            ["AzureFunctionsJobHost__functionTimeout"] = "00:02:00",
            // Messages a killed host had taken come back after a minute (the extension's least) instead of 5.
            ["AzureFunctionsJobHost__extensions__durableTask__storageProvider__controlQueueVisibilityTimeout"] = "00:01:00",
            ["AzureFunctionsJobHost__extensions__durableTask__storageProvider__workItemQueueVisibilityTimeout"] = "00:01:00",
        };
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(new { Values = values }));
        return path;
    }

    private static async Task WaitForHttpAsync(HttpClient http, Process host)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(90);
        while (true)
        {
            try
            {
                using var response = await http.GetAsync("admin/functions");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            Assert.True(DateTimeOffset.UtcNow < deadline && !host.HasExited, "The local host did not start: " + TailOfHostLog());
            await Task.Delay(200);
        }
    }

    private static async Task<int> WaitForIssuedAsync(TableServiceClient tables, int atLeast, TimeSpan? timeout = null)
    {
        var table = tables.GetTableClient("TestAppIssued");
        var deadline = DateTimeOffset.UtcNow + (timeout ?? TimeSpan.FromMinutes(3));
        while (true)
        {
            var count = 0;
            try
            {
                count = (await KeysAsync(table, "issued")).Count;
            }
            catch (Azure.RequestFailedException e) when (e.Status == 404)
            {
            }

            if (count >= atLeast)
            {
                return count;
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, $"Only {count} cases issued; waited for {atLeast}. " + TailOfHostLog());
            await Task.Delay(250);
        }
    }

    private static string TailOfHostLog()
    {
        lock (HostLog)
        {
            return File.Exists(HostLog) ? string.Join(Environment.NewLine, File.ReadLines(HostLog).Where(l => !l.TrimStart().StartsWith("at ", StringComparison.Ordinal)).TakeLast(30)) : "(no host output)";
        }
    }

    private static async Task<List<string>> KeysAsync(TableClient table, string partition)
    {
        var keys = new List<string>();
        await foreach (var row in table.QueryAsync<TableEntity>(e => e.PartitionKey == partition, select: ["RowKey"]))
        {
            keys.Add(row.RowKey);
        }

        return keys;
    }

    private static string LocalHostDll()
    {
        var configuration = typeof(CrashTests).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyConfigurationAttribute), false)
            .Cast<System.Reflection.AssemblyConfigurationAttribute>().Single().Configuration;
        return Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "src", "Collection.LocalHost", "bin", configuration, "net10.0", "Collection.LocalHost.dll"));
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        return ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
    }
}
