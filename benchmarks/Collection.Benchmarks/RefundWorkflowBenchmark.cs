using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Collection.Domain;
using Collection.Functions;
using Collection.LocalHost;
using Collection.Testing;

namespace Collection.Benchmarks;

/// <summary>
/// The app's own Durable orchestration, refund cases (<c>RefundCase</c>: activities CheckRefund, IssueRefund,
/// CorrectEnrolment and the approver's hand-off), through the app's HTTP API with the app's host.json, in the local
/// host (in this process) with the app's real worker as its child process. N people are enrolled and pay the same
/// contribution twice (bagongshan-2022, online, not timed); then N duplicate-payment cases are opened at once
/// (<c>POST /api/refunds</c>), each approved as soon as it is seen awaiting approval (the case list is polled
/// every <see cref="PollInterval"/>), and the run ends when every case is Completed. The time runs from just
/// before the first open to the last case's last update (its completion, from the runtime status).
/// </summary>
internal static class RefundWorkflowBenchmark
{
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(500);

    private const string Policy = "bagongshan-2022";
    private const string StaffKey = "bench-staff";
    private const string TaxKey = "bench-tax";
    private const string ApproverKey = "bench-approver";

    /// <summary>
    /// The measured run: its cases and how they ended, its seconds, the steps of all cases (entries in their
    /// histories — opened, checked, approve, refund-issued, enrolment-corrected — one orchestration step each), a
    /// case's own span (created → last update) on average, how long a case waited on average from reaching
    /// awaiting-approval to this benchmark's approval (its poll), and the seconds the untimed setup took.
    /// </summary>
    public sealed record Figures(int Cases, int Completed, int Failed, double Seconds, int Steps, double MeanCaseSeconds, double MeanApprovalWaitSeconds, double SetupSeconds, long AzuriteRequests);

