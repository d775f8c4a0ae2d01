using System.Net;
using System.Text;
using Collection.Files.Tests;
using Collection.Functions.Tests.Ledger;

namespace Collection.Functions.Tests.LastYear;

/// <summary>
/// Last year's roll of wuhai-2022 (five payers of 2021, one bad row) loaded through the API and the blob function; this
/// year two of them enrol and pay through the API. From it: the 排查 list and the year on year (W14, D18, D19, L30, Y28,
/// Y29), the roll-over (wuhai-2022 四) and the 应征 file for tax.
/// </summary>
public sealed class LastYearRollTests : IAsyncLifetime
{
    private const string Policy = "wuhai-2022";
    private LedgerTestHost _host = null!;
    private readonly string[] _ids = [.. Enumerable.Range(0, 5).Select(_ => LedgerTestHost.NewId("19800101", "150302"))];

    public async Task InitializeAsync()
    {
        _host = await LedgerTestHost.StartAsync(today: new DateOnly(2021, 12, 1), settings: new Dictionary<string, string>
        {
            ["Keys:community"] = "test-community",
            ["Keys:community:新华街社区"] = "test-xinhua",
        });
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private string Roll() => string.Join("\r\n",
        LastYearSteps.RollHeader,
        $"张一,居民身份证,{_ids[0]},城乡居民,460,2020-12-01,海勃湾区,新华街社区,,13800000001",
        $"张二,,{_ids[1]},城乡居民,460,2020-12-02,海勃湾区,新华街社区,,13800000002",
        $"张三,,{_ids[2]},城乡居民,460.00,2020-12-03,海勃湾区,滨河社区,,13800000003",
        $"李四,,{_ids[3]},城乡居民,460,2020-11-20,乌达区,三完小社区,,",
        $"李五,,{_ids[4]},,340,2020-11-21,乌达区,三完小社区,,",
        "坏行,,123,城乡居民,460,2020-11-21,乌达区,三完小社区,,");

    /// <summary>The roll loaded, and ids[0] and ids[3] enrolled and paid in full this year.</summary>
    private async Task ArrangeAsync()
    {
        var result = await LastYearSteps.LoadRollAsync(_host, Policy, $"{Guid.NewGuid():N}.csv", Roll());
        Assert.Equal(("completed", 5), (result.GetProperty("status").GetString(), result.GetProperty("loaded").GetInt32()));
        await LastYearSteps.EnrolAndPayAsync(_host, Policy, _ids[0], "海勃湾区", "2021-11-01", 460m, "2021-11-02");
        await LastYearSteps.EnrolAndPayAsync(_host, Policy, _ids[3], "乌达区", "2021-11-01", 460m, "2021-11-02");
    }

    [Fact]
    public async Task Roll_LoadedThroughPut_RejectsTheBadRowWithACode_AndTheSameFileAgainLoadsNothingTwice()
    {
        var name = $"{Guid.NewGuid():N}.csv";
        var result = await LastYearSteps.LoadRollAsync(_host, Policy, name, Roll());
        var again = await LastYearSteps.TriggerAsync(_host, $"{Policy}/{name}");
        var copy = await LastYearSteps.LoadRollAsync(_host, Policy, "copy-" + name, Roll());
        var (statusCode, status) = await _host.GetAsync($"/api/last-year/{Policy}/roll/{name}");
        var (_, summary) = await _host.GetAsync($"/api/last-year/{Policy}/roll");
        using var client = _host.Client();
        var rejected = Encoding.UTF8.GetString(await client.GetByteArrayAsync(new Uri($"api/last-year/{Policy}/roll/{name}/rejected", UriKind.Relative)));

        Assert.Equal((6, 5, 1), (result.GetProperty("rows").GetInt32(), result.GetProperty("loaded").GetInt32(), result.GetProperty("rejected").GetInt32()));
        var row = Assert.Single(result.GetProperty("rejectedRows").EnumerateArray());
        Assert.Equal((7, "invalid-id-number"), (row.GetProperty("line").GetInt32(), row.GetProperty("code").GetString()));
        Assert.Contains("原因代码", rejected, StringComparison.Ordinal);
        Assert.Contains("坏行", rejected, StringComparison.Ordinal);
        Assert.Equal(result.ToString(), again.ToString());
        Assert.Equal(5, copy.GetProperty("loaded").GetInt32());
        Assert.Equal(HttpStatusCode.OK, statusCode);
        Assert.Equal(5, status.GetProperty("loaded").GetInt32());
        Assert.Equal((5, 2180m, "2021-12-01"), (summary.GetProperty("people").GetInt32(), summary.GetProperty("amount").GetDecimal(), summary.GetProperty("firstLoadedOn").GetString()));
    }

    [Fact]
    public async Task SinceLastYear_NamesTheThreeNotInsured_PerTownAndCommunity_WithYearOnYearCounts()
    {
        await ArrangeAsync();

        var (status, report) = await _host.GetAsync($"/api/reports/{Policy}/since-last-year?unit=%E6%B5%B7%E5%8B%83%E6%B9%BE%E5%8C%BA");
        var (_, whole) = await _host.GetAsync($"/api/reports/{Policy}/since-last-year");
        using var client = _host.Client();
        var cells = TestFiles.AssertOpensWithoutFormulas(await client.GetByteArrayAsync(new Uri($"api/reports/{Policy}/since-last-year?format=csv", UriKind.Relative)));
        var unitsBytes = await client.GetByteArrayAsync(new Uri($"api/reports/{Policy}/since-last-year?format=csv&view=units", UriKind.Relative));
        var unitLines = Encoding.UTF8.GetString(unitsBytes, 3, unitsBytes.Length - 3).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);

        Assert.True(status == HttpStatusCode.OK, report.ToString());
        var people = report.GetProperty("people").EnumerateArray().ToList();
        Assert.Equal([_ids[1], _ids[2]], people.Select(p => p.GetProperty("idNumber").GetString()).Order(StringComparer.Ordinal));
        Assert.All(people, p => Assert.Equal(("not-enrolled", "lapse-risk"), (p.GetProperty("status").GetString(), p.GetProperty("warning").GetString())));
        var units = whole.GetProperty("units").EnumerateArray().ToDictionary(u => u.GetProperty("unit").GetString()!);
        var haibowan = units["海勃湾区"];
        Assert.Equal((3, 1380m, 1, 460m, 2), (haibowan.GetProperty("lastYearPeople").GetInt32(), haibowan.GetProperty("lastYearAmount").GetDecimal(),
            haibowan.GetProperty("thisYearInsured").GetInt32(), haibowan.GetProperty("thisYearPaidAmount").GetDecimal(), haibowan.GetProperty("notRenewed").GetInt32()));
        Assert.False(haibowan.GetProperty("notBelowLastYear").GetBoolean());
        Assert.Equal([("新华街社区", 1), ("滨河社区", 1)], haibowan.GetProperty("communities").EnumerateArray().Select(c => (c.GetProperty("community").GetString()!, c.GetProperty("notRenewed").GetInt32())).OrderBy(c => c.Item1, StringComparer.Ordinal));
        Assert.Equal((2, 800m, 1), (units["乌达区"].GetProperty("lastYearPeople").GetInt32(), units["乌达区"].GetProperty("lastYearAmount").GetDecimal(), units["乌达区"].GetProperty("notRenewed").GetInt32()));
        Assert.Equal((5, 2, 3), (whole.GetProperty("total").GetProperty("lastYearPeople").GetInt32(), whole.GetProperty("total").GetProperty("thisYearInsured").GetInt32(), whole.GetProperty("total").GetProperty("notRenewed").GetInt32()));
        Assert.Equal(JsonValueKindNull, whole.GetProperty("people").ValueKind);
        Assert.Contains(LastYearSteps.CsvId(_ids[4]), cells);
        Assert.Contains(LastYearSteps.CsvId(_ids[1]), cells);
        Assert.DoesNotContain(LastYearSteps.CsvId(_ids[0]), cells);
        Assert.Contains("断保风险：请于 2022-04-30 前参保缴费", cells);
        Assert.Equal(
            ["单位,上年度参保缴费人数,上年度缴费金额,本年度参保缴费人数,本年度个人缴费金额,人数增减,金额增减,不低于上年,上年参保本年未参保人数",
             "乌达区,2,800.00,1,460.00,-1,-340.00,否,1", "海勃湾区,3,1380.00,1,460.00,-2,-920.00,否,2", "合计,5,2180.00,2,920.00,-3,-1260.00,否,3"],
            unitLines);
    }

