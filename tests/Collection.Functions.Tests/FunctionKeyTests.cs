using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Collection.Testing;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Collection.Functions.Tests;

public sealed class FunctionKeyTests : IAsyncLifetime
{
    private WebApplicationFactory<Program> _factory = null!;

    public async Task InitializeAsync()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        _factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b => b
            .UseSetting("AzureWebJobsStorage", azurite.ConnectionString)
            .UseSetting("Keys:admin", "test-admin")
            .UseSetting("Keys:staff", "test-staff-old, test-staff")
            .UseSetting("Keys:school:SCH9", "test-school"));
    }

    public async Task DisposeAsync() => await _factory.DisposeAsync();

    [Fact]
    public async Task AdminEndpoint_WithoutKey_Answers401ProblemDetails()
    {
        using var client = _factory.CreateClient();

        var response = await client.GetAsync(new Uri("/admin/functions", UriKind.Relative));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("missing-or-invalid-key", problem.GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("wrong")]
    [InlineData("test-admin ")]
    public async Task AdminEndpoint_WithWrongKey_Answers401(string key)
    {
        using var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Add("x-functions-key", key);

        var response = await client.GetAsync(new Uri("/admin/functions", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("test-staff")]
    [InlineData("test-staff-old")]
    [InlineData("test-school")]
    public async Task AdminEndpoint_WithOtherRole_Answers403ProblemDetails(string key)
    {
        using var client = _factory.CreateClient();
        client.DefaultRequestHeaders.Add("x-functions-key", key);

        var response = await client.GetAsync(new Uri("/admin/functions", UriKind.Relative));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("forbidden-role", problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task AdminEndpoint_WithAdminKeyInHeaderOrQuery_Answers200()
    {
        using var client = _factory.CreateClient();

        var byQuery = await client.GetAsync(new Uri("/admin/functions?code=test-admin", UriKind.Relative));
        client.DefaultRequestHeaders.Add("x-functions-key", "test-admin");
        var byHeader = await client.GetAsync(new Uri("/admin/functions", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, byQuery.StatusCode);
        Assert.Equal(HttpStatusCode.OK, byHeader.StatusCode);
    }

    [Fact]
    public async Task Health_NeedsNoKey()
    {
        using var client = _factory.CreateClient();

        var response = await client.GetAsync(new Uri("/api/health", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
