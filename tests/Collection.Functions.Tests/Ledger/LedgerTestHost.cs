using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Collection.Domain;
using Collection.Functions.Ledger;
using Collection.Testing;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Collection.Functions.Tests.Ledger;

/// <summary>A host on the shared Azurite with its own ledger tables and a fake clock (2022-04-20 10:00 in China).</summary>
public sealed class LedgerTestHost : IAsyncDisposable
{
    private LedgerTestHost(WebApplicationFactory<Program> factory, FakeTimeProvider time, string prefix)
    {
        Factory = factory;
        Time = time;
        Prefix = prefix;
    }

    public WebApplicationFactory<Program> Factory { get; }

    public FakeTimeProvider Time { get; }

    public string Prefix { get; }

    public EnrolmentLedger Ledger => Factory.Services.GetRequiredService<EnrolmentLedger>();

    public static async Task<LedgerTestHost> StartAsync(string? connectionString = null, string? prefix = null, FakeTimeProvider? time = null, Action<Microsoft.AspNetCore.Hosting.IWebHostBuilder>? configure = null)
    {
        connectionString ??= (await AzuriteInstance.SharedAsync()).ConnectionString;
        prefix ??= AzuriteInstance.UniqueName("l");
        time ??= new FakeTimeProvider(new DateTimeOffset(2022, 4, 20, 2, 0, 0, TimeSpan.Zero));
        var clock = time;
        var factory = new WebApplicationFactory<Program>().WithWebHostBuilder(b =>
        {
            b.UseSetting("AzureWebJobsStorage", connectionString)
                .UseSetting(LedgerTables.PrefixSetting, prefix)
                .UseSetting("Keys:admin", "test-admin")
                .UseSetting("Keys:staff", "test-staff")
                .UseSetting("Keys:tax", "test-tax")
                .UseSetting("Keys:school:SCH1", "test-school")
                .ConfigureServices(s => s.AddSingleton<TimeProvider>(clock));
            configure?.Invoke(b);
        });
        return new LedgerTestHost(factory, time, prefix);
    }

    public HttpClient Client(string? key = "test-staff")
    {
        var client = Factory.CreateClient();
        if (key is not null)
        {
            client.DefaultRequestHeaders.Add("x-functions-key", key);
        }

        return client;
    }

    public async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string path, object body, string? key = "test-staff")
    {
        using var client = Client(key);
        var response = await client.PostAsJsonAsync(new Uri(path, UriKind.Relative), body);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonSerializer.Deserialize<JsonElement>(text));
    }

    public async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(string path, string? key = "test-staff")
    {
        using var client = Client(key);
        var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonSerializer.Deserialize<JsonElement>(text));
    }

    public ValueTask DisposeAsync() => Factory.DisposeAsync();

    /// <summary>A valid ID number (ISO 7064 MOD 11-2 check character) from 17 digits.</summary>
    public static string Id(string first17) => first17 + ResidentId.ComputeCheckCharacter(first17);

    private static int _sequence;

    /// <summary>A fresh valid ID number born on <paramref name="birth"/> in Wuhai (150302).</summary>
    public static string NewId(string birth = "19850601", string area = "150302")
    {
        var sequence = Interlocked.Increment(ref _sequence) % 1000;
        return Id($"{area}{birth}{sequence:D3}");
    }
}