    private const System.Text.Json.JsonValueKind JsonValueKindNull = System.Text.Json.JsonValueKind.Null;

    [Fact]
    public async Task SinceLastYear_AfterThePeriod_SaysLapsed_AndACommunityKeySeesOnlyItsOwnUnitMasked()
    {
        await ArrangeAsync();

        var (_, after) = await _host.GetAsync($"/api/reports/{Policy}/since-last-year?date=2022-05-01&unit=%E4%B9%8C%E8%BE%BE%E5%8C%BA");
        var (ownStatus, own) = await _host.GetAsync($"/api/reports/{Policy}/since-last-year", "test-xinhua");
        var (otherStatus, other) = await _host.GetAsync($"/api/reports/{Policy}/since-last-year?unit=%E4%B9%8C%E8%BE%BE%E5%8C%BA", "test-xinhua");
        var (schoolStatus, _) = await _host.GetAsync($"/api/reports/{Policy}/since-last-year", "test-school");

        var lapsed = Assert.Single(after.GetProperty("people").EnumerateArray());
        Assert.Equal((_ids[4], "lapsed"), (lapsed.GetProperty("idNumber").GetString(), lapsed.GetProperty("warning").GetString()));
        Assert.True(after.GetProperty("collectionEnded").GetBoolean());
        Assert.True(ownStatus == HttpStatusCode.OK, own.ToString());
        var person = Assert.Single(own.GetProperty("people").EnumerateArray());
        Assert.Equal(_ids[1][..6] + new string('*', 8) + _ids[1][^4..], person.GetProperty("idNumber").GetString());
        Assert.Equal((HttpStatusCode.Forbidden, "forbidden-unit"), (otherStatus, other.GetProperty("code").GetString()));
        Assert.Equal(HttpStatusCode.Forbidden, schoolStatus);
    }

