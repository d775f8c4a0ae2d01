using System.Net;
using System.Text.Json;
using Azure.Data.Tables;
using Collection.Domain;
using static Collection.Functions.Tests.Refunds.RefundTestHost;

namespace Collection.Functions.Tests.Refunds;

/// <summary>
/// Refund cases end to end through HTTP, the app in the local host on Azurite: every reason and channel, refusals,
/// roles, races. People are enrolled and paid through the ledger's API. (The reminder's five days cannot pass on a
/// real durable timer: <see cref="RefundOrchestrationTests"/> fires it.)
/// </summary>
public sealed class RefundsApiTests : IAsyncLifetime
{
    private const string Bagongshan = "bagongshan-2022";
    private static int _sequence;
    private RefundTestHost _host = null!;

    public async Task InitializeAsync() => _host = await RefundTestHost.StartAsync();

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
    public async Task Get_CaseWhoseOrchestrationHasNotRunYet_ShowsItAsOpenedAndChecking()
    {
        var person = NewId();
        await _host.EnrolAsync(Bagongshan, person, Payment("T1", 320), Payment("T2", 320));
        var id = await _host.OpenAsync(new { policy = Bagongshan, idNumber = person, reason = "duplicate-payment", note = "paid twice" });
        await _host.WaitForStageAsync(id, "awaiting-approval");
        // Between the 202 and the orchestration's first turn (a busy host) the instance is Pending, with its input
        // and no custom status yet, as the client wrote it. The case's instance record is put back to just that.
        await RewriteInstanceAsync(id, instance =>
        {
            Assert.Equal("Running", instance.GetString("RuntimeStatus"));
            Assert.False(string.IsNullOrEmpty(instance.GetString("Input")));
            instance["RuntimeStatus"] = "Pending";
            instance.Remove("CustomStatus");
        });

        var (status, body) = await _host.GetAsync($"/api/refunds/{id}");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("Pending", body.GetProperty("runtimeStatus").GetString());
        Assert.Equal(("checking", "duplicate-payment", id), (Stage(body), Case(body).GetProperty("reason").GetString(), Case(body).GetProperty("id").GetString()));
        Assert.Equal("opened", Case(body).GetProperty("history")[0].GetProperty("event").GetString());
        Assert.DoesNotContain(person, body.GetRawText(), StringComparison.Ordinal);
        var (listed, list) = await _host.GetAsync($"/api/refunds?policy={Bagongshan}&stage=checking");
        Assert.Equal(HttpStatusCode.OK, listed);
        Assert.Contains(id, list.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_CompletedCaseWhoseStatusRowWasRebuiltFromHistory_ShowsItsOutcome()
    {
        var person = NewId();
        await _host.EnrolAsync(Bagongshan, person, Payment("W1", 320, "wechat-scan"), Payment("W2", 320, "wechat-scan"));
        var id = await _host.OpenAsync(new { policy = Bagongshan, idNumber = person, reason = "duplicate-payment" });
        Assert.Equal("done", Case(await Finished(id)).GetProperty("outcome").GetString());
        // A host killed after writing the history of the case's last turn but before its status row: the next host
        // that meets the instance rebuilds the row from the history, without the custom status (the kill test met it).
        await RewriteInstanceAsync(id, instance =>
        {
            Assert.Equal("Completed", instance.GetString("RuntimeStatus"));
            instance["CustomStatus"] = "null";
        });

        var (status, body) = await _host.GetAsync($"/api/refunds/{id}");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(("Completed", "done", "done", 320m), (body.GetProperty("runtimeStatus").GetString(), Stage(body), Case(body).GetProperty("outcome").GetString(), Case(body).GetProperty("amount").GetDecimal()));
        Assert.Equal("refund-issued", Case(body).GetProperty("history")[2].GetProperty("event").GetString());
        var (_, list) = await _host.GetAsync($"/api/refunds?policy={Bagongshan}&stage=done");
        Assert.Contains(list.GetProperty("items").EnumerateArray(), i => i.GetProperty("case").GetProperty("id").GetString() == id);
    }

    /// <summary>
    /// Changes a case's Durable instance record (Azure Storage provider: the task hub's Instances table) into a state
    /// the provider itself writes in a situation a test cannot bring about on time.
    /// </summary>
    private async Task RewriteInstanceAsync(string id, Action<TableEntity> change)
    {
        var hub = _host.App.Settings["AzureFunctionsJobHost__extensions__durableTask__hubName"];
        var instances = new TableServiceClient(_host.App.Settings["AzureWebJobsStorage"]).GetTableClient(hub + "Instances");
        var instance = (await instances.GetEntityAsync<TableEntity>(id, "")).Value;
        change(instance);
        await instances.UpdateEntityAsync(instance, instance.ETag, TableUpdateMode.Replace);
    }

    [Fact]
    public async Task Example1_DuplicateOnlinePayment_ApproveRefunds320AndEnrolmentStays()
    {
        var person = NewId();
        await _host.EnrolAsync(Bagongshan, person, Payment("T1", 320), Payment("T2", 320));

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
        Assert.NotEqual("cancelled", await _host.EnrolmentStatusAsync(Bagongshan, person));
        var approve = Case(done).GetProperty("history").EnumerateArray().Single(h => h.GetProperty("event").GetString() == "approve");
        Assert.Equal(("approver", "ok"), (approve.GetProperty("actor").GetString(), approve.GetProperty("comment").GetString()));
    }

    [Fact]
    public async Task Example2_JoinedEmployeeInsurance_CashInTreasury_TaxAcceptedThenApprove_CancelsEnrolment()
    {
        var person = NewId();
        await _host.EnrolAsync(Bagongshan, person, Payment("C1", 320, "cash", inTreasury: true));

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
        Assert.Equal("cancelled", await _host.EnrolmentStatusAsync(Bagongshan, person));
    }

    [Fact]
    public async Task Example3_JoinedEmployeeInsuranceAfterPeriod_RejectedDeadlinePassed()
    {
        var person = NewId();
        await _host.EnrolAsync(Bagongshan, person, Payment("C1", 320, "cash", inTreasury: true));

        var id = await _host.OpenAsync(new { policy = Bagongshan, idNumber = person, reason = "joined-employee-insurance", eventDate = "2022-01-10" });

        var done = await Finished(id);
        Assert.Equal("Completed", done.GetProperty("runtimeStatus").GetString());
        Assert.Equal("rejected", Case(done).GetProperty("outcome").GetString());
        Assert.Equal("deadline-passed", Case(done).GetProperty("outcomeCode").GetString());
        Assert.NotEqual("cancelled", await _host.EnrolmentStatusAsync(Bagongshan, person));
    }

    [Fact]
    public async Task Example4_LuyangSubsidisedPaidFullByWeChatScan_Refunds315AtOnce()
    {
        var person = NewId("340103");
        // luyang-2023 collects in 2022: its requests act as of a day in its period.
        var today = new DateOnly(2022, 11, 1);
        await _host.EnrolOnAsync(today, "luyang-2023", person, Payment("W1", 350, "wechat-scan", paidOn: "2022-10-10"));
        // 民政's list (dated before the payment, arriving after it) says the person was 低保 when paying (issue 17: the book decides).
        await _host.ConfirmAsync("luyang-2023", person, Domain.Codes.SubsidyIdentity.MinimumLivingAllowance, Domain.Codes.Department.CivilAffairs, new DateOnly(2022, 10, 1));

        var id = await _host.OpenAsync(new { policy = "luyang-2023", idNumber = person, reason = "subsidised-paid-full", identities = new[] { "minimum-living-allowance" } }, today: today);

        var done = await Finished(id);
        Assert.Equal("done", Case(done).GetProperty("outcome").GetString());
        Assert.Equal("wechat-scan", Case(done).GetProperty("channel").GetString());
        Assert.Equal(315m, Case(done).GetProperty("amount").GetDecimal());
        Assert.NotEqual("cancelled", await _host.EnrolmentStatusAsync("luyang-2023", person));
    }

    [Fact]
    public async Task Deceased_CashNotInTreasury_CommunityReturnsCash_EnrolmentCancelled()
    {
        var person = NewId();
        await _host.EnrolAsync(Bagongshan, person, Payment("C1", 320, "cash"));

        var id = await _host.OpenAsync(new { policy = Bagongshan, idNumber = person, reason = "deceased", eventDate = "2021-11-02" }, "test-community");
        await _host.WaitForStageAsync(id, "awaiting-cash-return");
        Assert.Equal(HttpStatusCode.Forbidden, (await _host.PostAsync($"/api/refunds/{id}/events/cash-returned", new { comment = "" }, "test-approver")).Status);
        Assert.Equal(HttpStatusCode.Accepted, (await _host.PostAsync($"/api/refunds/{id}/events/cash-returned", new { comment = "handed back" }, "test-community")).Status);

        var done = await Finished(id);
        Assert.Equal("done", Case(done).GetProperty("outcome").GetString());
        Assert.Equal("cash-not-in-treasury", Case(done).GetProperty("channel").GetString());
        Assert.Equal("cancelled", await _host.EnrolmentStatusAsync(Bagongshan, person));
    }

    [Theory]
    [InlineData("duplicate-enrolment", "2021-12-31")]
    [InlineData("gave-up-before-deadline", "2021-10-15")]
    [InlineData("moved-pooling-region", "2022-03-01")]
    public async Task RefundAllReasons_WeChatScan_RefundAndCancelAtOnce(string reason, string eventDate)
    {
        var person = NewId();
        await _host.EnrolAsync(Bagongshan, person, Payment("W1", 320, "wechat-scan"));

        var id = await _host.OpenAsync(new { policy = Bagongshan, idNumber = person, reason, eventDate });

        var done = await Finished(id);
        Assert.Equal("done", Case(done).GetProperty("outcome").GetString());
        Assert.Equal("cancelled", await _host.EnrolmentStatusAsync(Bagongshan, person));
    }

    [Fact]
    public async Task Online_Reject_EndsRejectedAndEnrolmentStays()
    {
        var person = NewId();
        await _host.EnrolAsync(Bagongshan, person, Payment("T1", 320, "bank-counter"));

        var id = await _host.OpenAsync(new { policy = Bagongshan, idNumber = person, reason = "gave-up-before-deadline", eventDate = "2021-11-01" });
        await _host.WaitForStageAsync(id, "awaiting-approval");
        Assert.Equal(HttpStatusCode.Accepted, (await _host.PostAsync($"/api/refunds/{id}/events/reject", new { comment = "no application form" }, "test-approver")).Status);

        var done = await Finished(id);
        Assert.Equal("rejected-by-bureau", Case(done).GetProperty("outcomeCode").GetString());
        Assert.NotEqual("cancelled", await _host.EnrolmentStatusAsync(Bagongshan, person));
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
        await _host.EnrolAsync(Bagongshan, person, Payment("T1", 320), Payment("T2", 320));
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
        await _host.EnrolAsync(Bagongshan, person, Payment("T1", 320), Payment("T2", 320));
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
        await _host.EnrolAsync(Bagongshan, person);

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
        await _host.EnrolAsync(Bagongshan, person, Payment("T1", 320), Payment("T2", 320));

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
        await _host.EnrolAsync(Bagongshan, person, Payment("T1", 320), Payment("T2", 320));
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
        await _host.EnrolAsync(Bagongshan, person, Payment("T1", 320), Payment("T2", 320));
        var body = new { policy = Bagongshan, idNumber = person, reason = "duplicate-payment" };

        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => _host.PostAsync("/api/refunds", body)));

        Assert.Single(answers, a => a.Status == HttpStatusCode.Accepted);
        Assert.All(answers.Where(a => a.Status != HttpStatusCode.Accepted), a => Assert.Equal("refund-in-progress", a.Body.GetProperty("code").GetString()));
    }

