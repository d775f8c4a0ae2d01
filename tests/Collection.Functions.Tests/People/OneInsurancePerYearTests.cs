using System.Net;
using Collection.Functions.Tests.Ledger;

namespace Collection.Functions.Tests.People;

/// <summary>
/// One person, one insurance a year (dalate-2022 一 “不得同时参加……不得重复享受医疗保险待遇”; luyang-2023 二
/// “已参加职工医保或在外市参加下年度居民医保的，不允许重复参保”) through the HTTP API.
/// </summary>
public sealed class OneInsurancePerYearTests : IAsyncLifetime
{
    private LedgerTestHost _host = null!;

    public async Task InitializeAsync() => _host = await LedgerTestHost.StartAsync(today: new DateOnly(2021, 12, 10));

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private Task<(HttpStatusCode Status, System.Text.Json.JsonElement Body)> Enrol(string id, string policy, string date = "2021-12-01") =>
        _host.PostAsync("/api/enrolments", new { policy, idNumber = id, date, name = "张三", source = "window" });

    [Fact]
    public async Task SecondPolicyForTheSameCoverageYear_Is409NamingTheFirst_AndAfterCancellingItIsNot()
    {
        // wuhai-2022 and dalate-2022 both cover 2022.
        var id = LedgerTestHost.NewId();
        var (first, _) = await Enrol(id, "wuhai-2022");

        var (second, body) = await Enrol(id, "dalate-2022");
        var (_, person) = await _host.GetAsync($"/api/people/{id}/insurance-facts");

        Assert.Equal(HttpStatusCode.Created, first);
        Assert.Equal(HttpStatusCode.Conflict, second);
        Assert.Equal("enrolled-under-another-policy", body.GetProperty("code").GetString());
        Assert.Equal("wuhai-2022", body.GetProperty("firstPolicy").GetString());
        Assert.Equal("2021-12-01", body.GetProperty("firstEnrolledOn").GetString());
        Assert.Contains("wuhai-2022", body.GetProperty("detailZh").GetString(), StringComparison.Ordinal);
        Assert.Equal("wuhai-2022", Assert.Single(person.GetProperty("enrolments").EnumerateArray()).GetProperty("policy").GetString());
    }

    [Fact]
    public async Task InsuredElsewhereForTheYear_RecordedByStaff_RefusesEnrolment_ButNotForAnotherYear()
    {
        var id = LedgerTestHost.NewId();

        var (recorded, fact) = await _host.PostAsync($"/api/people/{id}/insurance-facts", new { kind = "外地参保", coverageYear = 2022, place = "包头市昆都仑区" });
        var (refused, body) = await Enrol(id, "wuhai-2022");
        var (later, _) = await _host.PostAsync($"/api/people/{id}/insurance-facts", new { kind = "insured-elsewhere", coverageYear = 2021 });
        var (_, person) = await _host.GetAsync($"/api/people/{id}/insurance-facts");

        Assert.Equal(HttpStatusCode.Created, recorded);
        Assert.Equal(("insured-elsewhere", "已在外地参加基本医疗保险"), (fact.GetProperty("kind").GetString(), fact.GetProperty("kindLabel").GetString()));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused);
        Assert.Equal("insured-elsewhere", body.GetProperty("code").GetString());
        Assert.Contains("包头市昆都仑区", body.GetProperty("detailZh").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Created, later);
        Assert.Equal(2, person.GetProperty("facts").GetArrayLength());
    }

    [Fact]
    public async Task EmployeeInsurance_RecordedByStaff_IsTheLedgersMark_AndRefusesEnrolment()
    {
        var id = LedgerTestHost.NewId();

        var (recorded, _) = await _host.PostAsync($"/api/people/{id}/insurance-facts", new { kind = "职工医保", since = "2021-10-01" });
        var (refused, body) = await Enrol(id, "wuhai-2022");
        var (_, person) = await _host.GetAsync($"/api/people/{id}/insurance-facts");

        Assert.Equal(HttpStatusCode.Created, recorded);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused);
        Assert.Equal("in-employee-insurance", body.GetProperty("code").GetString());
        Assert.True(person.GetProperty("inEmployeeInsurance").GetBoolean());
    }

    [Fact]
    public async Task Commitment_IsRecordedAndShown_AndBadFactsAreCoded()
    {
        var id = LedgerTestHost.NewId();

        var (recorded, fact) = await _host.PostAsync($"/api/people/{id}/insurance-facts", new { kind = "承诺", coverageYear = 2022, since = "2021-11-02", note = "承诺未在其他地区参加基本医疗保险（达拉特旗）" });
        var (noYear, noYearBody) = await _host.PostAsync($"/api/people/{id}/insurance-facts", new { kind = "commitment" });
        var (unknown, unknownBody) = await _host.PostAsync($"/api/people/{id}/insurance-facts", new { kind = "商业保险", coverageYear = 2022 });
        var (badId, _) = await _host.PostAsync("/api/people/123/insurance-facts", new { kind = "commitment", coverageYear = 2022 });
        var (school, _) = await _host.PostAsync($"/api/people/{id}/insurance-facts", new { kind = "commitment", coverageYear = 2022 }, "test-school");

        Assert.Equal(HttpStatusCode.Created, recorded);
        Assert.Equal(("commitment", 2022, "2021-11-02"), (fact.GetProperty("kind").GetString(), fact.GetProperty("coverageYear").GetInt32(), fact.GetProperty("since").GetString()));
        Assert.Equal((HttpStatusCode.BadRequest, "missing-coverage-year"), (noYear, noYearBody.GetProperty("code").GetString()));
        Assert.Equal((HttpStatusCode.BadRequest, "unknown-insurance-fact"), (unknown, unknownBody.GetProperty("code").GetString()));
        Assert.False(string.IsNullOrEmpty(unknownBody.GetProperty("detailZh").GetString()));
        Assert.Equal(HttpStatusCode.BadRequest, badId);
        Assert.Equal(HttpStatusCode.Forbidden, school);
    }
}
