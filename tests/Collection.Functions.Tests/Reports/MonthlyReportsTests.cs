using System.Net;
using System.Text;
using Azure.Storage.Blobs;
using Collection.Functions.Tests.Ledger;
using Microsoft.Extensions.DependencyInjection;

using Collection.Files.Tests;

namespace Collection.Functions.Tests.Reports;

/// <summary>luyang-2023 八(四) "集中参保期内……每月15日前……报送参保工作信息": the MonthlyReports job on the 15th.</summary>
public sealed class MonthlyReportsTests : IAsyncLifetime
{
    private LedgerTestHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = await LedgerTestHost.StartAsync(today: new DateOnly(2022, 10, 20));
        using (var client = _host.Client("test-admin"))
        {
            using var content = new ByteArrayContent(Encoding.UTF8.GetBytes("乡镇街道,任务数\r\n海棠街道,12000\r\n杏林街道,8000\r\n"));
            Assert.Equal(HttpStatusCode.OK, (await client.PutAsync(new Uri("api/reports/luyang-2023/targets", UriKind.Relative), content)).StatusCode);
        }

        await EnrolAndPay("海棠街道", "2022-09-10", "2022-09-10");
        await EnrolAndPay("海棠街道", "2022-10-05", "2022-10-05");
        await EnrolAndPay("海棠街道", "2022-10-05", null);
        await EnrolAndPay("海棠街道", "2022-10-16", "2022-10-16");
        await EnrolAndPay("杏林街道", "2022-09-20", "2022-10-08");
        await EnrolAndPay("=HYPERLINK(\"http://x\")", "2022-10-01", "2022-10-01");
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task EnrolAndPay(string town, string date, string? paidOn)
    {
        var id = LedgerTestHost.NewId("19700101", "340103");
        var (status, body) = await _host.PostAsync("/api/enrolments", new { policy = "luyang-2023", idNumber = id, date, name = "居民", town });
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        if (paidOn is not null)
        {
            var (paid, payment) = await _host.PostAsync("/api/payments", new { policy = "luyang-2023", idNumber = id, amount = 350m, paidOn, channel = "online", transactionId = "M" + Guid.NewGuid().ToString("N")[..12], inTreasury = true }, "test-tax");
            Assert.True(paid == HttpStatusCode.Created, payment.ToString());
        }
    }

    private async Task<System.Text.Json.JsonElement> RunAsync(string asOf)
    {
        var (status, run) = await _host.PostAsync($"/api/jobs/MonthlyReports/runs?asOf={asOf}", new { }, "test-admin");
        Assert.True(status == HttpStatusCode.OK, run.ToString());
        Assert.Equal("succeeded", run.GetProperty("outcome").GetString());
        return run.GetProperty("summary").GetProperty("reports");
    }

    private BlobContainerClient Reports => _host.Services.GetRequiredService<BlobServiceClient>().GetBlobContainerClient("reports");

    [Fact]
    public async Task OnThe15th_EachTownAndTheSummaryAreWritten_AsOfThe14th_WithTheMonthsNewFigures()
    {
        var reports = await RunAsync("2022-10-15");

        var luyang = Assert.Single(reports.EnumerateArray());
        Assert.Equal(("luyang-2023", "2022-10", "2022-10-14", "2022-09-15"), (luyang.GetProperty("policy").GetString(), luyang.GetProperty("month").GetString(),
            luyang.GetProperty("asOf").GetString(), luyang.GetProperty("since").GetString()));
        Assert.Contains("reports/luyang-2023/monthly/2022-10/海棠街道.xlsx", luyang.GetProperty("blobs").EnumerateArray().Select(b => b.GetString()));
        Assert.Contains("reports/luyang-2023/monthly/2022-10/汇总.csv", luyang.GetProperty("blobs").EnumerateArray().Select(b => b.GetString()));

        using var client = _host.Client();
        var csv = await client.GetByteArrayAsync(new Uri("api/reports/luyang-2023/monthly/2022-10?unit=海棠街道&format=csv", UriKind.Relative));
        var text = Encoding.UTF8.GetString(csv, 3, csv.Length - 3);
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, csv[..3]);
        Assert.StartsWith("单位,类别,征缴任务数,参保登记人数,参保缴费人数,", text, StringComparison.Ordinal);
        Assert.Contains(",本期新增登记人数,本期新增参保缴费人数,本期个人缴费金额\r\n", text, StringComparison.Ordinal);
        // Three enrolled by 10-14 (the one of 10-16 is next month's), two paid; of them, two enrolled and one paid since 09-15.
        Assert.Equal("海棠街道,乡镇街道,12000,3,2,2,0,0,1,700.00,0.00,0.02%,11998,2,1,350.00", text.Split("\r\n")[1]);

