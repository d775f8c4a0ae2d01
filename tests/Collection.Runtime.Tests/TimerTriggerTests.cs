using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Collection.Runtime.Functions;
using Collection.Runtime.Timers;
using Collection.Runtime.Tests.Support;
using Collection.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Collection.Runtime.Tests;

public class TimerTriggerTests
{
    // 2026-09-05 00:59:50 in China; "0 0 1 * * *" is next due at 01:00 China = 17:00 UTC the day before.
    private static readonly DateTimeOffset Start = new(2026, 9, 4, 16, 59, 50, TimeSpan.Zero);
    private static readonly DateTimeOffset DueChinaOneAm = new(2026, 9, 4, 17, 0, 0, TimeSpan.Zero);
    private const string DailyAtOneAm = "0 0 1 * * *";

    private static Task<TestFunctionsHost> StartHostAsync(AzuriteInstance azurite, string function, RunLog log, TimeProvider time, Action<FunctionCatalog>? more = null, Action<Dictionary<string, string?>>? tweak = null)
    {
        var settings = TestFunctionsHost.FastSettings(azurite.ConnectionString);
        tweak?.Invoke(settings);
        return TestFunctionsHost.StartAsync(
            f =>
            {
                f.Timer<TimerRecorder>(function, DailyAtOneAm);
                more?.Invoke(f);
            },
            settings,
            s => s.AddSingleton(log),
            time: time);
    }

