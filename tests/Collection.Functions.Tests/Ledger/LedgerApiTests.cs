using System.Net;
using System.Text.Json;
using Azure.Data.Tables;
using Collection.Domain;
using Collection.Domain.Enrolments;
using Collection.Functions.Ledger;
using Collection.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Collection.Functions.Tests.Ledger;

public sealed class LedgerApiTests : IAsyncLifetime
{
    private LedgerTestHost _host = null!;

    public async Task InitializeAsync() => _host = await LedgerTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private Task<(HttpStatusCode Status, JsonElement Body)> Enrol(string id, string policy = "wuhai-2022", string date = "2021-12-01", string source = "window", string town = "海勃湾区", string[]? identities = null, bool employee = false) =>
        _host.PostAsync("/api/enrolments", new { policy, idNumber = id, date, name = "张三", phone = "13800000000", address = "人民路1号", town, source, identities = identities ?? [], inEmployeeInsurance = employee });

    private Task<(HttpStatusCode Status, JsonElement Body)> Pay(string id, decimal amount, string transactionId, string paidOn = "2021-12-02", string channel = "online", string policy = "wuhai-2022", string key = "test-tax") =>
        _host.PostAsync("/api/payments", new { policy, idNumber = id, amount, paidOn, channel, transactionId, inTreasury = true }, key);

    private static string Tx() => "T" + Guid.NewGuid().ToString("N")[..16];

    [Fact]
    public async Task Enrol_Resident_AnswersCreatedAndGetShowsAssessmentStatusAndHistory()
    {
        var id = LedgerTestHost.NewId();

        var (status, body) = await Enrol(id);
        var (getStatus, got) = await _host.GetAsync($"/api/enrolments/wuhai-2022/{id}");

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal("assessed", body.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, getStatus);
        Assert.Equal(460m, got.GetProperty("assessment").GetProperty("payable").GetDecimal());
        Assert.Equal(460m, got.GetProperty("balance").GetDecimal());
        Assert.Equal("2021-12-01", got.GetProperty("enrolledOn").GetString());
        Assert.Equal("海勃湾区", got.GetProperty("town").GetString());
        Assert.Equal(id, got.GetProperty("idNumber").GetString());
        var history = Assert.Single(got.GetProperty("history").EnumerateArray());
        Assert.Equal("enrolled", history.GetProperty("cause").GetString());
        Assert.Equal("staff", history.GetProperty("actor").GetString());
    }

    [Fact]
    public async Task Enrol_Twice_Answers409NamingTheFirstSourceAndDate()
    {
        var id = LedgerTestHost.NewId();
        await Enrol(id, source: "roster:SCH1", date: "2021-11-02");

        var (status, body) = await Enrol(id, source: "window");

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal("already-enrolled", body.GetProperty("code").GetString());
        Assert.Equal("roster:SCH1", body.GetProperty("firstSource").GetString());
        Assert.Equal("2021-11-02", body.GetProperty("firstEnrolledOn").GetString());
    }

