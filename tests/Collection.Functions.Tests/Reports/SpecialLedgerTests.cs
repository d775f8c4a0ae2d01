using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Collection.Functions.Tests.Ledger;
using Collection.Testing;

using Collection.Files.Tests;

namespace Collection.Functions.Tests.Reports;

/// <summary>
/// A dedicated Azurite (the subsidy-lists container has a fixed name) with the list trigger on: bagongshan-2022 民政 and
/// 残联 lists uploaded over HTTP, one 低保 then enrolled and paid at the window.
/// </summary>
public sealed class SpecialLedgerFixture : IAsyncLifetime
{
    public AzuriteInstance Azurite { get; private set; } = null!;

    public LedgerTestHost Host { get; private set; } = null!;

    public Dictionary<string, string> Ids { get; } = [];

    public async Task InitializeAsync()
    {
        Azurite = await AzuriteInstance.StartAsync();
        Host = await LedgerTestHost.StartAsync(Azurite.ConnectionString, today: new DateOnly(2021, 11, 20), settings: new Dictionary<string, string>
        {
            ["AzureWebJobs.SubsidyLists.Disabled"] = "false",
            ["AzureFunctionsJobHost__extensions__blobs__pollingInterval"] = "00:00:00.250",
            ["Keys:community"] = "test-community",
        });
        foreach (var who in new[] { "low1", "low2", "poor1", "dis1" })
        {
            Ids[who] = LedgerTestHost.NewId("19600101", "340405");
        }

        await UploadAsync("civil-affairs", "name,idNumber,subsidyIdentity,town\r\n"
            + $"low1,{Ids["low1"]},低保对象,山王镇\r\nlow2,{Ids["low2"]},低保对象,八公山镇\r\npoor1,{Ids["poor1"]},特困人员,山王镇\r\n");
        await UploadAsync("disabled-federation", $"name,idNumber,subsidyIdentity,town\r\ndis1,{Ids["dis1"]},一级残疾人,八公山镇\r\n");

        var (enrolled, body) = await Host.PostAsync("/api/enrolments", new { policy = "bagongshan-2022", idNumber = Ids["low2"], date = "2021-11-10", name = "low2", town = "八公山镇", identities = new[] { "低保对象" } });
        Assert.True(enrolled == HttpStatusCode.Created, body.ToString());
        var (paid, payment) = await Host.PostAsync("/api/payments", new { policy = "bagongshan-2022", idNumber = Ids["low2"], amount = 32m, paidOn = "2021-11-10", channel = "online", transactionId = "Q" + Guid.NewGuid().ToString("N")[..12], inTreasury = true }, "test-tax");
        Assert.True(paid is HttpStatusCode.Created or HttpStatusCode.OK, payment.ToString());
    }

    private async Task UploadAsync(string department, string csv)
    {
        using var client = Host.Client();
        var response = await client.PutAsync(new Uri($"api/subsidy-lists/bagongshan-2022/{department}/list.csv?date=2021-11-01", UriKind.Relative), new ByteArrayContent(Encoding.UTF8.GetBytes(csv)));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var status = new Uri((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("statusQueryGetUri").GetString()!).PathAndQuery.TrimStart('/');
        var json = await Eventually.GetAsync(
            async () =>
            {
                using var result = await client.GetAsync(new Uri(status, UriKind.Relative));
                return result.StatusCode == HttpStatusCode.OK ? await result.Content.ReadFromJsonAsync<JsonElement>() : default;
            },
            j => j.ValueKind == JsonValueKind.Object && j.GetProperty("status").GetString() is "completed" or "failed",
            _ => $"List of {department} still processing.");
        Assert.Equal("completed", json.GetProperty("status").GetString());
        Assert.Empty(json.GetProperty("rejected").EnumerateArray());
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        await Azurite.DisposeAsync();
    }
}

/// <summary>bagongshan-2022 八(四) "建立分类专项台账，确保特困人员、低保对象、脱贫人口和残疾人等困难群体全员参保"; baiyin-2023 八(二).</summary>
public sealed class SpecialLedgerTests(SpecialLedgerFixture app) : IClassFixture<SpecialLedgerFixture>
{
    private static string Masked(string id) => id[..6] + "********" + id[14..];

    private static JsonElement Row(JsonElement rows, string group, string unit) =>
        Assert.Single(rows.EnumerateArray(), r => r.GetProperty("group").GetString() == group && r.GetProperty("unit").GetString() == unit);

