using System.Net;
using System.Text;
using System.Text.Json;
using Collection.Domain;
using Collection.Domain.Enrolments;
using Collection.Functions.Supplementary;
using Collection.Functions.Tests.Ledger;
using Microsoft.Extensions.DependencyInjection;

namespace Collection.Functions.Tests.Subsidies;

/// <summary>
/// Issue 17: list files dropped in storage act when they arrive, in the collection period too — the fully
/// subsidised are enrolled at once and covered for the whole coverage year; the window takes the subsidy from the
/// book; claims no list confirms do not subsidise until a list does; a department may send only its own identities.
/// </summary>
public sealed class SubsidyListEnrolmentTests : IAsyncLifetime
{
    private const string Header = "姓名,身份证号,资助身份,低保类别,乡镇街道,变动";
    private LedgerTestHost _host = null!;

    public async Task InitializeAsync() => _host = await LedgerTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static DateOnly Day(string text) => DateOnly.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The app acts as of <paramref name="day"/>: HTTP requests (header) and the functions run here (clock).</summary>
    private void Today(string day)
    {
        _host.Today = Day(day);
        Assert.True(_host.Services.GetRequiredService<ChinaClock>().ForRequest(Day(day)));
    }

    private Task<JsonElement> DropAsync(string policy, string department, string date, params string[] rows) =>
        SubsidyListsTests.DropAsync(_host, $"{policy}/{department}/{date}-{Guid.NewGuid():N}.csv", Encoding.UTF8.GetBytes(string.Join("\r\n", [Header, .. rows])));

    private async Task<JsonElement> EnrolmentAsync(string policy, string id)
    {
        var (status, body) = await _host.GetAsync($"/api/enrolments/{policy}/{id}");
        Assert.True(status == HttpStatusCode.OK, body.ToString());
        return body;
    }

    private static int Enrolled(JsonElement result, string outcome) =>
        result.TryGetProperty("enrolments", out var counts) && counts.ValueKind == JsonValueKind.Object && counts.TryGetProperty(outcome, out var n) ? n.GetInt32() : 0;