    [Fact]
    public async Task Enrol_PersonInEmployeeInsurance_IsRefused()
    {
        var flagged = LedgerTestHost.NewId();
        var marked = LedgerTestHost.NewId();
        await _host.Ledger.MarkEmployeeInsuranceAsync(ResidentId.Parse(marked), new DateOnly(2021, 10, 1), "refund:joined-employee-insurance", "staff");

        var (flaggedStatus, flaggedBody) = await Enrol(flagged, employee: true);
        var (markedStatus, markedBody) = await Enrol(marked);

        Assert.Equal(HttpStatusCode.UnprocessableEntity, flaggedStatus);
        Assert.Equal("in-employee-insurance", flaggedBody.GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, markedStatus);
        Assert.Equal("in-employee-insurance", markedBody.GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await _host.GetAsync($"/api/enrolments/wuhai-2022/{marked}")).Status);
    }

    [Fact]
    public async Task Enrol_Waived_IsPaidAtOnce()
    {
        var id = LedgerTestHost.NewId("19600101");
        await _host.ConfirmAsync("wuhai-2022", id, Domain.Codes.SubsidyIdentity.ExtremePoverty, Domain.Codes.Department.CivilAffairs, new DateOnly(2021, 11, 1));

        var (status, body) = await Enrol(id, identities: ["特困人员"], date: "2021-12-01");

        Assert.Equal(HttpStatusCode.Created, status);
        // Today (2022-04-20) is inside the coverage year: a waived person is covered.
        Assert.Equal("active", body.GetProperty("status").GetString());
        Assert.Equal("waived", body.GetProperty("assessment").GetProperty("subsidyMode").GetString());
        Assert.Equal(0m, body.GetProperty("balance").GetDecimal());
    }

    [Fact]
    public async Task Enrol_BeforeCollectionOpens_Answers422WithReasonCode()
    {
        // wuhai-2022 collects from 2021-10-08.
        var (status, body) = await Enrol(LedgerTestHost.NewId(), date: "2021-10-01");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal("collection-not-open", body.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Payment_InFull_PostsAndSameTransactionAgainChangesNothing()
    {
        var id = LedgerTestHost.NewId();
        await Enrol(id);
        var tx = Tx();

        var (first, firstBody) = await Pay(id, 460m, tx);
        var (second, secondBody) = await Pay(id, 460m, tx);
        var (_, enrolment) = await _host.GetAsync($"/api/enrolments/wuhai-2022/{id}");

        Assert.Equal(HttpStatusCode.Created, first);
        Assert.Equal("posted", firstBody.GetProperty("outcome").GetString());
        Assert.Equal(HttpStatusCode.OK, second);
        Assert.Equal("duplicate", secondBody.GetProperty("outcome").GetString());
        Assert.Equal(firstBody.GetProperty("payment").GetProperty("postedAt").GetString(), secondBody.GetProperty("payment").GetProperty("postedAt").GetString());
        Assert.Equal(460m, enrolment.GetProperty("paid").GetDecimal());
        Assert.Single(enrolment.GetProperty("payments").EnumerateArray());
        Assert.Equal("active", enrolment.GetProperty("status").GetString());
        Assert.Equal(["enrolled", "payment-posted"], enrolment.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("cause").GetString()));
    }

    [Fact]
    public async Task Payment_ChineseChannelLabel_IsRecordedAsCode()
    {
        var id = LedgerTestHost.NewId();
        await Enrol(id);

        var (status, body) = await Pay(id, 460m, Tx(), channel: "微信扫码");

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal("wechat-scan", body.GetProperty("payment").GetProperty("channel").GetString());
    }

    [Fact]
    public async Task Payment_UnderThenOver_ShowsBalanceThenOverpayment()
    {
        var id = LedgerTestHost.NewId();
        await Enrol(id);

        var (_, under) = await Pay(id, 400m, Tx());
        var (_, over) = await Pay(id, 460m, Tx(), paidOn: "2021-12-03");

        Assert.Equal("assessed", under.GetProperty("status").GetString());
        Assert.Equal(60m, under.GetProperty("balance").GetDecimal());
        Assert.Equal(400m, over.GetProperty("overpayment").GetDecimal());
        Assert.Equal(0m, over.GetProperty("balance").GetDecimal());
    }

    [Fact]
    public async Task Payment_NotEnrolled_Answers422NoAssessment()
    {
        var (status, body) = await Pay(LedgerTestHost.NewId(), 460m, Tx());

        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal("no-assessment", body.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Payment_AfterCollectionClosed_IsRejectedWithTheAssessmentsReason()
    {
        // bagongshan-2022 collects until 2021-12-31; after it only migrant workers with proof may pay.
        var id = LedgerTestHost.NewId("19700101", "340405");
        await Enrol(id, policy: "bagongshan-2022");

        var (status, body) = await Pay(id, 320m, Tx(), paidOn: "2022-01-10", policy: "bagongshan-2022");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal("collection-closed", body.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Payment_LateWithWaitingPeriod_ReassessesCoverageStartAsOfPaidOn()
    {
        // dalate-2022: enrolled in the period, paid 2022-04-10 (after it): covered from 2022-07-10.
        var id = LedgerTestHost.NewId("19800101", "150621");
        await Enrol(id, policy: "dalate-2022", date: "2022-02-20");

        var (status, body) = await Pay(id, 360m, Tx(), paidOn: "2022-04-10", policy: "dalate-2022");

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal("2022-07-10", body.GetProperty("coverageStart").GetString());
        Assert.Equal("paid", body.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Payment_TransactionIdOfAnotherPerson_Answers409()
    {
        var a = LedgerTestHost.NewId();
        var b = LedgerTestHost.NewId();
        await Enrol(a);
        await Enrol(b);
        var tx = Tx();
        await Pay(a, 460m, tx);

        var (status, body) = await Pay(b, 460m, tx);

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal("transaction-id-conflict", body.GetProperty("code").GetString());
        Assert.Equal(0m, (await _host.GetAsync($"/api/enrolments/wuhai-2022/{b}")).Body.GetProperty("paid").GetDecimal());
    }

    [Theory]
    [InlineData("name", 51, 50)]
    [InlineData("name", 100_000, 50)]
    [InlineData("phone", 21, 20)]
    [InlineData("address", 201, 200)]
    [InlineData("address", 30_000_000, 200)]
    [InlineData("town", 51, 50)]
    [InlineData("source", 101, 100)]
    public async Task Enrol_TextOverItsLimit_Answers400NamingTheFieldAndLimit(string field, int length, int limit)
    {
        // The 30 MB address in ASCII: in Chinese it would pass the 50 MB body limit and be refused as 413 before any field is read.
        var body = new Dictionary<string, object> { ["policy"] = "wuhai-2022", ["idNumber"] = LedgerTestHost.NewId(), ["date"] = "2021-12-01", [field] = new string(length > 1_000_000 ? 'a' : '张', length) };

        var (status, problem) = await _host.PostAsync("/api/enrolments", body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(("text-too-long", field, limit), (problem.GetProperty("code").GetString(), problem.GetProperty("field").GetString(), problem.GetProperty("limit").GetInt32()));
        Assert.Contains($"最多 {limit} 个", problem.GetProperty("detailZh").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Enrol_AtTheLimits_IsEnrolled()
    {
        var id = LedgerTestHost.NewId();

        var (status, body) = await _host.PostAsync("/api/enrolments", new { policy = "wuhai-2022", idNumber = id, date = "2021-12-01", name = new string('张', 50), phone = new string('1', 20), address = new string('路', 200), town = new string('镇', 50), source = new string('s', 100) });

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(new string('路', 200), body.GetProperty("address").GetString());
    }

    [Theory]
    [InlineData("name", "张\u0000三")]
    [InlineData("name", "张\u001b[31m三")]
    [InlineData("name", "张\n三")]
    [InlineData("name", "张\r三")]
    [InlineData("name", "张\u202e三")]
    [InlineData("town", "海南区\t")]
    [InlineData("source", "window\nfake")]
    public async Task Enrol_ControlCharacters_Answers400(string field, string text)
    {
        var body = new Dictionary<string, object> { ["policy"] = "wuhai-2022", ["idNumber"] = LedgerTestHost.NewId(), ["date"] = "2021-12-01", [field] = text };

        var (status, problem) = await _host.PostAsync("/api/enrolments", body);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(("control-characters", field), (problem.GetProperty("code").GetString(), problem.GetProperty("field").GetString()));
    }

    [Fact]
    public async Task Payment_TransactionIdOverItsLimit_Answers400()
    {
        var id = LedgerTestHost.NewId();
        await Enrol(id);

        var (status, problem) = await Pay(id, 460m, new string('T', 65));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(("text-too-long", "transactionId", 64), (problem.GetProperty("code").GetString(), problem.GetProperty("field").GetString(), problem.GetProperty("limit").GetInt32()));
    }

    [Fact]
    public async Task Logs_UserTextIsOneLineAndNeverAFullIdNumber()
    {
        // What a forged source would put in the console: a line of its own carrying a full ID number.
        var logs = new LogCapture();
        await using var host = await LedgerTestHost.StartAsync(configureHost: b => b.Logging.AddProvider(logs));
        var id = LedgerTestHost.NewId();
        var other = LedgerTestHost.NewId("19700101");

        var (forged, _) = await host.PostAsync("/api/enrolments", new { policy = "wuhai-2022", idNumber = id, date = "2021-12-01", source = $"window\ninfo: Enrolled {other} under wuhai-2022" });
        var (enrolled, _) = await host.PostAsync("/api/enrolments", new { policy = "wuhai-2022", idNumber = id, date = "2021-12-01", source = $"referred by {other}" });

        Assert.Equal(HttpStatusCode.BadRequest, forged);
        Assert.Equal(HttpStatusCode.Created, enrolled);
        var entry = Assert.Single(logs.Entries, e => e.StartsWith("Enrolled ", StringComparison.Ordinal));
        Assert.Contains(RosterMask(other), entry, StringComparison.Ordinal);
        Assert.All(logs.Logged, e =>
        {
            Assert.DoesNotContain('\n', e.Message.TrimEnd());
            Assert.DoesNotContain(id, e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain(other, e.Message, StringComparison.Ordinal);
        });
    }

    [Theory]
    [InlineData("Azure.Core")]
    [InlineData("Azure.Storage.Blobs")]
    [InlineData("Azure.Data.Tables")]
    [InlineData("System.ClientModel")]
    public void Logs_AzureSdkCategoriesLogErrorsOnly(string category)
    {
        // The SDK logs expected 404s and 409s as multi-line dumps with request URIs (table keys hold ID numbers);
        // host.json's logLevel is more specific than a filter in code, so it must not lower these categories.
        var logger = _host.App.HostServices.GetRequiredService<ILoggerFactory>().CreateLogger(category);

        Assert.False(logger.IsEnabled(LogLevel.Warning));
        Assert.True(logger.IsEnabled(LogLevel.Error));
    }

    private static string RosterMask(string id) => id[..6] + "********" + id[^4..];

    public static TheoryData<string, string> BadPayments => new()
    {
        { """{"policy":"wuhai-2022","idNumber":"ID","amount":-5,"paidOn":"2021-12-02","channel":"cash","transactionId":"X1","inTreasury":true}""", "invalid-amount" },
        { """{"policy":"wuhai-2022","idNumber":"ID","amount":"abc","paidOn":"2021-12-02","channel":"cash","transactionId":"X1","inTreasury":true}""", "malformed-request" },
        { """{"policy":"wuhai-2022","idNumber":"ID","amount":1.234,"paidOn":"2021-12-02","channel":"cash","transactionId":"X1","inTreasury":true}""", "invalid-amount" },
        { """{"policy":"wuhai-2022","idNumber":"ID","amount":460,"paidOn":"2021/13/02","channel":"cash","transactionId":"X1","inTreasury":true}""", "invalid-date" },
        { """{"policy":"wuhai-2022","idNumber":"ID","amount":460,"paidOn":"2023-01-02","channel":"cash","transactionId":"X1","inTreasury":true}""", "paid-on-in-future" },
        { """{"policy":"wuhai-2022","idNumber":"ID","amount":460,"paidOn":"2021-12-02","channel":"pigeon","transactionId":"X1","inTreasury":true}""", "unknown-payment-channel" },
        { """{"policy":"wuhai-2022","idNumber":"150302198506010013","amount":460,"paidOn":"2021-12-02","channel":"cash","transactionId":"X1","inTreasury":true}""", "invalid-id-number" },
        { """{"policy":"nowhere-2022","idNumber":"ID","amount":460,"paidOn":"2021-12-02","channel":"cash","transactionId":"X1","inTreasury":true}""", "unknown-policy" },
        { """{"policy":"wuhai-2022","idNumber":"ID","amount":460,"paidOn":"2021-12-02","channel":"cash","transactionId":"a/b","inTreasury":true}""", "invalid-transaction-id" },
        { """{"policy":"wuhai-2022","idNumber":"ID","amount":460,"paidOn":"2021-12-02","channel":"cash","inTreasury":true}""", "missing-field" },
        { """{"policy":"wuhai-2022","idNumber":"ID","amount":460,"paidOn":"0001-01-01","channel":"cash","transactionId":"X1","inTreasury":true}""", "invalid-date" },
        { """{"policy":"wuhai-2022","idNumber":"ID","amount":10000000,"paidOn":"2021-12-02","channel":"cash","transactionId":"X1","inTreasury":true}""", "amount-over-limit" },
        { """{"policy":"wuhai-2022","idNumber":"ID","amount":460,"amount":4600,"paidOn":"2021-12-02","channel":"cash","transactionId":"X1","inTreasury":true}""", "malformed-request" },
    };

    [Theory]
    [MemberData(nameof(BadPayments))]
    public async Task Payment_BadInput_Answers400WithCode(string json, string code)
    {
        var id = LedgerTestHost.NewId();
        await Enrol(id);

        var (status, body) = await _host.PostAsync("/api/payments", JsonSerializer.Deserialize<JsonElement>(json.Replace("\"ID\"", $"\"{id}\"", StringComparison.Ordinal)), "test-tax");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(code, body.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(body.GetProperty("detailZh").GetString()));
        Assert.DoesNotContain("System.", body.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Payment_OverTheLimit_SaysTheLimit()
    {
        var id = LedgerTestHost.NewId();
        await Enrol(id);

        var (status, problem) = await Pay(id, 10_000_000m, Tx());

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(("amount-over-limit", 1_000_000m), (problem.GetProperty("code").GetString(), problem.GetProperty("limit").GetDecimal()));
        Assert.Contains("1000000", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("1000000", problem.GetProperty("detailZh").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Roles_TaxMayPostPaymentsButNotEnrol_SchoolMayDoNeither()
    {
        var id = LedgerTestHost.NewId();

        var taxEnrol = await _host.PostAsync("/api/enrolments", new { policy = "wuhai-2022", idNumber = id, date = "2021-12-01" }, "test-tax");
        var schoolPay = await Pay(id, 460m, Tx(), key: "test-school");
        var anonymousGet = await _host.GetAsync($"/api/enrolments/wuhai-2022/{id}", key: null);

        Assert.Equal(HttpStatusCode.Forbidden, taxEnrol.Status);
        Assert.Equal(HttpStatusCode.Forbidden, schoolPay.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymousGet.Status);
    }

    [Fact]
    public async Task List_FiltersByTownAndStatus_AndPagesWithContinuation()
    {
        var town = "乌达区" + Guid.NewGuid().ToString("N")[..6];
        var ids = Enumerable.Range(0, 5).Select(_ => LedgerTestHost.NewId()).ToList();
        foreach (var id in ids)
        {
            await Enrol(id, town: town, source: "subsidy-list");
        }

        await Pay(ids[0], 460m, Tx());
        var seen = new List<string>();
        string? continuation = null;
        var pages = 0;
        do
        {
            var query = $"/api/enrolments?policy=wuhai-2022&town={Uri.EscapeDataString(town)}&source=subsidy-list&pageSize=2" + (continuation is null ? "" : "&continuation=" + continuation);
            var (status, page) = await _host.GetAsync(query);
            Assert.Equal(HttpStatusCode.OK, status);
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("idNumber").GetString()!));
            continuation = page.GetProperty("continuation").GetString();
            pages++;
        }
        while (continuation is not null && pages < 50);

        var (_, assessed) = await _host.GetAsync($"/api/enrolments?policy=wuhai-2022&town={Uri.EscapeDataString(town)}&status=assessed&pageSize=1000");

        Assert.Equal(ids.Order(), seen.Order());
        Assert.True(pages >= 3, $"5 rows in pages of 2 took {pages} page(s)");
        Assert.Equal(ids.Skip(1).Order(), assessed.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("idNumber").GetString()).Order());
    }

    [Fact]
    public async Task List_UnknownStatus_Answers400()
    {
        var (status, body) = await _host.GetAsync("/api/enrolments?policy=wuhai-2022&status=sleeping");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("unknown-status", body.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Payments_ManyAtOnceForOnePerson_AllPostedThroughETagRetries()
    {
        var id = LedgerTestHost.NewId();
        await Enrol(id);

        var results = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => Pay(id, 10m, Tx())));
        var (_, enrolment) = await _host.GetAsync($"/api/enrolments/wuhai-2022/{id}");

        Assert.All(results, r => Assert.Equal(HttpStatusCode.Created, r.Status));
        Assert.Equal(120m, enrolment.GetProperty("paid").GetDecimal());
        Assert.Equal(12, enrolment.GetProperty("payments").GetArrayLength());
    }

    [Fact]
    public async Task Payment_ClaimLeftByACrash_IsCompletedByTheNextAttempt()
    {
        var id = LedgerTestHost.NewId();
        await Enrol(id);
        var tx = Tx();
        var azurite = await AzuriteInstance.SharedAsync();
        var claims = azurite.CreateTableServiceClient().GetTableClient(new LedgerTables(_host.Prefix).Transactions);
        await claims.AddEntityAsync(new TransactionClaimEntity
        {
            PartitionKey = tx, RowKey = "", Policy = "wuhai-2022", IdNumber = id, Amount = "460.00", PaidOn = "2021-12-02", Channel = "online", InTreasury = true, ClaimedAt = DateTimeOffset.UtcNow,
        });

        var (status, body) = await Pay(id, 460m, tx);

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal("posted", body.GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task Advance_PaidBeforeCoverage_BecomesActiveOnCoverageStartWithHistory()
    {
        var id = LedgerTestHost.NewId("19800101", "150621");
        await Enrol(id, policy: "dalate-2022", date: "2022-02-20");
        await Pay(id, 360m, Tx(), paidOn: "2022-04-10", policy: "dalate-2022");

        var before = await _host.Ledger.AdvanceAsync(new DateOnly(2022, 7, 9), "timer:ActivateCoverage", "dalate-2022");
        var on = await _host.Ledger.AdvanceAsync(new DateOnly(2022, 7, 10), "timer:ActivateCoverage", "dalate-2022");
        var entry = await _host.Ledger.GetAsync("dalate-2022", ResidentId.Parse(id));

        Assert.Equal(0, before.Changed);
        Assert.True(on.Activated >= 1);
        Assert.Equal(EnrolmentStatus.Active, entry!.Enrolment.Status);
        var history = await _host.Ledger.HistoryAsync("dalate-2022", id);
        Assert.Equal("coverage-started", history[^1].Cause);
        Assert.Equal("timer:ActivateCoverage", history[^1].Actor);
    }

    [Fact]
    public async Task Cancel_KeepsTheReasonAndListsAsCancelled()
    {
        var id = LedgerTestHost.NewId();
        await Enrol(id);

        var cancelled = await _host.Ledger.CancelAsync("wuhai-2022", ResidentId.Parse(id), "refund:deceased", "workflow:refund");
        var (_, got) = await _host.GetAsync($"/api/enrolments/wuhai-2022/{id}");

        Assert.Equal(EnrolmentStatus.Cancelled, cancelled!.Enrolment.Status);
        Assert.Equal("cancelled", got.GetProperty("status").GetString());
        Assert.Equal("refund:deceased", got.GetProperty("cancellationReason").GetString());
    }
}
