using System.Net;
using System.Text.Json;
using Collection.Functions.Tests.Ledger;

namespace Collection.Functions.Tests;

/// <summary>
/// <c>Collection:BusinessDate</c>: a host whose machine clock says 2026 runs a 2022 year as of a configured day
/// (training, rehearsals, replays), through the HTTP API.
/// </summary>
public sealed class BusinessDateTests
{
    // The machine's real day (2026 or later) is years after every hosted coverage year.
    private static Task<LedgerTestHost> StartAsync(string? businessDate, IReadOnlyDictionary<string, string>? more = null)
    {
        var settings = new Dictionary<string, string>(more ?? new Dictionary<string, string>()) { [ChinaClock.BusinessDateSetting] = businessDate ?? "" };
        return LedgerTestHost.StartAsync(today: businessDate is null ? null : DateOnly.Parse(businessDate, System.Globalization.CultureInfo.InvariantCulture), settings: settings);
    }

    private static async Task EnrolAndPayAsync(LedgerTestHost host, string policy, string id, string day, decimal amount)
    {
        var (enrolled, body) = await host.PostAsync("/api/enrolments", new { policy, idNumber = id, date = day, name = "王五", town = "树林召镇", source = "window" });
        Assert.True(enrolled == HttpStatusCode.Created, body.ToString());
        var (posted, answer) = await host.PostAsync("/api/payments", new { policy, idNumber = id, amount, paidOn = day, channel = "online", transactionId = "T" + Guid.NewGuid().ToString("N")[..16], inTreasury = true }, "test-tax");
        Assert.True(posted == HttpStatusCode.Created, answer.ToString());
    }

    private static async Task<string?> StatusAsync(LedgerTestHost host, string policy, string id)
    {
        var (status, body) = await host.GetAsync($"/api/enrolments/{policy}/{id}");
        Assert.Equal(HttpStatusCode.OK, status);
        return body.GetProperty("status").GetString();
    }

    private static async Task<JsonElement> ActivateAsync(LedgerTestHost host, string? asOf)
    {
        var (status, body) = await host.PostAsync("/api/jobs/ActivateCoverage/runs" + (asOf is null ? "" : "?asOf=" + asOf), new { }, "test-admin");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("succeeded", body.GetProperty("outcome").GetString());
        return body.GetProperty("summary");
    }

    [Fact]
    public async Task PaymentFor2022_Under2022BusinessDate_IsPaidNotExpired_AndEveryAnswerCarriesTheDate()
    {
        await using var host = await StartAsync("2022-04-20");
        var id = LedgerTestHost.NewId("19800101", "150621");

        await EnrolAndPayAsync(host, "dalate-2022", id, "2022-04-10", 360m);
        using var client = host.Client();
        using var response = await client.GetAsync(new Uri($"/api/enrolments/dalate-2022/{id}", UriKind.Relative));

        // dalate-2022 二(二) “设置3个月待遇等待期”: paid 2022-04-10, covered from 2022-07-10 — not yet, on 2022-04-20.
        Assert.Equal("paid", await StatusAsync(host, "dalate-2022", id));
        Assert.Equal("2022-04-20", Assert.Single(response.Headers.GetValues(ChinaClock.HeaderName)));
    }

    [Fact]
    public async Task PaymentFor2022_WithoutBusinessDate_IsExpiredAtOnce()
    {
        // The contrast: the machine's day (2026-12-02) is past the coverage year, so the same payment expires.
        await using var host = await StartAsync(null);
        var id = LedgerTestHost.NewId("19800101", "150621");

        await EnrolAndPayAsync(host, "dalate-2022", id, "2022-04-10", 360m);

        Assert.Equal("expired", await StatusAsync(host, "dalate-2022", id));
    }

    [Fact]
    public async Task ReplayingActivateCoverage_DayByDay_ShowsPaidThenActiveThenExpired()
    {
        await using var host = await StartAsync("2022-04-20");
        var id = LedgerTestHost.NewId("19800102", "150621");
        await EnrolAndPayAsync(host, "dalate-2022", id, "2022-04-10", 360m);

        var seen = new List<string?>();
        foreach (var day in new[] { "2022-07-09", "2022-07-10", "2023-01-01" })
        {
            var summary = await ActivateAsync(host, day);
            Assert.Equal(day, summary.GetProperty("asOf").GetString());
            seen.Add(await StatusAsync(host, "dalate-2022", id));
        }

        Assert.Equal(["paid", "active", "expired"], seen);
    }

