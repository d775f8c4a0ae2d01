using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Collection.Domain;
using Collection.Functions.Tests.Ledger;
using Collection.Testing;

using Collection.Files.Tests;

namespace Collection.Functions.Tests.Reports;

/// <summary>
/// A dedicated Azurite (the roster containers have fixed names) with the roster triggers on: a school's two roster
/// uploads and a university's roster with two 院系, enrolled through the blob triggers, some of them paid.
/// </summary>
public sealed class SchoolsReportFixture : IAsyncLifetime
{
    public AzuriteInstance Azurite { get; private set; } = null!;

    public LedgerTestHost Host { get; private set; } = null!;

    /// <summary>p1–p4 on SCH1's rosters (p3 on both), u1–u3 on UNI1's.</summary>
    public Dictionary<string, string> Ids { get; } = [];

    public async Task InitializeAsync()
    {
        Azurite = await AzuriteInstance.StartAsync();
        Host = await LedgerTestHost.StartAsync(Azurite.ConnectionString, today: new DateOnly(2022, 10, 10), settings: new Dictionary<string, string>
        {
            ["AzureWebJobs.SchoolRosters.Disabled"] = "false",
            ["AzureWebJobs.UniversityRosters.Disabled"] = "false",
            ["AzureFunctionsJobHost__extensions__blobs__pollingInterval"] = "00:00:00.250",
            ["Keys:school:SCH2"] = "test-school-2",
            ["Keys:school:UNI1"] = "test-uni",
        });
        foreach (var p in new[] { "p1", "p2", "p3", "p4" })
        {
            Ids[p] = LedgerTestHost.NewId("20120301", "340103");
        }

        foreach (var u in new[] { "u1", "u2", "u3" })
        {
            Ids[u] = LedgerTestHost.NewId("20030901", "340103");
        }

        await UploadAsync("school", "SCH1", "a.csv", "test-school", "姓名,身份证号\r\n" + string.Concat(new[] { "p1", "p2", "p3" }.Select(p => $"{p},{Ids[p]}\r\n")));
        await UploadAsync("school", "SCH1", "b.csv", "test-school", $"姓名,身份证号\r\np3,{Ids["p3"]}\r\np4,{Ids["p4"]}\r\n");
        await UploadAsync("university", "UNI1", "new.csv", "test-uni",
            $"姓名,身份证号,院系,缴费方式,是否新生\r\nu1,{Ids["u1"]},计算机学院,微信,是\r\nu2,{Ids["u2"]},计算机学院,微信,是\r\nu3,{Ids["u3"]},医学院,微信,是\r\n");
        foreach (var who in new[] { "p1", "p2", "u1" })
        {
            var entry = await Host.Ledger.GetAsync("luyang-2023", ResidentId.Parse(Ids[who]));
            var (status, body) = await Host.PostAsync("/api/payments", new { policy = "luyang-2023", idNumber = Ids[who], amount = entry!.Enrolment.Terms.Payable, paidOn = "2022-10-10", channel = "online", transactionId = "S" + Guid.NewGuid().ToString("N")[..12], inTreasury = true }, "test-tax");
            Assert.True(status == HttpStatusCode.Created || status == HttpStatusCode.OK, body.ToString());
        }
    }

    private async Task UploadAsync(string kind, string school, string file, string key, string csv)
    {
        using var client = Host.Client(key);
        var upload = await client.PutAsync(new Uri($"api/rosters/{kind}/luyang-2023/{school}/{file}?date=2022-10-10", UriKind.Relative), new ByteArrayContent(Encoding.UTF8.GetBytes(csv)));
        Assert.Equal(HttpStatusCode.Accepted, upload.StatusCode);
        var status = new Uri((await upload.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("statusQueryGetUri").GetString()!).PathAndQuery.TrimStart('/');
        var result = await Eventually.GetAsync(
            () => client.GetFromJsonAsync<JsonElement>(new Uri(status, UriKind.Relative)),
            r => r.GetProperty("status").GetString() != "processing",
            _ => $"{school}/{file} still processing.");
        Assert.Equal("completed", result.GetProperty("status").GetString());
        Assert.Equal(0, result.GetProperty("counts").GetProperty("rejected").GetInt32());
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        await Azurite.DisposeAsync();
    }
}

/// <summary>wuhai-2022 五(三) "务必全部纳入参保范围"; luyang-2023 八(四) "避免出现在校大学生未参保现象" and 五(四) "分解到院系".</summary>
public sealed class SchoolsReportTests(SchoolsReportFixture app) : IClassFixture<SchoolsReportFixture>
{
    private static string Masked(string id) => id[..6] + "********" + id[14..];

    private static JsonElement School(JsonElement report, string code) =>
        Assert.Single(report.GetProperty("schools").EnumerateArray(), s => s.GetProperty("school").GetString() == code);

    [Fact]
    public async Task School_DistinctPupilsOfBothUploads_TwoOfFourPaid_IsFiftyPercent()
    {
        var (status, report) = await app.Host.GetAsync("/api/reports/luyang-2023/schools");

        Assert.Equal(HttpStatusCode.OK, status);
        var school = School(report, "SCH1");
        Assert.Equal("school", school.GetProperty("kind").GetString());
        Assert.Equal(4, school.GetProperty("pupils").GetInt32());
        Assert.Equal(4, school.GetProperty("registered").GetInt32());
        Assert.Equal(2, school.GetProperty("insured").GetInt32());
        Assert.Equal(2, school.GetProperty("unpaid").GetInt32());
        Assert.Equal(0, school.GetProperty("notEnrolled").GetInt32());
        Assert.Equal(0.5m, school.GetProperty("rate").GetDecimal());
        Assert.Equal(7, report.GetProperty("total").GetProperty("pupils").GetInt32());
        Assert.Equal(3, report.GetProperty("total").GetProperty("insured").GetInt32());
        Assert.Equal(JsonValueKind.Null, report.GetProperty("notPaid").ValueKind);
    }

