using System.Net;
using System.Text.Json;
using Collection.Domain.Codes;
using Collection.Functions.Tests.Ledger;

namespace Collection.Functions.Tests.Reports;

/// <summary>bagongshan-2022 四 and 附件: enrolments made through the API, counted per unit against the seven units' 70,000.</summary>
public sealed class ProgressReportTests : IAsyncLifetime
{
    private LedgerTestHost _host = null!;
    private readonly Dictionary<string, string> _ids = [];

    public async Task InitializeAsync()
    {
        _host = await LedgerTestHost.StartAsync(today: new DateOnly(2021, 11, 20));
        _ids["paid1"] = LedgerTestHost.NewId("19700101", "340405");
        _ids["paid2"] = LedgerTestHost.NewId("19710101", "340405");
        _ids["unpaid"] = LedgerTestHost.NewId("19720101", "340405");
        _ids["late"] = LedgerTestHost.NewId("19730101", "340405");
        _ids["lowIncome"] = LedgerTestHost.NewId("19600101", "340405");
        _ids["disabled"] = LedgerTestHost.NewId("19650101", "340405");
        _ids["pupil"] = LedgerTestHost.NewId("20120301", "340405");
        _ids["elsewhere"] = LedgerTestHost.NewId("19800101", "340405");
        await _host.ConfirmAsync("bagongshan-2022", _ids["lowIncome"], SubsidyIdentity.MinimumLivingAllowance, Department.CivilAffairs, new DateOnly(2021, 8, 20));
        await _host.ConfirmAsync("bagongshan-2022", _ids["disabled"], SubsidyIdentity.DisabledGrade1, Department.DisabledFederation, new DateOnly(2021, 8, 20));

        await Enrol("paid1", "山王镇", "2021-11-01");
        await Enrol("paid2", "山王镇", "2021-11-01");
        await Enrol("unpaid", "山王镇", "2021-11-01");
        await Enrol("late", "山王镇", "2021-11-15");
        await Enrol("lowIncome", "八公山镇", "2021-11-01", identities: ["低保对象"]);
        await Enrol("disabled", "新庄孜街道", "2021-11-01", identities: ["disabled-grade-1"]);
        await Enrol("pupil", "土坝孜街道", "2021-11-01", population: "student");
        await Enrol("elsewhere", "  寿县  ", "2021-11-01");

        await Pay("paid1", 320m, "2021-11-05");
        await Pay("paid2", 320m, "2021-11-16");
        await Pay("unpaid", 100m, "2021-11-05");
        await Pay("late", 320m, "2021-11-16");
        await Pay("lowIncome", 32m, "2021-11-05");
        await Pay("pupil", 320m, "2021-11-05");
        await Pay("elsewhere", 320m, "2021-11-05");
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task Enrol(string who, string town, string date, string[]? identities = null, string? population = null)
    {
        var (status, body) = await _host.PostAsync("/api/enrolments", new { policy = "bagongshan-2022", idNumber = _ids[who], date, name = who, town, identities = identities ?? [], population });
        Assert.True(status == HttpStatusCode.Created, body.ToString());
    }

    private async Task Pay(string who, decimal amount, string paidOn)
    {
        var (status, body) = await _host.PostAsync("/api/payments", new { policy = "bagongshan-2022", idNumber = _ids[who], amount, paidOn, channel = "online", transactionId = "P" + Guid.NewGuid().ToString("N")[..12], inTreasury = true }, "test-tax");
        Assert.True(status == HttpStatusCode.Created, body.ToString());
    }

    private static JsonElement Unit(JsonElement report, string name) =>
        report.GetProperty("units").EnumerateArray().Single(u => u.GetProperty("unit").GetString() == name);

    private static (int Registered, int Insured, int Paid, int Waived, int Subsidised, int Unpaid) Counts(JsonElement unit) =>
        (unit.GetProperty("registered").GetInt32(), unit.GetProperty("insured").GetInt32(), unit.GetProperty("paid").GetInt32(),
            unit.GetProperty("waived").GetInt32(), unit.GetProperty("subsidised").GetInt32(), unit.GetProperty("unpaid").GetInt32());

    [Fact]
    public async Task Progress_CountsEachOfTheSevenUnitsAgainstItsTask_AndTheWholeAgainst70000()
    {
        var (status, report) = await _host.GetAsync("/api/reports/bagongshan-2022/progress?date=2021-11-20");

        Assert.True(status == HttpStatusCode.OK, report.ToString());
        Assert.Equal(70000, report.GetProperty("targetTotal").GetInt32());
        Assert.Equal(0.95m, report.GetProperty("enrolmentRate").GetDecimal());
        Assert.Equal(["山王镇", "八公山镇", "新庄孜街道", "土坝孜街道", "毕家岗街道", "区残联", "区教体局", "寿县"],
            report.GetProperty("units").EnumerateArray().Select(u => u.GetProperty("unit").GetString()));
        var shanwang = Unit(report, "山王镇");
        Assert.Equal(22688, shanwang.GetProperty("target").GetInt32());
        Assert.Equal((4, 3, 3, 0, 0, 1), Counts(shanwang));
        Assert.Equal(1060m, shanwang.GetProperty("paidAmount").GetDecimal());
        Assert.Equal(22685, shanwang.GetProperty("shortfall").GetInt32());
        Assert.Equal(0.0001m, shanwang.GetProperty("completion").GetDecimal());
        Assert.Equal((1, 1, 1, 0, 1, 0), Counts(Unit(report, "八公山镇")));
        Assert.Equal(288m, Unit(report, "八公山镇").GetProperty("subsidyAmount").GetDecimal());
        // The confirmed disabled person of 新庄孜街道 is 区残联's task; the pupil of 土坝孜街道 is 区教体局's.
        Assert.Equal((0, 0, 0, 0, 0, 0), Counts(Unit(report, "新庄孜街道")));
        Assert.Equal((1, 1, 0, 1, 0, 0), Counts(Unit(report, "区残联")));
        Assert.Equal((0, 0, 0, 0, 0, 0), Counts(Unit(report, "土坝孜街道")));
        Assert.Equal((1, 1, 1, 0, 0, 0), Counts(Unit(report, "区教体局")));
        Assert.Equal("town", Unit(report, "寿县").GetProperty("kind").GetString());
        Assert.Equal(JsonValueKind.Null, Unit(report, "寿县").GetProperty("target").ValueKind);
        var total = report.GetProperty("total");
        Assert.Equal((8, 7, 6, 1, 1, 1), Counts(total));
        Assert.Equal(69993, total.GetProperty("shortfall").GetInt32());
    }

    [Fact]
    public async Task Progress_AsOfAnEarlierDay_LeavesOutLaterEnrolmentsAndPayments()
    {
        var (status, report) = await _host.GetAsync("/api/reports/bagongshan-2022/progress?date=2021-11-10");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("2021-11-10", report.GetProperty("asOf").GetString());
        Assert.Equal((3, 1, 1, 0, 0, 2), Counts(Unit(report, "山王镇")));
        Assert.Equal(420m, Unit(report, "山王镇").GetProperty("paidAmount").GetDecimal());
    }

    [Fact]
    public async Task Progress_WithoutDate_IsAsOfTheBusinessDate()
    {
        var (_, report) = await _host.GetAsync("/api/reports/bagongshan-2022/progress");

        Assert.Equal("2021-11-20", report.GetProperty("asOf").GetString());
        Assert.Equal(8, report.GetProperty("total").GetProperty("registered").GetInt32());
    }

    [Fact]
    public async Task Progress_Csv_HasChineseHeadersBomAndATotalRow()
    {
        using var client = _host.Client();
        var bytes = await client.GetByteArrayAsync(new Uri("api/reports/bagongshan-2022/progress?date=2021-11-20&format=csv", UriKind.Relative));
        var text = System.Text.Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3);

        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
        Assert.StartsWith("单位,类别,征缴任务数,参保登记人数,参保缴费人数,", text, StringComparison.Ordinal);
        Assert.Contains("\r\n山王镇,乡镇街道,22688,4,3,3,0,0,1,1060.00,0.00,0.01%,22685\r\n", text, StringComparison.Ordinal);
        Assert.Contains("\r\n合计,合计,70000,8,7,6,1,1,1,", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Progress_Xlsx_ReadsBackWithTheSameFigures_AndIsTheSameBytesTwice()
    {
        using var client = _host.Client();
        var uri = new Uri("api/reports/bagongshan-2022/progress?date=2021-11-20&format=xlsx", UriKind.Relative);
        var first = await client.GetByteArrayAsync(uri);
        var second = await client.GetByteArrayAsync(uri);

        Assert.Equal(first, second);
        using var reader = Collection.Files.TabularReader.Open(new MemoryStream(first), "progress.xlsx");
        var rows = reader.ReadRows().Select(r => r.Cells.ToArray()).ToList();
        Assert.Equal("单位", rows[0][0]);
        Assert.Equal("任务完成率", rows[0][11]);
        var shanwang = rows.Single(r => r[0] == "山王镇");
        Assert.Equal(["山王镇", "乡镇街道", "22688", "4", "3"], shanwang[..5]);
        Assert.Equal(1060m, decimal.Parse(shanwang[9], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("/api/reports/nowhere/progress", HttpStatusCode.NotFound, "unknown-policy")]
    [InlineData("/api/reports/bagongshan-2022/progress?date=2021-13-01", HttpStatusCode.BadRequest, "invalid-date")]
    [InlineData("/api/reports/bagongshan-2022/progress?format=pdf", HttpStatusCode.BadRequest, "unknown-format")]
    public async Task Progress_BadInput_IsAProblemWithChineseDetail(string path, HttpStatusCode expected, string code)
    {
        var (status, problem) = await _host.GetAsync(path);

        Assert.Equal(expected, status);
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detailZh").GetString()));
    }

    [Fact]
    public async Task Progress_SchoolAndTaxKeys_AreRefused()
    {
        var (school, _) = await _host.GetAsync("/api/reports/bagongshan-2022/progress", "test-school");
        var (tax, _) = await _host.GetAsync("/api/reports/bagongshan-2022/progress", "test-tax");

        Assert.Equal(HttpStatusCode.Forbidden, school);
        Assert.Equal(HttpStatusCode.Forbidden, tax);
    }
}
