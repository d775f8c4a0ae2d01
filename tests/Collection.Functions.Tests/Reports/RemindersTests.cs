using System.Net;
using Collection.Functions.Tests.Ledger;

using Collection.Files.Tests;

namespace Collection.Functions.Tests.Reports;

/// <summary>bagongshan-2022 六(七): reminder lists of the assessed and unpaid per town, none after 2022-01-01 but migrant workers.</summary>
public sealed class RemindersTests : IAsyncLifetime
{
    private LedgerTestHost _host = null!;
    private readonly Dictionary<string, string> _ids = [];

    public async Task InitializeAsync()
    {
        _host = await LedgerTestHost.StartAsync(today: new DateOnly(2021, 12, 10), settings: new Dictionary<string, string> { ["Keys:community"] = "test-community", ["Keys:community:山王镇"] = "test-shanwang" });
        await Enrol("unpaid", "山王镇", null);
        await Enrol("part", "山王镇", 100m);
        await Enrol("full", "山王镇", 320m);
        await Enrol("other", "八公山镇", null);
        await Enrol("migrant", "八公山镇", null, migrant: true);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task Enrol(string who, string town, decimal? pay, bool migrant = false)
    {
        _ids[who] = LedgerTestHost.NewId("19700101", "340405");
        var (status, body) = await _host.PostAsync("/api/enrolments", new { policy = "bagongshan-2022", idNumber = _ids[who], date = "2021-12-01", name = who, town, phone = "13800000000", migrantWorkerWithProof = migrant ? true : (bool?)null });
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        if (pay is { } amount)
        {
            var (paid, payment) = await _host.PostAsync("/api/payments", new { policy = "bagongshan-2022", idNumber = _ids[who], amount, paidOn = "2021-12-02", channel = "online", transactionId = "R" + Guid.NewGuid().ToString("N")[..12], inTreasury = true }, "test-tax");
            Assert.True(paid == HttpStatusCode.Created, payment.ToString());
        }
    }

    [Fact]
    public async Task DuringThePeriod_CountsPerTownThePeopleOwing()
    {
        var (status, summary) = await _host.GetAsync("/api/reports/bagongshan-2022/reminders?date=2021-12-10");

        Assert.True(status == HttpStatusCode.OK, summary.ToString());
        Assert.Equal(("2022-01-01", false), (summary.GetProperty("remindersEnd").GetString(), summary.GetProperty("ended").GetBoolean()));
        var towns = summary.GetProperty("towns").EnumerateArray().ToDictionary(t => t.GetProperty("town").GetString()!, t => (t.GetProperty("people").GetInt32(), t.GetProperty("owed").GetDecimal()));
        Assert.Equal((2, 540m), towns["山王镇"]);
        Assert.Equal((2, 640m), towns["八公山镇"]);
        Assert.Equal(4, summary.GetProperty("people").GetInt32());
    }

    [Fact]
    public async Task FromTheRemindersEnd_OnlyMigrantWorkersAreListed()
    {
        var (_, summary) = await _host.GetAsync("/api/reports/bagongshan-2022/reminders?date=2022-01-01");

        Assert.True(summary.GetProperty("ended").GetBoolean());
        var town = Assert.Single(summary.GetProperty("towns").EnumerateArray());
        Assert.Equal(("八公山镇", 1, 320m), (town.GetProperty("town").GetString(), town.GetProperty("people").GetInt32(), town.GetProperty("owed").GetDecimal()));
    }

    [Fact]
    public async Task TownList_Csv_HasThePeopleOwingWithWholeIdsForStaff()
    {
        using var client = _host.Client();
        var bytes = await client.GetByteArrayAsync(new Uri("api/reports/bagongshan-2022/reminders?date=2021-12-10&town=%E5%B1%B1%E7%8E%8B%E9%95%87&format=csv", UriKind.Relative));
        var cells = TestFiles.AssertOpensWithoutFormulas(bytes);
        var text = System.Text.Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3);

        Assert.StartsWith("乡镇街道,姓名,身份证号,联系电话,地址,登记日期,应缴金额,已缴金额,欠缴金额,外出务工人员\r\n", text, StringComparison.Ordinal);
        Assert.Equal(3, text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("unpaid", cells);
        Assert.Contains("part", cells);
        Assert.DoesNotContain("full", cells);
        Assert.Contains("220.00", cells);
        Assert.Contains(_ids["part"].EndsWith('X') ? _ids["part"] : $"=\"{_ids["part"]}\"", cells);
    }

    [Fact]
    public async Task CommunityStaff_GetTheCountsAndTheTownList_WithIdNumbersMasked()
    {
        var (status, summary) = await _host.GetAsync("/api/reports/bagongshan-2022/reminders?date=2021-12-10", "test-community");
        using var client = _host.Client("test-community");
        var bytes = await client.GetByteArrayAsync(new Uri("api/reports/bagongshan-2022/reminders?date=2021-12-10&town=%E5%B1%B1%E7%8E%8B%E9%95%87&format=csv", UriKind.Relative));
        var cells = TestFiles.AssertOpensWithoutFormulas(bytes);
        var part = _ids["part"];

        Assert.True(status == HttpStatusCode.OK, summary.ToString());
        Assert.Equal(4, summary.GetProperty("people").GetInt32());
        Assert.Contains("part", cells);
        Assert.Contains(part[..6] + new string('*', part.Length - 10) + part[^4..], cells);
        Assert.DoesNotContain(cells, c => c.Contains(part[6..14], StringComparison.Ordinal));
    }

    [Fact]
    public async Task TownKey_SeesOnlyItsOwnTown_AndIsRefusedTheOthersList()
    {
        var (status, summary) = await _host.GetAsync("/api/reports/bagongshan-2022/reminders?date=2021-12-10", "test-shanwang");
        using var client = _host.Client("test-shanwang");
        var bytes = await client.GetByteArrayAsync(new Uri("api/reports/bagongshan-2022/reminders?date=2021-12-10&format=csv", UriKind.Relative));
        var cells = Collection.Files.Tests.TestFiles.AssertOpensWithoutFormulas(bytes);
        var (otherStatus, other) = await _host.GetAsync("/api/reports/bagongshan-2022/reminders?date=2021-12-10&town=%E5%85%AB%E5%85%AC%E5%B1%B1%E9%95%87&format=csv", "test-shanwang");

        Assert.True(status == HttpStatusCode.OK, summary.ToString());
        var town = Assert.Single(summary.GetProperty("towns").EnumerateArray());
        Assert.Equal(("山王镇", 2), (town.GetProperty("town").GetString(), town.GetProperty("people").GetInt32()));
        Assert.Equal(2, summary.GetProperty("people").GetInt32());
        Assert.Contains("unpaid", cells);
        Assert.DoesNotContain("other", cells);
        Assert.DoesNotContain("migrant", cells);
        Assert.DoesNotContain(cells, c => c.Contains(_ids["unpaid"][6..14], StringComparison.Ordinal));
        Assert.Equal((HttpStatusCode.Forbidden, "forbidden-unit"), (otherStatus, other.GetProperty("code").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(other.GetProperty("detailZh").GetString()));
    }

    [Theory]
    [InlineData("/api/reports/bagongshan-2022/reminders?format=csv", HttpStatusCode.BadRequest, "unknown-format")]
    [InlineData("/api/reports/bagongshan-2022/reminders?date=x", HttpStatusCode.BadRequest, "invalid-date")]
    [InlineData("/api/reports/nowhere/reminders", HttpStatusCode.NotFound, "unknown-policy")]
    public async Task BadRequests_AreProblemsWithChineseDetail(string path, HttpStatusCode expected, string code)
    {
        var (status, problem) = await _host.GetAsync(path);

        Assert.Equal(expected, status);
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detailZh").GetString()));
    }

    [Fact]
    public async Task SchoolKey_IsRefused()
    {
        var (status, _) = await _host.GetAsync("/api/reports/bagongshan-2022/reminders", "test-school");

        Assert.Equal(HttpStatusCode.Forbidden, status);
    }
}
