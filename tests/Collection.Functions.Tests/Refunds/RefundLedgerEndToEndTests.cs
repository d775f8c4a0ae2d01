using System.Net;
using System.Text.Json;
using Collection.Domain;

namespace Collection.Functions.Tests.Refunds;

/// <summary>Refund cases over the real enrolment ledger: enrol and pay through its API, refund, and see the enrolment follow.</summary>
public sealed class RefundLedgerEndToEndTests : IAsyncLifetime
{
    private const string Bagongshan = "bagongshan-2022";
    private static int _sequence;
    private RefundTestHost _host = null!;

    public async Task InitializeAsync() => _host = await RefundTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<string> EnrolAndPayAsync(params (string Transaction, string Channel, bool InTreasury)[] payments)
    {
        var first17 = $"34040519850101{Interlocked.Increment(ref _sequence) % 1000:D3}";
        var person = first17 + ResidentId.ComputeCheckCharacter(first17);
        var (enrolled, body) = await _host.PostAsync("/api/enrolments", new { policy = Bagongshan, idNumber = person, date = "2021-10-01", name = "测试", source = "window" });
        Assert.True(enrolled is HttpStatusCode.OK or HttpStatusCode.Created, $"{enrolled}: {body}");
        foreach (var (transaction, channel, inTreasury) in payments)
        {
            var (paid, answer) = await _host.PostAsync("/api/payments",
                new { policy = Bagongshan, idNumber = person, amount = 320, paidOn = "2021-10-02", channel, transactionId = transaction + person, inTreasury }, "test-tax");
            Assert.True(paid is HttpStatusCode.OK or HttpStatusCode.Created, $"{paid}: {answer}");
        }

        return person;
    }

    private async Task<string> EnrolmentStatusAsync(string person)
    {
        var (status, body) = await _host.GetAsync($"/api/enrolments/{Bagongshan}/{person}");
        Assert.Equal(HttpStatusCode.OK, status);
        return body.GetProperty("status").GetString()!;
    }

    private Task<JsonElement> FinishedAsync(string id) =>
        _host.WaitForAsync(id, b => b.GetProperty("runtimeStatus").GetString() is "Completed" or "Failed");

    [Fact]
    public async Task Example1_OverLedger_DuplicateOnline_ApproveRefunds320AndEnrolmentStays()
    {
        var person = await EnrolAndPayAsync(("A", "online", true), ("B", "online", true));

        var id = await _host.OpenAsync(new { policy = Bagongshan, idNumber = person, reason = "duplicate-payment" });
        await _host.WaitForStageAsync(id, "awaiting-approval");
        Assert.Equal(HttpStatusCode.Accepted, (await _host.PostAsync($"/api/refunds/{id}/events/approve", new { comment = "ok" }, "test-approver")).Status);

        var done = await FinishedAsync(id);
        Assert.Equal("done", done.GetProperty("case").GetProperty("outcome").GetString());
        Assert.Equal(320m, done.GetProperty("case").GetProperty("amount").GetDecimal());
        Assert.NotEqual("cancelled", await EnrolmentStatusAsync(person));
    }

    [Fact]
    public async Task Example2_OverLedger_CashInTreasury_TaxAcceptedApprove_CancelsEnrolment()
    {
        var person = await EnrolAndPayAsync(("C", "现金", true));

        var id = await _host.OpenAsync(new { policy = Bagongshan, idNumber = person, reason = "joined-employee-insurance", eventDate = "2021-11-20" });
        await _host.WaitForStageAsync(id, "awaiting-tax-acceptance");
        Assert.Equal(HttpStatusCode.Accepted, (await _host.PostAsync($"/api/refunds/{id}/events/tax-accepted", new { comment = "" }, "test-tax")).Status);
        await _host.WaitForStageAsync(id, "awaiting-approval");
        Assert.Equal(HttpStatusCode.Accepted, (await _host.PostAsync($"/api/refunds/{id}/events/approve", new { comment = "" }, "test-approver")).Status);

        var done = await FinishedAsync(id);
        Assert.Equal("cash-in-treasury", done.GetProperty("case").GetProperty("channel").GetString());
        Assert.Equal("done", done.GetProperty("case").GetProperty("outcome").GetString());
        Assert.Equal("cancelled", await EnrolmentStatusAsync(person));
    }

