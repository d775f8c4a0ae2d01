using System.Net;
using System.Text.Json;
using System.Text;
using Azure.Data.Tables;
using Collection.Domain.Codes;
using Collection.Domain.Enrolments;
using Collection.Domain;
using Collection.Files.Tests;
using Collection.Functions.Ledger;
using Collection.Functions.Tests.TaxReturns;
using Microsoft.Extensions.DependencyInjection;

namespace Collection.Functions.Tests.Ledger;

/// <summary>
/// Issue 18: the book holds any number of payments per person, no row is lost to another's trouble, the 入库 state
/// follows the cash, refunds are money out, and the subsidised share paid through tax is not an overpayment.
/// </summary>
public sealed class LedgerBooksTests : IAsyncLifetime
{
    private const string TaxHeader = "身份证号,姓名,金额,缴费日期,缴费渠道,交易流水号,是否入库";
    private LedgerTestHost _host = null!;

    public async Task InitializeAsync() => _host = await LedgerTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static string Tx() => "B" + Guid.NewGuid().ToString("N")[..16];

    private async Task<string> EnrolAsync(string policy = "wuhai-2022", string date = "2021-12-01", string? id = null)
    {
        id ??= LedgerTestHost.NewId();
        var (status, body) = await _host.PostAsync("/api/enrolments", new { policy, idNumber = id, date, name = "张三", town = "海勃湾区" });
        Assert.True(status == HttpStatusCode.Created, $"{status}: {body}");
        return id;
    }

    private static IEnumerable<PaymentPosting> Postings(string id, int count, decimal amount, string paidOn = "2021-12-05") =>
        Enumerable.Range(0, count).Select(_ => new PaymentPosting("wuhai-2022", ResidentId.Parse(id), amount, DateOnly.Parse(paidOn, System.Globalization.CultureInfo.InvariantCulture),
            PaymentChannel.Online, Tx(), true));

    [Fact]
    public async Task OnePerson_1000Payments_AllPosted_AndTheNextOneThroughTheApiToo()
    {
        var id = await EnrolAsync();

        var results = await _host.Ledger.PostPaymentsAsync([.. Postings(id, 1000, 1m)], "test");
        var (status, answer) = await _host.PostAsync("/api/payments",
            new { policy = "wuhai-2022", idNumber = id, amount = 1m, paidOn = "2021-12-06", channel = "online", transactionId = Tx(), inTreasury = true }, "test-tax");
        var (_, enrolment) = await _host.GetAsync($"/api/enrolments/wuhai-2022/{id}");

        Assert.All(results, r => Assert.Equal(PostingOutcome.Posted, r.Outcome));
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(1001m, answer.GetProperty("paid").GetDecimal());
        Assert.Equal(1001, enrolment.GetProperty("paymentCount").GetInt32());
        Assert.Equal(1001m, enrolment.GetProperty("paid").GetDecimal());
        Assert.Equal(541m, enrolment.GetProperty("overpayment").GetDecimal());
        Assert.Equal(EnrolmentBody.ListedLimit, enrolment.GetProperty("payments").GetArrayLength());
        Assert.True(enrolment.GetProperty("paymentsTruncated").GetBoolean());
        Assert.Equal(1001, (await _host.Ledger.PaymentsAsync("wuhai-2022", id)).Count);
    }

