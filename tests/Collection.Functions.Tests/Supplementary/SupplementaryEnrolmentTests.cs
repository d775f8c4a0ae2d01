using System.Net;
using System.Text.Json;
using Collection.Domain;
using Collection.Domain.Codes;
using Collection.Domain.Enrolments;
using Collection.Domain.Subsidies;
using Collection.Functions.Tests.Ledger;
using Microsoft.Extensions.DependencyInjection;
using Collection.Domain.Refunds;

using Collection.Files.Tests;

namespace Collection.Functions.Tests.Supplementary;

public sealed class SupplementaryEnrolmentTests(SupplementaryStorage storage) : IClassFixture<SupplementaryStorage>
{
    private static DateOnly Day(string text) => DateOnly.Parse(text, System.Globalization.CultureInfo.InvariantCulture);

    private static JsonElement[] Items(JsonElement report) => [.. report.GetProperty("items").EnumerateArray()];

    /// <summary>An ID number as a CSV cell: all digits are written as ="…" for Excel (then CSV-quoted); one ending in X as is.</summary>
    private static string IdCell(string id) => id.EndsWith('X') ? id : $"\"=\"\"{id}\"\"\"";

    [Fact]
    public async Task Luyang_NotEnrolled_FullySubsidisedEnrolledDirectlyAndPartlySubsidisedMobilised()
    {
        await using var run = await SupplementaryHost.StartAsync(storage.Azurite, Day("2023-03-05"));
        var full = LedgerTestHost.NewId("19500101", "340103");
        var partial = LedgerTestHost.NewId("19600101", "340103");
        var elsewhere = LedgerTestHost.NewId("19700101", "340103");
        await run.ListAsync("luyang-2023", full, SubsidyIdentity.ExtremePoverty, Department.CivilAffairs, Day("2023-02-10"), "林店街道", name: "赵一");
        await run.ListAsync("luyang-2023", partial, SubsidyIdentity.MinimumLivingAllowance, Department.CivilAffairs, Day("2023-02-10"), "林店街道", name: "钱二");
        await run.ListAsync("luyang-2023", elsewhere, SubsidyIdentity.ReturnedToPoverty, Department.RuralRevitalisation, Day("2023-02-10"), "亳州路街道", name: "孙三");

        var summary = await run.RunAsync("2023-03-05");
        var enrolled = (await run.Host.Ledger.GetAsync("luyang-2023", ResidentId.Parse(full)))!;
        var partlyEnrolled = await run.Host.Ledger.GetAsync("luyang-2023", ResidentId.Parse(partial));
        var linDian = await run.MobilisationAsync("luyang-2023", "2023-03", "林店街道");
        var boZhou = await run.MobilisationAsync("luyang-2023", "2023-03", "亳州路街道");
        var settlements = Items(await run.SettlementsAsync("luyang-2023", "2023-03"));

        Assert.Equal(1, SupplementaryHost.Count(summary, "luyang-2023", "enrolledDirectly"));
        Assert.Equal(2, SupplementaryHost.Count(summary, "luyang-2023", "mobilised"));
        Assert.Equal("subsidy-list", enrolled.Enrolment.Source);
        Assert.Equal(0m, enrolled.Enrolment.Terms.Payable);
        Assert.Equal(350m, enrolled.Enrolment.Terms.Subsidy);
        // Late enrolment in luyang-2023 is covered from the day after (五(五) decision in the policy file).
        Assert.Equal(EnrolmentStatus.Paid, enrolled.Enrolment.Status);
        Assert.Equal(Day("2023-03-06"), enrolled.Enrolment.CoverageStart);
        Assert.Equal("timer:SupplementaryEnrolment@2023-03-05", (await run.Host.Ledger.HistoryAsync("luyang-2023", full))[0].Actor);
        Assert.Null(partlyEnrolled);
        var fund = Assert.Single(settlements);
        Assert.Equal("assistance-fund", fund.GetProperty("kind").GetString());
        Assert.Equal(full, fund.GetProperty("idNumber").GetString());
        Assert.Equal(350m, fund.GetProperty("amount").GetDecimal());
        Assert.Equal($"AF-luyang-2023-{full}", fund.GetProperty("transactionId").GetString());
        var lines = linDian!.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("姓名,身份证号,资助身份,低保类别,乡镇街道,报送部门,个人缴费标准,资助金额,资助方式,应缴金额,先缴后补返还,名单来源", lines[0]);
        var row = Assert.Single(lines[1..]);
        Assert.StartsWith($"钱二,{IdCell(partial)},低保对象,,林店街道,民政,350.00,315.00,", row, StringComparison.Ordinal);
        Assert.Contains(",35.00,0.00,", row, StringComparison.Ordinal);
        Assert.Contains("孙三", boZhou, StringComparison.Ordinal);
        Assert.Contains(",70.00,", boZhou, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AssistanceFundSettlement_AndTheFundsPaymentThroughTax_AreOneBook()
    {
        // Issue 18: the fund's settlement for a directly enrolled person shows what the government has paid of it
        // through tax (资助代缴), and that payment is the government's, not the person's overpayment.
        await using var run = await SupplementaryHost.StartAsync(storage.Azurite, Day("2023-03-05"));
        var full = LedgerTestHost.NewId("19500202", "340103");
        await run.ListAsync("luyang-2023", full, SubsidyIdentity.ExtremePoverty, Department.CivilAffairs, Day("2023-02-10"), "林店街道", name: "吴六");
        await run.RunAsync("2023-03-05");
        var before = Items(await run.SettlementsAsync("luyang-2023", "2023-03")).Single(i => i.GetProperty("idNumber").GetString() == full);

        var (posted, answer) = await run.Host.PostAsync("/api/payments",
            new { policy = "luyang-2023", idNumber = full, amount = 350m, paidOn = "2023-03-05", channel = "assistance-fund", transactionId = $"AF-luyang-2023-{full}", inTreasury = true }, "test-tax");
        var after = Items(await run.SettlementsAsync("luyang-2023", "2023-03")).Single(i => i.GetProperty("idNumber").GetString() == full);
        var (_, enrolment) = await run.Host.GetAsync($"/api/enrolments/luyang-2023/{full}");
        using var client = run.Host.Client();
        var csv = TestFiles.AssertOpensWithoutFormulas(await client.GetByteArrayAsync(new Uri("/api/reports/subsidy-settlements?policy=luyang-2023&month=2023-03&format=csv", UriKind.Relative)));

        Assert.Equal((0m, 350m), (before.GetProperty("governmentPaid").GetDecimal(), before.GetProperty("outstanding").GetDecimal()));
        Assert.True(posted == HttpStatusCode.Created, $"{posted}: {answer}");
        Assert.Equal((350m, "2023-03-05", 0m), (after.GetProperty("governmentPaid").GetDecimal(), after.GetProperty("governmentPaidOn").GetString(), after.GetProperty("outstanding").GetDecimal()));
        Assert.Equal((0m, 350m), (enrolment.GetProperty("overpayment").GetDecimal(), enrolment.GetProperty("governmentPaid").GetDecimal()));
        Assert.Contains("资助代缴已到账", csv);
        Assert.Contains("2023-03-05", csv);
    }

    [Fact]
    public async Task ReplayedForAPastMonth_DirectEnrolmentStatusIsAsOfThatDay_NotTheHostsClock()
    {
        // The host's clock is years later (an admin replaying 2023): the enrolment must read as on 2023-03-05.
        await using var run = await SupplementaryHost.StartAsync(storage.Azurite, Day("2026-11-23"));
        var full = LedgerTestHost.NewId("19510101", "340103");
        await run.ListAsync("luyang-2023", full, SubsidyIdentity.ExtremePoverty, Department.CivilAffairs, Day("2023-02-10"), "林店街道", name: "周五");

        var summary = await run.RunAsync("2023-03-05");
        var enrolled = (await run.Host.Ledger.GetAsync("luyang-2023", ResidentId.Parse(full)))!;

        Assert.Equal(1, SupplementaryHost.Count(summary, "luyang-2023", "enrolledDirectly"));
        Assert.Equal(Day("2023-03-05"), enrolled.Enrolment.EnrolledOn);
        Assert.Equal(EnrolmentStatus.Paid, enrolled.Enrolment.Status);
        Assert.Equal(Day("2023-03-06"), enrolled.Enrolment.CoverageStart);
    }

    [Fact]
    public async Task ListFilesDropped_ThenMonthlyRun_EnrolsMobilisesAndIgnoresThoseRemoved()
    {
        // From the department's file to the month's outcome: what the list function wrote is what the run reads.
        await using var run = await SupplementaryHost.StartAsync(storage.Azurite, Day("2023-03-05"));
        var full = LedgerTestHost.NewId("19520101", "340103");
        var partial = LedgerTestHost.NewId("19620101", "340103");
        var removed = LedgerTestHost.NewId("19530101", "340103");
        const string header = "姓名,身份证号,资助身份,低保类别,乡镇街道,变动";
        var register = $"{header}\r\n吴六,{full},特困人员,,林店街道,新增\r\n郑七,{partial},低保对象,,林店街道,新增\r\n王八,{removed},特困人员,,林店街道,新增\r\n";
        var changes = $"{header}\r\n王八,{removed},特困人员,,林店街道,减少\r\n";

        var first = await Subsidies.SubsidyListsTests.DropAsync(run.Host, "luyang-2023/civil-affairs/20230201-名单.csv", TestFiles.Gb18030.GetBytes(register));
        var second = await Subsidies.SubsidyListsTests.DropAsync(run.Host, "luyang-2023/民政/20230301-动态调整.csv", System.Text.Encoding.UTF8.GetBytes(changes));
        var summary = await run.RunAsync("2023-03-05");

        Assert.Equal(("completed", 0), (first.GetProperty("status").GetString(), first.GetProperty("counts").GetProperty("rejected").GetInt32()));
        Assert.Equal(("completed", 0), (second.GetProperty("status").GetString(), second.GetProperty("counts").GetProperty("rejected").GetInt32()));
        Assert.Equal(1, SupplementaryHost.Count(summary, "luyang-2023", "enrolledDirectly"));
        Assert.Equal(1, SupplementaryHost.Count(summary, "luyang-2023", "mobilised"));
        Assert.Equal("subsidy-list", (await run.Host.Ledger.GetAsync("luyang-2023", ResidentId.Parse(full)))!.Enrolment.Source);
        Assert.Null(await run.Host.Ledger.GetAsync("luyang-2023", ResidentId.Parse(removed)));
        var mobilisation = await run.MobilisationAsync("luyang-2023", "2023-03", "林店街道");
        Assert.Contains("郑七", mobilisation, StringComparison.Ordinal);
        Assert.DoesNotContain("王八", mobilisation, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SameMonthTwice_SecondRunChangesNothing()
    {
        await using var run = await SupplementaryHost.StartAsync(storage.Azurite, Day("2023-03-05"));
        var full = LedgerTestHost.NewId("19500101", "620402");
        var partial = LedgerTestHost.NewId("19600101", "620402");
        var raised = LedgerTestHost.NewId("19700101", "620402");
        await run.ListAsync("baiyin-2023", full, SubsidyIdentity.Orphan, Department.CivilAffairs, Day("2023-02-01"), "人民路街道");
        await run.ListAsync("baiyin-2023", partial, SubsidyIdentity.AtRiskOfReturning, Department.RuralRevitalisation, Day("2023-02-01"), "人民路街道");
        await run.EnrolAsync("baiyin-2023", raised, "2022-10-10", ["poverty-lifted"], pay: 250m);
        await run.ListAsync("baiyin-2023", raised, SubsidyIdentity.ReturnedToPoverty, Department.RuralRevitalisation, Day("2023-02-01"), "人民路街道");

        var first = await run.RunAsync("2023-03-05");
        var listAfterFirst = await run.MobilisationAsync("baiyin-2023", "2023-03", "人民路街道");
        var settlementsAfterFirst = (await run.SettlementsAsync("baiyin-2023", "2023-03")).ToString();
        var historyAfterFirst = (await run.Host.Ledger.HistoryAsync("baiyin-2023", full)).Count;
        var second = await run.RunAsync("2023-03-05");

        Assert.Equal(1, SupplementaryHost.Count(first, "baiyin-2023", "enrolledDirectly"));
        Assert.Equal(1, SupplementaryHost.Count(first, "baiyin-2023", "mobilised"));
        Assert.Equal(1, SupplementaryHost.Count(first, "baiyin-2023", "toppedUp"));
        Assert.Equal(0, SupplementaryHost.Count(second, "baiyin-2023", "enrolledDirectly"));
        Assert.Equal(1, SupplementaryHost.Count(second, "baiyin-2023", "toppedUp"));
        Assert.Equal(listAfterFirst, await run.MobilisationAsync("baiyin-2023", "2023-03", "人民路街道"));
        Assert.Equal(settlementsAfterFirst, (await run.SettlementsAsync("baiyin-2023", "2023-03")).ToString());
        var enrolment = (await run.Host.Ledger.GetAsync("baiyin-2023", ResidentId.Parse(full)))!.Enrolment;
        Assert.Equal(historyAfterFirst, (await run.Host.Ledger.HistoryAsync("baiyin-2023", full)).Count);
        Assert.Equal(0, enrolment.Money.PaymentCount);
    }

    [Fact]
    public async Task Baiyin_RaisedSubsidy_ToppedUpByTheDifferenceOnceAndNeverClawedBack()
    {
        await using var run = await SupplementaryHost.StartAsync(storage.Azurite, Day("2023-03-05"));
        var person = LedgerTestHost.NewId("19700101", "620421");
        var paidInFull = LedgerTestHost.NewId("19710101", "620421");
        var lowered = LedgerTestHost.NewId("19720101", "620421");
        await run.EnrolAsync("baiyin-2023", person, "2022-10-10", ["poverty-lifted"], pay: 250m);
        await run.ListAsync("baiyin-2023", person, SubsidyIdentity.AtRiskOfReturning, Department.RuralRevitalisation, Day("2023-02-01"), "城关镇");
        await run.EnrolAsync("baiyin-2023", paidInFull, "2022-10-10", [], pay: 350m);
        await run.ListAsync("baiyin-2023", paidInFull, SubsidyIdentity.MinimumLivingAllowance, Department.CivilAffairs, Day("2023-02-01"), "城关镇", AllowanceClass.Rural1);
        await run.EnrolAsync("baiyin-2023", lowered, "2022-10-10", ["returned-to-poverty"], pay: 160m);
        await run.ListAsync("baiyin-2023", lowered, SubsidyIdentity.PovertyLifted, Department.RuralRevitalisation, Day("2023-02-01"), "城关镇");

        var march = await run.RunAsync("2023-03-05");
        await run.ListAsync("baiyin-2023", person, SubsidyIdentity.ReturnedToPoverty, Department.RuralRevitalisation, Day("2023-04-01"), "城关镇");
        run.SetToday(Day("2023-05-05"));
        var may = await run.RunAsync("2023-05-05");
        run.SetToday(Day("2023-06-05"));
        var june = await run.RunAsync("2023-06-05");

        Assert.Equal(2, SupplementaryHost.Count(march, "baiyin-2023", "toppedUp"));
        Assert.Equal(1, SupplementaryHost.Count(march, "baiyin-2023", "unchanged"));
        var marchItems = Items(await run.SettlementsAsync("baiyin-2023", "2023-03")).ToDictionary(i => i.GetProperty("idNumber").GetString()!);
        Assert.Equal(50m, marchItems[person].GetProperty("amount").GetDecimal());
        Assert.Equal(100m, marchItems[person].GetProperty("fromLevel").GetDecimal());
        Assert.Equal(150m, marchItems[person].GetProperty("toLevel").GetDecimal());
        Assert.Equal(250m, marchItems[paidInFull].GetProperty("amount").GetDecimal());
        Assert.Equal("top-up", marchItems[paidInFull].GetProperty("kind").GetString());
        Assert.False(marchItems.ContainsKey(lowered));
        var mayItem = Assert.Single(Items(await run.SettlementsAsync("baiyin-2023", "2023-05")));
        Assert.Equal(person, mayItem.GetProperty("idNumber").GetString());
        Assert.Equal(40m, mayItem.GetProperty("amount").GetDecimal());
        Assert.Equal("returned-to-poverty", mayItem.GetProperty("identity").GetString());
        Assert.Equal(1, SupplementaryHost.Count(may, "baiyin-2023", "toppedUp"));
        Assert.Equal(0, SupplementaryHost.Count(june, "baiyin-2023", "toppedUp"));
        Assert.Empty(Items(await run.SettlementsAsync("baiyin-2023", "2023-06")));
    }

    [Fact]
    public async Task Baiyin_TopUpAndSubsidisedPaidFullRefund_NeverPayTheSameDifferenceTwice()
    {
        // baiyin-2023 三 "当月参保、次月资助" and "就高不重复": both paid 350 at a window typing 低保 that no list
        // confirmed then; 民政's list (dated 2022-10-01, before they paid) arrives later.
        await using var run = await SupplementaryHost.StartAsync(storage.Azurite, Day("2022-10-20"));
        var toppedFirst = LedgerTestHost.NewId("19700101", "620402");
        var refundedFirst = LedgerTestHost.NewId("19710101", "620402");
        foreach (var person in new[] { toppedFirst, refundedFirst })
        {
            var (status, body) = await run.Host.PostAsync("/api/enrolments", new { policy = "baiyin-2023", idNumber = person, date = "2022-10-10", name = "李四", source = "window", identities = new[] { "低保对象" }, allowanceClass = "农村一类低保" });
            Assert.True(status == HttpStatusCode.Created, body.ToString());
            Assert.Equal(350m, body.GetProperty("assessment").GetProperty("payable").GetDecimal());
            var (paid, answer) = await run.Host.PostAsync("/api/payments", new { policy = "baiyin-2023", idNumber = person, amount = 350m, paidOn = "2022-10-10", channel = "online", transactionId = "T" + Guid.NewGuid().ToString("N")[..16], inTreasury = true }, "test-tax");
            Assert.True(paid == HttpStatusCode.Created, answer.ToString());
            await run.ListAsync("baiyin-2023", person, SubsidyIdentity.MinimumLivingAllowance, Department.CivilAffairs, Day("2022-10-01"), "人民路街道", AllowanceClass.Rural1);
        }

        var check = ActivatorUtilities.CreateInstance<Collection.Functions.Refunds.CheckRefund>(run.Host.Services);
        var claims = run.Host.Services.GetRequiredService<Collection.Functions.Refunds.RefundClaims>();
        var refundApplication = new RefundApplication { Policy = "baiyin-2023", IdNumber = refundedFirst, Reason = RefundReason.SubsidisedPaidFull };
        var refund = await check.RunAsync(new Collection.Functions.Refunds.RefundCaseInput("case-r1", refundApplication, "staff"), default);
        Assert.Equal(250m, refund.Check.Amount);
        await new Collection.Functions.Refunds.IssueRefund(run.Host.Services.GetRequiredService<Collection.Functions.Refunds.IRefundLedger>(), claims)
            .RunAsync(new Collection.Functions.Refunds.RefundWorkInput("case-r1", refundApplication, refund.Check), default);

        // The next month's run, in the collection period: the one not refunded is topped up 250, the refunded one not again.
        run.SetToday(Day("2022-11-05"));
        var november = await run.RunAsync("2022-11-05");
        var items = Items(await run.SettlementsAsync("baiyin-2023", "2022-11")).ToDictionary(i => i.GetProperty("idNumber").GetString()!);
        Assert.True(SupplementaryHost.Policy(november, "baiyin-2023").GetProperty("acted").GetBoolean());
        Assert.Equal(("top-up", 250m), (items[toppedFirst].GetProperty("kind").GetString(), items[toppedFirst].GetProperty("amount").GetDecimal()));
        Assert.False(items.ContainsKey(refundedFirst));

        // A refund asked for after the top-up has nothing left to pay.
        var late = await check.RunAsync(new Collection.Functions.Refunds.RefundCaseInput("case-t1", refundApplication with { IdNumber = toppedFirst }, "staff"), default);
        Assert.Equal(RefundCodes.NothingToRefund, late.Check.RejectionCode);
        // Got back in all: 250 each, the subsidy of 低保 rural-1, once.
        Assert.Equal(250m, await claims.SubsidyRefundedAsync("baiyin-2023", refundedFirst, default));
        Assert.Equal(0m, await claims.RefundedAsync("baiyin-2023", toppedFirst, default));
    }

    [Fact]
    public async Task Luyang_RaisedSubsidy_NoTopUpBecauseOnlyBaiyinSaysSo()
    {
        await using var run = await SupplementaryHost.StartAsync(storage.Azurite, Day("2023-03-05"));
        var person = LedgerTestHost.NewId("19650101", "340103");
        await run.EnrolAsync("luyang-2023", person, "2022-10-10", ["returned-to-poverty"], pay: 70m);
        await run.ListAsync("luyang-2023", person, SubsidyIdentity.MinimumLivingAllowance, Department.CivilAffairs, Day("2023-02-01"), "林店街道");

        var summary = await run.RunAsync("2023-03-05");

        Assert.Equal(1, SupplementaryHost.Count(summary, "luyang-2023", "unchanged"));
        Assert.Equal(0, SupplementaryHost.Count(summary, "luyang-2023", "toppedUp"));
        Assert.Empty(Items(await run.SettlementsAsync("luyang-2023", "2023-03")));
    }

    [Fact]
    public async Task Dalate_RebatePaidInFull_RebateDueForTheDepartmentHighestOnly()
    {
        await using var run = await SupplementaryHost.StartAsync(storage.Azurite, Day("2022-03-05"));
        var mongolian = LedgerTestHost.NewId("19800101", "150621");
        var lowIncome = LedgerTestHost.NewId("19810101", "150621");
        var unpaid = LedgerTestHost.NewId("19820101", "150621");
        var notEnrolled = LedgerTestHost.NewId("19830101", "150621");
        var fullySubsidised = LedgerTestHost.NewId("19840101", "150621");
        await run.EnrolAsync("dalate-2022", mongolian, "2021-10-10", ["ethnic-minority"], pay: 360m);
        await run.ListAsync("dalate-2022", mongolian, SubsidyIdentity.EthnicMinority, Department.EthnicAffairs, Day("2021-09-01"), "树林召镇");
        await run.EnrolAsync("dalate-2022", lowIncome, "2021-10-10", [], pay: 360m);
        await run.ListAsync("dalate-2022", lowIncome, SubsidyIdentity.MinimumLivingAllowance, Department.CivilAffairs, Day("2022-01-01"), "树林召镇");
        await run.EnrolAsync("dalate-2022", unpaid, "2021-10-10", ["ethnic-minority"]);
        await run.ListAsync("dalate-2022", unpaid, SubsidyIdentity.EthnicMinority, Department.EthnicAffairs, Day("2021-09-01"), "树林召镇");
        await run.ListAsync("dalate-2022", notEnrolled, SubsidyIdentity.EthnicMinority, Department.EthnicAffairs, Day("2021-09-01"), "树林召镇");
        await run.ListAsync("dalate-2022", fullySubsidised, SubsidyIdentity.DisabledGrade1, Department.DisabledFederation, Day("2022-02-01"), "树林召镇");

        var march = await run.RunAsync("2022-03-05");
        await run.ListAsync("dalate-2022", mongolian, SubsidyIdentity.PovertyUnstable, Department.RuralRevitalisation, Day("2022-04-01"), "树林召镇");
        run.SetToday(Day("2022-05-05"));
        var may = await run.RunAsync("2022-05-05");

        Assert.Equal(2, SupplementaryHost.Count(march, "dalate-2022", "rebateDue"));
        Assert.Equal(1, SupplementaryHost.Count(march, "dalate-2022", "awaitingPayment"));
        Assert.Equal(1, SupplementaryHost.Count(march, "dalate-2022", "mobilised"));
        Assert.Equal(1, SupplementaryHost.Count(march, "dalate-2022", "enrolledDirectly"));
        var rebates = Items(await run.SettlementsAsync("dalate-2022", "2022-03")).Where(i => i.GetProperty("kind").GetString() == "rebate").ToDictionary(i => i.GetProperty("idNumber").GetString()!);
        Assert.Equal(150m, rebates[mongolian].GetProperty("amount").GetDecimal());
        Assert.Equal("ethnic-affairs", rebates[mongolian].GetProperty("department").GetString());
        Assert.Equal("旗民族事务委员会", rebates[mongolian].GetProperty("paidBy").GetString());
        Assert.Equal(310m, rebates[lowIncome].GetProperty("amount").GetDecimal());
        Assert.Equal("civil-affairs", rebates[lowIncome].GetProperty("department").GetString());
        Assert.Equal("旗民政局、乡村振兴统筹发展中心", rebates[lowIncome].GetProperty("paidBy").GetString());
        // 310 is now the highest rebate: 160 more, never 150 + 310.
        var raised = Assert.Single(Items(await run.SettlementsAsync("dalate-2022", "2022-05")));
        Assert.Equal(mongolian, raised.GetProperty("idNumber").GetString());
        Assert.Equal(160m, raised.GetProperty("amount").GetDecimal());
        Assert.Equal("rural-revitalisation", raised.GetProperty("department").GetString());
        Assert.Equal(1, SupplementaryHost.Count(may, "dalate-2022", "rebateDue"));
        var direct = (await run.Host.Ledger.GetAsync("dalate-2022", ResidentId.Parse(fullySubsidised)))!.Enrolment;
        // Listed on 2022-02-01, within the collection period (to 02-28): enrolled as of the list's day and covered for
        // the whole of 2022 (三(一), audit D6), not from the run day.
        Assert.Equal(EnrolmentStatus.Active, direct.Status);
        Assert.Equal((Day("2022-02-01"), Day("2022-01-01")), (direct.EnrolledOn, direct.CoverageStart));
        Assert.Contains(",360.00,150.00,先缴后补,360.00,150.00,", await run.MobilisationAsync("dalate-2022", "2022-03", "树林召镇"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bagongshan_AfterTheExtension_NobodyCanBeEnrolledAndWuhaiNeither()
    {
        await using var run = await SupplementaryHost.StartAsync(storage.Azurite, Day("2022-05-05"));
        var extremePoverty = LedgerTestHost.NewId("19500101", "340405");
        var lowIncome = LedgerTestHost.NewId("19510101", "340405");
        var wuhai = LedgerTestHost.NewId("19520101", "150302");
        await run.ListAsync("bagongshan-2022", extremePoverty, SubsidyIdentity.ExtremePoverty, Department.CivilAffairs, Day("2022-03-01"), "山王镇");
        await run.ListAsync("bagongshan-2022", lowIncome, SubsidyIdentity.MinimumLivingAllowance, Department.CivilAffairs, Day("2022-03-01"), "山王镇");
        var wuhaiInPeriod = LedgerTestHost.NewId("19530101", "150302");
        await run.ListAsync("wuhai-2022", wuhai, SubsidyIdentity.MinimumLivingAllowance, Department.CivilAffairs, Day("2022-05-01"), "海勃湾区");
        await run.ListAsync("wuhai-2022", wuhaiInPeriod, SubsidyIdentity.MinimumLivingAllowance, Department.CivilAffairs, Day("2022-03-01"), "海勃湾区");

        var summary = await run.RunAsync("2022-05-05");

        Assert.Equal(2, SupplementaryHost.Count(summary, "bagongshan-2022", "notEligible"));
        // wuhai-2022 has no rule after 2022-04-30 (policy decision): listed on 05-01, never enrolled; listed on 03-01,
        // in the period, enrolled as of that day and covered for the whole of 2022 (四(四), audit W19).
        Assert.Equal(1, SupplementaryHost.Count(summary, "wuhai-2022", "notEligible"));
        Assert.Equal(1, SupplementaryHost.Count(summary, "wuhai-2022", "enrolledDirectly"));
        var listed = (await run.Host.Ledger.GetAsync("wuhai-2022", ResidentId.Parse(wuhaiInPeriod)))!.Enrolment;
        Assert.Equal((Day("2022-03-01"), Day("2022-01-01"), 0m), (listed.EnrolledOn, listed.CoverageStart, listed.Terms.Payable));
        Assert.Null(await run.Host.Ledger.GetAsync("bagongshan-2022", ResidentId.Parse(extremePoverty)));
        Assert.Null(await run.MobilisationAsync("bagongshan-2022", "2022-05", "山王镇"));
    }

    [Fact]
    public async Task Window_InTheCollectionPeriodActs_BeforeItAndAfterCoverageEndPolicySkippedWithReason()
    {
        await using var run = await SupplementaryHost.StartAsync(storage.Azurite, Day("2022-08-05"));
        var person = LedgerTestHost.NewId("19500101", "340103");
        await run.ListAsync("luyang-2023", person, SubsidyIdentity.ExtremePoverty, Department.CivilAffairs, Day("2022-08-01"), "林店街道");

        var before = await run.RunAsync("2022-08-05");
        run.SetToday(Day("2022-12-05"));
        var during = await run.RunAsync("2022-12-05");
        run.SetToday(Day("2024-01-05"));
        var after = await run.RunAsync("2024-01-05");

        Assert.Equal("collection-period-not-open", SupplementaryHost.Policy(before, "luyang-2023").GetProperty("skipped").GetString());
        // Lists act in the period too (issue 17): listed before it opened, enrolled as of its first day, covered for the whole year.
        Assert.True(SupplementaryHost.Policy(during, "luyang-2023").GetProperty("acted").GetBoolean());
        Assert.Equal(1, SupplementaryHost.Count(during, "luyang-2023", "enrolledDirectly"));
        Assert.Equal("coverage-year-over", SupplementaryHost.Policy(after, "luyang-2023").GetProperty("skipped").GetString());
        Assert.True(SupplementaryHost.Policy(during, "dalate-2022").GetProperty("acted").GetBoolean());
        var enrolment = (await run.Host.Ledger.GetAsync("luyang-2023", ResidentId.Parse(person)))!.Enrolment;
        Assert.Equal((Day("2022-09-01"), Day("2023-01-01")), (enrolment.EnrolledOn, enrolment.CoverageStart));
    }

    [Fact]
    public async Task IdentityEnded_NotInForceOnRunDay_NothingDone()
    {
        await using var run = await SupplementaryHost.StartAsync(storage.Azurite, Day("2023-03-05"));
        var person = LedgerTestHost.NewId("19500101", "340103");
        await run.ListAsync("luyang-2023", person, SubsidyIdentity.ExtremePoverty, Department.CivilAffairs, Day("2022-09-01"), "林店街道");
        await run.ListAsync("luyang-2023", person, SubsidyIdentity.ExtremePoverty, Department.CivilAffairs, Day("2023-02-01"), "林店街道", change: ListChange.Remove);

        var summary = await run.RunAsync("2023-03-05");

        Assert.Equal(1, SupplementaryHost.Count(summary, "luyang-2023", "notInForce"));
        Assert.Null(await run.Host.Ledger.GetAsync("luyang-2023", ResidentId.Parse(person)));
    }

    [Fact]
    public async Task SettlementsReport_Csv_HasBomChineseHeadersAndTotals_StaffOnly()
    {
        await using var run = await SupplementaryHost.StartAsync(storage.Azurite, Day("2023-03-05"));
        var person = LedgerTestHost.NewId("19700101", "620423");
        await run.EnrolAsync("baiyin-2023", person, "2022-10-10", [], pay: 350m);
        await run.ListAsync("baiyin-2023", person, SubsidyIdentity.PovertyLifted, Department.RuralRevitalisation, Day("2023-02-01"), "芦阳镇", name: "周五");
        await run.RunAsync("2023-03-05");

        using var client = run.Host.Client();
        var csv = await client.GetAsync(new Uri("/api/reports/subsidy-settlements?policy=baiyin-2023&month=2023-03&format=csv", UriKind.Relative));
        var bytes = await csv.Content.ReadAsByteArrayAsync();
        var text = System.Text.Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3);
        using var anonymous = run.Host.Client(key: null);
        var unauthorised = await anonymous.GetAsync(new Uri("/api/reports/subsidy-settlements?policy=baiyin-2023&month=2023-03", UriKind.Relative));
        var (badMonth, problem) = await run.Host.GetAsync("/api/reports/subsidy-settlements?policy=baiyin-2023&month=2023-3");

        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("text/csv", csv.Content.Headers.ContentType?.MediaType);
        Assert.Equal([0xEF, 0xBB, 0xBF], bytes[..3]);
        var lines = text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("类别,身份证号,姓名,乡镇街道,报送部门,资助身份,资金承担,原资助标准,新资助标准,金额,结算流水号,运行日期,资助代缴已到账,到账日期,未到账", lines[0]);
        Assert.StartsWith($"补差（资助标准提高）,{IdCell(person)},周五,芦阳镇,乡村振兴,脱贫人口,,0.00,100.00,100.00,TU-baiyin-2023-2023-03-{person},2023-03-05", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("合计：补差（资助标准提高）,,1 人,", lines[2], StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, unauthorised.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badMonth);
        Assert.Equal("invalid-month", problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task MobilisationList_DepartmentsFormulaCells_OpenAsText()
    {
        // A department's list entry is typed by someone else and lands in a township's file.
        await using var run = await SupplementaryHost.StartAsync(storage.Azurite, Day("2023-03-05"));
        var person = LedgerTestHost.NewId("19630101", "340103");
        await run.ListAsync("luyang-2023", person, SubsidyIdentity.MinimumLivingAllowance, Department.CivilAffairs, Day("2023-02-10"), "@双岗街道", name: TestFiles.Formula);

        await run.RunAsync("2023-03-05");
        var list = await run.MobilisationAsync("luyang-2023", "2023-03", "@双岗街道");
        var cells = TestFiles.AssertOpensWithoutFormulas(System.Text.Encoding.UTF8.GetBytes(list!));

        Assert.Contains("'" + TestFiles.Formula, cells);
        Assert.Contains("'@双岗街道", cells);
    }

    [Fact]
    public async Task SettlementsReport_Csv_FormulaCells_OpenAsText()
    {
        await using var run = await SupplementaryHost.StartAsync(storage.Azurite, Day("2023-03-05"));
        var person = LedgerTestHost.NewId("19710101", "620423");
        await run.EnrolAsync("baiyin-2023", person, "2022-10-10", [], pay: 350m);
        await run.ListAsync("baiyin-2023", person, SubsidyIdentity.PovertyLifted, Department.RuralRevitalisation, Day("2023-02-01"), "-芦阳镇", name: TestFiles.Formula);
        await run.RunAsync("2023-03-05");

        using var client = run.Host.Client();
        var csv = await client.GetByteArrayAsync(new Uri("/api/reports/subsidy-settlements?policy=baiyin-2023&month=2023-03&format=csv", UriKind.Relative));
        var cells = TestFiles.AssertOpensWithoutFormulas(csv);

        Assert.Contains("'" + TestFiles.Formula, cells);
        Assert.Contains("'-芦阳镇", cells);
    }

    [Fact]
    public async Task Runs_SummaryOfTheRunIsInTheRunHistory()
    {
        await using var run = await SupplementaryHost.StartAsync(storage.Azurite, Day("2023-03-05"));
        var person = LedgerTestHost.NewId("19600101", "340103");
        await run.ListAsync("luyang-2023", person, SubsidyIdentity.MinimumLivingAllowance, Department.CivilAffairs, Day("2023-02-01"), "林店街道");
        var (_, answer) = await run.Host.PostAsync("/api/jobs/SupplementaryEnrolment/runs?asOf=2023-03-05", new { }, "test-admin");

        // Other tests of this class ran the timer on this Azurite too (at the same fake time): find this run.
        var (status, runs) = await run.Host.GetAsync("/api/jobs/SupplementaryEnrolment/runs?top=50", "test-admin");

        Assert.Equal(HttpStatusCode.OK, status);
        var latest = runs.EnumerateArray().Single(r => r.GetProperty("runId").GetString() == answer.GetProperty("runId").GetString());
        Assert.Equal("2023-03-05", latest.GetProperty("asOf").GetString());
        Assert.Equal("2023-03", latest.GetProperty("summary").GetProperty("month").GetString());
        Assert.Equal(1, latest.GetProperty("summary").GetProperty("totals").GetProperty("mobilised").GetInt32());
    }
}