    [Fact]
    public async Task SecondCaseAfterFirstRefunded_HasNothingLeftToRefund()
    {
        var person = NewId();
        await _host.EnrolAsync(Bagongshan, person, Payment("W1", 320, "wechat-scan"), Payment("W2", 320, "wechat-scan"));
        var first = await _host.OpenAsync(new { policy = Bagongshan, idNumber = person, reason = "duplicate-payment" });
        Assert.Equal("done", Case(await Finished(first)).GetProperty("outcome").GetString());

        var second = await _host.OpenAsync(new { policy = Bagongshan, idNumber = person, reason = "duplicate-payment" });

        Assert.Equal("nothing-to-refund", Case(await Finished(second)).GetProperty("outcomeCode").GetString());
    }

    [Fact]
    public async Task List_FiltersByReason()
    {
        var person = NewId();
        await _host.EnrolAsync(Bagongshan, person, Payment("C1", 320, "cash"));
        var id = await _host.OpenAsync(new { policy = Bagongshan, idNumber = person, reason = "deceased", eventDate = "2021-11-02" });
        await _host.WaitForStageAsync(id, "awaiting-cash-return");

        var (_, deceased) = await _host.GetAsync("/api/refunds?reason=deceased");
        var (_, duplicates) = await _host.GetAsync("/api/refunds?reason=duplicate-payment");

        Assert.Contains(deceased.GetProperty("items").EnumerateArray(), i => i.GetProperty("case").GetProperty("id").GetString() == id);
        Assert.DoesNotContain(duplicates.GetProperty("items").EnumerateArray(), i => i.GetProperty("case").GetProperty("id").GetString() == id);
    }

