using System.Net;
using System.Text.Json;
using Collection.Domain;
using Collection.Domain.Enrolments;
using Collection.Functions.Refunds;
using Microsoft.Extensions.DependencyInjection;
using static Collection.Functions.Tests.Refunds.MemoryRefundLedger;

namespace Collection.Functions.Tests.Refunds;

/// <summary>Refund cases end to end through HTTP on Azurite: every reason and channel, refusals, roles, reminders, restarts, races.</summary>
public sealed class RefundsApiTests : IAsyncLifetime
{
    private const string Bagongshan = "bagongshan-2022";
    private static int _sequence;
    private readonly MemoryRefundLedger _ledger = new();
    private RefundTestHost _host = null!;

    public async Task InitializeAsync() => _host = await RefundTestHost.StartAsync(s => s.AddSingleton<IRefundLedger>(_ledger));

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static string NewId(string area = "340405")
    {
        var first17 = $"{area}19900101{Interlocked.Increment(ref _sequence) % 1000:D3}";
        return first17 + ResidentId.ComputeCheckCharacter(first17);
    }

    private static JsonElement Case(JsonElement body) => body.GetProperty("case");

    private static string Stage(JsonElement body) => Case(body).GetProperty("stage").GetString()!;

    private Task<JsonElement> Finished(string id) =>
        _host.WaitForAsync(id, b => b.GetProperty("runtimeStatus").GetString() is "Completed" or "Failed");

