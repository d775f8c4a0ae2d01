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
        // Storage goes away under a running app (the Functions host itself does not start without its storage).
        var azurite = await AzuriteInstance.StartAsync();
        var host = await AppHost.StartAsync(azurite);
        using var client = host.CreateClient();
        var (blob, queue, table) = (azurite.BlobPort, azurite.QueuePort, azurite.TablePort);
        await azurite.DisposeAsync();

        var response = await client.GetAsync(new Uri("/api/health", UriKind.Relative));

        // Storage back on the same ports, so the host (and its Durable extension) can stop cleanly.
        await using (await AzuriteInstance.StartAsync(blob, queue, table))
        {
            await host.DisposeAsync();
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
    }
}
