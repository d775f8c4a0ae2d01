using System.Net;
using System.Text.Json;
using Collection.Functions.Tests.Ledger;

namespace Collection.Functions.Tests.Reports;

/// <summary>baiyin-2023 二(一), 附表, 二(三): each level's share of 610 per insured person by county tier, and 90 for critical illness; luyang-2023 三 610/350/960.</summary>
public sealed class FiscalSharesTests : IAsyncLifetime
{
    private LedgerTestHost _host = null!;

    public async Task InitializeAsync() => _host = await LedgerTestHost.StartAsync(today: new DateOnly(2022, 11, 10));

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task EnrolAndPay(string policy, string area, string town, decimal? pay, string date = "2022-10-10")
    {
        var id = LedgerTestHost.NewId("19700101", area);
        var (status, body) = await _host.PostAsync("/api/enrolments", new { policy, idNumber = id, date, name = "居民", town, localHukou = true });
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        if (pay is { } amount)
        {
            var (paid, payment) = await _host.PostAsync("/api/payments", new { policy, idNumber = id, amount, paidOn = date, channel = "online", transactionId = "F" + Guid.NewGuid().ToString("N")[..12], inTreasury = true }, "test-tax");
            Assert.True(paid == HttpStatusCode.Created, payment.ToString());
        }
    }

    private static JsonElement County(JsonElement report, string code) =>
        report.GetProperty("counties").EnumerateArray().Single(c => c.GetProperty("countyCode").GetString() == code);

    [Fact]
    public async Task Baiyin_SharesPerCountyTier_FromTheTownOrElseTheIdNumbersRegion()
    {
        await EnrolAndPay("baiyin-2023", "620422", "会宁县郭城驿镇", 350m);
        await EnrolAndPay("baiyin-2023", "620402", "会宁县河畔镇", 350m); // the town names 会宁县: counted there, not where the number was issued
        await EnrolAndPay("baiyin-2023", "620402", "水川镇", 350m);        // no county in the town: the ID number's 白银区
        await EnrolAndPay("baiyin-2023", "620102", "某镇", 350m);          // neither: unknown
        await EnrolAndPay("baiyin-2023", "620423", "景泰县", null);        // not paid: no subsidy yet
        await EnrolAndPay("baiyin-2023", "620423", "景泰县", 350m, "2022-11-10");

        var (status, report) = await _host.GetAsync("/api/reports/baiyin-2023/fiscal-shares?date=2022-11-01");

        Assert.True(status == HttpStatusCode.OK, report.ToString());
        Assert.Equal((610m, 90m), (report.GetProperty("perPerson").GetDecimal(), report.GetProperty("criticalIllnessPerPerson").GetDecimal()));
        var huining = County(report, "620422");
        Assert.Equal((1, 2), (huining.GetProperty("tier").GetInt32(), huining.GetProperty("people").GetInt32()));
        Assert.Equal((976m, 221.6m, 0m, 22.4m, 1220m, 180m), (huining.GetProperty("central").GetDecimal(), huining.GetProperty("provincial").GetDecimal(),
            huining.GetProperty("city").GetDecimal(), huining.GetProperty("county").GetDecimal(), huining.GetProperty("government").GetDecimal(), huining.GetProperty("criticalIllness").GetDecimal()));
        var baiyin = County(report, "620402");
        Assert.Equal((2, 1, 488m, 107.2m, 6.4m, 8.4m), (baiyin.GetProperty("tier").GetInt32(), baiyin.GetProperty("people").GetInt32(), baiyin.GetProperty("central").GetDecimal(),
            baiyin.GetProperty("provincial").GetDecimal(), baiyin.GetProperty("city").GetDecimal(), baiyin.GetProperty("county").GetDecimal()));
        Assert.Equal(0, County(report, "620423").GetProperty("people").GetInt32());
        Assert.Equal((1, 0m), (County(report, "unknown").GetProperty("people").GetInt32(), County(report, "unknown").GetProperty("government").GetDecimal()));
        var total = report.GetProperty("total");
        Assert.Equal((4, 1464m, 1830m, 270m, 1400m), (total.GetProperty("people").GetInt32(), total.GetProperty("central").GetDecimal(),
            total.GetProperty("government").GetDecimal(), total.GetProperty("criticalIllness").GetDecimal(), total.GetProperty("personalPaid").GetDecimal()));

        var (_, later) = await _host.GetAsync("/api/reports/baiyin-2023/fiscal-shares?date=2022-11-10");
        Assert.Equal((1, 14.8m), (County(later, "620423").GetProperty("people").GetInt32(), County(later, "620423").GetProperty("county").GetDecimal()));
    }

    [Fact]
    public async Task Baiyin_Csv_HasChineseHeadersAndTierRows()
    {
        await EnrolAndPay("baiyin-2023", "620421", "靖远县乌兰镇", 350m);
        using var client = _host.Client();

        var bytes = await client.GetByteArrayAsync(new Uri("api/reports/baiyin-2023/fiscal-shares?format=csv", UriKind.Relative));
        var text = System.Text.Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3);

        Assert.StartsWith("档次,县区代码,县区,参保人数,中央财政,省级财政,市级财政,县区财政,财政补助合计,大病保险筹资,筹资总额,个人缴费\r\n", text, StringComparison.Ordinal);
        Assert.Contains("\r\n第1档,620421,靖远县,1,488.00,110.80,0.00,11.20,610.00,90.00,,350.00\r\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Luyang_GovernmentAndFinancingPerPerson()
    {
        await EnrolAndPay("luyang-2023", "340103", "海棠街道", 350m);
        await EnrolAndPay("luyang-2023", "340103", "杏林街道", 350m);

        var (status, report) = await _host.GetAsync("/api/reports/luyang-2023/fiscal-shares");

        Assert.Equal(HttpStatusCode.OK, status);
        var total = report.GetProperty("total");
        Assert.Equal((2, 1220m, 1920m, 700m), (total.GetProperty("people").GetInt32(), total.GetProperty("government").GetDecimal(),
            total.GetProperty("financing").GetDecimal(), total.GetProperty("personalPaid").GetDecimal()));
    }

    [Theory]
    [InlineData("/api/reports/wuhai-2022/fiscal-shares", HttpStatusCode.NotFound, "no-fiscal-subsidy")]
    [InlineData("/api/reports/baiyin-2023/fiscal-shares?date=2022-02-30", HttpStatusCode.BadRequest, "invalid-date")]
    [InlineData("/api/reports/baiyin-2023/fiscal-shares?format=doc", HttpStatusCode.BadRequest, "unknown-format")]
    public async Task BadRequests_AreProblemsWithChineseDetail(string path, HttpStatusCode expected, string code)
    {
        var (status, problem) = await _host.GetAsync(path);

        Assert.Equal(expected, status);
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detailZh").GetString()));
    }
}