    private static string[] Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];

    [Theory]
    [InlineData("wuhai-2022", "150302", "civil-affairs", "特困人员", "20211101", "2021-11-02", 460, "2022-01-01")]
    [InlineData("bagongshan-2022", "340405", "civil-affairs", "特困人员", "20211010", "2021-10-12", 320, "2022-01-01")]
    [InlineData("dalate-2022", "150621", "disabled-federation", "一级残疾人", "20211010", "2021-10-12", 360, "2022-01-01")]
    [InlineData("baiyin-2023", "620402", "civil-affairs", "孤儿", "20220910", "2022-09-12", 350, "2023-01-01")]
    [InlineData("luyang-2023", "340103", "civil-affairs", "特困人员", "20221010", "2022-10-12", 350, "2023-01-01")]
    public async Task FullySubsidised_ListedDuringThePeriod_EnrolledAtOnceAndCoveredFromTheFirstDayOfTheYear(
        string policy, string area, string department, string identity, string listDate, string today, decimal share, string coverageStart)
    {
        Today(today);
        var id = LedgerTestHost.NewId(policy == "wuhai-2022" ? "19450101" : "19500101", area);

        var result = await DropAsync(policy, department, listDate, $"赵一,{id},{identity},,某街道,新增");

        Assert.Equal(1, Enrolled(result, "enrolledDirectly"));
        var enrolment = await EnrolmentAsync(policy, id);
        Assert.Equal("subsidy-list", enrolment.GetProperty("source").GetString());
        Assert.Equal($"{listDate[..4]}-{listDate[4..6]}-{listDate[6..]}", enrolment.GetProperty("enrolledOn").GetString());
        Assert.Equal(coverageStart, enrolment.GetProperty("coverageStart").GetString());
        Assert.Equal("paid", enrolment.GetProperty("status").GetString());
        var terms = enrolment.GetProperty("assessment");
        Assert.Equal((0m, share, "waived"), (terms.GetProperty("payable").GetDecimal(), terms.GetProperty("subsidy").GetDecimal(), terms.GetProperty("subsidyMode").GetString()));
        // The assistance fund (or the department's budget) owes the personal share.
        var (status, report) = await _host.GetAsync($"/api/reports/subsidy-settlements?policy={policy}&month={today[..7]}");
        Assert.Equal(HttpStatusCode.OK, status);
        var fund = Assert.Single(report.GetProperty("items").EnumerateArray(), i => i.GetProperty("idNumber").GetString() == id);
        Assert.Equal(("assistance-fund", share, department), (fund.GetProperty("kind").GetString(), fund.GetProperty("amount").GetDecimal(), fund.GetProperty("department").GetString()));

        // A re-dropped list changes nothing and enrols nobody twice.
        var again = await DropAsync(policy, department, listDate, $"赵一,{id},{identity},,某街道,新增");
        Assert.Equal(0, Enrolled(again, "enrolledDirectly"));
    }

    [Fact]
    public async Task ListBeforeThePeriodOpens_EnrolledByTheFirstRunOfThePeriod_AsOfItsFirstDay()
    {
        // luyang-2023 五(五): the August register arrives by 08-31; the period opens 09-01.
        Today("2022-08-31");
        var id = LedgerTestHost.NewId("19500101", "340103");
        var august = await DropAsync("luyang-2023", "civil-affairs", "20220831", $"钱二,{id},特困人员,,林店街道,新增");
        Assert.Equal(JsonValueKind.Undefined, august.TryGetProperty("enrolments", out var none) ? none.ValueKind : JsonValueKind.Undefined);
        Assert.Null(await _host.Ledger.GetAsync("luyang-2023", ResidentId.Parse(id)));

        Today("2022-09-05");
        var (status, run) = await _host.PostAsync("/api/jobs/SupplementaryEnrolment/runs?asOf=2022-09-05", new { }, "test-admin");

        Assert.Equal(HttpStatusCode.OK, status);
        var luyang = run.GetProperty("summary").GetProperty("policies").EnumerateArray().Single(p => p.GetProperty("policy").GetString() == "luyang-2023");
        Assert.True(luyang.GetProperty("acted").GetBoolean());
        var enrolment = (await _host.Ledger.GetAsync("luyang-2023", ResidentId.Parse(id)))!.Enrolment;
        Assert.Equal((Day("2022-09-01"), Day("2023-01-01"), 0m), (enrolment.EnrolledOn, enrolment.CoverageStart, enrolment.Terms.Payable));
    }

    [Theory]
    [InlineData("bagongshan-2022", "340405", "低保对象", "", "20211010", "2021-10-15", 32)]
    [InlineData("luyang-2023", "340103", "低保对象", "", "20221010", "2022-10-15", 35)]
    [InlineData("baiyin-2023", "620402", "低保对象", "农村三类低保", "20220910", "2022-09-15", 160)]
    public async Task PartlySubsidised_Listed_ChargedTheReducedAmountAtTheWindowWithoutTypingTheIdentity(
        string policy, string area, string identity, string allowanceClass, string listDate, string today, decimal payable)
    {
        Today(today);
        var id = LedgerTestHost.NewId("19600101", area);
        var result = await DropAsync(policy, "civil-affairs", listDate, $"孙三,{id},{identity},{allowanceClass},某街道,新增");
        Assert.Equal(1, Enrolled(result, "awaitingEnrolment"));
        Assert.Null(await _host.Ledger.GetAsync(policy, ResidentId.Parse(id)));

        // The clerk types no identity.
        var (status, body) = await _host.PostAsync("/api/enrolments", new { policy, idNumber = id, name = "孙三", source = "window" });

        Assert.True(status == HttpStatusCode.Created, body.ToString());
        Assert.Equal(payable, body.GetProperty("assessment").GetProperty("payable").GetDecimal());
        Assert.Equal(["minimum-living-allowance"], Strings(body.GetProperty("request").GetProperty("identities")));
        Assert.Empty(Strings(body.GetProperty("unconfirmedIdentities")));
    }

    [Fact]
    public async Task AssessApi_WithAnIdNumber_TakesTheIdentitiesFromTheBook()
    {
        Today("2021-10-15");
        var (listed, claimed) = (LedgerTestHost.NewId("19600101", "340405"), LedgerTestHost.NewId("19610101", "340405"));
        await DropAsync("bagongshan-2022", "civil-affairs", "20211010", $"郑五,{listed},低保对象,,山王镇,新增");

        var (status, untyped) = await _host.PostAsync("/api/assessments", new { policy = "bagongshan-2022", idNumber = listed });
        var (_, typed) = await _host.PostAsync("/api/assessments", new { policy = "bagongshan-2022", idNumber = claimed, identities = new[] { "特困人员" } });

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal((32m, "minimum-living-allowance"), (untyped.GetProperty("payable").GetDecimal(), untyped.GetProperty("subsidyIdentity").GetString()));
        Assert.Equal(320m, typed.GetProperty("payable").GetDecimal());
        Assert.Equal(["extreme-poverty"], Strings(typed.GetProperty("unconfirmedIdentities")));
    }

    [Fact]
    public async Task ClaimedAtTheWindow_NoListConfirms_NotSubsidisedAndShownUnconfirmed_ThenTheListConfirmsIt()
    {
        Today("2021-10-12");
        var id = LedgerTestHost.NewId("19600101", "340405");

        var (status, body) = await _host.PostAsync("/api/enrolments", new { policy = "bagongshan-2022", idNumber = id, name = "周四", source = "window", identities = new[] { "低保对象" } });

        Assert.True(status == HttpStatusCode.Created, body.ToString());
        Assert.Equal(320m, body.GetProperty("assessment").GetProperty("payable").GetDecimal());
        Assert.Equal(["minimum-living-allowance"], Strings(body.GetProperty("unconfirmedIdentities")));
        Assert.Equal(["minimum-living-allowance"], Strings((await EnrolmentAsync("bagongshan-2022", id)).GetProperty("unconfirmedIdentities")));

        Today("2021-10-20");
        var list = await DropAsync("bagongshan-2022", "civil-affairs", "20211020", $"周四,{id},低保对象,,山王镇,新增");

        Assert.Equal(1, Enrolled(list, "reassessed"));
        var confirmed = await EnrolmentAsync("bagongshan-2022", id);
        Assert.Equal((32m, 288m, 32m), (confirmed.GetProperty("assessment").GetProperty("payable").GetDecimal(),
            confirmed.GetProperty("assessment").GetProperty("subsidy").GetDecimal(), confirmed.GetProperty("balance").GetDecimal()));
        Assert.Empty(Strings(confirmed.GetProperty("unconfirmedIdentities")));
        Assert.Equal("reassessed", confirmed.GetProperty("history").EnumerateArray().Last().GetProperty("cause").GetString());
    }

    [Fact]
    public async Task ClaimedFullWaiver_NoListConfirms_PaysInFullAndIsNotCovered()
    {
        Today("2022-10-12");
        var id = LedgerTestHost.NewId("19500101", "340103");

        var (status, body) = await _host.PostAsync("/api/enrolments", new { policy = "luyang-2023", idNumber = id, name = "吴六", source = "window", identities = new[] { "特困人员" } });

        Assert.True(status == HttpStatusCode.Created, body.ToString());
        Assert.Equal((350m, "assessed"), (body.GetProperty("assessment").GetProperty("payable").GetDecimal(), body.GetProperty("status").GetString()));
        Assert.Equal(["extreme-poverty"], Strings(body.GetProperty("unconfirmedIdentities")));

        // Confirmed by 民政's list: waived, nothing to pay, covered from the coverage year's first day.
        var list = await DropAsync("luyang-2023", "civil-affairs", "20221012", $"吴六,{id},特困人员,,林店街道,新增");
        Assert.Equal(1, Enrolled(list, "reassessed"));
        var confirmed = (await _host.Ledger.GetAsync("luyang-2023", ResidentId.Parse(id)))!.Enrolment;
        Assert.Equal((0m, EnrolmentStatus.Paid, Day("2023-01-01")), (confirmed.Terms.Payable, confirmed.Status, confirmed.CoverageStart));
    }

    [Fact]
    public async Task Department_SendingAnIdentityNotItsOwn_RowRejected_AndDisabledFederation_MayNotListEmployeeInsured()
    {
        Today("2021-10-12");
        var (poor, mongolian, employed, disabled) = (LedgerTestHost.NewId("19500101", "150621"), LedgerTestHost.NewId("19600101", "150621"),
            LedgerTestHost.NewId("19700101", "150621"), LedgerTestHost.NewId("19710101", "150621"));
        await _host.Ledger.MarkEmployeeInsuranceAsync(ResidentId.Parse(employed), Day("2020-01-01"), "test", "test");

        var ethnic = await DropAsync("dalate-2022", "ethnic-affairs", "20211010", $"甲,{poor},特困人员,,树林召镇,新增", $"乙,{mongolian},蒙古族,,树林召镇,新增");
        var federation = await DropAsync("dalate-2022", "disabled-federation", "20211010", $"丙,{employed},一级残疾人,,树林召镇,新增", $"丁,{disabled},二级残疾人,,树林召镇,新增");

        Assert.Equal((1, 1), (ethnic.GetProperty("counts").GetProperty("opened").GetInt32(), ethnic.GetProperty("counts").GetProperty("rejected").GetInt32()));
        var notOwn = Assert.Single(ethnic.GetProperty("rejected").EnumerateArray());
        Assert.Equal((2, "identity-not-of-department"), (notOwn.GetProperty("line").GetInt32(), notOwn.GetProperty("code").GetString()));
        Assert.Contains("不由民委确认", notOwn.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Null(await _host.Ledger.GetAsync("dalate-2022", ResidentId.Parse(poor)));
        var (_, identities) = await _host.GetAsync($"/api/people/{poor}/identities");
        Assert.Empty(identities.GetProperty("identities").EnumerateArray());

        var insured = Assert.Single(federation.GetProperty("rejected").EnumerateArray());
        Assert.Equal((2, "in-employee-insurance"), (insured.GetProperty("line").GetInt32(), insured.GetProperty("code").GetString()));
        Assert.Contains("职工医保", insured.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, Enrolled(federation, "enrolledDirectly"));
        Assert.NotNull(await _host.Ledger.GetAsync("dalate-2022", ResidentId.Parse(disabled)));
    }

    [Fact]
    public async Task DepartmentTotals_WhatEachDepartmentsListsEnrolledSubsidisedAndOwe()
    {
        Today("2022-10-12");
        var (poor, lowIncome, returned, parent, unlisted) = (LedgerTestHost.NewId("19500101", "340103"), LedgerTestHost.NewId("19600101", "340103"),
            LedgerTestHost.NewId("19700101", "340103"), LedgerTestHost.NewId("19550101", "340103"), LedgerTestHost.NewId("19800101", "340103"));
        await DropAsync("luyang-2023", "civil-affairs", "20221010", $"甲,{poor},特困人员,,林店街道,新增", $"乙,{lowIncome},低保对象,,林店街道,新增");
        await DropAsync("luyang-2023", "rural-revitalisation", "20221010", $"丙,{returned},返贫致贫人口,,大杨镇,新增");
        await DropAsync("luyang-2023", "health", "20221010", $"丁,{parent},计划生育特殊家庭父母,,双岗街道,新增");
        foreach (var id in new[] { lowIncome, parent, unlisted })
        {
            var (status, body) = await _host.PostAsync("/api/enrolments", new { policy = "luyang-2023", idNumber = id, name = "某", source = "window" });
            Assert.True(status == HttpStatusCode.Created, body.ToString());
        }

        var (ok, report) = await _host.GetAsync("/api/reports/subsidy-list-totals?policy=luyang-2023&asOf=2022-10-12");

        Assert.Equal(HttpStatusCode.OK, ok);
        var rows = report.GetProperty("departments").EnumerateArray().ToDictionary(d => d.GetProperty("department").GetString()!);
        Assert.Equal(["civil-affairs", "health", "rural-revitalisation"], rows.Keys.Order(StringComparer.Ordinal));
        static (int, int, int, int, decimal, decimal) Row(JsonElement d) => (d.GetProperty("listed").GetInt32(), d.GetProperty("enrolled").GetInt32(),
            d.GetProperty("enrolledByLists").GetInt32(), d.GetProperty("awaitingEnrolment").GetInt32(), d.GetProperty("subsidy").GetDecimal(), d.GetProperty("owed").GetDecimal());
        // 民政: 特困 enrolled by the list (350 waived) and 低保 at the window (315 deducted).
        Assert.Equal((2, 2, 1, 0, 665m, 665m), Row(rows["civil-affairs"]));
        Assert.Equal("民政", rows["civil-affairs"].GetProperty("departmentLabel").GetString());
        Assert.Equal((1, 1, 0, 0, 315m, 315m), Row(rows["health"]));
        Assert.Equal((1, 0, 0, 1, 0m, 0m), Row(rows["rural-revitalisation"]));
        Assert.Equal((4, 3, 1, 1, 980m, 980m), Row(report.GetProperty("total")));
        var (forbidden, _) = await _host.GetAsync("/api/reports/subsidy-list-totals?policy=luyang-2023", key: "test-school");
        Assert.Equal(HttpStatusCode.Forbidden, forbidden);
    }
}