    [Fact]
    public async Task TaxReturn_5000RowsForOnePerson_AllPosted_AndDroppedAgainAllAlreadyPosted()
    {
        var id = await EnrolAsync();
        var file = new StringBuilder(TaxHeader).Append("\r\n");
        for (var i = 0; i < 5000; i++)
        {
            file.Append(System.Globalization.CultureInfo.InvariantCulture, $"{id},张三,0.09,2021-12-05,线上缴费,{Tx()},是\r\n");
        }

        var bytes = Encoding.UTF8.GetBytes(file.ToString());
        var name = $"wuhai-2022/20211206-{Guid.NewGuid():N}.csv";
        var first = await TaxReturnsTests.RunAsync(_host, name, bytes);
        var second = await TaxReturnsTests.RunAsync(_host, name, bytes);
        var entry = (await _host.Ledger.GetAsync("wuhai-2022", ResidentId.Parse(id)))!;

        Assert.Equal("completed", first.GetProperty("status").GetString());
        Assert.Equal(5000, first.GetProperty("posted").GetInt32());
        Assert.Equal(0, first.GetProperty("rejected").GetInt32());
        Assert.Equal(5000, second.GetProperty("alreadyPosted").GetInt32());
        Assert.Equal(5000, entry.Enrolment.Money.PaymentCount);
        Assert.Equal(450m, entry.Enrolment.Paid);
        Assert.Equal(10m, entry.Enrolment.Balance);
    }

    [Fact]
    public async Task TaxReturn_ADamagedEnrolmentBesideGoodOnesInItsPartition_GoodOnesPosted_DamagedRejectedWithACode()
    {
        // Three people in one ledger partition: one transaction would carry all three rows.
        var poisoned = await EnrolAsync();
        var bucket = LedgerKeys.Bucket(poisoned);
        var neighbours = new List<string>();
        while (neighbours.Count < 2)
        {
            var candidate = LedgerTestHost.NewId("19700101");
            if (LedgerKeys.Bucket(candidate) == bucket)
            {
                neighbours.Add(await EnrolAsync(id: candidate));
            }
        }

        var table = _host.Services.GetRequiredService<TableServiceClient>().GetTableClient(_host.Services.GetRequiredService<LedgerTables>().Enrolments);
        var row = (await table.GetEntityAsync<TableEntity>(LedgerKeys.Partition("wuhai-2022", poisoned), LedgerKeys.EnrolmentRow(poisoned))).Value;
        row["State"] = "{\"terms\": 12, broken";
        await table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace);

        var text = string.Join("\r\n", TaxHeader,
            $"{neighbours[0]},甲,460,2021-12-05,线上缴费,{Tx()},是",
            $"{poisoned},乙,460,2021-12-05,线上缴费,{Tx()},是",
            $"{neighbours[1]},丙,460,2021-12-05,线上缴费,{Tx()},是");
        var result = await TaxReturnsTests.RunAsync(_host, $"wuhai-2022/20211206-{Guid.NewGuid():N}.csv", Encoding.UTF8.GetBytes(text));

