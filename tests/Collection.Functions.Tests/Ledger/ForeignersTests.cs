using System.Net;
using Collection.Functions.Tests.Ledger;

namespace Collection.Functions.Tests.Ledger;

/// <summary>
/// luyang-2023 二 “获得我国居留许可证在本市居住尚未就业的外国人，均可以参加”: a foreigner identified by the 2023
/// foreign permanent-resident ID number (first digit 9, MOD 11-2 check) enrols like a non-local resident.
/// </summary>
public sealed class ForeignersTests
{
    // 9, issuing province 34 (Anhui), nationality 840, born 1990-03-15, sequence 002 (female), check 9.
    private const string PermanentResident = "934840199003150029";

    private static Task<LedgerTestHost> StartAsync() =>
        LedgerTestHost.StartAsync(today: new DateOnly(2022, 10, 10));

    [Fact]
    public async Task Enrol_ForeignPermanentResidentWithResidencePermit_IsCreatedAndFoundByTheNumber()
    {
        await using var host = await StartAsync();

        var (status, body) = await host.PostAsync("/api/enrolments", new { policy = "luyang-2023", idNumber = PermanentResident, date = "2022-10-10", name = "Anna Smith", town = "逍遥津街道", source = "window", residencePermit = true });
        var (found, got) = await host.GetAsync($"/api/enrolments/luyang-2023/{PermanentResident}");

        Assert.True(status == HttpStatusCode.Created, body.ToString());
        Assert.Equal(HttpStatusCode.OK, found);
        Assert.Equal(PermanentResident, got.GetProperty("idNumber").GetString());
        Assert.Equal(350m, got.GetProperty("assessment").GetProperty("payable").GetDecimal());
    }

    [Fact]
    public async Task Enrol_ForeignPermanentResidentWithoutResidencePermit_IsNonLocalAndRefused()
    {
        await using var host = await StartAsync();

        var (status, body) = await host.PostAsync("/api/enrolments", new { policy = "luyang-2023", idNumber = PermanentResident, date = "2022-10-10", name = "Anna Smith", source = "window" });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal("no-residence-permit", body.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Enrol_ForeignNumberWithWrongCheckDigit_IsInvalidIdNumber()
    {
        await using var host = await StartAsync();

        var (status, body) = await host.PostAsync("/api/enrolments", new { policy = "luyang-2023", idNumber = "934840199003150028", date = "2022-10-10", name = "Anna Smith", source = "window", residencePermit = true });

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid-id-number", body.GetProperty("code").GetString());
    }
}
