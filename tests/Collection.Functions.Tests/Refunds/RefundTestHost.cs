using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Collection.Functions.Refunds;
using Collection.Testing;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Collection.Functions.Tests.Refunds;

/// <summary>A host on Azurite with its own workflow hub and refund tables, role keys, fast polling and a fake clock.</summary>
public sealed class RefundTestHost : IAsyncDisposable
{
    private RefundTestHost(WebApplicationFactory<Program> factory, FakeTimeProvider time)
    {
        Factory = factory;
        Time = time;
    }

    public WebApplicationFactory<Program> Factory { get; }

    public FakeTimeProvider Time { get; }

    public static async Task<RefundTestHost> StartAsync(Action<IServiceCollection>? services = null, string? connectionString = null, string? hub = null, string? prefix = null, FakeTimeProvider? time = null)
    {
        connectionString ??= (await AzuriteInstance.SharedAsync()).ConnectionString;
        hub ??= AzuriteInstance.UniqueName("rf");
        prefix ??= AzuriteInstance.UniqueName("rt");

        // 2021-12-01 09:00 in China: inside bagongshan-2022's collection period.
        var clock = time ?? new FakeTimeProvider(new DateTimeOffset(2021, 12, 1, 1, 0, 0, TimeSpan.Zero));
        var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b => b
            .UseSetting("AzureWebJobsStorage", connectionString)
            .UseSetting("Workflows:HubName", hub)
            .UseSetting("Workflows:MaxPollInterval", "00:00:00.100")
            .UseSetting("Workflows:MinPollInterval", "00:00:00.020")
            .UseSetting("Workflows:TimerPollInterval", "00:00:00.100")
            .UseSetting("Workflows:OutboxSweepInterval", "00:00:00.500")
            .UseSetting(RefundTables.PrefixSetting, prefix)
            .UseSetting("Ledger:TablePrefix", prefix)
            .UseSetting("Keys:admin", "test-admin")
            .UseSetting("Keys:staff", "test-staff")
            .UseSetting("Keys:tax", "test-tax")
            .UseSetting("Keys:community", "test-community")
            .UseSetting("Keys:approver", "test-approver")
            .ConfigureServices(s =>
            {
                s.AddSingleton<TimeProvider>(clock);
                services?.Invoke(s);
            }));
        _ = factory.Server;
        return new RefundTestHost(factory, clock);
    }

    public HttpClient Client(string key = "test-staff")
    {
        var client = Factory.CreateClient();
        client.DefaultRequestHeaders.Add("x-functions-key", key);
        return client;
    }

    public async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string path, object? body, string key = "test-staff")
    {
        using var client = Client(key);
        var response = await client.PostAsJsonAsync(new Uri(path, UriKind.Relative), body);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonSerializer.Deserialize<JsonElement>(text));
    }

    public async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(string path, string key = "test-staff")
    {
        using var client = Client(key);
        var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonSerializer.Deserialize<JsonElement>(text));
    }

    /// <summary>Opens a case and answers its id (asserting the 202 durable shape).</summary>
    public async Task<string> OpenAsync(object body, string key = "test-staff")
    {
        var (status, answer) = await PostAsync("/api/refunds", body, key);
        Assert.True(status == HttpStatusCode.Accepted, $"{status}: {answer}");
        Assert.Contains("/instances/", answer.GetProperty("statusQueryGetUri").GetString(), StringComparison.Ordinal);
        return answer.GetProperty("id").GetString()!;
    }

    /// <summary>Polls (real time) until the case satisfies <paramref name="done"/>; answers the case body.</summary>
    public async Task<JsonElement> WaitForAsync(string id, Func<JsonElement, bool> done, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        JsonElement last = default;
        while (DateTime.UtcNow < deadline)
        {
            var (status, body) = await GetAsync($"/api/refunds/{id}");
            if (status == HttpStatusCode.OK)
            {
                last = body;
                if (done(body))
                {
                    return body;
                }
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"Case {id} did not get there: {last}");
    }

    public Task<JsonElement> WaitForStageAsync(string id, string stage) =>
        WaitForAsync(id, b => b.GetProperty("case").GetProperty("stage").GetString() == stage);

    public ValueTask DisposeAsync() => Factory.DisposeAsync();
}
