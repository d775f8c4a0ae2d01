using System.Net;
using System.Text.Json;
using Collection.Domain;
using Collection.Domain.Enrolments;
using Collection.Functions.Tests.Ledger;
using Collection.Functions.Timers;
using Collection.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Collection.Functions.Tests.Timers;

public sealed class ActivateCoverageTests
{
    private static async Task EnrolAndPayAsync(LedgerTestHost host, string policy, string id, string day, decimal amount, bool migrantWorker = false)
    {
        var (enrolled, body) = await host.PostAsync("/api/enrolments", new { policy, idNumber = id, date = day, name = "王五", town = "树林召镇", source = "window", migrantWorkerWithProof = migrantWorker });
        Assert.True(enrolled == HttpStatusCode.Created, body.ToString());
        var (posted, answer) = await host.PostAsync("/api/payments", new { policy, idNumber = id, amount, paidOn = day, channel = "online", transactionId = "T" + Guid.NewGuid().ToString("N")[..16], inTreasury = true }, "test-tax");
        Assert.True(posted == HttpStatusCode.Created, answer.ToString());
    }

    private static async Task<JsonElement> RunAsync(LedgerTestHost host, string asOf)
    {
        var (status, body) = await host.PostAsync($"/api/jobs/ActivateCoverage/runs?asOf={asOf}", new { }, "test-admin");
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
        var change = (await host.Ledger.HistoryAsync("dalate-2022", id))[^1];
        Assert.Equal("coverage-started", change.Cause);
        Assert.Equal("timer:ActivateCoverage@2022-07-10", change.Actor);
        Assert.Equal(EnrolmentStatus.Active, change.Status);
    }

    [Fact]
    public async Task Bagongshan_MigrantWorkerPaidFebruary10_ActiveFromFebruary11()
    {
        await using var host = await LedgerTestHost.StartAsync(today: new DateOnly(2022, 2, 10));
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
        Assert.Equal("timer:ActivateCoverage@2022-02-11", (await host.Ledger.HistoryAsync("bagongshan-2022", id))[^1].Actor);
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
        var history = await host.Ledger.HistoryAsync("wuhai-2022", id);
        Assert.Single(history, h => h.Cause == "coverage-ended");
        Assert.Equal("timer:ActivateCoverage@2023-01-01", history[^1].Actor);
    }

    [Fact]
    public async Task TimerOccurrence_FromTheSettingsSchedule_ActsForTheBusinessDate_AndIsInTheRunHistory()
    {
        // The host fires the timer as on its schedule (the local host's "run now"); when it fires is the host's
        // business (its own tests cover schedules and past-due runs), what day it acts for is the app's.
        await using var host = await LedgerTestHost.StartAsync(today: new DateOnly(2022, 7, 10), settings: new Dictionary<string, string> { ["AzureWebJobs.ActivateCoverage.Disabled"] = "false" });
        var due = LedgerTestHost.NewId("19800101", "150621");
        var notYet = LedgerTestHost.NewId("19810101", "150621");
        host.Today = new DateOnly(2022, 4, 20); // paid in April (requests may name their day), covered after three months
        await EnrolAndPayAsync(host, "dalate-2022", due, "2022-04-10", 360m);
        await EnrolAndPayAsync(host, "dalate-2022", notYet, "2022-04-11", 360m);

        using var client = host.Client(key: null);
        using var fired = await client.PostAsync(new Uri("admin/functions/ActivateCoverage", UriKind.Relative), null);
        var (_, runs) = await host.GetAsync("/api/jobs/ActivateCoverage/runs", "test-admin");

        Assert.Equal(HttpStatusCode.OK, fired.StatusCode);
        Assert.Equal(EnrolmentStatus.Active, (await EnrolmentAsync(host, "dalate-2022", due)).Status);
        Assert.Equal(EnrolmentStatus.Paid, (await EnrolmentAsync(host, "dalate-2022", notYet)).Status);
        Assert.Equal("timer:ActivateCoverage@2022-07-10", (await host.Ledger.HistoryAsync("dalate-2022", due))[^1].Actor);
        var run = Assert.Single(runs.EnumerateArray());
        Assert.Equal(("timer", "2022-07-10", "succeeded"), (run.GetProperty("trigger").GetString(), run.GetProperty("asOf").GetString(), run.GetProperty("outcome").GetString()));
        Assert.Equal(1, run.GetProperty("summary").GetProperty("activated").GetInt32());
    }
}