    public static async Task<Figures> MeasureAsync(AzuriteInstance azurite, int cases)
    {
        var values = TheApp.Settings(azurite.ConnectionString, "benchrefund");

        // A day in bagongshan-2022's collection period, where the enrolments and payments below are allowed.
        values[ChinaClock.BusinessDateSetting] = "2021-12-01";
        values["Keys:staff"] = StaffKey;
        values["Keys:tax"] = TaxKey;
        values["Keys:approver"] = ApproverKey;

        // Nothing here is uploaded: the blob triggers would only scan empty containers.
        foreach (var function in new[] { "TaxReturns", "SchoolRosters", "UniversityRosters", "SubsidyLists" })
        {
            values[$"AzureWebJobs.{function}.Disabled"] = "true";
        }

        var settingsPath = Path.Combine(Path.GetTempPath(), $"bench.settings.{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(settingsPath, JsonSerializer.Serialize(new { IsEncrypted = false, Values = values }));
        var port = TheApp.FreePort();
        var host = LocalHostApp.Build(new LocalHostOptions(TheApp.AppDirectory, settingsPath, port));
        await host.StartAsync();
        try
        {
            using var api = new Api(new Uri($"http://127.0.0.1:{port}/"));
            await api.WaitForHealthAsync();

            // Warm-up (JIT in worker and host, the task hub's tables and queues): a few cases the whole way, not measured.
            var warm = People(1_000_000, 4);
            await EnrolAndPayAsync(api, warm);
            await RunCasesAsync(api, warm);

            var people = People(0, cases);
            var setup = Stopwatch.StartNew();
            await EnrolAndPayAsync(api, people);
            var setupSeconds = setup.Elapsed.TotalSeconds;
            var requestsBefore = azurite.RequestCount;
            var (seconds, finished) = await RunCasesAsync(api, people);
            var requests = azurite.RequestCount - requestsBefore;
            var completed = finished.Count(c => c.RuntimeStatus == "Completed");
            return new Figures(
                cases, completed, finished.Count - completed, seconds, finished.Sum(c => c.Steps),
                finished.Average(c => c.Seconds), finished.Where(c => c.ApprovalWait is not null).Select(c => c.ApprovalWait!.Value).DefaultIfEmpty().Average(), setupSeconds, requests);
        }
        finally
        {
            await host.StopAsync();
            await host.DisposeAsync();
            File.Delete(settingsPath);
        }
    }

    private sealed record FinishedCase(string RuntimeStatus, int Steps, double Seconds, double? ApprovalWait, DateTimeOffset LastUpdated);

    /// <summary>People of bagongshan-2022 (Bagongshan district ID numbers, adults born 1985–1987), from <paramref name="first"/> on.</summary>
    private static List<string> People(int first, int count) =>
        [.. Enumerable.Range(first, count).Select(i =>
        {
            var first17 = string.Create(CultureInfo.InvariantCulture, $"340405{new DateOnly(1985, 1, 1).AddDays((i / 900) % 1000):yyyyMMdd}{i % 900:D3}");
            return first17 + ResidentId.ComputeCheckCharacter(first17);
        })];

    // The two online payments of each person: the second is the repeat the ledger must not post twice.
    private static readonly string[] Transactions = ["A", "B"];

    /// <summary>Enrols each person (staff) and posts the same 320 twice online (tax), 8 people at a time.</summary>
    private static Task EnrolAndPayAsync(Api api, List<string> people) =>
        Parallel.ForEachAsync(people, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (person, _) =>
        {
            await api.PostAsync("api/enrolments", StaffKey, new { policy = Policy, idNumber = person, date = "2021-10-01", name = "测试", source = "window" }, HttpStatusCode.Created);
            foreach (var transaction in Transactions)
            {
                await api.PostAsync("api/payments", TaxKey, new { policy = Policy, idNumber = person, amount = 320, paidOn = "2021-10-02", channel = "online", transactionId = transaction + person, inTreasury = true }, HttpStatusCode.Created);
            }
        });

    /// <summary>Opens a case per person at once, approves each when it awaits approval, and waits until all are over.</summary>
    private static async Task<(double Seconds, List<FinishedCase> Cases)> RunCasesAsync(Api api, List<string> people)
    {
        var started = DateTimeOffset.UtcNow;
        var ids = await Task.WhenAll(people.Select(async person =>
        {
            var opened = await api.PostAsync("api/refunds", StaffKey, new { policy = Policy, idNumber = person, reason = "duplicate-payment" }, HttpStatusCode.Accepted);
            return opened.GetProperty("id").GetString()!;
        }));
        var pending = new HashSet<string>(ids, StringComparer.Ordinal);
        var approved = new HashSet<string>(StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        while (pending.Count > 0)
        {
            // One list of all cases per poll (not a request per case): the check must not eat the capacity measured.
            await Task.Delay(PollInterval);
            var toApprove = new List<string>();
            foreach (var (id, runtimeStatus, stage) in await api.ListAsync())
            {
                if (!pending.Contains(id))
                {
                    continue;
                }

                if (runtimeStatus is "Completed" or "Failed" or "Terminated")
                {
                    pending.Remove(id);
                }
                else if (stage == "awaiting-approval" && !approved.Contains(id))
                {
                    toApprove.Add(id);
                }
            }

            var answers = await Task.WhenAll(toApprove.Select(async id => (id, await api.TryApproveAsync(id, ApproverKey))));
            approved.UnionWith(answers.Where(a => a.Item2).Select(a => a.id));
            if (clock.Elapsed > TimeSpan.FromMinutes(15))
            {
                throw new TimeoutException($"{pending.Count} of {ids.Length} refund cases not over after 15 minutes.");
            }
        }

        // Not timed: each case's runtime status for its completion time, and its history for its steps.
        var finished = new List<FinishedCase>();
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (id, _) =>
        {
            var body = await api.GetAsync($"api/refunds/{id}", StaffKey);
            var history = body.GetProperty("case").GetProperty("history").EnumerateArray().ToList();
            DateTimeOffset? At(string name) => history.Where(h => h.GetProperty("event").GetString() == name).Select(h => (DateTimeOffset?)h.GetProperty("time").GetDateTimeOffset()).FirstOrDefault();
            var created = body.GetProperty("createdTime").GetDateTimeOffset();
            var updated = body.GetProperty("lastUpdatedTime").GetDateTimeOffset();
            var wait = At("checked") is { } awaiting && At("approve") is { } approval ? (approval - awaiting).TotalSeconds : (double?)null;
            var finishedCase = new FinishedCase(body.GetProperty("runtimeStatus").GetString()!, history.Count, (updated - created).TotalSeconds, wait, updated);
            lock (finished)
            {
                finished.Add(finishedCase);
            }
        });

        return ((finished.Max(c => c.LastUpdated) - started).TotalSeconds, finished);
    }

    /// <summary>The app's HTTP API, one connection pool for all calls.</summary>
    private sealed class Api(Uri baseAddress) : IDisposable
    {
        private readonly HttpClient _http = new() { BaseAddress = baseAddress, Timeout = TimeSpan.FromMinutes(5) };

        public void Dispose() => _http.Dispose();

        public async Task WaitForHealthAsync()
        {
            var clock = Stopwatch.StartNew();
            while (true)
            {
                try
                {
                    using var response = await _http.GetAsync(new Uri("api/health", UriKind.Relative));
                    if (response.IsSuccessStatusCode)
                    {
                        return;
                    }
                }
                catch (HttpRequestException) when (clock.Elapsed < TimeSpan.FromSeconds(120))
                {
                }

                if (clock.Elapsed > TimeSpan.FromSeconds(120))
                {
                    throw new TimeoutException("The app did not answer /api/health within 120 s.");
                }

                await Task.Delay(100);
            }
        }

        public async Task<JsonElement> PostAsync(string path, string key, object body, HttpStatusCode expected)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(path, UriKind.Relative)) { Content = JsonContent.Create(body) };
            request.Headers.Add("x-functions-key", key);
            using var response = await _http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            return response.StatusCode == expected
                ? (text.Length == 0 ? default : JsonSerializer.Deserialize<JsonElement>(text))
                : throw new InvalidOperationException($"POST {path}: {(int)response.StatusCode} {text}");
        }

