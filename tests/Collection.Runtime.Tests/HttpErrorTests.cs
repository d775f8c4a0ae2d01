using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Collection.Runtime.Functions;
using Collection.Runtime.Hosting;
using Collection.Runtime.Tests.Support;
using Collection.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Collection.Runtime.Tests;

public class HttpErrorTests
{
    private static async Task<TestFunctionsHost> StartHostAsync()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var settings = TestFunctionsHost.FastSettings(azurite.ConnectionString);
        settings[HostJson.HttpSection + ":maxRequestBodySize"] = "1024";
        return await TestFunctionsHost.StartAsync(f => f.Http<EchoApi>("Echo", "echo"), settings);
    }

    private static async Task<(HttpStatusCode Status, string? MediaType, string? Code)> ProblemAsync(HttpResponseMessage response)
    {
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (response.StatusCode, response.Content.Headers.ContentType?.MediaType, body.GetProperty("code").GetString());
    }

    [Fact]
    public async Task MalformedJson_Answers400ProblemWithCode()
    {
        await using var host = await StartHostAsync();
        using var content = new StringContent("{\"name\": \"x\", \"count\": ", Encoding.UTF8, "application/json");

        var response = await host.Client.PostAsync(new Uri("/api/echo", UriKind.Relative), content);

        Assert.Equal((HttpStatusCode.BadRequest, "application/problem+json", "malformed-json"), await ProblemAsync(response));
    }

    [Fact]
    public async Task WrongType_SaysWhichMemberAndWhatKind_NoTypeNames_AndChinese()
    {
        await using var host = await StartHostAsync();
        using var content = new StringContent("{\"name\": \"x\", \"count\": \"three\"}", Encoding.UTF8, "application/json");

        var response = await host.Client.PostAsync(new Uri("/api/echo", UriKind.Relative), content);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith("'count' ", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("System.", body.GetRawText(), StringComparison.Ordinal);
        Assert.Equal("请求内容不是有效的 JSON", body.GetProperty("detailZh").GetString());
    }

    [Fact]
    public async Task WellFormedJson_IsEchoed()
    {
        await using var host = await StartHostAsync();

        var response = await host.Client.PostAsJsonAsync(new Uri("/api/echo", UriKind.Relative), new EchoRequest("x", 2));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task BodyOverMaxRequestBodySize_Answers413ProblemWithCode()
    {
        await using var host = await StartHostAsync();
        using var content = new StringContent(JsonSerializer.Serialize(new EchoRequest(new string('x', 2000), 1)), Encoding.UTF8, "application/json");

        var response = await host.Client.PostAsync(new Uri("/api/echo", UriKind.Relative), content);

        Assert.Equal((HttpStatusCode.RequestEntityTooLarge, "application/problem+json", "request-too-large"), await ProblemAsync(response));
    }

    [Theory]
    [InlineData("/api/no-such-route")]
    [InlineData("/nowhere")]
    public async Task UnknownRoute_Answers404ProblemWithCode(string path)
    {
        await using var host = await StartHostAsync();

        var response = await host.Client.GetAsync(new Uri(path, UriKind.Relative));

        Assert.Equal((HttpStatusCode.NotFound, "application/problem+json", "not-found"), await ProblemAsync(response));
    }

    [Fact]
    public async Task UnhandledError_Answers500ProblemWithoutInternals()
    {
        await using var host = await StartHostAsync();

        var response = await host.Client.GetAsync(new Uri("/api/echo/boom", UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal((HttpStatusCode.InternalServerError, "application/problem+json", "internal-error"), await ProblemAsync(response));
        Assert.DoesNotContain("secret detail", text, StringComparison.Ordinal);
    }

    internal sealed record EchoRequest(string Name, int Count);

    internal sealed class EchoApi : IHttpFunction
    {
        public static void Map(IEndpointRouteBuilder api)
        {
            api.MapPost("/echo", (EchoRequest body) => TypedResults.Ok(body));
            api.MapGet("/echo/boom", string () => throw new InvalidOperationException("secret detail"));
        }
    }
}
