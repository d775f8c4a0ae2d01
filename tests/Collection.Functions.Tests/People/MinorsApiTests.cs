using System.Net;
using System.Text.Json;
using Collection.Functions.Tests.Ledger;

namespace Collection.Functions.Tests.People;

/// <summary>luyang-2023 二“（四）非本市户籍，随在本市就业参保人员共同生活的未成年子女” through the HTTP API.</summary>
public sealed class MinorsApiTests : IAsyncLifetime
{
    private LedgerTestHost _host = null!;

    public async Task InitializeAsync() => _host = await LedgerTestHost.StartAsync(today: new DateOnly(2022, 10, 10));

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Enrol_TenYearOldLivingWithLocallyInsuredParent_WithoutPermit_IsEnrolledAndTheFactIsKept()
    {
        var id = LedgerTestHost.NewId(birth: "20120501", area: "340103");

        var (refused, refusedBody) = await _host.PostAsync("/api/enrolments", new { policy = "luyang-2023", idNumber = id, localHukou = false, date = "2022-10-10", name = "王小明", source = "window" });
        var (status, _) = await _host.PostAsync("/api/enrolments", new { policy = "luyang-2023", idNumber = id, localHukou = false, livesWithLocallyInsuredParent = true, date = "2022-10-10", name = "王小明", source = "window" });
        var (_, got) = await _host.GetAsync($"/api/enrolments/luyang-2023/{id}");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused);
        Assert.Equal("no-residence-permit", refusedBody.GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(350m, got.GetProperty("assessment").GetProperty("payable").GetDecimal());
        Assert.True(got.GetProperty("request").GetProperty("livesWithLocallyInsuredParent").GetBoolean());
    }

    [Fact]
    public async Task Assess_AdultLivingWithLocallyInsuredParent_StillNeedsAPermit()
    {
        var (status, body) = await _host.PostAsync("/api/assessments", new { policy = "luyang-2023", birthDate = "2000-01-01", localHukou = false, livesWithLocallyInsuredParent = true, date = "2022-10-10" });

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(body.GetProperty("eligible").GetBoolean());
        Assert.Equal("no-residence-permit", Assert.Single(body.GetProperty("reasons").EnumerateArray()).GetString());
    }
}
