using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Collection.Testing;

namespace Collection.LocalHost.Tests;

/// <summary>Orchestrations of the isolated worker run by Microsoft's Durable extension in the local host, on Azurite.</summary>
public sealed class DurableTests(LocalHostFixture host) : IClassFixture<LocalHostFixture>
{
    [Fact]
    public async Task Orchestration_RunsItsActivity_WaitsForTheEvent_AndCompletes()
    {
        var id = await StartAsync("东京");

        var waiting = await WaitForAsync(id, s => s.GetProperty("customStatus").GetString()?.Contains("waiting", StringComparison.Ordinal) == true);
        Assert.Equal("Running", waiting.GetProperty("status").GetString());
        var custom = JsonDocument.Parse(waiting.GetProperty("customStatus").GetString()!).RootElement;
        Assert.Equal("hello 东京", custom.GetProperty("greeting").GetString());

        using var approve = await host.Http.PostAsync($"api/approvals/{id}/approve", null);
        Assert.Equal(HttpStatusCode.Accepted, approve.StatusCode);

        var done = await WaitForAsync(id, s => s.GetProperty("status").GetString() == "Completed");
        Assert.Equal("hello 东京|approved:yes", JsonSerializer.Deserialize<string>(done.GetProperty("output").GetString()!));
    }

    [Fact]
    public async Task ManyOrchestrations_AtOnce_AllComplete()
    {
        var ids = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => StartAsync($"p{i}")));
        foreach (var id in ids)
        {
            await WaitForAsync(id, s => s.GetProperty("customStatus").GetString()?.Contains("waiting", StringComparison.Ordinal) == true);
        }

        await Task.WhenAll(ids.Select(async id => (await host.Http.PostAsync($"api/approvals/{id}/approve", null)).Dispose()));

        var outputs = new List<string?>();
        foreach (var (id, i) in ids.Select((id, i) => (id, i)))
        {
            var done = await WaitForAsync(id, s => s.GetProperty("status").GetString() == "Completed");
            outputs.Add(JsonSerializer.Deserialize<string>(done.GetProperty("output").GetString()!));
        }

        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"hello p{i}|approved:yes"), outputs);
    }

    private async Task<string> StartAsync(string who)
    {
        using var response = await host.Http.PostAsync("api/approvals/" + Uri.EscapeDataString(who), null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }

    private Task<JsonElement> WaitForAsync(string id, Func<JsonElement, bool> condition) =>
        Eventually.GetAsync(
            () => host.Http.GetFromJsonAsync<JsonElement>($"api/approvals/{id}"),
            status => status.GetProperty("customStatus").ValueKind == JsonValueKind.String && condition(status),
            status => $"Orchestration {id} never reached the expected state; last: {status}");
}