    [Fact]
    public async Task RollOver_TwiceCreatesThreeThenNone_AndTheAssessmentsDueFileHasAllFive()
    {
        await ArrangeAsync();

        var (firstStatus, first) = await _host.PostAsync($"/api/last-year/{Policy}/roll-over", new { });
        var (_, second) = await _host.PostAsync($"/api/last-year/{Policy}/roll-over", new { });
        var (_, since) = await _host.GetAsync($"/api/reports/{Policy}/since-last-year?unit=%E4%B9%8C%E8%BE%BE%E5%8C%BA");
        var (_, enrolment) = await _host.GetAsync($"/api/enrolments/{Policy}/{_ids[2]}");
        using var tax = _host.Client("test-tax");
        var bytes = await tax.GetByteArrayAsync(new Uri($"api/reports/{Policy}/assessments-due", UriKind.Relative));
        var cells = TestFiles.AssertOpensWithoutFormulas(bytes);
        var lines = Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var xlsx = await tax.GetByteArrayAsync(new Uri($"api/reports/{Policy}/assessments-due?format=xlsx&unit=%E4%B9%8C%E8%BE%BE%E5%8C%BA", UriKind.Relative));
        var sheet = TestFiles.ReadAll(new MemoryStream(xlsx), "due.xlsx");

        Assert.True(firstStatus == HttpStatusCode.OK, first.ToString());
        Assert.Equal((5, 3, 2, 0), (first.GetProperty("roll").GetInt32(), first.GetProperty("created").GetInt32(), first.GetProperty("alreadyEnrolled").GetInt32(), first.GetProperty("refused").GetInt32()));
        Assert.Equal((0, 5, 0), (second.GetProperty("created").GetInt32(), second.GetProperty("alreadyEnrolled").GetInt32(), second.GetProperty("refused").GetInt32()));
        Assert.Equal(("last-year-roll", "海勃湾区"), (enrolment.GetProperty("source").GetString(), enrolment.GetProperty("town").GetString()));
        Assert.Equal("enrolled-unpaid", Assert.Single(since.GetProperty("people").EnumerateArray()).GetProperty("status").GetString());
        Assert.StartsWith("单位,乡镇街道,姓名,证件类型,证件号码,人员类别,登记日期,登记来源,费款所属期起,费款所属期止,缴费标准,资助金额,个人应缴金额,已缴金额,未缴金额", lines[0], StringComparison.Ordinal);
        Assert.Equal(6, lines.Length);
        Assert.Contains(LastYearSteps.CsvId(_ids[2]), cells);
        Assert.Contains("last-year-roll", cells);
        Assert.Contains("2022-01-01", cells);
        Assert.Equal(3, sheet.Count);
        Assert.Equal("单位", sheet[0].Cells[0]);
    }
}

/// <summary>Refusals of the last-year routes on a host with no roll loaded (one host for all cases).</summary>
public sealed class LastYearRefusalTests(LastYearRefusalTests.Host host) : IClassFixture<LastYearRefusalTests.Host>
{
    public sealed class Host : IAsyncLifetime
    {
        public LedgerTestHost Ledger { get; private set; } = null!;

        public async Task InitializeAsync() => Ledger = await LedgerTestHost.StartAsync(today: new DateOnly(2021, 12, 1));

        public async Task DisposeAsync() => await Ledger.DisposeAsync();
    }

    [Theory]
    [InlineData("POST", "/api/last-year/bagongshan-2022/roll-over", HttpStatusCode.Conflict, "roll-over-not-in-policy")]
    [InlineData("POST", "/api/last-year/wuhai-2022/roll-over", HttpStatusCode.Conflict, "no-last-year-roll")]
    [InlineData("GET", "/api/reports/dalate-2022/since-last-year", HttpStatusCode.Conflict, "no-last-year-roll")]
    [InlineData("GET", "/api/reports/wuhai-2022/since-last-year?format=pdf", HttpStatusCode.BadRequest, "unknown-format")]
    [InlineData("GET", "/api/reports/wuhai-2022/assessments-due?format=json", HttpStatusCode.BadRequest, "unknown-format")]
    [InlineData("GET", "/api/reports/nowhere/assessments-due", HttpStatusCode.NotFound, "unknown-policy")]
    [InlineData("GET", "/api/last-year/wuhai-2022/roll/x.pdf", HttpStatusCode.BadRequest, "unsupported-file-type")]
    [InlineData("GET", "/api/last-year/wuhai-2022/roll/nothing.csv", HttpStatusCode.NotFound, "upload-not-found")]
    public async Task Refusals_AreCodedProblemsInChinese(string method, string path, HttpStatusCode expected, string code)
    {
        var (status, problem) = method == "POST" ? await host.Ledger.PostAsync(path, new { }) : await host.Ledger.GetAsync(path);

        Assert.Equal(expected, status);
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detailZh").GetString()));
    }
}