        public async Task<JsonElement> GetAsync(string path, string key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
            request.Headers.Add("x-functions-key", key);
            using var response = await _http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            return response.IsSuccessStatusCode ? JsonSerializer.Deserialize<JsonElement>(text) : throw new InvalidOperationException($"GET {path}: {(int)response.StatusCode} {text}");
        }

        /// <summary>Every case of the policy, page after page: id, runtime status and stage.</summary>
        public async Task<List<(string Id, string RuntimeStatus, string Stage)>> ListAsync()
        {
            var cases = new List<(string, string, string)>();
            string? token = null;
            do
            {
                var page = await GetAsync($"api/refunds?policy={Policy}&top=500" + (token is null ? "" : "&continuationToken=" + Uri.EscapeDataString(token)), StaffKey);
                foreach (var item in page.GetProperty("items").EnumerateArray())
                {
                    var view = item.GetProperty("case");
                    cases.Add((view.GetProperty("id").GetString()!, item.GetProperty("runtimeStatus").GetString()!, view.GetProperty("stage").GetString()!));
                }

                token = page.TryGetProperty("continuationToken", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
            }
            while (token is not null);
            return cases;
        }

        /// <summary>Approves a case; false when it was not taken (not awaiting yet), to be tried on a later poll.</summary>
        public async Task<bool> TryApproveAsync(string id, string key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, new Uri($"api/refunds/{id}/events/approve", UriKind.Relative)) { Content = JsonContent.Create(new { comment = "bench" }) };
            request.Headers.Add("x-functions-key", key);
            using var response = await _http.SendAsync(request);
            return response.StatusCode == HttpStatusCode.Accepted;
        }
    }
}
