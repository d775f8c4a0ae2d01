using System.Net;
using System.Text.Json;
using Collection.Functions.Tests.Ledger;

namespace Collection.Functions.Tests.People;

/// <summary>
/// Foreigners and their families (luyang-2023 二 “与在本市工作的外籍专家共同生活的配偶及未成年子女，获得我国居留许可证在本市
/// 居住尚未就业的外国人，均可以参加”) are identified by document type and number through the HTTP API.
/// </summary>
public sealed class ForeignersApiTests : IAsyncLifetime
{
    private LedgerTestHost _host = null!;

    public async Task InitializeAsync() => _host = await LedgerTestHost.StartAsync(today: new DateOnly(2022, 10, 10));

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private Task<(HttpStatusCode Status, JsonElement Body)> Enrol(object body) => _host.PostAsync("/api/enrolments", body);

    [Fact]
    public async Task Enrol_PassportHolderWithResidencePermit_IsEnrolledUnderThePassportKey_AndASecondTimeIs409()
    {
        var number = "E" + Random.Shared.Next(10_000_000, 99_999_999).ToString(System.Globalization.CultureInfo.InvariantCulture);

        var (status, body) = await Enrol(new { policy = "luyang-2023", idType = "护照", idNumber = number.ToLowerInvariant(), nationality = "usa", birthDate = "1985-06-01", residencePermit = true, date = "2022-10-10", name = "John Smith", source = "window" });
        var (getStatus, got) = await _host.GetAsync($"/api/enrolments/luyang-2023/PP-USA-{number}");
        var (againStatus, again) = await Enrol(new { policy = "luyang-2023", idType = "passport", idNumber = number, nationality = "USA", birthDate = "1985-06-01", residencePermit = true, date = "2022-10-10", name = "John Smith", source = "window" });

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(HttpStatusCode.OK, getStatus);
        Assert.Equal($"PP-USA-{number}", got.GetProperty("idNumber").GetString());
        Assert.Equal(350m, got.GetProperty("assessment").GetProperty("payable").GetDecimal());
        Assert.Equal(HttpStatusCode.Conflict, againStatus);
        Assert.Equal("already-enrolled", again.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Enrol_PassportHolderWithoutResidencePermit_IsNotEligible()
    {
        // A foreigner has no hukou: luyang-2023 二（三） needs the residence permit (居留许可).
        var (status, body) = await Enrol(new { policy = "luyang-2023", idType = "passport", idNumber = "E55512345", nationality = "GBR", birthDate = "1985-06-01", date = "2022-10-10", name = "Jane Doe", source = "window" });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal("no-residence-permit", body.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Enrol_PassportWithoutNationality_400NamingTheFieldInChinese()
    {
        var (status, body) = await Enrol(new { policy = "luyang-2023", idType = "护照", idNumber = "E12345678", birthDate = "1985-06-01", residencePermit = true, date = "2022-10-10", name = "John Smith", source = "window" });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid-id-number", body.GetProperty("code").GetString());
        Assert.Equal("nationality", body.GetProperty("field").GetString());
        Assert.Equal("missing-nationality", body.GetProperty("reason").GetString());
        Assert.Contains("国籍", body.GetProperty("detailZh").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Assess_PassportWithoutBirthDate_422MissingBirthDate_AndUnknownIdType400()
    {
        var (missing, missingBody) = await _host.PostAsync("/api/assessments", new { policy = "luyang-2023", idType = "passport", idNumber = "E12345678", nationality = "USA", residencePermit = true, date = "2022-10-10" });
        var (unknown, unknownBody) = await _host.PostAsync("/api/assessments", new { policy = "luyang-2023", idType = "驾驶证", idNumber = "E12345678", date = "2022-10-10" });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, missing);
        Assert.Equal("missing-birth-date", missingBody.GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, unknown);
        Assert.Equal("unknown-id-type", unknownBody.GetProperty("code").GetString());
        Assert.Contains("护照", unknownBody.GetProperty("detailZh").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Assess_OlderForeignCardWithoutType_IsRecognised_AndTheNewCardTypedAsCitizenIs400()
    {
        var (older, olderBody) = await _host.PostAsync("/api/assessments", new { policy = "luyang-2023", idNumber = "usa110085060112", birthDate = "1985-06-01", residencePermit = true, date = "2022-10-10" });
        var (wrongType, wrongBody) = await _host.PostAsync("/api/assessments", new { policy = "luyang-2023", idType = "居民身份证", idNumber = "911840198506011230", date = "2022-10-10" });

        Assert.Equal(HttpStatusCode.OK, older);
        Assert.True(olderBody.GetProperty("eligible").GetBoolean());
        Assert.Equal(350m, olderBody.GetProperty("payable").GetDecimal());
        Assert.Equal(HttpStatusCode.BadRequest, wrongType);
        Assert.Equal("wrong-document-type", wrongBody.GetProperty("reason").GetString());
    }
}
