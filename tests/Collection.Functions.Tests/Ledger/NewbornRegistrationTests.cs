using System.Net;
using System.Text.Json;
using Collection.Testing;

namespace Collection.Functions.Tests.Ledger;

/// <summary>
/// A child registered before birth (wuhai-2022 四(三) “新生儿在出生前办理参保登记的……免缴当年的参保费用”; dalate-2022 三(三);
/// bagongshan-2022 落地参保): registered by expected birth date and a parent's ID under a reference, its ID attached after birth.
/// </summary>
public sealed class NewbornRegistrationTests : IAsyncLifetime
{
    private LedgerTestHost _host = null!;

    public async Task InitializeAsync() => _host = await LedgerTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task<(HttpStatusCode Status, JsonElement Body)> Register(string parent, string expected, string date, string policy = "wuhai-2022", bool parentInsured = true, int? child = null)
    {
        _host.Today = DateOnly.Parse(date, System.Globalization.CultureInfo.InvariantCulture);
        return await _host.PostAsync("/api/enrolments/newborns", new
        {
            policy,
            expectedBirthDate = expected,
            parent = new { idNumber = parent, name = "李娜", relationship = "母亲" },
            parentInsured,
            child,
            date,
            town = "海勃湾区",
        });
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> Attach(string reference, string idNumber, string today, string policy = "wuhai-2022")
    {
        _host.Today = DateOnly.Parse(today, System.Globalization.CultureInfo.InvariantCulture);
        return await _host.PostAsync($"/api/enrolments/{policy}/{reference}/attach-id", new { idNumber });
    }

    [Fact]
    public async Task Wuhai_RegisteredBeforeBirthOutsideThePeriod_IsFreeCoveredFromBirthUnderAReference_AndTheSameRegistrationAgainIs409()
    {
        var parent = LedgerTestHost.NewId("19900301");

        // The period closed on 2022-04-30: a registration before birth is not bound to it (四(三) “不受参保缴费档期限制”).
        var (status, body) = await Register(parent, "2022-06-15", "2022-05-20");
        var (again, againBody) = await Register(parent, "2022-06-15", "2022-05-21");

        Assert.Equal(HttpStatusCode.Created, status);
        var reference = body.GetProperty("idNumber").GetString()!;
        Assert.Matches("^NB-[0-9A-Z]{13}$", reference);
        Assert.Equal(0m, body.GetProperty("assessment").GetProperty("payable").GetDecimal());
        Assert.Equal("2022-06-15", body.GetProperty("coverageStart").GetString());
        Assert.Equal("paid", body.GetProperty("status").GetString());
        Assert.Equal(parent, body.GetProperty("request").GetProperty("newborn").GetProperty("parent").GetProperty("idNumber").GetString());
        Assert.Equal("mother", body.GetProperty("request").GetProperty("newborn").GetProperty("parent").GetProperty("relationship").GetString());
        Assert.Equal(HttpStatusCode.Conflict, again);
        Assert.Equal("already-enrolled", againBody.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Wuhai_AttachId_TheEnrolmentContinuesUnderTheChildsId_CoveredFromTheActualBirth_AndAttachingAgainIsIdempotent()
    {
        var (_, registered) = await Register(LedgerTestHost.NewId("19880808"), "2022-06-15", "2022-05-20");
        var reference = registered.GetProperty("idNumber").GetString()!;
        var child = LedgerTestHost.NewId("20220612");
        var other = LedgerTestHost.NewId("20220613");

        var (status, body) = await Attach(reference, child, "2022-07-01");
        var (again, againBody) = await Attach(reference, child, "2022-07-02");
        var (otherStatus, otherBody) = await Attach(reference, other, "2022-07-02");
        var (_, byId) = await _host.GetAsync($"/api/enrolments/wuhai-2022/{child}");
        var (_, byReference) = await _host.GetAsync($"/api/enrolments/wuhai-2022/{reference}");
        var (_, list) = await _host.GetAsync("/api/enrolments?policy=wuhai-2022");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(child, body.GetProperty("idNumber").GetString());
        Assert.Equal("2022-06-12", body.GetProperty("coverageStart").GetString());
        Assert.Equal(0m, body.GetProperty("assessment").GetProperty("payable").GetDecimal());
        Assert.Equal("2022-05-20", body.GetProperty("enrolledOn").GetString());
        Assert.Equal("active", byId.GetProperty("status").GetString());
        Assert.Equal(["enrolled", "id-attached"], byId.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("cause").GetString()));
        Assert.Equal(reference, byId.GetProperty("request").GetProperty("newborn").GetProperty("registrationReference").GetString());
        Assert.Equal(child, byReference.GetProperty("idNumber").GetString());
        Assert.Equal(HttpStatusCode.OK, again);
        Assert.Equal(child, againBody.GetProperty("idNumber").GetString());
        Assert.Equal(2, againBody.GetProperty("history").GetArrayLength());
        Assert.Equal(HttpStatusCode.Conflict, otherStatus);
        Assert.Equal("reference-attached", otherBody.GetProperty("code").GetString());
        var ids = list.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("idNumber").GetString()).ToList();
        Assert.Contains(child, ids);
        Assert.DoesNotContain(reference, ids);
    }

    [Fact]
    public async Task AttachId_BirthDateOutsideTheExpectedWindowOrBeforeTheRegistration_Is422WithAChineseMessage()
    {
        var (_, registered) = await Register(LedgerTestHost.NewId("19870101"), "2022-06-15", "2022-05-20");
        var reference = registered.GetProperty("idNumber").GetString()!;

        var (late, lateBody) = await Attach(reference, LedgerTestHost.NewId("20220930"), "2022-10-08");
        var (before, beforeBody) = await Attach(reference, LedgerTestHost.NewId("20220510"), "2022-10-08");
        var (_, still) = await _host.GetAsync($"/api/enrolments/wuhai-2022/{reference}");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, late);
        Assert.Equal("birth-date-outside-expected-window", lateBody.GetProperty("code").GetString());
        Assert.Contains("预产期 2022-06-15", lateBody.GetProperty("detailZh").GetString());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, before);
        Assert.Equal("born-before-registration", beforeBody.GetProperty("code").GetString());
        Assert.Contains("出生日期 2022-05-10", beforeBody.GetProperty("detailZh").GetString());
        Assert.Equal(reference, still.GetProperty("idNumber").GetString());
    }

    [Fact]
    public async Task AttachId_AnIdAlreadyEnrolledUnderThePolicy_Is409AndTheRegistrationStays()
    {
        var child = LedgerTestHost.NewId("20220201");
        _host.Today = new DateOnly(2022, 3, 1);
        var (enrolled, _) = await _host.PostAsync("/api/enrolments", new
        {
            policy = "wuhai-2022", idNumber = child, population = "newborn", newborn = new { parentInsured = true }, date = "2022-03-01", source = "window",
        });
        var (_, registered) = await Register(LedgerTestHost.NewId("19910404"), "2022-02-05", "2022-01-10");
        var reference = registered.GetProperty("idNumber").GetString()!;

        var (status, body) = await Attach(reference, child, "2022-03-02");
        var (_, still) = await _host.GetAsync($"/api/enrolments/wuhai-2022/{reference}");

        Assert.Equal(HttpStatusCode.Created, enrolled);
        Assert.Equal(HttpStatusCode.Conflict, status);
        Assert.Equal("already-enrolled", body.GetProperty("code").GetString());
        Assert.Equal(reference, still.GetProperty("idNumber").GetString());
    }

    [Fact]
    public async Task Bagongshan_PaidUnderTheReference_PaymentAndHistoryMoveToTheChildsId_AndTheSameTransactionAgainIsADuplicate()
    {
        // 落地参保: the personal share, covered from birth within three months (一(二)).
        var (status, registered) = await Register(LedgerTestHost.NewId("19920202"), "2022-04-10", "2022-03-01", policy: "bagongshan-2022", parentInsured: false);
        var reference = registered.GetProperty("idNumber").GetString()!;
        var payable = registered.GetProperty("assessment").GetProperty("payable").GetDecimal();
        var tx = "NB" + Guid.NewGuid().ToString("N")[..12];
        _host.Today = new DateOnly(2022, 3, 2);
        var (paid, _) = await _host.PostAsync("/api/payments", new { policy = "bagongshan-2022", idNumber = reference, amount = payable, paidOn = "2022-03-02", channel = "cash", transactionId = tx, inTreasury = true }, "test-tax");
        var child = LedgerTestHost.NewId("20220408", "340405");

        var (attached, body) = await Attach(reference, child, "2022-05-01", "bagongshan-2022");
        // The same payment sent again under the reference (a tax return dropped twice) finds the child's enrolment.
        var (repeat, repeatBody) = await _host.PostAsync("/api/payments", new { policy = "bagongshan-2022", idNumber = reference, amount = payable, paidOn = "2022-03-02", channel = "cash", transactionId = tx, inTreasury = true }, "test-tax");

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.True(payable > 0);
        Assert.Equal(HttpStatusCode.Created, paid);
        Assert.Equal(HttpStatusCode.OK, attached);
        Assert.Equal(payable, body.GetProperty("paid").GetDecimal());
        Assert.Equal(0m, body.GetProperty("balance").GetDecimal());
        Assert.Equal("2022-04-08", body.GetProperty("coverageStart").GetString());
        Assert.Equal(tx, Assert.Single(body.GetProperty("payments").EnumerateArray()).GetProperty("transactionId").GetString());
        Assert.Equal(["enrolled", "payment-posted", "id-attached"], body.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("cause").GetString()));
        Assert.Equal(HttpStatusCode.OK, repeat);
        Assert.Equal("duplicate", repeatBody.GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task NoNewbornRuleForTheRegistration_Is422_AndAReferenceCannotBeTypedIntoAnEnrolment()
    {
        // wuhai-2022 四(三) is for children of insured parents; baiyin-2023 has no newborn rule.
        var (uninsured, uninsuredBody) = await Register(LedgerTestHost.NewId("19930303"), "2022-06-15", "2022-05-20", parentInsured: false);
        var (baiyin, baiyinBody) = await Register(LedgerTestHost.NewId("19930303", "620402"), "2023-01-20", "2022-10-10", policy: "baiyin-2023");
        var (born, bornBody) = await Register(LedgerTestHost.NewId("19930303"), "2022-05-01", "2022-05-20");
        var (_, registered) = await Register(LedgerTestHost.NewId("19940404"), "2022-06-15", "2022-05-20");
        var (typed, typedBody) = await _host.PostAsync("/api/enrolments", new { policy = "dalate-2022", idNumber = registered.GetProperty("idNumber").GetString(), birthDate = "2022-06-15", population = "newborn", date = "2022-05-20" });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, uninsured);
        Assert.Equal("no-newborn-rule", uninsuredBody.GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, baiyin);
        Assert.Equal("no-newborn-rule", baiyinBody.GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, born);
        Assert.Equal("newborn-already-born", bornBody.GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, typed);
        Assert.Equal("invalid-id-number", typedBody.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Dalate_RegisteredBeforeBirthIn2022WithAnInsuredParent_IsFree()
    {
        var (status, body) = await Register(LedgerTestHost.NewId("19890909", "150621"), "2022-05-01", "2022-03-01", policy: "dalate-2022");

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(0m, body.GetProperty("assessment").GetProperty("payable").GetDecimal());
        Assert.Equal("2022-05-01", body.GetProperty("coverageStart").GetString());
    }
}