    [Fact]
    public async Task Figures_PerGroupAndTown_ShowTheListedLowIncomePersonNotEnrolled()
    {
        var (status, report) = await app.Host.GetAsync("/api/reports/bagongshan-2022/special-ledger");

        Assert.Equal(HttpStatusCode.OK, status);
        var units = report.GetProperty("units");
        Assert.Equal((1, 1, 0), Counts(Row(units, "低保对象", "山王镇")));
        Assert.Equal((1, 0, 1), Counts(Row(units, "低保对象", "八公山镇")));
        Assert.Equal(1, Row(units, "低保对象", "八公山镇").GetProperty("subsidised").GetInt32());
        Assert.Equal(1, Row(units, "特困人员", "山王镇").GetProperty("waived").GetInt32());
        Assert.Equal(1, Row(units, "残疾人", "八公山镇").GetProperty("waived").GetInt32());
        var low = Row(report.GetProperty("groups"), "低保对象", "合计");
        Assert.Equal(2, low.GetProperty("people").GetInt32());
        Assert.Equal(0.5m, low.GetProperty("rate").GetDecimal());
        Assert.Equal(["特困人员", "低保对象", "残疾人"], report.GetProperty("groups").EnumerateArray().Select(g => g.GetProperty("group").GetString()));
        Assert.Equal(JsonValueKind.Null, report.GetProperty("people").ValueKind);

        static (int People, int NotEnrolled, int Insured) Counts(JsonElement r) =>
            (r.GetProperty("people").GetInt32(), r.GetProperty("notEnrolled").GetInt32(), r.GetProperty("insured").GetInt32());
    }

    [Fact]
    public async Task OneGroupAndTown_ListsThePeople_StaffSeeWholeIds()
    {
        var (_, report) = await app.Host.GetAsync("/api/reports/bagongshan-2022/special-ledger?group=%E4%BD%8E%E4%BF%9D&unit=%E5%B1%B1%E7%8E%8B%E9%95%87");

        var person = Assert.Single(report.GetProperty("people").EnumerateArray());
        Assert.Equal(app.Ids["low1"], person.GetProperty("idNumber").GetString());
        Assert.Equal("not-enrolled", person.GetProperty("state").GetString());
        Assert.Equal("民政", person.GetProperty("department").GetString());
        Assert.Equal("低保对象", person.GetProperty("group").GetString());
        Assert.Single(report.GetProperty("units").EnumerateArray());
    }

    [Fact]
    public async Task Community_SeesMaskedIds()
    {
        var (status, report) = await app.Host.GetAsync("/api/reports/bagongshan-2022/special-ledger?unit=%E5%B1%B1%E7%8E%8B%E9%95%87", "test-community");

        Assert.Equal(HttpStatusCode.OK, status);
        var ids = report.GetProperty("people").EnumerateArray().Select(p => p.GetProperty("idNumber").GetString()).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(new[] { Masked(app.Ids["low1"]), Masked(app.Ids["poor1"]) }.Order(StringComparer.Ordinal), ids);
        Assert.DoesNotContain(app.Ids["low1"], report.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task PeopleFile_AsCsv_HasTheStateInChinese()
    {
        using var client = app.Host.Client();
        var bytes = await client.GetByteArrayAsync(new Uri("api/reports/bagongshan-2022/special-ledger?view=people&format=csv", UriKind.Relative));
        var text = Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3);
        TestFiles.AssertOpensWithoutFormulas(bytes);

        Assert.StartsWith("类别,县区,乡镇街道,姓名,身份证号,资助身份,认定部门,参保状态,登记日期,应缴金额,已缴金额,财政资助金额\r\n", text, StringComparison.Ordinal);
        Assert.Contains("低保对象,,山王镇,low1,", text, StringComparison.Ordinal);
        Assert.Contains(",未参保,", text, StringComparison.Ordinal);
        Assert.Contains(",已缴费,2021-11-10,32.00,32.00,288.00\r\n", text, StringComparison.Ordinal);
        Assert.Equal(5, text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Theory]
    [InlineData("/api/reports/bagongshan-2022/special-ledger?group=nobody", HttpStatusCode.BadRequest, "unknown-group")]
    [InlineData("/api/reports/bagongshan-2022/special-ledger?view=people", HttpStatusCode.BadRequest, "unknown-view")]
    [InlineData("/api/reports/bagongshan-2022/special-ledger?format=pdf", HttpStatusCode.BadRequest, "unknown-format")]
    [InlineData("/api/reports/nowhere/special-ledger", HttpStatusCode.NotFound, "unknown-policy")]
    public async Task BadRequests_AreCodedProblems(string path, HttpStatusCode expected, string code)
    {
        var (status, problem) = await app.Host.GetAsync(path);

        Assert.Equal(expected, status);
        Assert.Equal(code, problem.GetProperty("code").GetString());
    }
}