    [Fact]
    public async Task TimerRunWithoutAsOf_ActsForTheBusinessDate()
    {
        await using var host = await StartAsync("2022-07-10");
        var id = LedgerTestHost.NewId("19800103", "150621");
        await EnrolAndPayAsync(host, "dalate-2022", id, "2022-04-10", 360m);

        var summary = await ActivateAsync(host, asOf: null);

        Assert.Equal("2022-07-10", summary.GetProperty("asOf").GetString());
        Assert.Equal("active", await StatusAsync(host, "dalate-2022", id));
    }

    [Fact]
    public async Task AssessmentWithoutDate_IsForTheBusinessDate()
    {
        // luyang-2023 五(四) “通过微信参保缴费的，从缴费之日起可享受居民医保待遇”: covered from today, the business date.
        await using var host = await StartAsync("2022-09-25");

        var (status, body) = await host.PostAsync("/api/assessments", new { policy = "luyang-2023", birthDate = "2004-05-05", population = "大学生", paymentMode = "wechat" });

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("2022-09-25", body.GetProperty("coverageStart").GetString());
    }

    [Fact]
    public async Task Health_ShowsTheBusinessDate_OrTheRealChinaDateWhenNoneIsSet()
    {
        await using var rehearsal = await StartAsync("2022-04-20");
        await using var live = await StartAsync(null);

        var (_, configured) = await rehearsal.GetAsync("/api/health", key: null);
        var (_, real) = await live.GetAsync("/api/health", key: null);

        Assert.Equal("2022-04-20", configured.GetProperty("businessDate").GetString());
        Assert.True(configured.GetProperty("businessDateConfigured").GetBoolean());
        Assert.Equal(ChinaToday(), real.GetProperty("businessDate").GetString());
        Assert.False(real.GetProperty("businessDateConfigured").GetBoolean());
    }

    [Fact]
    public async Task UnauthorisedAnswer_StillCarriesTheBusinessDate()
    {
        await using var host = await StartAsync("2022-04-20");
        using var client = host.Client(key: null);

        using var response = await client.GetAsync(new Uri("/api/enrolments?policy=dalate-2022", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("2022-04-20", Assert.Single(response.Headers.GetValues(ChinaClock.HeaderName)));
    }

    [Theory]
    [InlineData("AZURE_FUNCTIONS_ENVIRONMENT")]
    [InlineData("ASPNETCORE_ENVIRONMENT")]
    public async Task BusinessDate_InProduction_RefusesToStart(string setting)
    {
        // What the worker does first when it starts (Program.cs): it stops with the reason.
        var refused = Record.Exception(() => AppHost.Compose(new Dictionary<string, string> { [ChinaClock.BusinessDateSetting] = "2022-04-20", [setting] = "Production" }));

        Assert.NotNull(refused);
        Assert.Contains(Messages(refused), m => m.Contains("Collection:BusinessDate", StringComparison.Ordinal) && m.Contains("Production", StringComparison.Ordinal));
    }

    [Fact]
    public async Task BusinessDate_NotADate_RefusesToStart()
    {
        var refused = Record.Exception(() => AppHost.Compose(new Dictionary<string, string> { [ChinaClock.BusinessDateSetting] = "20.04.2022" }));

        Assert.NotNull(refused);
        Assert.Contains(Messages(refused), m => m.Contains("yyyy-MM-dd", StringComparison.Ordinal));
    }

    [Fact]
    public async Task NoBusinessDate_InProduction_Starts()
    {
        await using var host = await StartAsync(null, new Dictionary<string, string> { ["AZURE_FUNCTIONS_ENVIRONMENT"] = "Production" });

        var (status, body) = await host.GetAsync("/api/health", key: null);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(ChinaToday(), body.GetProperty("businessDate").GetString());
    }

    private static string ChinaToday() => DateTime.UtcNow.AddHours(8).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task RequestBusinessDate_InARehearsal_ActsAsOfThatDay_AndTheLiveServiceRefusesIt()
    {
        await using var rehearsal = await StartAsync("2022-04-20");
        await using var live = await StartAsync(null);
        using var asked = rehearsal.App.CreateClient("test-staff", new DateOnly(2022, 7, 10));
        using var refused = live.App.CreateClient("test-staff", new DateOnly(2022, 7, 10));

        using var answer = await asked.GetAsync(new Uri("api/health", UriKind.Relative));
        using var problem = await refused.GetAsync(new Uri("api/health", UriKind.Relative));

        Assert.Equal("2022-07-10", Assert.Single(answer.Headers.GetValues(ChinaClock.HeaderName)));
        Assert.Equal(HttpStatusCode.BadRequest, problem.StatusCode);
        Assert.Contains("business-date-not-allowed", await problem.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static IEnumerable<string> Messages(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            yield return e.Message;
            if (e is AggregateException all)
            {
                foreach (var inner in all.InnerExceptions.SelectMany(Messages))
                {
                    yield return inner;
                }
            }
        }
    }
}
