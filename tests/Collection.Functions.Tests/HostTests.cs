using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Collection.Testing;
using Microsoft.Extensions.DependencyInjection;

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
        // The health function itself on a storage account that does not answer (the Functions host does not
        // start without its own storage, so this is the function, not a host, with storage away).
        var unreachable = new Azure.Storage.Blobs.BlobServiceClient(
            $"DefaultEndpointsProtocol=http;AccountName={AzuriteInstance.AccountName};AccountKey={AzuriteInstance.AccountKey};BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;");
        await using var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider();
        var http = new Microsoft.AspNetCore.Http.DefaultHttpContext { RequestServices = services };
        http.Response.Body = new MemoryStream();
        var health = new Collection.Functions.Hosting.HealthFunction(unreachable, [], services);

        var result = await health.Run(http.Request, CancellationToken.None);
        await result.ExecuteAsync(http);

        Assert.Equal(Microsoft.AspNetCore.Http.StatusCodes.Status503ServiceUnavailable, http.Response.StatusCode);
    }
}