        Assert.Equal("completed", result.GetProperty("status").GetString());
        Assert.Equal(2, result.GetProperty("posted").GetInt32());
        var rejected = Assert.Single(result.GetProperty("rejectedRows").EnumerateArray());
        Assert.Equal(3, rejected.GetProperty("line").GetInt32());
        Assert.Equal("ledger-record-unreadable", rejected.GetProperty("code").GetString());
        foreach (var good in neighbours)
        {
            Assert.Equal(460m, (await _host.Ledger.GetAsync("wuhai-2022", ResidentId.Parse(good)))!.Enrolment.Paid);
        }
    }

    [Fact]
    public async Task CashNotInTreasury_ATaxReturnReportingItInTheTreasury_MovesItThere()
    {
        var id = await EnrolAsync();
        var tx = Tx();
        var (posted, _) = await _host.PostAsync("/api/payments",
            new { policy = "wuhai-2022", idNumber = id, amount = 460m, paidOn = "2021-12-02", channel = "现金", transactionId = tx, inTreasury = false, collector = "community:滨河社区" }, "test-tax");

        var result = await TaxReturnsTests.RunAsync(_host, $"wuhai-2022/20211220-{Guid.NewGuid():N}.csv",
            Encoding.UTF8.GetBytes($"{TaxHeader}\r\n{id},张三,460,2021-12-02,现金,{tx},是\r\n"));
        var payment = Assert.Single(await _host.Ledger.PaymentsAsync("wuhai-2022", id));

        Assert.Equal(HttpStatusCode.Created, posted);
        Assert.Equal(1, result.GetProperty("alreadyPosted").GetInt32());
        Assert.Equal(1, result.GetProperty("markedInTreasury").GetInt32());
        Assert.True(payment.InTreasury);
        Assert.Equal("community:滨河社区", payment.Collector);
        Assert.Equal(LedgerTestHost.DefaultToday, payment.InTreasuryOn);
        Assert.StartsWith("tax-returns:", payment.InTreasuryBy, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wuhai_DepartmentPaysTheWaivedShareThroughTheTaxClient_IsTheGovernmentsPaymentNotAnOverpayment()
    {
        var id = LedgerTestHost.NewId("19600101");
        await _host.ConfirmAsync("wuhai-2022", id, SubsidyIdentity.ExtremePoverty, Department.CivilAffairs, new DateOnly(2021, 11, 1));
        await EnrolAsync(id: id);
        var tx = Tx();

        var result = await TaxReturnsTests.RunAsync(_host, $"wuhai-2022/20211206-{Guid.NewGuid():N}.csv",
            Encoding.UTF8.GetBytes($"身份证号,姓名,金额,缴费日期,缴费渠道,交易流水号,是否入库,缴费类型\r\n{id},李四,350,2021-12-05,税务客户端,{tx},是,资助代缴\r\n"));
        var (_, enrolment) = await _host.GetAsync($"/api/enrolments/wuhai-2022/{id}");
        var (_, report) = await _host.GetAsync("/api/reports/reconciliation?policy=wuhai-2022&from=2021-10-01&to=2022-04-30");

        Assert.Equal(1, result.GetProperty("posted").GetInt32());
        Assert.Equal("waived", enrolment.GetProperty("assessment").GetProperty("subsidyMode").GetString());
        Assert.Equal(0m, enrolment.GetProperty("overpayment").GetDecimal());
        Assert.Equal(350m, enrolment.GetProperty("governmentPaid").GetDecimal());
        Assert.Equal("government", enrolment.GetProperty("payments")[0].GetProperty("payer").GetString());
        Assert.DoesNotContain(report.GetProperty("mismatches").EnumerateArray(), m => m.GetProperty("idNumber").GetString() == id);
        Assert.True(report.GetProperty("governmentPaid").GetProperty("amount").GetDecimal() >= 350m);
    }

    [Fact]
    public async Task ReEnrolment_AfterACancellingRefund_BeforeTheRepaymentDeadline_KeepsBoth_AfterItIsRefused()
    {
        // wuhai-2022 五(四): "需重新缴费的,要在2022年4月30日前完成".
        var id = await EnrolAsync(date: "2021-12-01");
        await _host.PostAsync("/api/payments", new { policy = "wuhai-2022", idNumber = id, amount = 460m, paidOn = "2021-12-02", channel = "online", transactionId = Tx(), inTreasury = true }, "test-tax");
        await _host.Ledger.RecordRefundAsync("wuhai-2022", ResidentId.Parse(id), new RefundEntry("refund-w1", 460m, false, "wrongly-collected", "online", default, "refund:refund-w1"));
        await _host.Ledger.CancelAsync("wuhai-2022", ResidentId.Parse(id), "refund refund-w1: wrongly-collected", "refund:refund-w1");
        var late = await EnrolAsync(date: "2021-12-01");
        await _host.Ledger.CancelAsync("wuhai-2022", ResidentId.Parse(late), "refund refund-w2: wrongly-collected", "refund:refund-w2");

        var (again, body) = await _host.PostAsync("/api/enrolments", new { policy = "wuhai-2022", idNumber = id, date = "2022-04-20", name = "张三" });
        var (repaid, _) = await _host.PostAsync("/api/payments", new { policy = "wuhai-2022", idNumber = id, amount = 460m, paidOn = "2022-04-20", channel = "online", transactionId = Tx(), inTreasury = true }, "test-tax");
        _host.Today = new DateOnly(2022, 5, 3);
        var (tooLate, refusal) = await _host.PostAsync("/api/enrolments", new { policy = "wuhai-2022", idNumber = late, date = "2022-05-03", name = "王五" });
        var (_, now) = await _host.GetAsync($"/api/enrolments/wuhai-2022/{id}");
        var (_, reconciliation) = await _host.GetAsync("/api/reports/reconciliation?policy=wuhai-2022&from=2021-10-01&to=2022-12-31");

        Assert.Equal(HttpStatusCode.Created, again);
        Assert.Equal(2, body.GetProperty("generation").GetInt32());
        Assert.Equal(HttpStatusCode.Created, repaid);
        Assert.Equal(460m, now.GetProperty("paid").GetDecimal());
        Assert.Equal(1, now.GetProperty("paymentCount").GetInt32());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, tooLate);
        Assert.Equal("re-enrolment-closed", refusal.GetProperty("code").GetString());
        Assert.Equal(LedgerCodes.Message("re-enrolment-closed"), refusal.GetProperty("detailZh").GetString());
        Assert.Equal("2022-04-30", refusal.GetProperty("deadline").GetString());
        // Both enrolments are kept: the cancelled one with its payment and refund, beside the new one.
        Assert.Single(await _host.Ledger.GetPaymentsAsync("wuhai-2022", ResidentId.Parse(id), generation: 1));
        var refunds = await _host.Ledger.GetRefundsAsync("wuhai-2022", ResidentId.Parse(id));
        Assert.Equal(1, Assert.Single(refunds).Generation);
        Assert.DoesNotContain(reconciliation.GetProperty("mismatches").EnumerateArray(), m => m.GetProperty("idNumber").GetString() == id);
    }

    [Fact]
    public async Task Luyang_CashHeld_WarnsAt30Days_AndAt200000Yuan_AndARemittanceMovesItIntoTheTreasury()
    {
        _host.Today = new DateOnly(2022, 12, 20);
        var old = await EnrolAsync("luyang-2023", "2022-10-10", LedgerTestHost.NewId("19800101", "340103"));
        var (oldPaid, oldAnswer) = await _host.PostAsync("/api/payments", new { policy = "luyang-2023", idNumber = old, amount = 380m, paidOn = "2022-10-10", channel = "cash", transactionId = Tx(), inTreasury = false, collector = "community:杏花村社区" }, "test-tax");
        Assert.True(oldPaid == HttpStatusCode.Created, $"{oldPaid}: {oldAnswer}");
        var recent = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            recent.Add(await EnrolAsync("luyang-2023", "2022-12-15", LedgerTestHost.NewId("19810101", "340103")));
        }

        // A big collection: 200,000 yuan reached by the community of 亳州路 (one person's many cash payments suffice for the sum).
        var big = await EnrolAsync("luyang-2023", "2022-12-15", LedgerTestHost.NewId("19820101", "340103"));
        for (var i = 0; i < 20; i++)
        {
            var (paid, answer) = await _host.PostAsync("/api/payments",
                new { policy = "luyang-2023", idNumber = big, amount = 10_000m, paidOn = "2022-12-15", channel = "cash", transactionId = Tx(), inTreasury = false, collector = "community:亳州路社区" }, "test-tax");
            Assert.True(paid == HttpStatusCode.Created, $"{paid}: {answer}");
        }
        foreach (var person in recent)
        {
            await _host.PostAsync("/api/payments", new { policy = "luyang-2023", idNumber = person, amount = 380m, paidOn = "2022-12-15", channel = "cash", transactionId = Tx(), inTreasury = false, collector = "community:杏花村社区" }, "test-tax");
        }

        var (_, on30th) = await _host.GetAsync("/api/remittances/luyang-2023/held?date=2022-11-09");
        var (_, on29th) = await _host.GetAsync("/api/remittances/luyang-2023/held?date=2022-11-08&collector=community:杏花村社区");
        var (mismatch, problem) = await _host.PostAsync("/api/remittances",
            new { policy = "luyang-2023", collector = "community:杏花村社区", from = "2022-10-01", to = "2022-12-15", headcount = 3, amount = 1140m, reference = "SK2022121801", remittedOn = "2022-12-18" });
        var (remitted, remittance) = await _host.PostAsync("/api/remittances",
            new { policy = "luyang-2023", collector = "community:杏花村社区", from = "2022-10-01", to = "2022-12-15", headcount = 4, amount = 1520m, reference = "SK2022121801", remittedOn = "2022-12-18" });
        var (repeated, _) = await _host.PostAsync("/api/remittances",
            new { policy = "luyang-2023", collector = "community:杏花村社区", from = "2022-10-01", to = "2022-12-15", headcount = 4, amount = 1520m, reference = "SK2022121801", remittedOn = "2022-12-18" });
        var (_, after) = await _host.GetAsync("/api/remittances/luyang-2023/held");

        var xinghua = on30th.GetProperty("collectors").EnumerateArray().Single(c => c.GetProperty("collector").GetString() == "community:杏花村社区");
        Assert.Equal(30, xinghua.GetProperty("daysHeld").GetInt32());
        Assert.Contains(xinghua.GetProperty("warnings").EnumerateArray(), w => w.GetProperty("code").GetString() == "cash-held-too-long");
        Assert.Empty(on29th.GetProperty("collectors")[0].GetProperty("warnings").EnumerateArray());
        var boZhou = after.GetProperty("collectors").EnumerateArray().Single(c => c.GetProperty("collector").GetString() == "community:亳州路社区");
        Assert.Equal(200_000m, boZhou.GetProperty("amount").GetDecimal());
        Assert.Contains(boZhou.GetProperty("warnings").EnumerateArray(), w => w.GetProperty("code").GetString() == "cash-amount-reached");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, mismatch);
        Assert.Equal("remittance-mismatch", problem.GetProperty("code").GetString());
        Assert.Equal(4, problem.GetProperty("foundPeople").GetInt32());
        Assert.Equal(HttpStatusCode.Created, remitted);
        Assert.Equal(4, remittance.GetProperty("payments").GetInt32());
        Assert.Equal(HttpStatusCode.OK, repeated);
        Assert.DoesNotContain(after.GetProperty("collectors").EnumerateArray(), c => c.GetProperty("collector").GetString() == "community:杏花村社区");
        var payment = Assert.Single(await _host.Ledger.PaymentsAsync("luyang-2023", old));
        Assert.True(payment.InTreasury);
        Assert.Equal("remittance:SK2022121801", payment.InTreasuryBy);
        Assert.Equal(new DateOnly(2022, 12, 18), payment.InTreasuryOn);
    }

    [Fact]
    public async Task Remittance_ASchoolKey_MayRemitOnlyForItsOwnSchool()
    {
        var (status, problem) = await _host.PostAsync("/api/remittances",
            new { policy = "wuhai-2022", collector = "school:OTHER", from = "2021-10-01", to = "2021-12-15", headcount = 1, amount = 460m, reference = "X1" }, "test-school");

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("forbidden-collector", problem.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detailZh").GetString()));
    }

    [Fact]
    public async Task CollectedPayments_PerAgentDetailList_ShowsEachPaymentWithItsTreasuryStateAndRemittance_ASchoolSeesItsOwnMasked()
    {
        // bagongshan-2022 六(八) "建立健全年度参保人已缴费电子明细清册……便于……与代收单位、合作金融机构、国库等部门多方对账".
        _host.Today = new DateOnly(2021, 12, 20);
        var first = await EnrolAsync(date: "2021-12-01");
        var second = await EnrolAsync(date: "2021-12-01");
        var pupil = await EnrolAsync(date: "2021-12-01");
        var tx = new[] { Tx(), Tx(), Tx() };
        await _host.PostAsync("/api/payments", new { policy = "wuhai-2022", idNumber = second, amount = 460m, paidOn = "2021-12-03", channel = "cash", transactionId = tx[1], inTreasury = false, collector = "community:新华社区" }, "test-tax");
        await _host.PostAsync("/api/payments", new { policy = "wuhai-2022", idNumber = first, amount = 460m, paidOn = "2021-12-02", channel = "cash", transactionId = tx[0], inTreasury = false, collector = "community:新华社区" }, "test-tax");
        await _host.PostAsync("/api/payments", new { policy = "wuhai-2022", idNumber = pupil, amount = 460m, paidOn = "2021-12-02", channel = "cash", transactionId = tx[2], inTreasury = false, collector = "school:SCH1" }, "test-tax");
        var (remitted, _) = await _host.PostAsync("/api/remittances",
            new { policy = "wuhai-2022", collector = "community:新华社区", from = "2021-12-02", to = "2021-12-02", headcount = 1, amount = 460m, reference = "SK20211210", remittedOn = "2021-12-10" });
        Assert.Equal(HttpStatusCode.Created, remitted);

        using var staff = _host.Client("test-tax");
        var csv = await staff.GetByteArrayAsync(new Uri("/api/remittances/wuhai-2022/collected?collector=community:新华社区&from=2021-12-01&to=2021-12-31", UriKind.Relative));
        using var school = _host.Client("test-school");
        var own = await school.GetAsync(new Uri("/api/remittances/wuhai-2022/collected?collector=school:SCH1&format=xlsx", UriKind.Relative));
        var other = await school.GetAsync(new Uri("/api/remittances/wuhai-2022/collected?collector=community:新华社区", UriKind.Relative));

        var rows = TestFiles.ReadAll(new MemoryStream(csv), "collected.csv");
        Assert.Equal(["代收单位", "缴费日期", "证件号码", "缴费金额", "缴费方式", "缴费类型", "交易流水号", "是否入库", "入库日期", "入库依据"], rows[0].Cells);
        Assert.Equal(3, rows.Count);
        Assert.Equal(["community:新华社区", "2021-12-02", first, "460.00", "现金", "个人缴费", tx[0], "是", "2021-12-10", "汇缴 SK20211210"], rows[1].Cells.Select(Collection.Files.CellText.Clean));
        Assert.Equal(["2021-12-03", second, "否", "", ""], new[] { 1, 2, 7, 8, 9 }.Select(i => Collection.Files.CellText.Clean(rows[2].Cells[i])));
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        var ownRows = TestFiles.ReadAll(await own.Content.ReadAsStreamAsync(), "collected.xlsx");
        Assert.Equal(Domain.Rosters.RosterChecker.Mask(pupil), Assert.Single(ownRows.Skip(1)).Cells[2]);
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
    }

    [Fact]
    public async Task CashHeld_AnAdministrator_SeesEveryCollectorAndMayRemit_NotRefusedAsASchool()
    {
        _host.Today = new DateOnly(2022, 12, 20);
        var (held, report) = await _host.GetAsync("/api/remittances/luyang-2023/held", "test-admin");
        var (remit, problem) = await _host.PostAsync("/api/remittances",
            new { policy = "luyang-2023", collector = "community:无人代收社区", from = "2022-10-01", to = "2022-10-02", headcount = 1, amount = 380m, reference = "ADMIN1", remittedOn = "2022-10-02" }, "test-admin");

        Assert.True(held == HttpStatusCode.OK, report.ToString());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, remit);
        Assert.Equal("remittance-mismatch", problem.GetProperty("code").GetString());
    }
}
