using System.Net.Sockets;
using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Collection.LocalHost.Triggers;
using Collection.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Collection.LocalHost.Tests;

/// <summary>
/// The local host running the test app (tests/Collection.LocalHost.TestApp) on its own Azurite, in this
/// process; the worker is a real child process, as with Core Tools.
/// </summary>
public sealed class LocalHostFixture : IAsyncLifetime
{
    private static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(60);

    private WebApplication? _host;
    private string? _settingsPath;
    private bool _ownsStorage = true;

    public AzuriteInstance Azurite { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public BlobContainerClient Output => Azurite.CreateBlobServiceClient().GetBlobContainerClient("testapp-out");

    public string QueueName { get; set; } = AzuriteInstance.UniqueName("testq");

    /// <summary>Settings the host starts with; a test class may add to them before start (see <see cref="StartAsync"/>).</summary>
    public Dictionary<string, string> Values { get; } = new(StringComparer.Ordinal);

    /// <summary>What the host logged (every host this fixture started).</summary>
    public HostLog Logs { get; } = new();

    /// <summary>The clock of the host's trigger listeners (a fake one lets a test drive timers).</summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;

    /// <summary>False: storage stays down until the test starts it (<see cref="AzuriteInstance.RestartAsync"/>).</summary>
    public bool StartStorage { get; set; } = true;

    public static string TestAppDirectory
    {
        get
        {
            var configuration = typeof(LocalHostFixture).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyConfigurationAttribute), false)
                .Cast<System.Reflection.AssemblyConfigurationAttribute>().Single().Configuration;
            return Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "Collection.LocalHost.TestApp", "bin", configuration, "net10.0"));
        }
    }

    /// <summary>Runs on <paramref name="azurite"/> (another fixture's, say) instead of an Azurite of its own.</summary>
    public void UseStorage(AzuriteInstance azurite)
    {
        Azurite = azurite;
        _ownsStorage = false;
    }

    public async Task InitializeAsync()
    {
        if (_ownsStorage)
        {
            Azurite = StartStorage ? await AzuriteInstance.StartAsync() : AzuriteInstance.NotStartedOnFreePorts();
        }

        await BeforeStartAsync(Azurite);
        await StartAsync();
    }

    /// <summary>Storage set-up a test class needs before the host starts (say, a timer's missed occurrence).</summary>
    public Func<AzuriteInstance, Task> BeforeStartAsync { get; set; } = _ => Task.CompletedTask;

    /// <summary>Starts the host (again, after <see cref="StopHostAsync"/>) with <see cref="Values"/>.</summary>
    public async Task StartAsync()
    {
        Values["AzureWebJobsStorage"] = Azurite.ConnectionString;
        Values["TestQueue"] = QueueName;
        Values.TryAdd("TickSchedule", "0 0 0 1 1 *");
        Values.TryAdd("NestedContainer", "testapp-nested");
        _settingsPath = await WriteSettingsAsync(Values);
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            _host = LocalHostApp.Build(new LocalHostOptions(TestAppDirectory, _settingsPath, port), builder =>
            {
                builder.Logging.AddProvider(Logs);
                builder.Services.AddSingleton(Time);
            });
            try
            {
                await _host.StartAsync();
                Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(60) };
                return;
            }
            catch (IOException e) when (e.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException && attempt < 3)
            {
                // A free port found by probing can be taken by another host starting beside this one.
                await _host.DisposeAsync();
            }
        }
    }

    /// <summary>Stops the host and its worker; storage stays.</summary>
    public async Task StopHostAsync()
    {
        Http?.Dispose();
        if (_host is not null)
        {
            await _host.StopAsync();
            await _host.DisposeAsync();
            _host = null;
        }

        if (_settingsPath is not null)
        {
            File.Delete(_settingsPath);
            _settingsPath = null;
        }
    }

    public T Service<T>()
        where T : notnull => _host!.Services.GetRequiredService<T>();

    public async Task DisposeAsync()
    {
        await StopHostAsync();
        if (_ownsStorage)
        {
            await Azurite.DisposeAsync();
        }
    }

    /// <summary>A <c>local.settings.json</c> in the temp folder with <paramref name="values"/>; the caller deletes it.</summary>
    public static async Task<string> WriteSettingsAsync(IReadOnlyDictionary<string, string> values)
    {
        var path = Path.Combine(Path.GetTempPath(), $"local.settings.{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(new { IsEncrypted = false, Values = values }));
        return path;
    }

    /// <summary>Waits for a blob the test app writes, polling storage (the app runs in another process).</summary>
    public Task<JsonElement> WaitForOutputAsync(string name, TimeSpan? timeout = null) => WaitForOutputAsync(name, _ => true, timeout);

    /// <summary>Waits until a test-app output matches <paramref name="done"/> (an output that is rewritten, say by a later run).</summary>
    public Task<JsonElement> WaitForOutputAsync(string name, Func<JsonElement, bool> done, TimeSpan? timeout = null)
    {
        var blob = Output.GetBlobClient(name);
        return Eventually.GetAsync(
            async () => JsonDocument.Parse((await blob.DownloadContentAsync()).Value.Content.ToString()).RootElement.Clone(),
            done,
            last => $"Output {name} never reached the expected state; last: {(last.ValueKind == JsonValueKind.Undefined ? "none" : last.ToString())}",
            timeout ?? DefaultWait,
            transient: e => e is Azure.RequestFailedException { Status: 404 });
    }

    /// <summary>
    /// Every run the test app recorded of <paramref name="function"/> for one blob or message (its <c>run</c>
    /// object), oldest first; on every host of this storage.
    /// </summary>
    public async Task<List<JsonElement>> RunsAsync(string function, string name)
    {
        var runs = new List<(DateTimeOffset Created, JsonElement Run)>();
        if (!(await Output.ExistsAsync()).Value)
        {
            return [];
        }

        await foreach (var item in Output.GetBlobsAsync(BlobTraits.None, BlobStates.None, $"runs/{function}/{name}/", default))
        {
            var content = await Output.GetBlobClient(item.Name).DownloadContentAsync();
            runs.Add((item.Properties.CreatedOn ?? default, JsonDocument.Parse(content.Value.Content.ToString()).RootElement.GetProperty("run").Clone()));
        }

        return runs.OrderBy(r => r.Created).Select(r => r.Run).ToList();
    }

    /// <summary>Waits until at least <paramref name="count"/> runs are recorded, and returns them all.</summary>
    public Task<List<JsonElement>> WaitForRunsAsync(string function, string name, int count) =>
        Eventually.GetAsync(
            () => RunsAsync(function, name),
            runs => runs.Count >= count,
            runs => $"{function} ran {runs?.Count} times for {name}, not {count}.",
            DefaultWait);

    /// <summary>Lets the test app's <c>hold…</c> run of <paramref name="name"/> finish.</summary>
    public async Task ReleaseAsync(string name)
    {
        await Output.CreateIfNotExistsAsync();
        await Output.GetBlobClient($"release/{name}").UploadAsync(BinaryData.Empty, overwrite: true);
    }

    /// <summary>
    /// Waits until the blob listener has finished <paramref name="more"/> whole scans from now: every blob in the
    /// watched containers has been seen since (what a test waits for before saying a blob did not run).
    /// </summary>
    public Task WaitForBlobScansAsync(int more = 2)
    {
        var listener = Service<BlobTriggerListener>();
        var target = listener.ScansCompleted + more;
        return Eventually.TrueAsync(() => Task.FromResult(listener.ScansCompleted >= target), () => $"{more} more blob scans");
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        return ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
    }
}
