using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Collection.Domain;
using Collection.Functions.Ledger;
using Collection.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Collection.Functions.Tests.Ledger;

/// <summary>
/// The app in the local host on the shared Azurite with its own ledger tables, role keys, and a business date
/// (default 2022-04-20). <see cref="Today"/> is the day requests act as of (sent as <c>X-Business-Date</c>);
/// <see cref="Ledger"/> is the app's ledger composed in the test process on the same tables, to arrange and read.
/// </summary>
public sealed class LedgerTestHost : IAsyncDisposable
{
    public static readonly DateOnly DefaultToday = new(2022, 4, 20);

    private readonly ServiceProvider _services;

    private LedgerTestHost(AppHost app, string prefix, DateOnly? today)
    {
        App = app;
        Prefix = prefix;
        Today = today;
        _services = app.AppServices();
    }

    public AppHost App { get; }

    public string Prefix { get; }

    /// <summary>The day the app acts as of in this test's requests; null when the host follows the real date.</summary>
    public DateOnly? Today { get; set; }

    /// <summary>The app's services in the test process, on this host's storage and tables.</summary>
    public IServiceProvider Services => _services;

    public EnrolmentLedger Ledger => _services.GetRequiredService<EnrolmentLedger>();

    /// <summary>
    /// Starts a host; <paramref name="settings"/> are app settings added to the defaults (keys, prefix, business date).
    /// A business date setting of "" leaves the host on the real China date.
    /// </summary>
    public static async Task<LedgerTestHost> StartAsync(
        string? connectionString = null, string? prefix = null, DateOnly? today = null, IReadOnlyDictionary<string, string>? settings = null, Action<WebApplicationBuilder>? configureHost = null)
    {
        connectionString ??= (await AzuriteInstance.SharedAsync()).ConnectionString;
        prefix ??= AzuriteInstance.UniqueName("l");
        var day = today ?? DefaultToday;
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            [LedgerTables.PrefixSetting] = prefix,
            [ChinaClock.BusinessDateSetting] = IsoDate.Text(day),
            ["Keys:admin"] = "test-admin",
            ["Keys:staff"] = "test-staff",
            ["Keys:tax"] = "test-tax",
            ["Keys:school:SCH1"] = "test-school",
        };
        foreach (var (name, value) in settings ?? new Dictionary<string, string>())
        {
            values[name] = value;
        }

        DateOnly? businessDate = day;
        if (values[ChinaClock.BusinessDateSetting].Length == 0)
        {
            values.Remove(ChinaClock.BusinessDateSetting);
            businessDate = null;
        }

        var app = await AppHost.StartAsync(connectionString, values, configureHost);
        return new LedgerTestHost(app, prefix, businessDate);
    }

    public HttpClient Client(string? key = "test-staff") => App.CreateClient(key, Today);

    public async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string path, object body, string? key = "test-staff")
    {
        using var client = Client(key);
        var response = await client.PostAsJsonAsync(new Uri(path.TrimStart('/'), UriKind.Relative), body);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonSerializer.Deserialize<JsonElement>(text));
    }

    public async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(string path, string? key = "test-staff")
    {
        using var client = Client(key);
        var response = await client.GetAsync(new Uri(path.TrimStart('/'), UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonSerializer.Deserialize<JsonElement>(text));
    }

    /// <summary>
    /// Puts a person in the identity book as a department's list of <paramref name="from"/> would (the book only, no
    /// list file: nothing is enrolled by it), so that an assessment of the person finds the identity confirmed.
    /// </summary>
    public async Task ConfirmAsync(string policy, string idNumber, Domain.Codes.SubsidyIdentity identity, Domain.Codes.Department department, DateOnly from)
    {
        var book = _services.GetRequiredService<Functions.Subsidies.SubsidyIdentityBook>();
        await book.ApplyAsync([new Functions.Subsidies.SubsidyListRow(policy, ResidentId.Parse(idNumber), identity, department,
            new Domain.Subsidies.ListEntry(from, Domain.Subsidies.ListChange.Add, "测试", null, null, $"{policy}/test/{from:yyyyMMdd}-test.csv"))]);
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await App.DisposeAsync();
    }

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
