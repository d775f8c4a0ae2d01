using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Collection.Testing;

namespace Collection.Functions.Tests;

public class HostTests
{
    [Fact]
    public async Task Health_WithAzuriteRunning_ReportsStorageReachable()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        await using var host = await AppHost.StartAsync(azurite);
        using var client = host.CreateClient();

        var response = await client.GetAsync(new Uri("/api/health", UriKind.Relative));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("reachable", body.GetProperty("storage").GetString());
    }

    [Fact]
    public async Task Health_WithStorageUnreachable_Answers503()
    {
        await using var host = await AppHost.StartAsync(
            $"DefaultEndpointsProtocol=http;AccountName={AzuriteInstance.AccountName};AccountKey={AzuriteInstance.AccountKey};BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;QueueEndpoint=http://127.0.0.1:9/devstoreaccount1;TableEndpoint=http://127.0.0.1:9/devstoreaccount1;",
            waitForHealth: false);
        using var client = host.CreateClient();

        var response = await client.GetAsync(new Uri("/api/health", UriKind.Relative));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }
}
