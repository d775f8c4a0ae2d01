using System.Net;
using System.Text.Json;
using Collection.Domain;
using Collection.Domain.Enrolments;
using Collection.Functions.Tests.Ledger;
using Collection.Functions.Timers;
using Collection.Runtime.Timers;
using Collection.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Collection.Functions.Tests.Timers;

public sealed class ActivateCoverageTests
{
    private static readonly TimeSpan China = TimeSpan.FromHours(8);

    private static FakeTimeProvider ClockAt(int year, int month, int day, int hour) =>
        new(new DateTimeOffset(year, month, day, hour, 0, 0, China).ToUniversalTime());

    private static async Task EnrolAndPayAsync(LedgerTestHost host, string policy, string id, string day, decimal amount, bool migrantWorker = false)
    {
        var (enrolled, body) = await host.PostAsync("/api/enrolments", new { policy, idNumber = id, date = day, name = "王五", town = "树林召镇", source = "window", migrantWorkerWithProof = migrantWorker });
        Assert.True(enrolled == HttpStatusCode.Created, body.ToString());
        var (posted, answer) = await host.PostAsync("/api/payments", new { policy, idNumber = id, amount, paidOn = day, channel = "online", transactionId = "T" + Guid.NewGuid().ToString("N")[..16], inTreasury = true }, "test-tax");
        Assert.True(posted == HttpStatusCode.Created, answer.ToString());
    }

    private static async Task<JsonElement> RunAsync(LedgerTestHost host, string asOf)
    {
        var (status, body) = await host.PostAsync($"/admin/functions/ActivateCoverage?asOf={asOf}", new { }, "test-admin");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("succeeded", body.GetProperty("outcome").GetString());
        return body;
    }

    private static async Task<Enrolment> EnrolmentAsync(LedgerTestHost host, string policy, string id) =>
        (await host.Ledger.GetAsync(policy, ResidentId.Parse(id)))!.Enrolment;

    [Fact]
    public async Task Dalate_PaidAfterCollectionPeriod_PaidThroughWaitingPeriodActiveFromJuly10()
    {
        await using var host = await LedgerTestHost.StartAsync();
        var id = LedgerTestHost.NewId("19800101", "150621");
        await EnrolAndPayAsync(host, "dalate-2022", id, "2022-04-10", 360m);

        var before = await RunAsync(host, "2022-07-09");
        var statusBefore = (await EnrolmentAsync(host, "dalate-2022", id)).Status;
        var on = await RunAsync(host, "2022-07-10");
        var after = await EnrolmentAsync(host, "dalate-2022", id);

        Assert.Equal(EnrolmentStatus.Paid, statusBefore);
        Assert.Equal(0, before.GetProperty("summary").GetProperty("activated").GetInt32());
        Assert.Equal(1, on.GetProperty("summary").GetProperty("activated").GetInt32());
        Assert.Equal("2022-07-10", on.GetProperty("summary").GetProperty("asOf").GetString());
        Assert.Equal(EnrolmentStatus.Active, after.Status);
        Assert.Equal(new DateOnly(2022, 7, 10), after.CoverageStart);
        var change = after.History[^1];
        Assert.Equal("coverage-started", change.Cause);
        Assert.Equal("timer:ActivateCoverage@2022-07-10", change.Actor);
        Assert.Equal(EnrolmentStatus.Active, change.Status);
    }

    [Fact]
    public async Task Bagongshan_MigrantWorkerPaidFebruary10_ActiveFromFebruary11()
    {
        await using var host = await LedgerTestHost.StartAsync(time: ClockAt(2022, 2, 10, 10));
        var id = LedgerTestHost.NewId("19900315", "340405");
        await EnrolAndPayAsync(host, "bagongshan-2022", id, "2022-02-10", 320m, migrantWorker: true);

        var paidOnTheDay = (await EnrolmentAsync(host, "bagongshan-2022", id)).Status;
        await RunAsync(host, "2022-02-10");
        var stillPaid = (await EnrolmentAsync(host, "bagongshan-2022", id)).Status;
        await RunAsync(host, "2022-02-11");
        var next = await EnrolmentAsync(host, "bagongshan-2022", id);

        Assert.Equal(EnrolmentStatus.Paid, paidOnTheDay);
        Assert.Equal(EnrolmentStatus.Paid, stillPaid);
        Assert.Equal(EnrolmentStatus.Active, next.Status);
        Assert.Equal("timer:ActivateCoverage@2022-02-11", next.History[^1].Actor);
    }

