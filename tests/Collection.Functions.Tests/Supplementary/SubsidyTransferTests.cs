using System.Net;
using System.Text.Json;
using Collection.Domain.Codes;
using Collection.Domain.Subsidies;
using Collection.Functions.Tests.Ledger;

using Collection.Files.Tests;

namespace Collection.Functions.Tests.Supplementary;

/// <summary>
/// The assistance fund's money (issue 17): luyang-2023 五(五) "12月31日前，区医保局按照上报的资助参保人数和标准，将资助参保缴费金额从
/// 医疗救助资金帐户划转到市居民医保财政专户" (audit L25), and baiyin-2023 三1 "县（区）医保部门为其代办参保手续，从医疗救助资金中按个人缴费标准
/// 全额缴纳" for a fully subsidised person however enrolled (audit Y7).
/// </summary>
public sealed class SubsidyTransferTests(SupplementaryStorage storage) : IClassFixture<SupplementaryStorage>
{
    private static DateOnly Day(string text) => DateOnly.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task Transfer_HeadcountTimesStandardPerIdentity_AgainstWhatWasTransferred_OverdueAfterTheDeadline()
    {
        await using var run = await SupplementaryHost.StartAsync(storage.Azurite, Day("2022-12-20"));
        var (poor, lowIncome, parent, unenrolled) = (LedgerTestHost.NewId("19500101", "340103"), LedgerTestHost.NewId("19600101", "340103"),
            LedgerTestHost.NewId("19550101", "340103"), LedgerTestHost.NewId("19700101", "340103"));
        await run.EnrolAsync("luyang-2023", poor, "2022-10-10", ["extreme-poverty"]);
        await run.EnrolAsync("luyang-2023", lowIncome, "2022-10-10", ["minimum-living-allowance"]);
        await run.EnrolAsync("luyang-2023", parent, "2022-10-11", ["family-planning-special"]);
        await run.ListAsync("luyang-2023", unenrolled, SubsidyIdentity.MinimumLivingAllowance, Department.CivilAffairs, Day("2022-10-10"), "林店街道");

        var (status, report) = await run.Host.GetAsync("/api/reports/luyang-2023/subsidy-transfer?date=2022-12-20");

        Assert.True(status == HttpStatusCode.OK, report.ToString());
        var due = report.GetProperty("due").EnumerateArray()
            .Select(d => (d.GetProperty("identity").GetString(), d.GetProperty("standard").GetDecimal(), d.GetProperty("people").GetInt32(), d.GetProperty("amount").GetDecimal()))
            .ToList();
        // Only the enrolled count: 特困 350 waived, 低保 and 计划生育特殊家庭父母 315 each (90 %); the listed 低保 not enrolled owes nothing yet.
        Assert.Equal([("extreme-poverty", 350m, 1, 350m), ("family-planning-special", 315m, 1, 315m), ("minimum-living-allowance", 315m, 1, 315m)],
            due.OrderBy(d => d.Item1, StringComparer.Ordinal));
        Assert.Equal(3, report.GetProperty("duePeople").GetInt32());
        Assert.Equal(980m, report.GetProperty("dueAmount").GetDecimal());
        Assert.Equal("医疗救助基金", report.GetProperty("due")[0].GetProperty("paidBy").GetString());
        Assert.Equal("2022-12-31", report.GetProperty("transferBy").GetString());
        Assert.Equal("transfer-outstanding", Assert.Single(report.GetProperty("warnings").EnumerateArray()).GetProperty("code").GetString());
        // The same money as the departments' totals report.
        var (_, totals) = await run.Host.GetAsync("/api/reports/subsidy-list-totals?policy=luyang-2023&asOf=2022-12-20");
        Assert.Equal(totals.GetProperty("total").GetProperty("owed").GetDecimal(), report.GetProperty("dueAmount").GetDecimal());

        var transfer = new { policy = "luyang-2023", reference = "HZ-2022-118", transferredOn = "2022-12-20", headcount = 2, amount = 665m, note = "第一批" };
        var (created, first) = await run.Host.PostAsync("/api/subsidy-transfers", transfer);
        var (again, second) = await run.Host.PostAsync("/api/subsidy-transfers", transfer);
        var (conflict, other) = await run.Host.PostAsync("/api/subsidy-transfers", transfer with { amount = 700m });
        var (future, tomorrow) = await run.Host.PostAsync("/api/subsidy-transfers", transfer with { reference = "HZ-2022-119", transferredOn = "2022-12-21" });
        var (school, _) = await run.Host.PostAsync("/api/subsidy-transfers", transfer, "test-school");

        Assert.True(created == HttpStatusCode.Created, first.ToString());
        Assert.False(first.GetProperty("repeated").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, again);
        Assert.True(second.GetProperty("repeated").GetBoolean());
        Assert.Equal(HttpStatusCode.Conflict, conflict);
        Assert.Equal("reference-in-use", other.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(other.GetProperty("detailZh").GetString()));
        Assert.Equal(HttpStatusCode.BadRequest, future);
        Assert.Equal("date-in-future", tomorrow.GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, school);

        var (_, after) = await run.Host.GetAsync("/api/reports/luyang-2023/subsidy-transfer?date=2022-12-20");
        Assert.Equal(665m, after.GetProperty("transferred").GetDecimal());
        Assert.Equal(315m, after.GetProperty("outstanding").GetDecimal());
        Assert.Equal("HZ-2022-118", Assert.Single(after.GetProperty("transfers").EnumerateArray()).GetProperty("reference").GetString());

        // After 12-31 the rest is overdue; the report as of a day before the transfer does not count it.
        run.SetToday(Day("2023-01-03"));
        var (_, late) = await run.Host.GetAsync("/api/reports/luyang-2023/subsidy-transfer?date=2023-01-03");
        var (_, before) = await run.Host.GetAsync("/api/reports/luyang-2023/subsidy-transfer?date=2022-12-19");
        Assert.Equal("transfer-overdue", Assert.Single(late.GetProperty("warnings").EnumerateArray()).GetProperty("code").GetString());
        Assert.Contains("315.00", late.GetProperty("warnings")[0].GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Equal(0m, before.GetProperty("transferred").GetDecimal());

        using var client = run.Host.Client();
        var bytes = await client.GetByteArrayAsync(new Uri("/api/reports/luyang-2023/subsidy-transfer?date=2023-01-03&format=csv", UriKind.Relative));
        TestFiles.AssertOpensWithoutFormulas(bytes);
        Assert.Equal([0xEF, 0xBB, 0xBF], bytes[..3]);
        var csv = System.Text.Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3);
        Assert.StartsWith("类别,资助身份,资金来源,资助标准,人数,金额", csv, StringComparison.Ordinal);
        Assert.Contains("资助参保,特困人员,医疗救助基金,350.00,1,350.00", csv, StringComparison.Ordinal);
        Assert.Contains("应划转合计,,,,3,980.00", csv, StringComparison.Ordinal);
        Assert.Contains("已划转合计,,,,2,665.00", csv, StringComparison.Ordinal);
        var xlsx = await client.GetAsync(new Uri("/api/reports/luyang-2023/subsidy-transfer?date=2023-01-03&format=xlsx", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, xlsx.StatusCode);
        Assert.Equal("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task FullySubsidised_EnrolledAtTheWindow_TheFundsPaymentIsSettledByTheMonthlyRun_Once()
    {
        // baiyin-2023: the list came before the period opened, so it waits for the monthly run; the clerk enrols the
        // person at the window first (waived, the identity from the book). The fund still pays the share.
        await using var run = await SupplementaryHost.StartAsync(storage.Azurite, Day("2022-08-25"));
        var orphan = LedgerTestHost.NewId("20100101", "620402");
        await run.EnrolAsync("baiyin-2023", orphan, "2022-08-25", ["orphan"]);
        var (_, enrolment) = await run.Host.GetAsync($"/api/enrolments/baiyin-2023/{orphan}");
        Assert.Equal(0m, enrolment.GetProperty("assessment").GetProperty("payable").GetDecimal());
        Assert.Equal("waived", enrolment.GetProperty("assessment").GetProperty("subsidyMode").GetString());

        run.SetToday(Day("2022-09-05"));
        await run.RunAsync("2022-09-05");
        await run.RunAsync("2022-09-05");
        run.SetToday(Day("2022-10-05"));
        await run.RunAsync("2022-10-05");

        var september = (await run.SettlementsAsync("baiyin-2023", "2022-09")).GetProperty("items").EnumerateArray().Where(i => i.GetProperty("idNumber").GetString() == orphan).ToList();
        var october = (await run.SettlementsAsync("baiyin-2023", "2022-10")).GetProperty("items").EnumerateArray().Where(i => i.GetProperty("idNumber").GetString() == orphan);
        var fund = Assert.Single(september);
        Assert.Equal("assistance-fund", fund.GetProperty("kind").GetString());
        Assert.Equal(350m, fund.GetProperty("amount").GetDecimal());
        Assert.Equal("医疗救助资金", fund.GetProperty("paidBy").GetString());
        Assert.Empty(october);
    }
}
