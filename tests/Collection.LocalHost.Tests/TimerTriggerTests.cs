using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Storage.Blobs.Models;
using Collection.LocalHost.Triggers;
using Microsoft.Extensions.Time.Testing;

namespace Collection.LocalHost.Tests;

/// <summary>
/// The timer listener through the real host and worker, its clock driven by the test: Tick runs daily at
/// 01:00, read in China time (no <c>WEBSITE_TIME_ZONE</c>); the clock starts ten seconds before.
/// </summary>
public sealed class TimerTriggerTests(TimerTriggerTests.FakeClockHost fixture) : IClassFixture<TimerTriggerTests.FakeClockHost>
{
    /// <summary>2026-09-05 00:59:50 in China: "0 0 1 * * *" is next due at 01:00 China, 17:00 UTC the day before.</summary>
    public static readonly DateTimeOffset Start = new(2026, 9, 4, 16, 59, 50, TimeSpan.Zero);

    public const string DailyAtOneAm = "0 0 1 * * *";

    private static readonly DateTimeOffset DueChinaOneAm = new(2026, 9, 4, 17, 0, 0, TimeSpan.Zero);

    private readonly LocalHostFixture _host = fixture.Host;

    [Fact]
    public async Task Schedule_InChinaTime_RunsWhenTheClockReachesIt_AndPersistsTheNextOccurrence()
    {
        var listener = _host.Service<TimerTriggerListener>();
        var due = await ScheduledAsync(_host);
        var before = await TicksAsync(_host);
        Assert.Equal(DueChinaOneAm, due);

        fixture.Time.SetUtcNow(due);
        var next = await ScheduledAsync(_host, after: due);

        var tick = Assert.Single(await TicksAsync(_host), t => !before.ContainsKey(t.Key)).Value;
        Assert.False(tick.GetProperty("isPastDue").GetBoolean());
        Assert.Equal(due.AddDays(1), tick.GetProperty("next").GetDateTimeOffset());
        Assert.Equal(due.AddDays(1), next);
        var status = await listener.GetStatusAsync("Tick", default);
        Assert.Equal(due, status.LastScheduled);
        Assert.Equal(due.AddDays(1), status.Next);
        Assert.Equal(TimerRunResult.SucceededOutcome, status.LastOutcome);
    }

    [Fact]
    public async Task AdminRun_OfATimer_RunsItNow_AndRecordsTheManualRun()
    {
        var before = await TicksAsync(_host);

        using var response = await _host.Http.PostAsync("admin/functions/Tick", null);
        response.EnsureSuccessStatusCode();
        var run = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal("succeeded", run.GetProperty("outcome").GetString());
        Assert.Single(await TicksAsync(_host), t => !before.ContainsKey(t.Key));
        Assert.Equal(fixture.Time.GetUtcNow(), (await _host.Service<TimerTriggerListener>().GetStatusAsync("Tick", default)).LastManualRunAt);
    }

    [Theory]
    [InlineData("Hello", HttpStatusCode.BadRequest, "not-a-timer")]
    [InlineData("NoSuchFunction", HttpStatusCode.NotFound, "no-such-function")]
    public async Task AdminRun_OfSomethingElse_IsRefusedWithACode(string name, HttpStatusCode status, string code)
    {
        using var response = await _host.Http.PostAsync($"admin/functions/{name}", null);

        Assert.Equal(status, response.StatusCode);
        Assert.Equal(code, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    /// <summary>The occurrence Tick's schedule waits for (later than <paramref name="after"/>): when a test may move the clock.</summary>
    public static async Task<DateTimeOffset> ScheduledAsync(LocalHostFixture host, DateTimeOffset? after = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        return await host.Service<TimerTriggerListener>().WaitUntilScheduledAsync("Tick", after, timeout.Token);
    }

    /// <summary>Every run of Tick, as the test app wrote it (<c>tick-*.json</c>).</summary>
    public static async Task<Dictionary<string, JsonElement>> TicksAsync(LocalHostFixture host)
    {
        ArgumentNullException.ThrowIfNull(host);
        var ticks = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        if (!(await host.Output.ExistsAsync()).Value)
        {
            return ticks;
        }

        await foreach (var blob in host.Output.GetBlobsAsync(BlobTraits.None, BlobStates.None, "tick-", default))
        {
            ticks[blob.Name] = await host.WaitForOutputAsync(blob.Name);
        }

        return ticks;
    }

    /// <summary>A host whose trigger listeners run on a fake clock set to <see cref="Start"/>.</summary>
    public sealed class FakeClockHost : IAsyncLifetime
    {
        public FakeTimeProvider Time { get; } = new(Start);

        public LocalHostFixture Host { get; } = new();

        public Task InitializeAsync()
        {
            Host.Time = Time;
            Host.Values["TickSchedule"] = DailyAtOneAm;
            return Host.InitializeAsync();
        }

        public Task DisposeAsync() => Host.DisposeAsync();
    }
}

/// <summary>Schedules are read in the zone that <c>WEBSITE_TIME_ZONE</c> names.</summary>
public sealed class TimerTimeZoneTests(TimerTimeZoneTests.UtcHost fixture) : IClassFixture<TimerTimeZoneTests.UtcHost>
{
    [Fact]
    public async Task Schedule_WithTheTimeZoneSetting_IsReadInThatZone()
    {
        Assert.Equal(new DateTimeOffset(2026, 9, 5, 1, 0, 0, TimeSpan.Zero), await TimerTriggerTests.ScheduledAsync(fixture.Host));
    }

    public sealed class UtcHost : IAsyncLifetime
    {
        public LocalHostFixture Host { get; } = new();

        public Task InitializeAsync()
        {
            Host.Time = new FakeTimeProvider(TimerTriggerTests.Start);
            Host.Values["TickSchedule"] = TimerTriggerTests.DailyAtOneAm;
            Host.Values["WEBSITE_TIME_ZONE"] = "UTC";
            return Host.InitializeAsync();
        }

        public Task DisposeAsync() => Host.DisposeAsync();
    }
}