    private static async Task<DateTimeOffset> ScheduledAsync(TestFunctionsHost host, string function, DateTimeOffset? after = null)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        return await host.Service<TimerTriggerListener>().WaitUntilScheduledAsync(function, after, timeout.Token);
    }

    [Fact]
    public async Task Schedule_InChinaTime_RunsWhenFakeClockReachesItAndPersistsNext()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var function = AzuriteInstance.UniqueName("daily");
        var log = new RunLog();
        var time = new FakeTimeProvider(Start);
        await using var host = await StartHostAsync(azurite, function, log, time);

        var due = await ScheduledAsync(host, function);
        Assert.Equal(DueChinaOneAm, due);
        Assert.Empty(log.Runs<TimerTrigger>());
        time.SetUtcNow(due);
        await log.WaitForAsync<TimerTrigger>(runs => runs.Count == 1);
        var next = await ScheduledAsync(host, function, after: due);

        var run = Assert.Single(log.Runs<TimerTrigger>());
        Assert.Equal(due, run.ScheduledTime);
        Assert.False(run.IsPastDue);
        Assert.False(run.IsManual);
        Assert.Equal(due.AddDays(1), run.NextRun);
        Assert.Equal(due.AddDays(1), next);
        var status = await host.Service<TimerTriggerListener>().GetStatusAsync(function, default);
        Assert.Equal(due, status.LastScheduled);
        Assert.Equal(due.AddDays(1), status.Next);
        Assert.Equal(TimerRunResult.SucceededOutcome, status.LastOutcome);
    }

    [Fact]
    public async Task Schedule_TimeZoneSetting_ReadsScheduleInThatZone()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var function = AzuriteInstance.UniqueName("utc");
        await using var host = await StartHostAsync(azurite, function, new RunLog(), new FakeTimeProvider(Start), tweak: s => s["WEBSITE_TIME_ZONE"] = "UTC");

        Assert.Equal(new DateTimeOffset(2026, 9, 5, 1, 0, 0, TimeSpan.Zero), await ScheduledAsync(host, function));
    }

    [Fact]
    public async Task MissedWhileHostDown_RunsOnceAtStartUpAsPastDue()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var function = AzuriteInstance.UniqueName("missed");
        var log = new RunLog();
        DateTimeOffset due;
        await using (var before = await StartHostAsync(azurite, function, log, new FakeTimeProvider(Start)))
        {
            due = await ScheduledAsync(before, function);
        }

        await using var after = await StartHostAsync(azurite, function, log, new FakeTimeProvider(due.AddHours(3)));
        await log.WaitForAsync<TimerTrigger>(runs => runs.Count == 1);
        var next = await ScheduledAsync(after, function, after: due);

        var run = Assert.Single(log.Runs<TimerTrigger>());
        Assert.True(run.IsPastDue);
        Assert.Equal(due, run.ScheduledTime);
        Assert.Equal(due.AddDays(1), next);
    }

    [Fact]
    public async Task TwoHosts_SameOccurrence_RunsOnce()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var function = AzuriteInstance.UniqueName("shared");
        var log = new RunLog { Behaviour = (_, ct) => Task.Delay(200, ct) };
        var time = new FakeTimeProvider(Start);
        await using var one = await StartHostAsync(azurite, function, log, time);
        await using var two = await StartHostAsync(azurite, function, log, time);
        var due = await ScheduledAsync(one, function);
        Assert.Equal(due, await ScheduledAsync(two, function));

        time.SetUtcNow(due);
        await ScheduledAsync(one, function, after: due);
        await ScheduledAsync(two, function, after: due);

        Assert.Single(log.Runs<TimerTrigger>());
    }

    [Fact]
    public async Task AdminRun_TimerWithAsOf_RunsNowAndAnswersRunIdAndOutcome()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var function = AzuriteInstance.UniqueName("activate");
        var log = new RunLog { Behaviour = (t, _) => ((TimerTrigger)t).AsOf == new DateOnly(2026, 1, 1) ? throw new InvalidOperationException("no calendar for 2026-01-01") : Task.CompletedTask };
        await using var host = await StartHostAsync(azurite, function, log, new FakeTimeProvider(Start));

        var response = await host.Client.PostAsync(new Uri($"/admin/functions/{function}?asOf=2026-09-05", UriKind.Relative), null);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var failed = await (await host.Client.PostAsync(new Uri($"/admin/functions/{function}?asOf=2026-01-01", UriKind.Relative), null)).Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("succeeded", body.GetProperty("outcome").GetString());
        Assert.Equal("2026-09-05", body.GetProperty("asOf").GetString());
        var run = log.Runs<TimerTrigger>()[0];
        Assert.Equal(body.GetProperty("runId").GetString(), run.RunId);
        Assert.True(run.IsManual);
        Assert.Equal(new DateOnly(2026, 9, 5), run.AsOf);
        Assert.Equal("failed", failed.GetProperty("outcome").GetString());
        Assert.Contains("no calendar for 2026-01-01", failed.GetProperty("error").GetString(), StringComparison.Ordinal);
        var status = await host.Service<TimerTriggerListener>().GetStatusAsync(function, default);
        Assert.Equal(Start, status.LastManualRunAt);
    }

    [Theory]
    [InlineData("no-such-function", "", HttpStatusCode.NotFound, "function-not-found")]
    [InlineData("{queue}", "", HttpStatusCode.BadRequest, "not-a-timer-function")]
    [InlineData("{timer}", "?asOf=05/09/2026", HttpStatusCode.BadRequest, "invalid-as-of")]
    public async Task AdminRun_BadTarget_AnswersProblemWithCode(string target, string query, HttpStatusCode expected, string code)
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var timer = AzuriteInstance.UniqueName("timer");
        var queueFunction = AzuriteInstance.UniqueName("queuefn");
        await using var host = await StartHostAsync(azurite, timer, new RunLog(), new FakeTimeProvider(Start), f => f.Queue<QueueRecorder>(queueFunction, AzuriteInstance.UniqueName("q")));
        var name = target.Replace("{queue}", queueFunction, StringComparison.Ordinal).Replace("{timer}", timer, StringComparison.Ordinal);

        var response = await host.Client.PostAsync(new Uri($"/admin/functions/{name}{query}", UriKind.Relative), null);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(expected, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(code, body.GetProperty("code").GetString());
    }

    [Fact]
    public async Task AdminRun_WithoutAdminKey_Answers401()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var timer = AzuriteInstance.UniqueName("timer");
        var log = new RunLog();
        await using var host = await StartHostAsync(azurite, timer, log, new FakeTimeProvider(Start));
        using var staff = new HttpRequestMessage(HttpMethod.Post, new Uri($"/admin/functions/{timer}", UriKind.Relative));
        staff.Headers.Add("x-functions-key", "test-staff-key");

        var anonymous = await host.App.GetTestClientWithoutKey().PostAsync(new Uri($"/admin/functions/{timer}", UriKind.Relative), null);
        var forbidden = await host.Client.SendAsync(staff);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Empty(log.Runs<TimerTrigger>());
    }
}
