using System.Net;
using System.Text.Json;
using Collection.Testing;

namespace Collection.Functions.Tests.Ledger;

/// <summary>
/// Community and township staff at their desk (issue 21): they assess and enrol their own town's people and take
/// their contribution in cash, which they hold until the remittance (luyang-2023 五(一)). A town key acts for its
/// town only; cash it takes is not in the treasury and is held by the town.
/// </summary>
public sealed class CommunityDeskTests : IAsyncLifetime
{
    private const string Town = "海棠街道";
    private const string OtherTown = "益民街道";
    private LedgerTestHost _host = null!;

    public async Task InitializeAsync() =>
        _host = await LedgerTestHost.StartAsync(today: new DateOnly(2022, 10, 20), settings: new Dictionary<string, string>
        {
            ["Keys:community"] = "test-community",
            [$"Keys:community:{Town}"] = "test-haitang",
        });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static string Tx() => "C" + Guid.NewGuid().ToString("N")[..16];

    private Task<(HttpStatusCode Status, JsonElement Body)> Enrol(string id, string key, string? town = null) =>
        _host.PostAsync("/api/enrolments", new { policy = "luyang-2023", idNumber = id, date = "2022-10-20", name = "李四", phone = "13900000000", town }, key);

    private Task<(HttpStatusCode Status, JsonElement Body)> Pay(string id, string key, string channel = "cash", bool inTreasury = false, string? collector = null) =>
        _host.PostAsync("/api/payments", new { policy = "luyang-2023", idNumber = id, amount = 350m, paidOn = "2022-10-20", channel, transactionId = Tx(), inTreasury, collector }, key);

    [Fact]
    public async Task TownKey_AssessesEnrolsAndTakesCash_TheEnrolmentIsItsTown_AndTheCashIsHeldByItUntilRemitted()
    {
        var id = LedgerTestHost.NewId("19800101", "340103");

        var (assessed, assessment) = await _host.PostAsync("/api/assessments", new { policy = "luyang-2023", idNumber = id, date = "2022-10-20" }, "test-haitang");
        var (enrolled, enrolment) = await Enrol(id, "test-haitang");
        var (paid, payment) = await Pay(id, "test-haitang");
        var (_, held) = await _host.GetAsync("/api/remittances/luyang-2023/held?date=2022-10-20", "test-haitang");

        Assert.True(assessed == HttpStatusCode.OK, $"{assessed}: {assessment}");
        Assert.Equal(350m, assessment.GetProperty("payable").GetDecimal()); // luyang-2023 三 "居民个人缴费标准为每人350元"
        Assert.True(enrolled == HttpStatusCode.Created, $"{enrolled}: {enrolment}");
        Assert.Equal((Town, "community"), (enrolment.GetProperty("town").GetString(), enrolment.GetProperty("source").GetString()));
        Assert.True(paid == HttpStatusCode.Created, $"{paid}: {payment}");
        Assert.Equal(("community:" + Town, false), (payment.GetProperty("payment").GetProperty("collector").GetString(), payment.GetProperty("payment").GetProperty("inTreasury").GetBoolean()));
        var mine = Assert.Single(held.GetProperty("collectors").EnumerateArray(), c => c.GetProperty("collector").GetString() == "community:" + Town);
        Assert.Equal(350m, mine.GetProperty("amount").GetDecimal());
    }

    [Fact]
    public async Task TownKey_AnotherTownsPerson_RefusedForbiddenUnit_InChinese()
    {
        var theirs = LedgerTestHost.NewId("19810101", "340103");
        var (staffEnrolled, _) = await Enrol(theirs, "test-staff", OtherTown);

        var (enrolOther, enrolProblem) = await Enrol(LedgerTestHost.NewId("19820101", "340103"), "test-haitang", OtherTown);
        var (payOther, payProblem) = await Pay(theirs, "test-haitang");

        Assert.Equal(HttpStatusCode.Created, staffEnrolled);
        Assert.Equal(HttpStatusCode.Forbidden, enrolOther);
        Assert.Equal("forbidden-unit", enrolProblem.GetProperty("code").GetString());
        Assert.Contains("本乡镇街道", enrolProblem.GetProperty("detailZh").GetString(), StringComparison.Ordinal);
        Assert.Equal((HttpStatusCode.Forbidden, "forbidden-unit"), (payOther, payProblem.GetProperty("code").GetString()));
    }

    [Theory]
    [InlineData("online", false, null, HttpStatusCode.Forbidden, "forbidden-channel")]
    [InlineData("cash", true, null, HttpStatusCode.BadRequest, "cash-not-in-treasury")]
    [InlineData("cash", false, "community:" + OtherTown, HttpStatusCode.Forbidden, "forbidden-collector")]
    [InlineData("cash", false, "school:SCH1", HttpStatusCode.Forbidden, "forbidden-collector")]
    public async Task TownKey_PaymentNotItsOwnCash_RefusedWithItsCode_AndNothingPosted(string channel, bool inTreasury, string? collector, HttpStatusCode expected, string code)
    {
        var id = LedgerTestHost.NewId("19830101", "340103");
        await Enrol(id, "test-haitang");

        var (status, problem) = await Pay(id, "test-haitang", channel, inTreasury, collector);
        var (_, enrolment) = await _host.GetAsync($"/api/enrolments/luyang-2023/{id}");

        Assert.Equal((expected, code), (status, problem.GetProperty("code").GetString()));
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detailZh").GetString()));
        Assert.Empty(enrolment.GetProperty("payments").EnumerateArray());
    }

    [Fact]
    public async Task UnscopedCommunityKey_NamesItsCollector_StaffAndTaxAreNotLimited()
    {
        var id = LedgerTestHost.NewId("19840101", "340103");
        await Enrol(id, "test-community", OtherTown);

        var (withoutCollector, problem) = await Pay(id, "test-community");
        var (withCollector, _) = await Pay(id, "test-community", collector: "community:" + OtherTown);
        var (taxOnline, _) = await Pay(id, "test-tax", "online", inTreasury: true);

        Assert.Equal((HttpStatusCode.Forbidden, "forbidden-collector"), (withoutCollector, problem.GetProperty("code").GetString()));
        Assert.Equal(HttpStatusCode.Created, withCollector);
        Assert.Equal(HttpStatusCode.Created, taxOnline);
    }

    [Fact]
    public async Task SchoolKey_StillMayNotEnrolAtTheDesk()
    {
        var (status, _) = await Enrol(LedgerTestHost.NewId("19850101", "340103"), "test-school", Town);

        Assert.Equal(HttpStatusCode.Forbidden, status);
    }
}