    [Fact]
    public async Task Get_CaseWhoseWorkflowHasNotRunYet_ShowsItAsOpenedAndChecking()
    {
        // No workflow worker on this host: the accepted case stays Pending, as it is for the moment
        // between the 202 and the worker's first turn on a busy host.
        var ledger = new MemoryRefundLedger();
        await using var host = await RefundTestHost.StartAsync(s =>
        {
            s.AddSingleton<IRefundLedger>(ledger);
            var worker = s.Single(d => d.ServiceType == typeof(Microsoft.Extensions.Hosting.IHostedService) && d.ImplementationType?.Name == "WorkflowWorker");
            s.Remove(worker);
        });
        var person = NewId();
        ledger.Enrol(Bagongshan, person, 320, Payment("T1", 320), Payment("T2", 320));

        var id = await host.OpenAsync(new { policy = Bagongshan, idNumber = person, reason = "duplicate-payment", note = "paid twice" });
        var (status, body) = await host.GetAsync($"/api/refunds/{id}");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Pending", body.GetProperty("runtimeStatus").GetString());
        Assert.Equal(("checking", "duplicate-payment", id), (Stage(body), Case(body).GetProperty("reason").GetString(), Case(body).GetProperty("id").GetString()));
        Assert.Equal("opened", Case(body).GetProperty("history")[0].GetProperty("event").GetString());
        Assert.DoesNotContain(person, body.GetRawText(), StringComparison.Ordinal);
        var (listed, list) = await host.GetAsync($"/api/refunds?policy={Bagongshan}&stage=checking");
        Assert.Equal(HttpStatusCode.OK, listed);
        Assert.Contains(id, list.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Example1_DuplicateOnlinePayment_ApproveRefunds320AndEnrolmentStays()
    {
        var person = NewId();
        _ledger.Enrol(Bagongshan, person, 320, Payment("T1", 320), Payment("T2", 320));

        var id = await _host.OpenAsync(new { policy = Bagongshan, idNumber = person, reason = "duplicate-payment", note = "paid twice in the app" });
        var waiting = await _host.WaitForStageAsync(id, "awaiting-approval");
        Assert.Equal("online", Case(waiting).GetProperty("channel").GetString());
        Assert.Equal(["approve", "reject"], Case(waiting).GetProperty("waitingFor").EnumerateArray().Select(e => e.GetString()));

        var (status, _) = await _host.PostAsync($"/api/refunds/{id}/events/approve", new { comment = "ok" }, "test-approver");
        Assert.Equal(HttpStatusCode.Accepted, status);

        var done = await Finished(id);
        Assert.Equal("Completed", done.GetProperty("runtimeStatus").GetString());
        Assert.Equal("done", Case(done).GetProperty("outcome").GetString());
        Assert.Equal(320m, Case(done).GetProperty("amount").GetDecimal());
        Assert.NotEqual(EnrolmentStatus.Cancelled, _ledger.Find(Bagongshan, person)!.Status);
        var approve = Case(done).GetProperty("history").EnumerateArray().Single(h => h.GetProperty("event").GetString() == "approve");
        Assert.Equal(("approver", "ok"), (approve.GetProperty("actor").GetString(), approve.GetProperty("comment").GetString()));
    }

    [Fact]
    public async Task Example2_JoinedEmployeeInsurance_CashInTreasury_TaxAcceptedThenApprove_CancelsEnrolment()
    {
        var person = NewId();
        _ledger.Enrol(Bagongshan, person, 320, Payment("C1", 320, "cash", inTreasury: true));

        var id = await _host.OpenAsync(new { policy = Bagongshan, idNumber = person, reason = "joined-employee-insurance", eventDate = "2021-11-20" });
        await _host.WaitForStageAsync(id, "awaiting-tax-acceptance");

        var (early, problem) = await _host.PostAsync($"/api/refunds/{id}/events/approve", new { comment = "too early" }, "test-approver");
        Assert.Equal(HttpStatusCode.Conflict, early);
        Assert.Equal("event-not-awaited", problem.GetProperty("code").GetString());
        Assert.Contains("tax-accepted", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var (wrongRole, forbidden) = await _host.PostAsync($"/api/refunds/{id}/events/tax-accepted", new { comment = "" }, "test-community");
        Assert.Equal(HttpStatusCode.Forbidden, wrongRole);
        Assert.Equal("wrong-role", forbidden.GetProperty("code").GetString());

        Assert.Equal(HttpStatusCode.Accepted, (await _host.PostAsync($"/api/refunds/{id}/events/tax-accepted", new { comment = "accepted at the hall" }, "test-tax")).Status);
        await _host.WaitForStageAsync(id, "awaiting-approval");
        Assert.Equal(HttpStatusCode.Accepted, (await _host.PostAsync($"/api/refunds/{id}/events/approve", new { comment = "ok" }, "test-approver")).Status);

        var done = await Finished(id);
        Assert.Equal("done", Case(done).GetProperty("outcome").GetString());
        Assert.Equal(320m, Case(done).GetProperty("amount").GetDecimal());
        Assert.Equal(EnrolmentStatus.Cancelled, _ledger.Find(Bagongshan, person)!.Status);
    }

    [Fact]
    public async Task Example3_JoinedEmployeeInsuranceAfterPeriod_RejectedDeadlinePassed()
    {
        var person = NewId();
        _ledger.Enrol(Bagongshan, person, 320, Payment("C1", 320, "cash", inTreasury: true));

        var id = await _host.OpenAsync(new { policy = Bagongshan, idNumber = person, reason = "joined-employee-insurance", eventDate = "2022-01-10" });

        var done = await Finished(id);
        Assert.Equal("Completed", done.GetProperty("runtimeStatus").GetString());
        Assert.Equal("rejected", Case(done).GetProperty("outcome").GetString());
        Assert.Equal("deadline-passed", Case(done).GetProperty("outcomeCode").GetString());
        Assert.NotEqual(EnrolmentStatus.Cancelled, _ledger.Find(Bagongshan, person)!.Status);
    }

    [Fact]
    public async Task Example4_LuyangSubsidisedPaidFullByWeChatScan_Refunds315AtOnce()
    {
        var person = NewId("340103");
        _ledger.Enrol("luyang-2023", person, 350, Payment("W1", 350, "wechat-scan", paidOn: "2022-10-10"));

        var id = await _host.OpenAsync(new { policy = "luyang-2023", idNumber = person, reason = "subsidised-paid-full", identities = new[] { "minimum-living-allowance" } });

        var done = await Finished(id);
        Assert.Equal("done", Case(done).GetProperty("outcome").GetString());
        Assert.Equal("wechat-scan", Case(done).GetProperty("channel").GetString());
        Assert.Equal(315m, Case(done).GetProperty("amount").GetDecimal());
        Assert.NotEqual(EnrolmentStatus.Cancelled, _ledger.Find("luyang-2023", person)!.Status);
    }

    [Fact]
    public async Task Deceased_CashNotInTreasury_CommunityReturnsCash_EnrolmentCancelled()
    {
        var person = NewId();
        _ledger.Enrol(Bagongshan, person, 320, Payment("C1", 320, "cash"));

        var id = await _host.OpenAsync(new { policy = Bagongshan, idNumber = person, reason = "deceased", eventDate = "2021-11-02" }, "test-community");
        await _host.WaitForStageAsync(id, "awaiting-cash-return");
        Assert.Equal(HttpStatusCode.Forbidden, (await _host.PostAsync($"/api/refunds/{id}/events/cash-returned", new { comment = "" }, "test-approver")).Status);
        Assert.Equal(HttpStatusCode.Accepted, (await _host.PostAsync($"/api/refunds/{id}/events/cash-returned", new { comment = "handed back" }, "test-community")).Status);

        var done = await Finished(id);
        Assert.Equal("done", Case(done).GetProperty("outcome").GetString());
        Assert.Equal("cash-not-in-treasury", Case(done).GetProperty("channel").GetString());
        Assert.Equal(EnrolmentStatus.Cancelled, _ledger.Find(Bagongshan, person)!.Status);
    }

    [Theory]
    [InlineData("duplicate-enrolment", "2021-12-31")]
    [InlineData("gave-up-before-deadline", "2021-10-15")]
    [InlineData("moved-pooling-region", "2022-03-01")]
    public async Task RefundAllReasons_WeChatScan_RefundAndCancelAtOnce(string reason, string eventDate)
    {
        var person = NewId();
        _ledger.Enrol(Bagongshan, person, 320, Payment("W1", 320, "wechat-scan"));

        var id = await _host.OpenAsync(new { policy = Bagongshan, idNumber = person, reason, eventDate });

        var done = await Finished(id);
        Assert.Equal("done", Case(done).GetProperty("outcome").GetString());
        Assert.Equal(EnrolmentStatus.Cancelled, _ledger.Find(Bagongshan, person)!.Status);
    }

    [Fact]
    public async Task Online_Reject_EndsRejectedAndEnrolmentStays()
    {
        var person = NewId();
        _ledger.Enrol(Bagongshan, person, 320, Payment("T1", 320, "bank-counter"));

        var id = await _host.OpenAsync(new { policy = Bagongshan, idNumber = person, reason = "gave-up-before-deadline", eventDate = "2021-11-01" });
        await _host.WaitForStageAsync(id, "awaiting-approval");
        Assert.Equal(HttpStatusCode.Accepted, (await _host.PostAsync($"/api/refunds/{id}/events/reject", new { comment = "no application form" }, "test-approver")).Status);

        var done = await Finished(id);
        Assert.Equal("rejected-by-bureau", Case(done).GetProperty("outcomeCode").GetString());
        Assert.NotEqual(EnrolmentStatus.Cancelled, _ledger.Find(Bagongshan, person)!.Status);
    }

    [Theory]
    [InlineData("note", 1001, 1000)]
    [InlineData("note", 50_000, 1000)]
    [InlineData("applicant.name", 51, 50)]
    [InlineData("applicant.relation", 21, 20)]
    [InlineData("applicant.phone", 21, 20)]
    [InlineData("transactionIds[0]", 65, 64)]
    public async Task Open_TextOverItsLimit_Is400AndThePersonCanStillOpenACase(string field, int length, int limit)
    {
        var person = NewId();
        _ledger.Enrol(Bagongshan, person, 320, Payment("T1", 320), Payment("T2", 320));
        var text = new string('退', length);
        object body = field switch
        {
            "note" => new { policy = Bagongshan, idNumber = person, reason = "duplicate-payment", note = text },
            "applicant.name" => new { policy = Bagongshan, idNumber = person, reason = "duplicate-payment", applicant = new { name = text } },
            "applicant.relation" => new { policy = Bagongshan, idNumber = person, reason = "duplicate-payment", applicant = new { relation = text } },
            "applicant.phone" => new { policy = Bagongshan, idNumber = person, reason = "duplicate-payment", applicant = new { phone = text } },
            _ => new { policy = Bagongshan, idNumber = person, reason = "duplicate-payment", transactionIds = new[] { text } },
        };

        var (status, problem) = await _host.PostAsync("/api/refunds", body);
        var id = await _host.OpenAsync(new { policy = Bagongshan, idNumber = person, reason = "duplicate-payment", note = new string('退', 1000) });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal(("text-too-long", field, limit), (problem.GetProperty("code").GetString(), problem.GetProperty("field").GetString(), problem.GetProperty("limit").GetInt32()));
        Assert.Equal("awaiting-approval", Stage(await _host.WaitForStageAsync(id, "awaiting-approval")));
    }

    [Fact]
    public async Task Event_CommentOverItsLimit_Is400AndTheCaseStillWaits()
    {
        var person = NewId();
        _ledger.Enrol(Bagongshan, person, 320, Payment("T1", 320), Payment("T2", 320));
        var id = await _host.OpenAsync(new { policy = Bagongshan, idNumber = person, reason = "duplicate-payment" });
        await _host.WaitForStageAsync(id, "awaiting-approval");

        var (tooLong, problem) = await _host.PostAsync($"/api/refunds/{id}/events/approve", new { comment = new string('批', 300_000) }, "test-approver");
        var (accepted, _) = await _host.PostAsync($"/api/refunds/{id}/events/approve", new { comment = "第一行\n第二行" }, "test-approver");

        Assert.Equal(HttpStatusCode.BadRequest, tooLong);
        Assert.Equal(("text-too-long", "comment", 1000), (problem.GetProperty("code").GetString(), problem.GetProperty("field").GetString(), problem.GetProperty("limit").GetInt32()));
        Assert.Equal(HttpStatusCode.Accepted, accepted);
        Assert.Equal("done", Case(await Finished(id)).GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task Open_NoPayment_Is422NoPayment()
    {
        var person = NewId();
        _ledger.Enrol(Bagongshan, person, 320);

        var (status, problem) = await _host.PostAsync("/api/refunds", new { policy = Bagongshan, idNumber = person, reason = "deceased", eventDate = "2021-11-01" });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal("no-payment", problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Open_UnknownReason_Is400UnknownReason()
    {
        var (status, problem) = await _host.PostAsync("/api/refunds", new { policy = Bagongshan, idNumber = NewId(), reason = "felt-like-it" });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("unknown-reason", problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Open_ReasonByChineseLabel_IsAccepted()
    {
        var person = NewId();
        _ledger.Enrol(Bagongshan, person, 320, Payment("T1", 320), Payment("T2", 320));

        var id = await _host.OpenAsync(new { policy = Bagongshan, idNumber = person, reason = "重复缴费" });

        Assert.Equal("duplicate-payment", Case(await _host.WaitForStageAsync(id, "awaiting-approval")).GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Open_EventReasonWithoutDate_Is400EventDateRequired()
    {
        var (status, problem) = await _host.PostAsync("/api/refunds", new { policy = Bagongshan, idNumber = NewId(), reason = "deceased" });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("event-date-required", problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Open_SchoolOrApproverKey_IsForbidden()
    {
        var (status, _) = await _host.PostAsync("/api/refunds", new { policy = Bagongshan, idNumber = NewId(), reason = "deceased", eventDate = "2021-11-01" }, "test-approver");

        Assert.Equal(HttpStatusCode.Forbidden, status);
    }

    [Fact]
    public async Task Open_WhileACaseIsOpen_Is409NamingTheOpenCase()
    {
        var person = NewId();
        _ledger.Enrol(Bagongshan, person, 320, Payment("T1", 320), Payment("T2", 320));
        var first = await _host.OpenAsync(new { policy = Bagongshan, idNumber = person, reason = "duplicate-payment" });

        var (status, problem) = await _host.PostAsync("/api/refunds", new { policy = Bagongshan, idNumber = person, reason = "duplicate-payment" });

        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal("refund-in-progress", problem.GetProperty("code").GetString());
        Assert.Equal(first, problem.GetProperty("openCase").GetString());
    }

    [Fact]
    public async Task Open_TwoSimultaneousCasesForOnePerson_OneOpensOneIsRefused()
    {
        var person = NewId();
        _ledger.Enrol(Bagongshan, person, 320, Payment("T1", 320), Payment("T2", 320));
        var body = new { policy = Bagongshan, idNumber = person, reason = "duplicate-payment" };

        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => _host.PostAsync("/api/refunds", body)));

        Assert.Single(answers, a => a.Status == HttpStatusCode.Accepted);
        Assert.All(answers.Where(a => a.Status != HttpStatusCode.Accepted), a => Assert.Equal("refund-in-progress", a.Body.GetProperty("code").GetString()));
    }

    [Fact]
    public async Task SecondCaseAfterFirstRefunded_HasNothingLeftToRefund()
    {
        var person = NewId();
        _ledger.Enrol(Bagongshan, person, 320, Payment("W1", 320, "wechat-scan"), Payment("W2", 320, "wechat-scan"));
        var first = await _host.OpenAsync(new { policy = Bagongshan, idNumber = person, reason = "duplicate-payment" });
        Assert.Equal("done", Case(await Finished(first)).GetProperty("outcome").GetString());

        var second = await _host.OpenAsync(new { policy = Bagongshan, idNumber = person, reason = "duplicate-payment" });

        Assert.Equal("nothing-to-refund", Case(await Finished(second)).GetProperty("outcomeCode").GetString());
    }

    [Fact]
    public async Task Reminder_FiveDaysWaiting_CaseOverdueInStatusAndListAndStillApprovable()
    {
        var person = NewId();
        _ledger.Enrol(Bagongshan, person, 320, Payment("T1", 320), Payment("T2", 320));
        var id = await _host.OpenAsync(new { policy = Bagongshan, idNumber = person, reason = "duplicate-payment" });
        var waiting = await _host.WaitForStageAsync(id, "awaiting-approval");
        Assert.False(Case(waiting).GetProperty("overdue").GetBoolean());

        _host.Time.Advance(TimeSpan.FromDays(5));
        var overdue = await _host.WaitForAsync(id, b => Case(b).GetProperty("overdue").GetBoolean());

        Assert.Equal("awaiting-approval", Stage(overdue));
        var (_, list) = await _host.GetAsync($"/api/refunds?policy={Bagongshan}&overdue=true&stage=awaiting-approval");
        Assert.Contains(list.GetProperty("items").EnumerateArray(), i => i.GetProperty("case").GetProperty("id").GetString() == id);
        Assert.Equal(HttpStatusCode.Accepted, (await _host.PostAsync($"/api/refunds/{id}/events/approve", new { comment = "late" }, "test-approver")).Status);
        Assert.Equal("done", Case(await Finished(id)).GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task List_FiltersByReason()
    {
        var person = NewId();
        _ledger.Enrol(Bagongshan, person, 320, Payment("C1", 320, "cash"));
        var id = await _host.OpenAsync(new { policy = Bagongshan, idNumber = person, reason = "deceased", eventDate = "2021-11-02" });
        await _host.WaitForStageAsync(id, "awaiting-cash-return");

        var (_, deceased) = await _host.GetAsync("/api/refunds?reason=deceased");
        var (_, duplicates) = await _host.GetAsync("/api/refunds?reason=duplicate-payment");

        Assert.Contains(deceased.GetProperty("items").EnumerateArray(), i => i.GetProperty("case").GetProperty("id").GetString() == id);
        Assert.DoesNotContain(duplicates.GetProperty("items").EnumerateArray(), i => i.GetProperty("case").GetProperty("id").GetString() == id);
    }

    [Fact]
    public async Task Get_UnknownCase_Is404()
    {
        var (status, problem) = await _host.GetAsync("/api/refunds/refund-nope");

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("refund-not-found", problem.GetProperty("code").GetString());
    }
}