    [Fact]
    public async Task List_FiltersByStageAndOverdue()
    {
        // A case waits five days before it is overdue (a durable timer on the real clock), so a fresh waiting case
        // is the one that is not overdue: overdue=true must leave it out, overdue=false and its stage keep it.
        var person = NewId();
        await _host.EnrolAsync(Bagongshan, person, Payment("C1", 320, "cash"));
        var id = await _host.OpenAsync(new { policy = Bagongshan, idNumber = person, reason = "deceased", eventDate = "2021-11-02" });
        await _host.WaitForStageAsync(id, "awaiting-cash-return");

        static bool Lists(JsonElement page, string id) =>
            page.GetProperty("items").EnumerateArray().Any(i => i.GetProperty("case").GetProperty("id").GetString() == id);
        var (_, waiting) = await _host.GetAsync("/api/refunds?stage=awaiting-cash-return&overdue=false");
        var (_, overdue) = await _host.GetAsync("/api/refunds?overdue=true");
        var (_, otherStage) = await _host.GetAsync("/api/refunds?stage=awaiting-approval");
        var (badStatus, problem) = await _host.GetAsync("/api/refunds?overdue=maybe");

        Assert.True(Lists(waiting, id));
        Assert.False(Lists(overdue, id));
        Assert.All(overdue.GetProperty("items").EnumerateArray(), i => Assert.True(i.GetProperty("case").GetProperty("overdue").GetBoolean()));
        Assert.False(Lists(otherStage, id));
        Assert.Equal(HttpStatusCode.BadRequest, badStatus);
        Assert.Equal("overdue", problem.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Get_UnknownCase_Is404()
    {
        var (status, problem) = await _host.GetAsync("/api/refunds/refund-nope");

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("refund-not-found", problem.GetProperty("code").GetString());
    }
}
