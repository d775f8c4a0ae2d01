using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Collection.Functions.Tests.Ledger;

namespace Collection.Functions.Tests.Reports;

/// <summary>luyang-2023 一 "具体任务另行通知": the towns' tasks come as an uploaded table, and progress counts against them.</summary>
public sealed class UploadedTargetsTests : IAsyncLifetime
{
    private LedgerTestHost _host = null!;

    public async Task InitializeAsync() => _host = await LedgerTestHost.StartAsync(today: new DateOnly(2022, 10, 20));

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<(HttpStatusCode Status, JsonElement Body)> PutAsync(string policy, string csv, string key = "test-admin", Encoding? encoding = null)
    {
        using var client = _host.Client(key);
        using var content = new ByteArrayContent((encoding ?? Encoding.UTF8).GetBytes(csv));
        var response = await client.PutAsync(new Uri($"api/reports/{policy}/targets?file=tasks.csv", UriKind.Relative), content);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonSerializer.Deserialize<JsonElement>(text));
    }

    [Fact]
    public async Task UploadedTable_IsWhatProgressCountsAgainst()
    {
        var (put, table) = await PutAsync("luyang-2023", "乡镇街道,任务数\r\n海棠街道,12000\r\n杏林街道,8000\r\n");
        var id = LedgerTestHost.NewId("19700101", "340103");
        var (enrolled, body) = await _host.PostAsync("/api/enrolments", new { policy = "luyang-2023", idNumber = id, name = "甲", town = "海棠街道" });
        Assert.True(enrolled == HttpStatusCode.Created, body.ToString());
        var (paid, _) = await _host.PostAsync("/api/payments", new { policy = "luyang-2023", idNumber = id, amount = 350m, paidOn = "2022-10-20", channel = "online", transactionId = "T" + Guid.NewGuid().ToString("N")[..12], inTreasury = true }, "test-tax");

        var (status, report) = await _host.GetAsync("/api/reports/luyang-2023/progress");
        var (_, stored) = await _host.GetAsync("/api/reports/luyang-2023/targets");

        Assert.Equal(HttpStatusCode.OK, put);
        Assert.Equal(20000, table.GetProperty("total").GetInt32());
        Assert.Equal(HttpStatusCode.Created, paid);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(20000, report.GetProperty("targetTotal").GetInt32());
        Assert.Equal(0.99m, report.GetProperty("enrolmentRate").GetDecimal());
        var haitang = report.GetProperty("units").EnumerateArray().First();
        Assert.Equal(("海棠街道", 12000, 1, 1, 11999), (haitang.GetProperty("unit").GetString(), haitang.GetProperty("target").GetInt32(),
            haitang.GetProperty("registered").GetInt32(), haitang.GetProperty("insured").GetInt32(), haitang.GetProperty("shortfall").GetInt32()));
        Assert.Equal(["海棠街道", "杏林街道"], stored.GetProperty("units").EnumerateArray().Select(u => u.GetProperty("name").GetString()));
        Assert.Equal("tasks.csv", stored.GetProperty("file").GetString());
    }

    [Fact]
    public async Task TableWithBadRows_IsRefusedWhole_AndTheTableInForceStays()
    {
        await PutAsync("luyang-2023", "单位,任务数\r\n大杨镇,5000\r\n");

        var (status, problem) = await PutAsync("luyang-2023", "单位,任务数\r\n三十岗乡,3000\r\n,100\r\n大杨镇,-5\r\n三十岗乡,2\r\n");
        var (_, stored) = await _host.GetAsync("/api/reports/luyang-2023/targets");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal([3, 4, 5], problem.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("line").GetInt32()));
        Assert.Equal(["invalid-unit", "invalid-target", "duplicate-unit"], problem.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("code").GetString()));
        Assert.Equal("任务表有错误行，未保存任何内容", problem.GetProperty("detailZh").GetString());
        Assert.Equal(5000, stored.GetProperty("total").GetInt32());
    }

    [Fact]
    public async Task Gb18030File_IsRead()
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        var (status, table) = await PutAsync("luyang-2023", "乡镇街道,任务数\r\n逍遥津街道,7000\r\n", encoding: Encoding.GetEncoding("GB18030"));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("逍遥津街道", table.GetProperty("units")[0].GetProperty("name").GetString());
    }

    [Fact]
    public async Task PolicyWithTasksInItsFile_RefusesAnUpload_AndShowsItsOwn()
    {
        var (status, problem) = await PutAsync("bagongshan-2022", "单位,任务数\r\n山王镇,1\r\n");
        var (_, own) = await _host.GetAsync("/api/reports/bagongshan-2022/targets");

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal("targets-in-policy-file", problem.GetProperty("code").GetString());
        Assert.Equal(70000, own.GetProperty("total").GetInt32());
        Assert.Equal(7, own.GetProperty("units").GetArrayLength());
    }

    [Fact]
    public async Task MissingColumns_AndStaffKey_AreRefused()
    {
        var (missing, problem) = await PutAsync("luyang-2023", "名称,人数\r\n大杨镇,5000\r\n");
        var (staff, _) = await PutAsync("luyang-2023", "单位,任务数\r\n大杨镇,5000\r\n", key: "test-staff");

        Assert.Equal(HttpStatusCode.BadRequest, missing);
        Assert.Equal("missing-columns", problem.GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, staff);
    }
}
