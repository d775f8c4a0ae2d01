using System.Net;
using Collection.Domain;
using Collection.Files.Tests;
using Collection.Functions.Tests.Ledger;

namespace Collection.Functions.Tests.Reports;

public sealed class ReconciliationApiTests : IAsyncLifetime
{
    private LedgerTestHost _host = null!;
    private readonly Dictionary<string, string> _ids = [];

    public async Task InitializeAsync()
    {
        _host = await LedgerTestHost.StartAsync();
        foreach (var who in new[] { "full", "under", "over", "waived", "unpaid", "cancelled" })
        {
            _ids[who] = LedgerTestHost.NewId(who == "waived" ? "19600101" : "19850601");
            if (who == "waived")
            {
                await _host.ConfirmAsync("wuhai-2022", _ids[who], Domain.Codes.SubsidyIdentity.ExtremePoverty, Domain.Codes.Department.CivilAffairs, new DateOnly(2021, 11, 1));
            }

            var (status, _) = await _host.PostAsync("/api/enrolments", new
            {
                policy = "wuhai-2022", idNumber = _ids[who], date = "2021-12-01", name = who, town = "海南区",
                identities = who == "waived" ? new[] { "extreme-poverty" } : [],
            });
            Assert.Equal(HttpStatusCode.Created, status);
        }

        await Pay("full", 460m, "online", true);
        await Pay("under", 400m, "现金", false);
        await Pay("over", 460m, "online", true);
        await Pay("over", 460m, "bank-counter", true);
        await Pay("cancelled", 460m, "online", true);
        await _host.Ledger.CancelAsync("wuhai-2022", ResidentId.Parse(_ids["cancelled"]), "refund:deceased", "workflow:refund");
        var stranger = LedgerTestHost.NewId();
        var (rejected, _) = await _host.PostAsync("/api/payments", new { policy = "wuhai-2022", idNumber = stranger, amount = 460m, paidOn = "2021-12-05", channel = "online", transactionId = "U" + Guid.NewGuid().ToString("N")[..10], inTreasury = true }, "test-tax");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, rejected);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    /// <summary>An all-digit ID is written as a formula Excel shows as text; one ending in X is text already.</summary>
    private static string IdCell(string id) => id.EndsWith('X') ? id : $"\"=\"\"{id}\"\"\"";

    private async Task Pay(string who, decimal amount, string channel, bool inTreasury)
    {
        var (status, _) = await _host.PostAsync("/api/payments", new { policy = "wuhai-2022", idNumber = _ids[who], amount, paidOn = "2021-12-05", channel, transactionId = "R" + Guid.NewGuid().ToString("N")[..12], inTreasury }, "test-tax");
        Assert.Equal(HttpStatusCode.Created, status);
    }

    [Fact]
    public async Task Reconciliation_CountsAssessedPaidByChannelTreasuryWaivedAndMismatches()
    {
        var (status, report) = await _host.GetAsync("/api/reports/reconciliation?policy=wuhai-2022&from=2021-10-08&to=2022-04-30");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(5, report.GetProperty("assessed").GetProperty("count").GetInt32());
        Assert.Equal(460m * 4, report.GetProperty("assessed").GetProperty("amount").GetDecimal());
        Assert.Equal(5, report.GetProperty("paid").GetProperty("count").GetInt32());
        Assert.Equal(2240m, report.GetProperty("paid").GetProperty("amount").GetDecimal());
        var online = report.GetProperty("byChannel").EnumerateArray().Single(c => c.GetProperty("channel").GetString() == "online");
        Assert.Equal(3, online.GetProperty("count").GetInt32());
        Assert.Equal(400m, report.GetProperty("notInTreasury").GetProperty("amount").GetDecimal());
        Assert.Equal(1, report.GetProperty("waived").GetProperty("count").GetInt32());
        Assert.Equal(460m, report.GetProperty("waived").GetProperty("amount").GetDecimal());
        Assert.Equal(460m, report.GetProperty("overpaid").GetProperty("amount").GetDecimal());
        Assert.Equal(60m, report.GetProperty("underpaid").GetProperty("amount").GetDecimal());
        Assert.Equal(1, report.GetProperty("unpaid").GetProperty("count").GetInt32());
        Assert.Equal(1, report.GetProperty("cancelled").GetInt32());
        Assert.Equal(1, report.GetProperty("unmatched").GetProperty("count").GetInt32());
        Assert.Equal(["overpaid", "paid-while-cancelled", "underpaid", "unmatched-payment"],
            report.GetProperty("mismatches").EnumerateArray().Select(m => m.GetProperty("kind").GetString()));
    }

    [Fact]
    public async Task Reconciliation_PeriodBeforeAnyPayment_CountsNoPayments()
    {
        var (status, report) = await _host.GetAsync("/api/reports/reconciliation?policy=wuhai-2022&from=2021-10-08&to=2021-12-04");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(0, report.GetProperty("paid").GetProperty("count").GetInt32());
        Assert.Equal(5, report.GetProperty("assessed").GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task Reconciliation_Csv_IsUtf8WithBomAndChineseHeaders()
    {
        using var client = _host.Client();
        var response = await client.GetAsync(new Uri("/api/reports/reconciliation?policy=wuhai-2022&format=csv", UriKind.Relative));
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var text = System.Text.Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes[..3]);
        Assert.StartsWith("类别,项目,人数/笔数,金额,身份证号,姓名,说明\r\n", text, StringComparison.Ordinal);
        Assert.Contains("缴费渠道,现金,1,400.00", text, StringComparison.Ordinal);
        Assert.Contains($"不一致明细,少缴,1,-60.00,{IdCell(_ids["under"])},under", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reconciliation_Csv_FormulaCells_OpenAsText()
    {
        _ids["formula"] = LedgerTestHost.NewId("19850601");
        var (status, _) = await _host.PostAsync("/api/enrolments", new { policy = "wuhai-2022", idNumber = _ids["formula"], date = "2021-12-01", name = TestFiles.Formula, town = "海南区" });
        Assert.Equal(HttpStatusCode.Created, status);
        await Pay("formula", 400m, "online", true);

        using var client = _host.Client();
        var cells = TestFiles.AssertOpensWithoutFormulas(await client.GetByteArrayAsync(new Uri("/api/reports/reconciliation?policy=wuhai-2022&format=csv", UriKind.Relative)));

        Assert.True(cells.Contains("'" + TestFiles.Formula), string.Join(" | ", cells));
        Assert.Contains("-60.00", cells);
        Assert.Contains(_ids["formula"].EndsWith('X') ? _ids["formula"] : $"=\"{_ids["formula"]}\"", cells);
    }

    [Theory]
    [InlineData("policy=nowhere", "unknown-policy")]
    [InlineData("policy=wuhai-2022&from=2022-13-01", "invalid-date")]
    [InlineData("policy=wuhai-2022&from=2022-02-01&to=2022-01-01", "invalid-period")]
    [InlineData("policy=wuhai-2022&format=pdf", "unknown-format")]
    public async Task Reconciliation_BadQuery_Answers400WithCode(string query, string code)
    {
        var (status, body) = await _host.GetAsync("/api/reports/reconciliation?" + query);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(code, body.GetProperty("code").GetString());
    }
}
