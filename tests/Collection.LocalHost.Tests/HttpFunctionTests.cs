using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Collection.LocalHost.Tests;

public sealed class HttpFunctionTests(LocalHostFixture host) : IClassFixture<LocalHostFixture>
{
    [Fact]
    public async Task Get_RouteValueAndQuery_ReachTheFunction()
    {
        var answer = await host.Http.GetFromJsonAsync<JsonElement>("api/hello/" + Uri.EscapeDataString("张三") + "?q=42");

        Assert.Equal("你好 张三", answer.GetProperty("greeting").GetString());
        Assert.Equal("42", answer.GetProperty("query").GetString());
    }

    [Fact]
    public async Task Post_BodyStatusAndHeaders_PassBothWays()
    {
        using var content = new StringContent("一二三 abc", Encoding.UTF8, "text/plain");
        using var response = await host.Http.PostAsync("api/echo", content);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("7", Assert.Single(response.Headers.GetValues("X-Echo-Length")));
        Assert.Equal("一二三 abc", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task FunctionThatThrows_AnswersProblem500WithCode()
    {
        using var response = await host.Http.GetAsync("api/fail");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("function-failed", problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task UnknownRouteAndWrongMethod_Answer404AsTheFunctionsHostDoes()
    {
        using var unknown = await host.Http.GetAsync("api/nowhere");
        using var wrongMethod = await host.Http.DeleteAsync("api/echo");

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, wrongMethod.StatusCode);
    }

    [Fact]
    public async Task ParallelRequests_EachGetsItsOwnAnswer()
    {
        var names = Enumerable.Range(0, 40).Select(i => $"p{i}").ToList();

        var answers = await Task.WhenAll(names.Select(n => host.Http.GetFromJsonAsync<JsonElement>($"api/hello/{n}")));

        Assert.Equal(names.Select(n => $"你好 {n}"), answers.Select(a => a.GetProperty("greeting").GetString()));
    }

    [Fact]
    public async Task AdminList_ShowsEveryFunctionWithItsTrigger()
    {
        var functions = await host.Http.GetFromJsonAsync<JsonElement>("admin/functions");

        var byName = functions.EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!, f => f);
        Assert.Equal(
            ["Approval", "Approve", "Chain", "ChainSummary", "CheckCase", "Echo", "Exit", "Fail", "GetApproval", "Greet", "Hello", "IssueCase", "IssueOnce", "OnMessage", "OnNestedUpload", "OnUpload", "StartApproval", "StartChains", "StartIssues", "Step", "Tick"],
            byName.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("orchestrationTrigger", byName["Approval"].GetProperty("trigger").GetString());
        Assert.Equal("api/hello/{name}", byName["Hello"].GetProperty("binding").GetString());
        Assert.Equal("blobTrigger", byName["OnUpload"].GetProperty("trigger").GetString());
        Assert.Equal("%TickSchedule%", byName["Tick"].GetProperty("binding").GetString());
    }
}
