using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Azure.Data.Tables;
using Collection.Domain;
using Collection.Functions.Refunds;
using Collection.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Collection.Functions.Tests.Refunds;

/// <summary>The kill test runs alone: its host, worker and Azurite need the machine's cores for its timings.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "An xUnit collection definition: xUnit names them so.")]
public sealed class RefundKillCollection
{
    public const string Name = "Refund kill";
}

/// <summary>
/// The app's local host as its own OS process (as <c>dotnet Collection.LocalHost.dll</c> runs it), on a dedicated
/// Azurite, SIGKILLed twice while 200 refund cases run and started again each time: every case completes, every
/// refund is issued exactly once, no case is lost. The host alone is killed; its worker is orphaned and the next
/// host stops it.
/// </summary>
[Collection(RefundKillCollection.Name)]
public sealed class RefundKillTests(ITestOutputHelper output)
{
    private const int Cases = 200;
    private const string Policy = "bagongshan-2022";
    private const string Prefix = "kill";
    private static readonly string[] Activities = [RefundOrchestration.CheckActivity, RefundOrchestration.IssueActivity, RefundOrchestration.CorrectActivity];

    [Fact]
    [Trait("Category", "Slow")]
    public async Task HostKilledTwiceWhileCasesRun_EveryCaseCompletes_EachRefundIssuedOnce()
    {
        var clock = Stopwatch.StartNew();
        await using var azurite = await AzuriteInstance.StartAsync();
        var settings = Settings(azurite);
        var settingsPath = Path.Combine(Path.GetTempPath(), $"refund-kill.settings.{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(settingsPath, JsonSerializer.Serialize(new { IsEncrypted = false, Values = settings }));
        var log = new HostLog();
        var port = FreePort();
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(60) };
        using var services = AppHost.Compose(settings);
        var book = azurite.CreateTableServiceClient().GetTableClient(services.GetRequiredService<RefundTables>().Claims);
        using var stopApprover = new CancellationTokenSource();
        Process? host = null;
        var orphans = new List<Process>();
        Task? approver = null;
        var passed = false;
        try
        {
            host = StartHost(settingsPath, port, log);
            await WaitForHealthAsync(http, host, log);

            // 200 people who each paid twice, then a duplicate-payment case for each (it needs only the approval).
            var people = Enumerable.Range(0, Cases).Select(Person).ToList();
            await Parallel.ForEachAsync(people, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (person, _) =>
            {
                await SendAsync(http, HttpMethod.Post, "api/enrolments", new { policy = Policy, idNumber = person, date = "2021-09-01", source = "window" }, "test-staff", HttpStatusCode.Created);
                foreach (var transaction in new[] { "A", "B" })
                {
                    await SendAsync(http, HttpMethod.Post, "api/payments",
                        new { policy = Policy, idNumber = person, amount = 320, paidOn = "2021-10-01", channel = "online", transactionId = $"{transaction}-{person}", inTreasury = false },
                        "test-tax", HttpStatusCode.Created, HttpStatusCode.OK);
                }
            });
            var enrolled = clock.Elapsed;
            var cases = new ConcurrentDictionary<string, string>();
            await Parallel.ForEachAsync(people, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (person, _) =>
            {
                var answer = await SendAsync(http, HttpMethod.Post, "api/refunds", new { policy = Policy, idNumber = person, reason = "duplicate-payment" }, "test-staff", HttpStatusCode.Accepted);
                cases[answer.GetProperty("id").GetString()!] = person;
            });
            Assert.Equal(Cases, cases.Count);
            var opened = clock.Elapsed;

            var approved = new ConcurrentDictionary<string, bool>();
            approver = ApproveAsync(http, approved, stopApprover.Token);

            // Kill once some refunds are issued, start again, kill again a little later, start again.
            var issuedAtFirstKill = await WaitForIssuedAsync(book, atLeast: 20, log, TimeSpan.FromMinutes(4));
            orphans.Add(KillLeavingWorker(host));
            var firstKill = clock.Elapsed;
            host = StartHost(settingsPath, port, log);
            await WaitForHealthAsync(http, host, log);
            await WaitForExitAsync(orphans[^1]);
            // The second host kills mid-run too: once it has run orchestrations (taken the task hub's partitions),
            // not only the activities left in the work-item queue.
            await WaitForLogAsync(log, $"Executed '{RefundOrchestration.Name}' (Succeeded", atLeast: log.Executions(RefundOrchestration.Name).Succeeded + 20, TimeSpan.FromMinutes(4));
            var issuedAtSecondKill = await WaitForIssuedAsync(book, atLeast: issuedAtFirstKill + 40, log, TimeSpan.FromMinutes(6));
            orphans.Add(KillLeavingWorker(host));
            var secondKill = clock.Elapsed;
            host = StartHost(settingsPath, port, log);
            await WaitForHealthAsync(http, host, log);
            await WaitForExitAsync(orphans[^1]);

            await WaitForAllCompletedAsync(http, log, TimeSpan.FromMinutes(10));
            var completed = clock.Elapsed;
            await stopApprover.CancelAsync();
            await approver;

            Assert.True(issuedAtSecondKill < Cases, $"The second kill came after all {Cases} refunds were issued; it proved nothing.");

            // Every case: Completed, done, approved once, issued once; and no case beyond those opened.
            var wrong = new List<string>();
            foreach (var (id, _) in cases)
            {
                var body = await SendAsync(http, HttpMethod.Get, $"api/refunds/{id}", null, "test-staff", HttpStatusCode.OK);
                var view = body.GetProperty("case");
                var events = view.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("event").GetString());
                if ((body.GetProperty("runtimeStatus").GetString(), view.GetProperty("stage").GetString(), view.GetProperty("outcome").GetString()) != ("Completed", "done", "done")
                    || view.GetProperty("amount").ValueKind != JsonValueKind.Number || view.GetProperty("amount").GetDecimal() != 320m
                    || !events.SequenceEqual(["opened", "checked", "approve", "refund-issued", "enrolment-corrected"]))
                {
                    wrong.Add($"{body}\n{await DurableRecordAsync(azurite, id)}\n{log.Lines(id)}");
                }
            }

            Assert.True(wrong.Count == 0, $"{wrong.Count} cases not completed as done with the approval and one refund:\n" + string.Join("\n\n", wrong.Take(3)));

            var all = await SendAsync(http, HttpMethod.Get, "api/refunds?top=500", null, "test-staff", HttpStatusCode.OK);
            Assert.Equal(cases.Keys.Order(StringComparer.Ordinal), all.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("case").GetProperty("id").GetString()!).Order(StringComparer.Ordinal));

