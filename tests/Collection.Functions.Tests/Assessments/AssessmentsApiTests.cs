using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Collection.Testing;

namespace Collection.Functions.Tests.Assessments;

/// <summary>The app on 2022-09-25 (a business date): the China day, whatever the machine's.</summary>
public sealed class AssessmentsApiFixture : AppFixture
{
    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        [ChinaClock.BusinessDateSetting] = "2022-09-25",
        ["Keys:admin"] = "test-admin",
        ["Keys:staff"] = "test-staff",
        ["Keys:school:SCH1"] = "test-school",
    };
}

public sealed class AssessmentsApiTests(AssessmentsApiFixture app) : IClassFixture<AssessmentsApiFixture>
{
    private HttpClient Client(string? key = "test-staff")
    {
        return app.Host.CreateClient(key);
    }

    private async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(object body, string? key = "test-staff")
    {
        using var client = Client(key);
        var response = await client.PostAsJsonAsync(new Uri("/api/assessments", UriKind.Relative), body);
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    public static TheoryData<string, string> IssueExamples => new()
    {
        { """{"policy":"wuhai-2022","birthDate":"1985-06-01","population":"resident","date":"2021-12-01"}""", "460/0/none/460/0/460/2022-01-01/2022-12-31" },
        { """{"policy":"wuhai-2022","birthDate":"2006-03-01","date":"2021-12-01"}""", "340/0/none/340/0/340/2022-01-01/2022-12-31" },
        { """{"policy":"wuhai-2022","birthDate":"1960-01-01","identities":["extreme-poverty"],"date":"2021-12-01"}""", "460/460/waived/0/0/0/2022-01-01/2022-12-31" },
        { """{"policy":"bagongshan-2022","birthDate":"1970-01-01","identities":["脱贫人口"],"date":"2021-10-01"}""", "320/288/deducted/32/0/32/2022-01-01/2022-12-31" },
        { """{"policy":"dalate-2022","birthDate":"1980-01-01","identities":["ethnic-minority"],"localHukou":true,"date":"2021-10-01"}""", "360/150/rebate/360/150/210/2022-01-01/2022-12-31" },
        { """{"policy":"dalate-2022","birthDate":"1980-01-01","date":"2022-04-10"}""", "360/0/none/360/0/360/2022-07-10/2022-12-31" },
        { """{"policy":"baiyin-2023","birthDate":"1975-01-01","identities":["minimum-living-allowance"],"allowanceClass":"rural-3","date":"2022-09-01"}""", "350/190/deducted/160/0/160/2023-01-01/2023-12-31" },
        { """{"policy":"luyang-2023","birthDate":"1966-01-01","identities":["返贫致贫人口"],"date":"2022-10-01"}""", "350/280/deducted/70/0/70/2023-01-01/2023-12-31" },
        { """{"policy":"luyang-2023","birthDate":"2004-05-05","population":"university-student","paymentMode":"unified","date":"2022-09-25"}""", "350/0/none/350/0/350/2022-09-25/2023-12-31" },
    };

    [Theory]
    [MemberData(nameof(IssueExamples))]
    public async Task Post_IssueExample_AnswersAmountsAndCoverage(string request, string expected)
    {
        var (status, body) = await PostAsync(JsonSerializer.Deserialize<JsonElement>(request));

        Assert.True(status == HttpStatusCode.OK, body.ToString());
        Assert.True(body.GetProperty("eligible").GetBoolean());
        Assert.Empty(body.GetProperty("reasons").EnumerateArray());
        var actual = string.Join('/',
            body.GetProperty("standardContribution").GetDecimal(), body.GetProperty("subsidy").GetDecimal(), body.GetProperty("subsidyMode").GetString(),
            body.GetProperty("payable").GetDecimal(), body.GetProperty("rebate").GetDecimal(), body.GetProperty("netCost").GetDecimal(),
            body.GetProperty("coverageStart").GetString(), body.GetProperty("coverageEnd").GetString());
        Assert.Equal(expected, actual);
    }

    [Fact]
    public async Task Post_CollectionClosed_AnswersNotEligibleWithReason()
    {
        var (status, body) = await PostAsync(new { policy = "bagongshan-2022", birthDate = "1970-01-01", date = "2022-01-20" });

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.False(body.GetProperty("eligible").GetBoolean());
        Assert.Equal(["collection-closed"], body.GetProperty("reasons").EnumerateArray().Select(r => r.GetString()));
        Assert.Equal(JsonValueKind.Null, body.GetProperty("coverageStart").ValueKind);
    }

    [Fact]
    public async Task Post_MissingAllowanceClass_Answers422NamingTheField()
    {
        var (status, body) = await PostAsync(new { policy = "baiyin-2023", birthDate = "1975-01-01", identities = new[] { "低保对象" }, date = "2022-09-01" });

        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal("missing-allowance-class", body.GetProperty("code").GetString());
        Assert.Equal("allowanceClass", body.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Post_ExtremePovertyAndAllowanceWithoutClass_IsWaivedNot422()
    {
        // baiyin-2023 三“按照就高不重复原则实行参保资助”: the 低保 class cannot beat 特困's full subsidy.
        var (status, body) = await PostAsync(new { policy = "baiyin-2023", birthDate = "1975-01-01", identities = new[] { "低保对象", "特困人员" }, date = "2022-09-01" });

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("waived", body.GetProperty("subsidyMode").GetString());
        Assert.Equal("extreme-poverty", body.GetProperty("subsidyIdentity").GetString());
        Assert.Equal(0m, body.GetProperty("payable").GetDecimal());
    }

    [Fact]
    public async Task Post_WithoutDate_UsesTodayInChina()
    {
        // Now is 2022-09-25 in China: a WeChat payment by a university student is covered from today.
        var (status, body) = await PostAsync(new { policy = "luyang-2023", birthDate = "2004-05-05", population = "大学生", paymentMode = "wechat" });

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("2022-09-25", body.GetProperty("coverageStart").GetString());
    }

    [Fact]
    public async Task Post_IdNumber_GivesTheBirthDate()
    {
        var (status, body) = await PostAsync(new { policy = "wuhai-2022", idNumber = "150302200603011234", date = "2021-12-01" });

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(340m, body.GetProperty("payable").GetDecimal());
    }

    public static TheoryData<string, string> BadRequests => new()
    {
        { """{"policy":"wuhai-2022","idNumber":"150302200603011235","date":"2021-12-01"}""", "invalid-id-number" },
        { """{"policy":"wuhai-2022","idNumber":"150302202203151237","date":"2021-12-01"}""", "invalid-id-number" },
        { """{"policy":"nowhere-2022","birthDate":"1980-01-01"}""", "unknown-policy" },
        { """{"birthDate":"1980-01-01"}""", "unknown-policy" },
        { """{"policy":"wuhai-2022","birthDate":"1980-01-01","identities":["rich"]}""", "unknown-identity" },
        { """{"policy":"wuhai-2022","birthDate":"1980-01-01","population":"adult"}""", "unknown-population" },
        { """{"policy":"wuhai-2022","birthDate":"1980-01-01","allowanceClass":"rural-9"}""", "unknown-allowance-class" },
        { """{"policy":"wuhai-2022","birthDate":"1980-01-01","paymentMode":"cheque"}""", "unknown-payment-mode" },
        { """{"policy":"wuhai-2022","birthDate":"01/02/1980"}""", "invalid-date" },
        { """{"policy":"wuhai-2022","birthDate":"1980-01-01","date":"2021-11-31"}""", "invalid-date" },
        { """{"policy":"wuhai-2022","idNumber":"150302200603011234","birthDate":"2006-03-02","date":"2021-12-01"}""", "birth-date-mismatch" },
        { """{"policy":"wuhai-2022","birthDate":"1980-01-01","localHukou":"yes"}""", "malformed-request" },
        { """{"policy":"wuhai-2022","birthDate":"1980-01-01","identity":"orphan"}""", "malformed-request" },
        { """[1,2]""", "malformed-request" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Post_MalformedInput_Answers400WithCode(string request, string code)
    {
        using var client = Client();
        using var content = new StringContent(request, System.Text.Encoding.UTF8, "application/json");
        var response = await client.PostAsync(new Uri("/api/assessments", UriKind.Relative), content);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(code, body.GetProperty("code").GetString());
    }

    public static TheoryData<string, string, string> MisleadingBefore => new()
    {
        { """{"policy":"wuhai-2022","idNumber":"150302198506010117","date":"0001-01-01"}""", "invalid-date", "date" },
        { """{"policy":"wuhai-2022","birthDate":"1980-01-01","date":"2099-01-01"}""", "invalid-date", "date" },
        { """{"policy":"wuhai-2022","policy":"dalate-2022","birthDate":"1980-01-01"}""", "malformed-request", "policy" },
        { """{"policy":"wuhai-2022","birthDate":"1980-01-01","localHukou":"yes"}""", "malformed-request", "localHukou" },
        { """{"policy":"wuhai-2022","birthDate":"1980-01-01","identities":"孤儿"}""", "malformed-request", "identities" },
    };

    [Theory]
    [MemberData(nameof(MisleadingBefore))]
    public async Task Post_BadInput_ItsOwnCodeAndFieldInEnglishAndChinese_NoTypeNames(string request, string code, string field)
    {
        using var client = Client();
        using var content = new StringContent(request, System.Text.Encoding.UTF8, "application/json");
        var response = await client.PostAsync(new Uri("/api/assessments", UriKind.Relative), content);
        var text = await response.Content.ReadAsStringAsync();
        var body = JsonSerializer.Deserialize<JsonElement>(text);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal((code, field), (body.GetProperty("code").GetString(), body.GetProperty("field").GetString()));
        Assert.Contains(field, body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Matches(@"\p{IsCJKUnifiedIdeographs}", body.GetProperty("detailZh").GetString());
        Assert.DoesNotContain("System.", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Nullable", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Post_InvalidIdNumber_DoesNotEchoTheNumber()
    {
        using var client = Client();
        var response = await client.PostAsJsonAsync(new Uri("/api/assessments", UriKind.Relative), new { policy = "wuhai-2022", idNumber = "150302200603011235" });
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.DoesNotContain("150302200603011235", text, StringComparison.Ordinal);
        Assert.Contains("wrong-check-digit", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    [InlineData("test-school", HttpStatusCode.Forbidden)]
    [InlineData("test-admin", HttpStatusCode.OK)]
    [InlineData("test-staff", HttpStatusCode.OK)]
    public async Task Post_NeedsStaffOrAdminKey(string? key, HttpStatusCode expected)
    {
        var (status, _) = await PostAsync(new { policy = "wuhai-2022", birthDate = "1980-01-01", date = "2021-12-01" }, key);
        Assert.Equal(expected, status);
    }
}
