using System.Net.Sockets;
using System.Reflection;
using System.Text.Json;
using Collection.Domain;
using Collection.Functions.Assessments;
using Collection.Functions.Hosting;
using Collection.Functions.Ledger;
using Collection.Functions.Refunds;
using Collection.Functions.Rosters;
using Collection.Functions.Subsidies;
using Collection.Functions.Supplementary;
using Collection.Functions.Timers;
using Collection.LocalHost;
using Collection.LocalHost.Triggers;
using Collection.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Collection.Functions.Tests;

/// <summary>
/// The app as it runs: its build output started by the local host (in this process) with the real worker as a
/// child process, on a given Azurite, with the app settings a test gives. Blob triggers and timers are off
/// unless a test turns them on (<c>AzureWebJobs.{name}.Disabled</c> = false): the trigger containers have
/// fixed names, and one test's host must not ingest another test's upload. Each host has its own Durable
/// task hub, so hosts on one Azurite never run each other's orchestrations.
/// </summary>
public sealed class AppHost : IAsyncDisposable
{
    public static readonly string[] TriggeredFunctions = ["TaxReturns", "SchoolRosters", "UniversityRosters", "SubsidyLists", "LastYearRolls", "ActivateCoverage", "SupplementaryEnrolment", "MonthlyReports"];

    private readonly WebApplication _host;
    private readonly string _settingsPath;

    private AppHost(WebApplication host, string settingsPath, Uri baseAddress, IReadOnlyDictionary<string, string> settings)
    {
        _host = host;
        _settingsPath = settingsPath;
        BaseAddress = baseAddress;
        Settings = settings;
    }

    public Uri BaseAddress { get; }

    /// <summary>The local host's own services (its logger factory, with the filters host.json and the host set).</summary>
    public IServiceProvider HostServices => _host.Services;

    /// <summary>The app settings the host started with (local.settings.json "Values").</summary>
    public IReadOnlyDictionary<string, string> Settings { get; }