            // The refund book (what IssueRefund writes): one settlement per case, 320 each, 320 refunded per person.
            var settlements = await SettlementsAsync(book);
            Assert.Equal(Cases, settlements.Count);
            Assert.Equal(cases.Select(c => c.Value + "|" + c.Key).Order(StringComparer.Ordinal), settlements.Select(s => s.RowKey).Order(StringComparer.Ordinal));
            Assert.All(settlements, s => Assert.Equal(("issued", 320m, "refund-" + s.RowKey[(s.RowKey.IndexOf('|', StringComparison.Ordinal) + 1)..]),
                (s.GetString("Kind"), decimal.Parse(s.GetString("Amount"), System.Globalization.CultureInfo.InvariantCulture), s.GetString("Reference"))));
            var claims = services.GetRequiredService<RefundClaims>();
            foreach (var person in people)
            {
                Assert.Equal(320m, await claims.RefundedAsync(Policy, person, default));
            }

            // Duplicate payment: the enrolment stays, with the refund in its book once, however often the host died.
            foreach (var person in people.Take(20))
            {
                var enrolment = await SendAsync(http, HttpMethod.Get, $"api/enrolments/{Policy}/{person}", null, "test-staff", HttpStatusCode.OK);
                Assert.NotEqual("cancelled", enrolment.GetProperty("status").GetString());
                Assert.Equal(320m, enrolment.GetProperty("refunded").GetDecimal());
                Assert.Single(enrolment.GetProperty("refunds").EnumerateArray());
            }

