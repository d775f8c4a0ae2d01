using System.Net.Http.Json;
using System.Net;
using System.Text.Json;
using Collection.Domain.Policies;
using Collection.Functions.Tests.Assessments;
using Collection.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Collection.Functions.Tests.Policies;

public sealed class PoliciesApiFixture : AppFixture;

public sealed class PoliciesApiTests(PoliciesApiFixture app) : IClassFixture<PoliciesApiFixture>
{
    [Fact]
    public async Task List_WithoutKey_ShowsTheFivePolicies()
    {
        using var client = app.Host.CreateClient();

        var body = await client.GetFromJsonAsync<JsonElement>(new Uri("/api/policies", UriKind.Relative));

        Assert.Equal(["bagongshan-2022", "baiyin-2023", "dalate-2022", "luyang-2023", "wuhai-2022"], body.EnumerateArray().Select(p => p.GetProperty("code").GetString()));
        var wuhai = body.EnumerateArray().Single(p => p.GetProperty("code").GetString() == "wuhai-2022");
        Assert.Equal("2021-10-08", wuhai.GetProperty("collection").GetProperty("start").GetString());
        Assert.Equal("2022-12-31", wuhai.GetProperty("coverage").GetProperty("end").GetString());
    }

    [Fact]
    public async Task Get_WritesChineseAsItself()
    {
        using var client = app.Host.CreateClient();

        var text = await client.GetStringAsync(new Uri("/api/policies/dalate-2022", UriKind.Relative));

        // No Chinese character escaped (U+4E00–U+9FFF as \uXXXX); HTML-sensitive ASCII such as ' may still be.
        Assert.DoesNotMatch(@"\\u[4-9][0-9A-Fa-f]{3}", text);
        Assert.Contains("达拉特旗", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_ShowsTheDocumentWithItsCitations()
    {
        using var client = app.Host.CreateClient();

        var body = await client.GetFromJsonAsync<JsonElement>(new Uri("/api/policies/dalate-2022", UriKind.Relative));

        Assert.Equal("150621", body.GetProperty("region").GetString());
        Assert.Equal(3, body.GetProperty("lateEnrolment")[1].GetProperty("waitingMonths").GetInt32());
        Assert.Contains("待遇等待期", body.GetProperty("lateEnrolment")[0].GetProperty("$comment")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_UnknownPolicy_Answers404ProblemDetails()
    {
        using var client = app.Host.CreateClient();

        var response = await client.GetAsync(new Uri("/api/policies/nowhere-2022", UriKind.Relative));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("unknown-policy", body.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Functions_ListsPoliciesAndAssessments()
    {
        // The local host's admin API, as Core Tools': open locally, listing the worker's functions.metadata.
        using var client = app.Host.CreateClient();

        var body = await client.GetFromJsonAsync<JsonElement>(new Uri("/admin/functions", UriKind.Relative));

        var names = body.EnumerateArray().Select(f => f.GetProperty("name").GetString()).ToList();
        Assert.Contains("ListPolicies", names);
        Assert.Contains("Assess", names);
    }

    [Fact]
    public async Task Startup_WithABadPolicyFile_StopsNamingFileAndField()
    {
        var directory = Directory.CreateTempSubdirectory("policies-");
        try
        {
            var good = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "policies", "wuhai-2022.json"));
            await File.WriteAllTextAsync(Path.Combine(directory.FullName, "wuhai-2022.json"), good.Replace("\"end\": \"2022-04-30\"", "\"end\": \"2022-04-31\"", StringComparison.Ordinal));
            // What the worker does when it starts (Program.cs composes these services, the host starts them).
            await using var services = AppHost.Compose(new Dictionary<string, string> { ["Policies:Directory"] = directory.FullName });
            var startup = services.GetServices<Microsoft.Extensions.Hosting.IHostedService>();

            var e = await Assert.ThrowsAsync<PolicyValidationException>(async () =>
            {
                foreach (var service in startup)
                {
                    await service.StartAsync(CancellationToken.None);
                }
            });

            Assert.Equal("wuhai-2022.json", e.File);
            Assert.Equal("collection.end", e.Field);
            Assert.Contains("wuhai-2022.json", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