        var summary = TestFiles.AssertOpensWithoutFormulas(await client.GetByteArrayAsync(new Uri("api/reports/luyang-2023/monthly/2022-10?format=csv", UriKind.Relative)));
        Assert.Contains("'=HYPERLINK(\"http://x\")", summary);
        Assert.Contains("合计", summary);

        var xlsx = await client.GetByteArrayAsync(new Uri("api/reports/luyang-2023/monthly/2022-10?unit=杏林街道", UriKind.Relative));
        var blob = (await Reports.GetBlobClient("luyang-2023/monthly/2022-10/杏林街道.xlsx").DownloadContentAsync()).Value.Content.ToArray();
        Assert.Equal(blob, xlsx);
        using var reader = Collection.Files.TabularReader.Open(new MemoryStream(xlsx), "m.xlsx");
        var rows = reader.ReadRows().Select(r => r.Cells.ToArray()).ToList();
        Assert.Equal("本期新增参保缴费人数", rows[0][14]);
        Assert.Equal(["杏林街道", "乡镇街道", "8000", "1", "1"], rows[1][..5]);
        Assert.Equal("1", rows[1][14]);
    }

    [Fact]
    public async Task TheSameDayRunTwice_WritesTheSameBytes()
    {
        await RunAsync("2022-10-15");
        var first = (await Reports.GetBlobClient("luyang-2023/monthly/2022-10/汇总.xlsx").DownloadContentAsync()).Value.Content.ToArray();
        var firstCsv = (await Reports.GetBlobClient("luyang-2023/monthly/2022-10/汇总.csv").DownloadContentAsync()).Value.Content.ToArray();

        await RunAsync("2022-10-15");
        var second = (await Reports.GetBlobClient("luyang-2023/monthly/2022-10/汇总.xlsx").DownloadContentAsync()).Value.Content.ToArray();
        var secondCsv = (await Reports.GetBlobClient("luyang-2023/monthly/2022-10/汇总.csv").DownloadContentAsync()).Value.Content.ToArray();

        Assert.Equal(first, second);
        Assert.Equal(firstCsv, secondCsv);
    }

    [Theory]
    [InlineData("2022-10-16")]
    [InlineData("2022-09-01")]
    [InlineData("2023-01-15")]
    public async Task NotAReportDay_OrOutsideThePeriod_WritesNothing(string asOf)
    {
        var reports = await RunAsync(asOf);

        Assert.Equal(0, reports.GetArrayLength());
    }

    [Fact]
    public async Task FirstReportOfThePeriod_CountsFromTheFirstDay()
    {
        var luyang = Assert.Single((await RunAsync("2022-09-15")).EnumerateArray());

        Assert.Equal(("2022-09-01", "2022-09-14"), (luyang.GetProperty("since").GetString(), luyang.GetProperty("asOf").GetString()));
        Assert.Equal(["海棠街道", "杏林街道"], luyang.GetProperty("units").EnumerateArray().Select(u => u.GetString()));
    }

    [Theory]
    [InlineData("/api/reports/luyang-2023/monthly/2022-13", HttpStatusCode.BadRequest, "invalid-month")]
    [InlineData("/api/reports/luyang-2023/monthly/2021-01?unit=海棠街道", HttpStatusCode.NotFound, "report-not-written")]
    [InlineData("/api/reports/nowhere/monthly/2022-10", HttpStatusCode.NotFound, "unknown-policy")]
    [InlineData("/api/reports/luyang-2023/monthly/2022-10?format=pdf", HttpStatusCode.BadRequest, "unknown-format")]
    public async Task BadRequests_AreProblemsWithChineseDetail(string path, HttpStatusCode expected, string code)
    {
        var (status, problem) = await _host.GetAsync(path);

        Assert.Equal(expected, status);
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detailZh").GetString()));
    }
}