            var executions = Activities.Append(RefundOrchestration.Name).ToDictionary(f => f, log.Executions);
            output.WriteLine($"{Cases} cases; enrolled (600 requests) in {enrolled.TotalSeconds:0}s, opened by {opened.TotalSeconds:0}s, " +
                $"first kill at {firstKill.TotalSeconds:0}s ({issuedAtFirstKill} issued), second kill at {secondKill.TotalSeconds:0}s ({issuedAtSecondKill} issued), " +
                $"all completed at {completed.TotalSeconds:0}s; approvals sent: {approved.Count}");
            output.WriteLine("executions started (Executing lines of the three hosts): " + string.Join(", ", executions.Select(e => $"{e.Key} {e.Value.Started} ({e.Value.Succeeded} succeeded, {e.Value.Failed} failed)")));
            // Any local host starting on this machine stops the workers of dead hosts, so another test run's host may be first.
            output.WriteLine($"workers started: {log.Count("Worker process ")}; workers of killed hosts stopped by this test's next host: {log.Count("left running by local host process")} of {orphans.Count}");
            var rebuilt = 0;
            await foreach (var instance in azurite.CreateTableServiceClient().GetTableClient("refundkillInstances").QueryAsync<TableEntity>(select: ["RuntimeStatus", "CustomStatus"]))
            {
                rebuilt += instance.GetString("RuntimeStatus") == "Completed" && instance.GetString("CustomStatus") == "null" ? 1 : 0;
            }

            // A host killed between a last turn's history and its status row: the row is rebuilt without custom status.
            output.WriteLine($"completed cases whose status row was rebuilt from history (custom status lost; shown from the output): {rebuilt}");
            foreach (var activity in Activities)
            {
                // At-least-once: an activity may run again after a kill, never less than once per case.
                Assert.True(executions[activity].Succeeded >= Cases, $"{activity}: {executions[activity].Succeeded} successful runs for {Cases} cases.");
            }

