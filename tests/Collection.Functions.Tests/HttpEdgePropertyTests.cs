using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Collection.Functions.Tests.Ledger;
using CsCheck;

namespace Collection.Functions.Tests;

public sealed class HttpEdgeFixture : IAsyncLifetime
{
    public LedgerTestHost Host { get; private set; } = null!;

    public async Task InitializeAsync() => Host = await LedgerTestHost.StartAsync(today: new DateOnly(2022, 10, 10));

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>
/// Properties of the HTTP edge over a real host: the JSON endpoints' valid bodies with members dropped,
/// retyped, stretched, nested, duplicated or replaced by junk, and the list queries with junk parameters. No
/// answer is a 5xx; every refusal is problem details with a code, the English detail and the Chinese one.
/// </summary>
public sealed class HttpEdgePropertyTests(HttpEdgeFixture app) : IClassFixture<HttpEdgeFixture>
{
    private const int Requests = 250;

    private static readonly (string Path, string Body)[] ValidBodies =
    [
        ("api/assessments", """{"policy":"luyang-2023","idNumber":"340103201303010216","population":"student","identities":["低保对象"],"date":"2022-10-10"}"""),
        ("api/enrolments", """{"policy":"luyang-2023","idNumber":"340103198501010014","name":"王芳","phone":"13800000000","address":"庐阳区","town":"杏花村街道","source":"window","date":"2022-10-10"}"""),
        ("api/payments", """{"policy":"luyang-2023","idNumber":"340103198501010014","amount":380,"paidOn":"2022-10-11","channel":"cash","transactionId":"T-1","inTreasury":false}"""),
        ("api/refunds", """{"policy":"luyang-2023","idNumber":"340103198501010014","reason":"duplicate-payment","note":"重复缴费","applicant":{"name":"王芳","relation":"本人","phone":"13800000000"}}"""),
    ];

    /// <summary>Any JSON value, including the ones a .NET binder trips on: huge numbers, deep nesting, long and odd strings.</summary>
    private static readonly Gen<JsonNode?> AnyValue = Gen.OneOf(
        Gen.Bool.Select(_ => (JsonNode?)null),
        Gen.Bool.Select(b => (JsonNode?)JsonValue.Create(b)),
        Gen.Int.Select(i => (JsonNode?)JsonValue.Create(i)),
        Gen.Decimal.Select(d => (JsonNode?)JsonValue.Create(d)),
        Gen.Double.Select(d => (JsonNode?)(double.IsFinite(d) ? JsonValue.Create(d) : JsonValue.Create(0))),
        Gen.String.Select(s => (JsonNode?)JsonValue.Create(s)),
        Gen.Char.Array[0, 3000].Select(c => (JsonNode?)JsonValue.Create(new string(c))),
        Gen.OneOf("", " ", "0001-01-01", "9999-12-31", "2022-02-30", "340103198501010014", "=1+1", "\u0000", "\n\r", "特困人员", "1e400", "-1", "NaN")
            .Select(s => (JsonNode?)JsonValue.Create(s)),
        Gen.Int[1, 300].Select(depth =>
        {
            JsonNode node = new JsonArray();
            for (var i = 0; i < depth; i++)
            {
                node = new JsonObject { ["x"] = node };
            }

            return (JsonNode?)node;
        }),
        Gen.String.Array[0, 20].Select(items => (JsonNode?)new JsonArray([.. items.Select(s => (JsonNode?)JsonValue.Create(s))])));

    /// <summary>A valid body with some members dropped, replaced by any value, or new members added.</summary>
    private static readonly Gen<(string Path, string Body)> MutatedBody =
        Gen.Select(Gen.Int[0, ValidBodies.Length - 1], Gen.Select(Gen.Int[0, 2], Gen.Int[0, 20], AnyValue).Array[1, 4], (which, edits) =>
        {
            var (path, body) = ValidBodies[which];
            var json = JsonNode.Parse(body)!.AsObject();
            foreach (var (kind, at, value) in edits)
            {
                var names = json.Select(p => p.Key).ToList();
                var name = names.Count == 0 ? "extra" : names[at % names.Count];
                switch (kind)
                {
                    case 0: json.Remove(name); break;
                    case 1: json[name] = value?.DeepClone(); break;
                    default: json["m" + at] = value?.DeepClone(); break;
                }
            }

            return (path, json.ToJsonString());
        });