    /// <summary>The app's build output, of the configuration these tests were built in.</summary>
    public static string AppDirectory
    {
        get
        {
            var configuration = typeof(AppHost).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
            return Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "..", "src", "Collection.Functions", "bin", configuration, "net10.0"));
        }
    }

    public static Task<AppHost> StartAsync(AzuriteInstance azurite, IReadOnlyDictionary<string, string>? settings = null, Action<WebApplicationBuilder>? configureHost = null)
    {
        ArgumentNullException.ThrowIfNull(azurite);
        return StartAsync(azurite.ConnectionString, settings, configureHost);
    }

    /// <param name="waitForHealth">Wait until <c>/api/health</c> answers 200 (false for a test of an unhealthy app).</param>
    public static async Task<AppHost> StartAsync(string storageConnectionString, IReadOnlyDictionary<string, string>? settings = null, Action<WebApplicationBuilder>? configureHost = null, bool waitForHealth = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(storageConnectionString);
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["AzureWebJobsStorage"] = storageConnectionString,
            ["WEBSITE_TIME_ZONE"] = "Asia/Shanghai",
            ["ActivateCoverageSchedule"] = "0 5 0 * * *",
            ["SupplementaryEnrolmentSchedule"] = "0 0 2 5 * *",
            ["MonthlyReportsSchedule"] = "0 0 1 * * *",
            ["AzureFunctionsJobHost__extensions__durableTask__hubName"] = "h" + Guid.NewGuid().ToString("N")[..12],
            ["AzureFunctionsJobHost__extensions__blobs__pollingInterval"] = "00:00:00.250",
        };
        foreach (var function in TriggeredFunctions)
        {
            values[$"AzureWebJobs.{function}.Disabled"] = "true";
        }

        foreach (var (name, value) in settings ?? new Dictionary<string, string>())
        {
            values[name] = value;
        }

        var settingsPath = Path.Combine(Path.GetTempPath(), $"local.settings.{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(settingsPath, JsonSerializer.Serialize(new { IsEncrypted = false, Values = values }));
        // A free port can be taken by another process between the probe and the bind: try another one.
        var port = FreePort();
        var host = LocalHostApp.Build(new LocalHostOptions(AppDirectory, settingsPath, port), configureHost);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await host.StartAsync();
                break;
            }
            catch (IOException e) when (attempt < 5 && e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                await ((IAsyncDisposable)host).DisposeAsync();
                port = FreePort();
                host = LocalHostApp.Build(new LocalHostOptions(AppDirectory, settingsPath, port), configureHost);
            }
        }
        var appHost = new AppHost(host, settingsPath, new Uri($"http://127.0.0.1:{port}/"), values);
        if (waitForHealth)
        {
            await appHost.WaitUntilReadyAsync();
        }

        return appHost;
    }

    /// <summary>A client of the host; with <paramref name="key"/> as <c>x-functions-key</c> and <paramref name="today"/> as the request's business date.</summary>
    public HttpClient CreateClient(string? key = null, DateOnly? today = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(120) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Add("x-functions-key", key);
        }

        if (today is { } day)
        {
            client.DefaultRequestHeaders.Add(ChinaClock.HeaderName, IsoDate.Text(day));
        }

        return client;
    }

    /// <summary>
    /// The app's services composed as Program.cs composes them, on this host's settings, in the test process:
    /// for reading and arranging storage the way the app does (its ledger, its result stores).
    /// </summary>
    public ServiceProvider AppServices(TimeProvider? time = null) => Compose(Settings, time);

    public static ServiceProvider Compose(IReadOnlyDictionary<string, string> settings, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key.Replace("__", ":", StringComparison.Ordinal), s.Value)))
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        if (time is not null)
        {
            services.AddSingleton(time);
        }

        services.AddCollectionApp(configuration);
        return services.BuildServiceProvider();
    }

    /// <summary>
    /// Waits until the host's blob listener has gone quiet: no run in flight, and two whole scans finished with no run
    /// started. The second of those scans began after the last run ended, so it saw every blob as it stands and
    /// decided that none needed a run (what a test waits for before saying a blob was not processed again).
    /// </summary>
    public Task WaitUntilBlobTriggersQuietAsync()
    {
        var listener = _host.Services.GetRequiredService<BlobTriggerListener>();
        long quietSinceRuns = -1;
        long quietSinceScans = 0;
        return Eventually.TrueAsync(
            () =>
            {
                // Scans first: a run a scan starts is counted before that scan is, so a scan read as done has its runs counted.
                var scans = listener.ScansCompleted;
                var runs = listener.RunsStarted;
                if (listener.RunsInFlight > 0)
                {
                    quietSinceRuns = -1;
                    return Task.FromResult(false);
                }

                if (runs != quietSinceRuns)
                {
                    (quietSinceRuns, quietSinceScans) = (runs, scans);
                    return Task.FromResult(false);
                }

                return Task.FromResult(scans >= quietSinceScans + 2);
            },
            () => $"blob listener quiet for two scans (scans {listener.ScansCompleted}, runs started {listener.RunsStarted}, in flight {listener.RunsInFlight})");
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        await _host.DisposeAsync();
        File.Delete(_settingsPath);
    }

    private async Task WaitUntilReadyAsync()
    {
        using var client = CreateClient();
        await Eventually.TrueAsync(
            async () =>
            {
                using var response = await client.GetAsync(new Uri("api/health", UriKind.Relative));
                return response.IsSuccessStatusCode;
            },
            () => "the app to answer /api/health",
            transient: e => e is HttpRequestException);
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        return ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
    }
}

/// <summary>One app host for a whole test class (an xUnit class fixture) on the shared Azurite, with the class's settings.</summary>
public abstract class AppFixture : IAsyncLifetime
{
    public AppHost Host { get; private set; } = null!;

    protected virtual IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>();

    public async Task InitializeAsync() => Host = await AppHost.StartAsync(await AzuriteInstance.SharedAsync(), Settings);

    public async Task DisposeAsync() => await Host.DisposeAsync();
}