    [Fact]
    public async Task University_IsSplitByFaculty()
    {
        var (_, report) = await app.Host.GetAsync("/api/reports/luyang-2023/schools?school=UNI1");

        var uni = School(report, "UNI1");
        Assert.Equal("university", uni.GetProperty("kind").GetString());
        Assert.Equal(3, uni.GetProperty("pupils").GetInt32());
        var faculties = uni.GetProperty("faculties").EnumerateArray().ToDictionary(f => f.GetProperty("faculty").GetString()!);
        Assert.Equal(["医学院", "计算机学院"], faculties.Keys.Order(StringComparer.Ordinal));
        Assert.Equal((2, 1), (faculties["计算机学院"].GetProperty("pupils").GetInt32(), faculties["计算机学院"].GetProperty("insured").GetInt32()));
        Assert.Equal((1, 0), (faculties["医学院"].GetProperty("pupils").GetInt32(), faculties["医学院"].GetProperty("insured").GetInt32()));
        Assert.Equal(0.5m, faculties["计算机学院"].GetProperty("rate").GetDecimal());
        var notPaid = report.GetProperty("notPaid").EnumerateArray().ToList();
        Assert.Equal([app.Ids["u2"], app.Ids["u3"]], notPaid.Select(p => p.GetProperty("idNumber").GetString()).Order(StringComparer.Ordinal).ToList()!.Order(StringComparer.Ordinal));
        Assert.All(notPaid, p => Assert.Equal("unpaid", p.GetProperty("state").GetString()));
        Assert.Contains(notPaid, p => p.GetProperty("faculty").GetString() == "医学院" && p.GetProperty("name").GetString() == "u3");
    }

    [Fact]
    public async Task SchoolKey_SeesOnlyItsOwnSchool_WithMaskedIds()
    {
        var (status, report) = await app.Host.GetAsync("/api/reports/luyang-2023/schools", "test-school");
        var (_, own) = await app.Host.GetAsync("/api/reports/luyang-2023/schools?school=sch1", "test-school");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(["SCH1"], report.GetProperty("schools").EnumerateArray().Select(s => s.GetProperty("school").GetString()));
        var unpaid = own.GetProperty("notPaid").EnumerateArray().Select(p => p.GetProperty("idNumber").GetString()).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(new[] { Masked(app.Ids["p3"]), Masked(app.Ids["p4"]) }.Order(StringComparer.Ordinal), unpaid);
        Assert.DoesNotContain(app.Ids["p3"], own.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SchoolKey_CannotReadAnotherSchool()
    {
        var (status, problem) = await app.Host.GetAsync("/api/reports/luyang-2023/schools?school=UNI1", "test-school");

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("forbidden-school", problem.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detailZh").GetString()));
    }

    [Fact]
    public async Task UnpaidList_AsCsv_StaffSeeWholeIds()
    {
        using var client = app.Host.Client();
        var bytes = await client.GetByteArrayAsync(new Uri("api/reports/luyang-2023/schools?school=SCH1&view=unpaid&format=csv", UriKind.Relative));
        var text = Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3);
        var cells = TestFiles.AssertOpensWithoutFormulas(bytes);

        Assert.StartsWith("学校代码,院系,姓名,身份证号,状态,应缴金额,已缴金额,欠缴金额\r\n", text, StringComparison.Ordinal);
        Assert.Contains("SCH1,,p4,", text, StringComparison.Ordinal);
        Assert.Contains($"=\"{app.Ids["p4"]}\"", cells);
        Assert.Contains("未缴费", cells);
        Assert.DoesNotContain(app.Ids["p1"], text, StringComparison.Ordinal);
        Assert.Equal(3, text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task Figures_AsXlsx_HaveAFacultyRow()
    {
        using var client = app.Host.Client();
        var bytes = await client.GetByteArrayAsync(new Uri("api/reports/luyang-2023/schools?format=xlsx", UriKind.Relative));
        using var reader = Collection.Files.TabularReader.Open(new MemoryStream(bytes), "s.xlsx");
        var rows = reader.ReadRows().Select(r => r.Cells.ToArray()).ToList();

        Assert.Equal("学校代码", rows[0][0]);
        Assert.Contains(rows, r => r[0] == "SCH1" && r[1] == "学校" && r[3] == "4" && r[11] == "50.00%");
        Assert.Contains(rows, r => r[0] == "UNI1" && r[2] == "医学院" && r[3] == "1" && r[11] == "0.00%");
        Assert.Equal("合计", rows[^1][0]);
    }

    [Theory]
    [InlineData("/api/reports/luyang-2023/schools?format=pdf", HttpStatusCode.BadRequest, "unknown-format")]
    [InlineData("/api/reports/luyang-2023/schools?view=x", HttpStatusCode.BadRequest, "unknown-view")]
    [InlineData("/api/reports/luyang-2023/schools?view=unpaid&format=csv", HttpStatusCode.BadRequest, "missing-school")]
    [InlineData("/api/reports/luyang-2023/schools?school=a%2Fb", HttpStatusCode.BadRequest, "invalid-school")]
    [InlineData("/api/reports/nowhere/schools", HttpStatusCode.NotFound, "unknown-policy")]
    public async Task BadRequests_AreCodedProblems(string path, HttpStatusCode expected, string code)
    {
        var (status, problem) = await app.Host.GetAsync(path);

        Assert.Equal(expected, status);
        Assert.Equal(code, problem.GetProperty("code").GetString());
    }
}