    /// <summary>Bodies that are not an object of members: raw junk, a member twice, arrays, truncated JSON, non-UTF-8.</summary>
    private static readonly Gen<(string Path, string Body)> BrokenBody =
        Gen.Select(Gen.Int[0, ValidBodies.Length - 1], Gen.Int[0, 4], Gen.String, Gen.Double[0, 1], (which, kind, junk, cut) =>
        {
            var (path, body) = ValidBodies[which];
            return (path, kind switch
            {
                0 => junk,
                1 => body.Insert(1, "\"policy\":\"wuhai-2022\","),
                2 => "[" + body + "]",
                3 => body[..(int)(cut * body.Length)],
                _ => body.Replace("\"", "'", StringComparison.Ordinal),
            });
        });

    private static readonly string[] ListPaths =
    [
        "api/enrolments?policy={0}", "api/enrolments?policy=luyang-2023&status={0}", "api/enrolments?policy=luyang-2023&top={0}",
        "api/enrolments?policy=luyang-2023&continuationToken={0}", "api/refunds?stage={0}", "api/refunds?overdue={0}", "api/refunds?top={0}",
        "api/reports/reconciliation?policy={0}", "api/reports/subsidy-settlements?policy={0}", "api/policies/{0}", "api/enrolments/luyang-2023/{0}",
        "api/refunds/{0}", "api/jobs/{0}/runs", "api/people/{0}/identities",
        "api/people/{0}/insurance-facts", "api/refunds/{0}/payments", "api/schools/{0}/enrolments", "api/reports/subsidy-list-totals?policy={0}",
        "api/remittances/{0}/held", "api/remittances/luyang-2023/held?date={0}", "api/remittances/luyang-2023/held?collector={0}",
        "api/remittances/luyang-2023/collected?collector={0}", "api/remittances/luyang-2023/collected?collector=window&from={0}",
        "api/remittances/luyang-2023/collected?collector=window&format={0}", "api/reports/{0}/progress", "api/reports/luyang-2023/progress?date={0}",
        "api/reports/luyang-2023/progress?format={0}", "api/reports/baiyin-2023/fiscal-shares?format={0}", "api/reports/luyang-2023/monthly/{0}",
        "api/reports/luyang-2023/monthly/2022-10?unit={0}", "api/reports/bagongshan-2022/reminders?town={0}&format=csv", "api/reports/bagongshan-2022/reminders?format={0}",
        "api/reports/bagongshan-2022/publicity?date={0}", "api/reports/{0}/targets",
        "api/reports/{0}/since-last-year", "api/reports/wuhai-2022/since-last-year?unit={0}", "api/reports/wuhai-2022/since-last-year?format={0}", "api/reports/wuhai-2022/since-last-year?format=csv&view={0}",
        "api/reports/{0}/assessments-due", "api/reports/wuhai-2022/assessments-due?unit={0}", "api/reports/wuhai-2022/assessments-due?date={0}",
        "api/reports/{0}/duties", "api/reports/baiyin-2023/duties?date={0}", "api/last-year/{0}/roll", "api/last-year/wuhai-2022/roll/{0}",
        "api/last-year/wuhai-2022/details?collector={0}", "api/last-year/bagongshan-2022/details?format={0}",
        "api/reports/luyang-2023/schools?school={0}", "api/reports/luyang-2023/schools?view={0}&format=csv", "api/reports/bagongshan-2022/special-ledger?group={0}",
        "api/reports/bagongshan-2022/special-ledger?unit={0}", "api/reports/{0}/assessment-scores", "api/reports/luyang-2023/assessment-scores?date={0}",
        "api/reports/{0}/mobilisation", "api/reports/luyang-2023/mobilisation?month={0}", "api/reports/luyang-2023/mobilisation?town={0}&format=csv",
        "api/reports/luyang-2023/mobilisation?format={0}",
    ];