    [Fact]
    public async Task Wuhai_ActiveEnrolment_ExpiresTheDayAfterCoverageEndAndOnlyOnce()
    {
        await using var host = await LedgerTestHost.StartAsync();
        var id = LedgerTestHost.NewId();
        await EnrolAndPayAsync(host, "wuhai-2022", id, "2021-12-01", 460m);

        await RunAsync(host, "2022-12-31");
        var lastDay = (await EnrolmentAsync(host, "wuhai-2022", id)).Status;
        var expiring = await RunAsync(host, "2023-01-01");
        var again = await RunAsync(host, "2023-01-01");
        var after = await EnrolmentAsync(host, "wuhai-2022", id);

        Assert.Equal(EnrolmentStatus.Active, lastDay);
        Assert.Equal(1, expiring.GetProperty("summary").GetProperty("expired").GetInt32());
        Assert.Equal(0, again.GetProperty("summary").GetProperty("expired").GetInt32());
        Assert.Equal(0, again.GetProperty("summary").GetProperty("examined").GetInt32());
        Assert.Equal(EnrolmentStatus.Expired, after.Status);
        Assert.Single(after.History, h => h.Cause == "coverage-ended");
        Assert.Equal("timer:ActivateCoverage@2023-01-01", after.History[^1].Actor);
    }

    [Fact]
    public async Task Schedule_RunsAt0005ChinaTime_AndARunMissedWhileDownRunsAtStartUp()
    {
        // A dedicated Azurite: the timer's status blob has a fixed name, and this test turns the timer on.
        await using var azurite = await AzuriteInstance.StartAsync();
        var prefix = AzuriteInstance.UniqueName("act");
        void TimerOn(IWebHostBuilder b) => b.UseSetting("AzureWebJobs.ActivateCoverage.Disabled", "false");
        var first = LedgerTestHost.NewId("19800101", "150621");
        var second = LedgerTestHost.NewId("19810101", "150621");
        DateTimeOffset due;
        await using (var host = await LedgerTestHost.StartAsync(azurite.ConnectionString, prefix, ClockAt(2022, 7, 9, 23), TimerOn))
        {
            await EnrolAndPayAsync(host, "dalate-2022", first, "2022-04-10", 360m);
            await EnrolAndPayAsync(host, "dalate-2022", second, "2022-04-11", 360m);
            var timers = host.Factory.Services.GetRequiredService<TimerTriggerListener>();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            due = await timers.WaitUntilScheduledAsync(ActivateCoverageFunction.Name, null, timeout.Token);
            Assert.Equal(new DateTimeOffset(2022, 7, 10, 0, 5, 0, China), due);

            host.Time.SetUtcNow(due);
            await timers.WaitUntilScheduledAsync(ActivateCoverageFunction.Name, due, timeout.Token);

            Assert.Equal(EnrolmentStatus.Active, (await EnrolmentAsync(host, "dalate-2022", first)).Status);
            Assert.Equal(EnrolmentStatus.Paid, (await EnrolmentAsync(host, "dalate-2022", second)).Status);
        }

        // Down over 2022-07-11 00:05; back on 2022-07-12 at 09:00.
        await using var restarted = await LedgerTestHost.StartAsync(azurite.ConnectionString, prefix, ClockAt(2022, 7, 12, 9), TimerOn);
        var listener = restarted.Factory.Services.GetRequiredService<TimerTriggerListener>();
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var nextDue = await listener.WaitUntilScheduledAsync(ActivateCoverageFunction.Name, due.AddDays(1), wait.Token);
        var caughtUp = await EnrolmentAsync(restarted, "dalate-2022", second);
        var (_, runs) = await restarted.GetAsync("/admin/functions/ActivateCoverage/runs", "test-admin");

        Assert.Equal(new DateTimeOffset(2022, 7, 13, 0, 5, 0, China), nextDue);
        Assert.Equal(EnrolmentStatus.Active, caughtUp.Status);
        Assert.Equal("timer:ActivateCoverage@2022-07-11", caughtUp.History[^1].Actor);
        var latest = runs[0];
        Assert.True(latest.GetProperty("isPastDue").GetBoolean());
        Assert.Equal(due.AddDays(1), latest.GetProperty("scheduledTime").GetDateTimeOffset());
        Assert.Equal(1, latest.GetProperty("summary").GetProperty("activated").GetInt32());
        Assert.Equal(2, runs.GetArrayLength());
    }
}