    [Fact]
    public async Task Open_OverLedger_PersonNotEnrolled_Is422NoPayment()
    {
        const string first17 = "34040519850101999";
        var (status, problem) = await _host.PostAsync("/api/refunds",
            new { policy = Bagongshan, idNumber = first17 + ResidentId.ComputeCheckCharacter(first17), reason = "deceased", eventDate = "2021-11-01" });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal("no-payment", problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task DuplicatePayment_RefundCompleted_LeavesNoOverpayment_AndReconciliationBalances()
    {
        var person = await EnrolAndPayAsync(("D", "online", true), ("E", "online", true));
        var (_, before) = await _host.GetAsync($"/api/enrolments/{Bagongshan}/{person}");

        var id = await _host.OpenAsync(new { policy = Bagongshan, idNumber = person, reason = "duplicate-payment" });
        await _host.WaitForStageAsync(id, "awaiting-approval");
        await _host.PostAsync($"/api/refunds/{id}/events/approve", new { comment = "ok" }, "test-approver");
        var done = await FinishedAsync(id);
        var (_, after) = await _host.GetAsync($"/api/enrolments/{Bagongshan}/{person}");
        var (_, reconciliation) = await _host.GetAsync($"/api/reports/reconciliation?policy={Bagongshan}&from=2021-09-01&to=2022-12-31");

        Assert.Equal("done", done.GetProperty("case").GetProperty("outcome").GetString());
        Assert.Equal(320m, before.GetProperty("overpayment").GetDecimal());
        Assert.Equal(0m, after.GetProperty("overpayment").GetDecimal());
        Assert.Equal(320m, after.GetProperty("paid").GetDecimal());
        Assert.Equal(640m, after.GetProperty("paidGross").GetDecimal());
        Assert.Equal(320m, after.GetProperty("refunded").GetDecimal());
        var refund = Assert.Single(after.GetProperty("refunds").EnumerateArray());
        Assert.Equal(id, refund.GetProperty("caseId").GetString());
        Assert.Contains(after.GetProperty("history").EnumerateArray(), h => h.GetProperty("cause").GetString() == "refund-issued");
        Assert.DoesNotContain(reconciliation.GetProperty("mismatches").EnumerateArray(), m => m.GetProperty("idNumber").GetString() == person);
        Assert.True(reconciliation.GetProperty("refunded").GetProperty("amount").GetDecimal() >= 320m);
        Assert.Equal(reconciliation.GetProperty("paid").GetProperty("amount").GetDecimal() - reconciliation.GetProperty("refunded").GetProperty("amount").GetDecimal(),
            reconciliation.GetProperty("net").GetDecimal());
    }

    [Fact]
    public async Task CashCollectedByACommunity_RemittedLater_IsRefundedThroughTax()
    {
        // Paid in cash at the community, not yet in the treasury; the community then remits it (汇缴入库).
        var person = await EnrolAndPayAsync();
        var (paid, answer) = await _host.PostAsync("/api/payments",
            new { policy = Bagongshan, idNumber = person, amount = 320, paidOn = "2021-10-02", channel = "cash", transactionId = "R" + person, inTreasury = false, collector = "community:新庄孜社区" }, "test-tax");
        Assert.True(paid == HttpStatusCode.Created, $"{paid}: {answer}");
        var (remitted, remittance) = await _host.PostAsync("/api/remittances",
            new { policy = Bagongshan, collector = "community:新庄孜社区", from = "2021-10-02", to = "2021-10-02", headcount = 1, amount = 320, reference = "SK" + person, remittedOn = "2021-10-20" });
        Assert.True(remitted == HttpStatusCode.Created, $"{remitted}: {remittance}");

        var id = await _host.OpenAsync(new { policy = Bagongshan, idNumber = person, reason = "joined-employee-insurance", eventDate = "2021-11-20" });
        var stage = await _host.WaitForStageAsync(id, "awaiting-tax-acceptance");

        Assert.Equal("cash-in-treasury", stage.GetProperty("case").GetProperty("channel").GetString());
    }

    [Fact]
    public async Task Open_AGroundThePolicyDoesNotHave_Is422ReasonNotInPolicy()
    {
        var person = await EnrolAndPayAsync(("W", "online", true));

        var (status, problem) = await _host.PostAsync("/api/refunds", new { policy = Bagongshan, idNumber = person, reason = "wrongly-collected" });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal("reason-not-in-policy", problem.GetProperty("code").GetString());
        Assert.Equal("该政策没有此退费情形", problem.GetProperty("detailZh").GetString());
    }
}
