using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Collection.Runtime.Functions;
using Collection.Runtime.Timers;
using Collection.Runtime.Tests.Support;
using Collection.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Collection.Runtime.Tests;

public class TimerRunHistoryTests
{
    // 2026-09-05 00:59:50 in China; "0 0 1 * * *" is next due at 01:00 China.
    private static readonly DateTimeOffset Start = new(2026, 9, 4, 16, 59, 50, TimeSpan.Zero);

    private static Task<TestFunctionsHost> StartHostAsync(AzuriteInstance azurite, string function, RunLog log, TimeProvider time, Action<FunctionCatalog>? more = null) =>
        TestFunctionsHost.StartAsync(
            f =>
            {
                f.Timer<TimerRecorder>(function, "0 0 1 * * *");
                more?.Invoke(f);
            },
            TestFunctionsHost.FastSettings(azurite.ConnectionString),
            s => s.AddSingleton(log),
            time: time);

    /// <summary>Each run reports how many times it ran so far and the day it acted for.</summary>
    private static RunLog CountingLog()
    {
        var log = new RunLog();
        log.Behaviour = (t, _) =>
        {
            var trigger = (TimerTrigger)t;
            trigger.RecordSummary(new { runs = log.Runs<TimerTrigger>().Count, actedFor = trigger.AsOf?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) });
            return trigger.AsOf == new DateOnly(2026, 1, 1) ? throw new InvalidOperationException("no calendar for 2026-01-01") : Task.CompletedTask;
        };
        return log;
    }

    [Fact]
    public async Task Runs_ScheduledAndManual_ListedNewestFirstWithSummaryAndOutcome()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var function = AzuriteInstance.UniqueName("history");
        var log = CountingLog();
        var time = new FakeTimeProvider(Start);
        await using var host = await StartHostAsync(azurite, function, log, time);
        var listener = host.Service<TimerTriggerListener>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var due = await listener.WaitUntilScheduledAsync(function, null, timeout.Token);
        time.SetUtcNow(due);
        await listener.WaitUntilScheduledAsync(function, due, timeout.Token);
        time.Advance(TimeSpan.FromMinutes(5));
        var manual = await (await host.Client.PostAsync(new Uri($"/admin/functions/{function}?asOf=2026-03-05", UriKind.Relative), null)).Content.ReadFromJsonAsync<JsonElement>();
        time.Advance(TimeSpan.FromMinutes(5));
        await host.Client.PostAsync(new Uri($"/admin/functions/{function}?asOf=2026-01-01", UriKind.Relative), null);

        var response = await host.Client.GetAsync(new Uri($"/admin/functions/{function}/runs", UriKind.Relative));
        var runs = (await response.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray().ToList();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, runs.Count);
        Assert.Equal(2, manual.GetProperty("summary").GetProperty("runs").GetInt32());
        var (failed, asked, scheduled) = (runs[0], runs[1], runs[2]);
        Assert.Equal("failed", failed.GetProperty("outcome").GetString());
        Assert.Contains("no calendar for 2026-01-01", failed.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(3, failed.GetProperty("summary").GetProperty("runs").GetInt32());
        Assert.Equal("succeeded", asked.GetProperty("outcome").GetString());
        Assert.Equal("2026-03-05", asked.GetProperty("asOf").GetString());
        Assert.Equal("2026-03-05", asked.GetProperty("summary").GetProperty("actedFor").GetString());
        Assert.True(asked.GetProperty("isManual").GetBoolean());
        Assert.Equal(manual.GetProperty("runId").GetString(), asked.GetProperty("runId").GetString());
        Assert.Equal(due, scheduled.GetProperty("scheduledTime").GetDateTimeOffset());
        Assert.False(scheduled.GetProperty("isManual").GetBoolean());
        Assert.Equal(JsonValueKind.Null, scheduled.GetProperty("asOf").ValueKind);
        Assert.Equal(1, scheduled.GetProperty("summary").GetProperty("runs").GetInt32());
        Assert.Equal(due, scheduled.GetProperty("startedAt").GetDateTimeOffset());
        Assert.True(scheduled.GetProperty("finishedAt").GetDateTimeOffset() >= scheduled.GetProperty("startedAt").GetDateTimeOffset());
        Assert.True(host.Logs.Contains(LogLevel.Information, $"Timer {function} run {asked.GetProperty("runId").GetString()} succeeded (asOf 2026-03-05); summary {{\"runs\":2,\"actedFor\":\"2026-03-05\"}}"));
    }

    [Fact]
    public async Task Runs_Top_LimitsToNewest()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var function = AzuriteInstance.UniqueName("top");
        var time = new FakeTimeProvider(Start);
        await using var host = await StartHostAsync(azurite, function, CountingLog(), time);
        for (var day = 1; day <= 3; day++)
        {
            // Seconds apart, all before the scheduled 01:00 run, so only these manual runs are listed.
            time.Advance(TimeSpan.FromSeconds(1));
            await host.Client.PostAsync(new Uri($"/admin/functions/{function}?asOf=2026-02-0{day}", UriKind.Relative), null);
        }

        var runs = (await host.Client.GetFromJsonAsync<JsonElement>(new Uri($"/admin/functions/{function}/runs?top=2", UriKind.Relative))).EnumerateArray().ToList();

        Assert.Equal(["2026-02-03", "2026-02-02"], runs.Select(r => r.GetProperty("asOf").GetString()));
    }

    [Theory]
    [InlineData("no-such-function", "", HttpStatusCode.NotFound, "function-not-found")]
    [InlineData("{queue}", "", HttpStatusCode.BadRequest, "not-a-timer-function")]
    [InlineData("{timer}", "?top=0", HttpStatusCode.BadRequest, "invalid-top")]
    [InlineData("{timer}", "?top=ten", HttpStatusCode.BadRequest, "invalid-top")]
    public async Task Runs_BadTarget_AnswersProblemWithCode(string target, string query, HttpStatusCode expected, string code)
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var timer = AzuriteInstance.UniqueName("timer");
        var queueFunction = AzuriteInstance.UniqueName("queuefn");
        await using var host = await StartHostAsync(azurite, timer, new RunLog(), new FakeTimeProvider(Start), f => f.Queue<QueueRecorder>(queueFunction, AzuriteInstance.UniqueName("q")));
        var name = target.Replace("{queue}", queueFunction, StringComparison.Ordinal).Replace("{timer}", timer, StringComparison.Ordinal);

        var response = await host.Client.GetAsync(new Uri($"/admin/functions/{name}/runs{query}", UriKind.Relative));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal(code, body.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Runs_WithoutAdminKey_Answers401()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var timer = AzuriteInstance.UniqueName("timer");
        await using var host = await StartHostAsync(azurite, timer, new RunLog(), new FakeTimeProvider(Start));

        var response = await host.App.GetTestClientWithoutKey().GetAsync(new Uri($"/admin/functions/{timer}/runs", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