            passed = true;
        }
        finally
        {
            await stopApprover.CancelAsync();
            if (approver is not null)
            {
                await approver.ContinueWith(_ => { }, TaskScheduler.Default);
            }

            if (host is not null)
            {
                Kill(host, entireProcessTree: true);
            }

            foreach (var orphan in orphans)
            {
                orphan.Dispose();
            }

            File.Delete(settingsPath);
            if (passed)
            {
                log.Delete();
            }
            else
            {
                output.WriteLine("host output kept: " + log.Path);
            }
        }
    }

    /// <summary>What Durable stored for a case (task hub tables of the Azure Storage provider), for a failure's message.</summary>
    private static async Task<string> DurableRecordAsync(AzuriteInstance azurite, string id)
    {
        var tables = azurite.CreateTableServiceClient();
        var instance = (await tables.GetTableClient("refundkillInstances").GetEntityIfExistsAsync<TableEntity>(id, "")).Value;
        var history = new List<string>();
        await foreach (var row in tables.GetTableClient("refundkillHistory").QueryAsync<TableEntity>(e => e.PartitionKey == id))
        {
            history.Add($"{row.RowKey} {row.GetString("EventType")} {row.GetString("Name")} {row.GetString("ExecutionId")?[..8]}");
        }

        return $"instance: {instance?.GetString("RuntimeStatus")} executionId {instance?.GetString("ExecutionId")} custom status {instance?.GetString("CustomStatus")?.Length ?? -1} chars "
            + $"(\"{instance?.GetString("CustomStatus")?[..Math.Min(80, instance.GetString("CustomStatus").Length)]}…\"), output {instance?.GetString("Output")?.Length ?? -1} chars; "
            + $"history: {string.Join("; ", history)}";
    }

    private static Dictionary<string, string> Settings(AzuriteInstance azurite)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["WEBSITE_TIME_ZONE"] = "Asia/Shanghai",
            ["ActivateCoverageSchedule"] = "0 5 0 * * *",
            ["SupplementaryEnrolmentSchedule"] = "0 0 2 5 * *",
            ["MonthlyReportsSchedule"] = "0 0 1 * * *",
            ["AzureFunctionsJobHost__extensions__durableTask__hubName"] = "refundkill",
            // Messages a killed host had taken come back after a minute (the extension's least) instead of 5.
            ["AzureFunctionsJobHost__extensions__durableTask__storageProvider__controlQueueVisibilityTimeout"] = "00:01:00",
            ["AzureFunctionsJobHost__extensions__durableTask__storageProvider__workItemQueueVisibilityTimeout"] = "00:01:00",
            // Warnings only, but every start and end of the refund functions, to count executions.
            ["AzureFunctionsJobHost__logging__logLevel__default"] = "Warning",
            ["AzureFunctionsJobHost__logging__logLevel__Collection.LocalHost.Worker"] = "Information",
            [RefundTables.PrefixSetting] = Prefix,
            ["Ledger:TablePrefix"] = Prefix,
            [ChinaClock.BusinessDateSetting] = "2021-12-01",
            ["Keys:staff"] = "test-staff",
            ["Keys:tax"] = "test-tax",
            ["Keys:approver"] = "test-approver",
        };
        foreach (var function in Activities.Append(RefundOrchestration.Name))
        {
            values[$"AzureFunctionsJobHost__logging__logLevel__Function.{function}"] = "Information";
            values[$"AzureFunctionsJobHost__logging__logLevel__Function.{function}.User"] = "Warning";
        }

        foreach (var function in AppHost.TriggeredFunctions)
        {
            values[$"AzureWebJobs.{function}.Disabled"] = "true";
        }

        return values;
    }

    private static string Person(int index)
    {
        var first17 = $"34040519900101{index:D3}";
        return first17 + ResidentId.ComputeCheckCharacter(first17);
    }

    /// <summary>Approves every case the list shows awaiting approval, until stopped; a host that is down is tried again.</summary>
    private static async Task ApproveAsync(HttpClient http, ConcurrentDictionary<string, bool> approved, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                using var list = new HttpRequestMessage(HttpMethod.Get, "api/refunds?stage=awaiting-approval&top=500");
                list.Headers.Add("x-functions-key", "test-approver");
                using var listed = await http.SendAsync(list, stop);
                if (listed.IsSuccessStatusCode)
                {
                    var page = await listed.Content.ReadFromJsonAsync<JsonElement>(stop);
                    foreach (var id in page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("case").GetProperty("id").GetString()!).Where(id => !approved.ContainsKey(id)))
                    {
                        using var approve = new HttpRequestMessage(HttpMethod.Post, $"api/refunds/{id}/events/approve") { Content = JsonContent.Create(new { comment = "ok" }) };
                        approve.Headers.Add("x-functions-key", "test-approver");
                        using var answer = await http.SendAsync(approve, stop);
                        if (answer.StatusCode == HttpStatusCode.Accepted)
                        {
                            approved[id] = true;
                        }
                    }
                }
            }
            catch (Exception e) when (e is HttpRequestException || (e is TaskCanceledException && !stop.IsCancellationRequested))
            {
                // The host is down or was killed mid-request: the case still shows awaiting approval if the event did not get in.
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }

            try
            {
                await Task.Delay(500, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private static async Task<JsonElement> SendAsync(HttpClient http, HttpMethod method, string path, object? body, string key, params HttpStatusCode[] expected)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Add("x-functions-key", key);
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected.Contains(response.StatusCode), $"{method} {path}: {response.StatusCode} {text}");
        return JsonSerializer.Deserialize<JsonElement>(text);
    }

    private static async Task<List<TableEntity>> SettlementsAsync(TableClient book)
    {
        var rows = new List<TableEntity>();
        try
        {
            await foreach (var row in book.QueryAsync<TableEntity>(e => e.PartitionKey == Policy))
            {
                if (row.RowKey.Contains('|', StringComparison.Ordinal))
                {
                    rows.Add(row);
                }
            }
        }
        catch (Azure.RequestFailedException e) when (e.Status == 404)
        {
            // No refund yet: the book's table is created on first use.
        }

        return rows;
    }

    private static async Task<int> WaitForIssuedAsync(TableClient book, int atLeast, HostLog log, TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (true)
        {
            var issued = (await SettlementsAsync(book)).Count;
            if (issued >= atLeast)
            {
                return issued;
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, $"Only {issued} refunds issued; waited for {atLeast}. " + log.Tail());
            await Task.Delay(100);
        }
    }

    private static async Task WaitForLogAsync(HostLog log, string text, int atLeast, TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (log.Count(text) < atLeast)
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, $"The host did not log \"{text}\" {atLeast} times. " + log.Tail());
            await Task.Delay(250);
        }
    }

    private static async Task WaitForAllCompletedAsync(HttpClient http, HostLog log, TimeSpan timeout)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        var completed = 0;
        while (DateTimeOffset.UtcNow < deadline)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, "api/refunds?top=500");
                request.Headers.Add("x-functions-key", "test-staff");
                using var response = await http.SendAsync(request);
                if (response.IsSuccessStatusCode)
                {
                    var page = await response.Content.ReadFromJsonAsync<JsonElement>();
                    var items = page.GetProperty("items").EnumerateArray().ToList();
                    Assert.DoesNotContain(items, i => i.GetProperty("runtimeStatus").GetString() is "Failed" or "Terminated");
                    completed = items.Count(i => i.GetProperty("runtimeStatus").GetString() == "Completed");
                    if (completed == Cases)
                    {
                        return;
                    }
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(1000);
        }

        Assert.Fail($"Only {completed} of {Cases} cases completed. " + log.Tail());
    }

    private static Process StartHost(string settingsPath, int port, HostLog log)
    {
        var start = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { LocalHostDll(), "--script-root", AppHost.AppDirectory, "--settings", settingsPath, "--port", port.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, line) => log.Add(line.Data);
        process.ErrorDataReceived += (_, line) => log.Add(line.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>SIGKILLs the host alone, as a crash would: its worker is left running (answered, disposed by the caller).</summary>
    private static Process KillLeavingWorker(Process host)
    {
        var worker = WorkerOf(host);
        Kill(host, entireProcessTree: false);
        Assert.False(worker.HasExited, "The worker went with its host; the kill was not the host's alone.");
        return worker;
    }

    /// <summary>The host's worker: its child process started with the worker's arguments (Linux: read from /proc).</summary>
    private static Process WorkerOf(Process host)
    {
        foreach (var directory in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
            {
                continue;
            }

            try
            {
                // stat: "pid (comm) state ppid …"; comm may hold spaces and parentheses.
                var stat = File.ReadAllText(Path.Combine(directory, "stat"));
                var parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
                if (parent == host.Id && File.ReadAllText(Path.Combine(directory, "cmdline")).Contains("--functions-worker-id", StringComparison.Ordinal))
                {
                    return Process.GetProcessById(id);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
            {
                // Gone meanwhile, or not ours to read.
            }
        }

        throw new InvalidOperationException($"Local host process {host.Id} has no worker process.");
    }

    /// <summary>The worker a killed host left is stopped once a host starts again (the next local host stops those of dead hosts).</summary>
    private static async Task WaitForExitAsync(Process orphan)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await orphan.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"The worker process {orphan.Id} of a killed host is still running after the next host started.");
        }
    }

    /// <summary>SIGKILL: the host only (its worker is orphaned, as when a host crashes), or with its worker at the end.</summary>
    private static void Kill(Process host, bool entireProcessTree)
    {
        if (!host.HasExited)
        {
            host.Kill(entireProcessTree);
        }

        host.WaitForExit();
        host.Dispose();
    }

    private static async Task WaitForHealthAsync(HttpClient http, Process host, HostLog log)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(120);
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(new Uri("api/health", UriKind.Relative));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            Assert.True(DateTimeOffset.UtcNow < deadline && !host.HasExited, "The local host did not start: " + log.Tail());
            await Task.Delay(200);
        }
    }

    private static string LocalHostDll()
    {
        var configuration = typeof(RefundKillTests).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyConfigurationAttribute), false)
            .Cast<System.Reflection.AssemblyConfigurationAttribute>().Single().Configuration;
        return Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "src", "Collection.LocalHost", "bin", configuration, "net10.0", "Collection.LocalHost.dll"));
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>What the host processes wrote, kept in a file: a failure's message shows its tail; executions are counted from it.</summary>
    private sealed class HostLog
    {
        private readonly string _path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"refund-kill-host-{Guid.NewGuid():N}.log");
        private readonly Lock _lock = new();

        public string Path => _path;

        public void Add(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_lock)
            {
                File.AppendAllLines(_path, [line]);
            }
        }

        public int Count(string text)
        {
            lock (_lock)
            {
                return File.Exists(_path) ? File.ReadLines(_path).Count(l => l.Contains(text, StringComparison.Ordinal)) : 0;
            }
        }

        public string Lines(string text)
        {
            lock (_lock)
            {
                return File.Exists(_path) ? string.Join(Environment.NewLine, File.ReadLines(_path).Where(l => l.Contains(text, StringComparison.Ordinal))) : "";
            }
        }

        public (int Started, int Succeeded, int Failed) Executions(string function) =>
            (Count($"Executing '{function}' "), Count($"Executed '{function}' (Succeeded"), Count($"Executed '{function}' (Failed"));

        public string Tail()
        {
            lock (_lock)
            {
                return File.Exists(_path)
                    ? string.Join(Environment.NewLine, File.ReadLines(_path).Where(l => !l.TrimStart().StartsWith("at ", StringComparison.Ordinal)).TakeLast(30))
                    : "(no host output)";
            }
        }

        public void Delete()
        {
            lock (_lock)
            {
                File.Delete(_path);
            }
        }
    }
}