    [Fact]
    public async Task MutatedJsonBodies_NeverAnswer5xx_AndEveryRefusalIsACodedProblemInChinese() =>
        await MutatedBody.SampleAsync(async request => await AnswersWithoutServerErrorAsync(request.Path, request.Body), iter: Requests, threads: 1);

    [Fact]
    public async Task BrokenJsonBodies_NeverAnswer5xx_AndEveryRefusalIsACodedProblemInChinese() =>
        await BrokenBody.SampleAsync(async request => await AnswersWithoutServerErrorAsync(request.Path, request.Body), iter: Requests, threads: 1);

    [Fact]
    public async Task JunkQueryAndRouteValues_NeverAnswer5xx_AndEveryRefusalIsACodedProblemInChinese()
    {
        var junk = Gen.OneOf(Gen.String, Gen.OneOf("", "-1", "0", "999999999999", "true", "%", "%ZZ", "..", "a/b", "x%00y", "特困", new string('9', 500)));
        await Gen.Select(Gen.Int[0, ListPaths.Length - 1], junk).SampleAsync(async (which, value) =>
        {
            var path = string.Format(System.Globalization.CultureInfo.InvariantCulture, ListPaths[which], Uri.EscapeDataString(value));
            using var client = app.Host.Client("test-admin");
            using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
            await AssertAnswerAsync(response, path);
        }, iter: Requests, threads: 1);
    }

    [Theory]
    [InlineData("GET", "api/no-such-thing")]
    [InlineData("GET", "api/")]
    [InlineData("POST", "api/enrolments/luyang-2023/340103198501010014/extra")]
    public async Task UnknownAddress_Is404ProblemWithCodeAndChinese(string method, string path)
    {
        using var client = app.Host.Client(key: null);
        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative));
        using var response = await client.SendAsync(request);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("not-found", problem.GetProperty("code").GetString());
        Assert.Equal("地址不存在", problem.GetProperty("detailZh").GetString());
    }

    [Fact]
    public async Task Answers_WriteChineseAsItself_NotAsEscapes()
    {
        var id = LedgerTestHost.NewId();
        var (created, _) = await app.Host.PostAsync("/api/enrolments", new { policy = "wuhai-2022", idNumber = id, name = "王芳", town = "海勃湾区", date = "2021-12-01" });
        using var client = app.Host.Client();

        var enrolment = await client.GetStringAsync(new Uri($"api/enrolments/wuhai-2022/{id}", UriKind.Relative));
        using var refused = await client.GetAsync(new Uri("api/enrolments/no-such-policy/" + id, UriKind.Relative));
        var problem = await refused.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Created, created);
        Assert.Contains("\"王芳\"", enrolment, StringComparison.Ordinal);
        Assert.Contains("海勃湾区", enrolment, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"\\u[4-9][0-9A-Fa-f]{3}", enrolment + problem);
        Assert.Matches(@"[\u4e00-\u9fff]", problem);
    }

    private async Task AnswersWithoutServerErrorAsync(string path, string body)
    {
        using var client = app.Host.Client("test-admin");
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await client.PostAsync(new Uri(path, UriKind.Relative), content);
        await AssertAnswerAsync(response, $"{path} {body[..Math.Min(body.Length, 300)]}");
    }

    private static async Task AssertAnswerAsync(HttpResponseMessage response, string what)
    {
        var status = (int)response.StatusCode;
        Assert.True(status < 500, $"{status} for {what}");
        if (status < 400)
        {
            return;
        }

        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("code").GetString()), what);
        Assert.Contains(problem.GetProperty("detailZh").GetString() ?? "", c => c is >= '\u4e00' and <= '\u9fff');
        Assert.True(response.StatusCode != HttpStatusCode.OK);
    }
}
