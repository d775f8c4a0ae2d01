using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Collection.Testing;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Collection.Functions.Tests;

public class HostTests
{
    [Fact]
    public async Task Health_WithAzuriteRunning_ReportsStorageReachable()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        await using var factory = new WebApplicationFactory<Program>()
            .WithWebHostBuilder(b => b.UseSetting("AzureWebJobsStorage", azurite.ConnectionString));
        using var client = factory.CreateClient();

        var response = await client.GetAsync(new Uri("/api/health", UriKind.Relative));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("reachable", body.GetProperty("storage").GetString());
    }

    [Fact]
    public async Task Health_WithStorageUnreachable_Answers503()
    {
        await using var factory = new WebApplicationFactory<Program>()
            .WithWebHostBuilder(b => b.UseSetting(
                "AzureWebJobsStorage",
                $"DefaultEndpointsProtocol=http;AccountName={AzuriteInstance.AccountName};AccountKey={AzuriteInstance.AccountKey};BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;"));
        using var client = factory.CreateClient();

        var response = await client.GetAsync(new Uri("/api/health", UriKind.Relative));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }
}
