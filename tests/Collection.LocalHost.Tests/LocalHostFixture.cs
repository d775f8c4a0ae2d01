using System.Net.Sockets;
using System.Text.Json;
using Azure.Storage.Blobs;
using Collection.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Collection.LocalHost.Tests;

/// <summary>
/// The local host running the test app (tests/Collection.LocalHost.TestApp) on its own Azurite, in this
/// process; the worker is a real child process, as with Core Tools.
/// </summary>
public sealed class LocalHostFixture : IAsyncLifetime
{
    private WebApplication? _host;
    private string? _settingsPath;

    public AzuriteInstance Azurite { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public BlobContainerClient Output => Azurite.CreateBlobServiceClient().GetBlobContainerClient("testapp-out");

    public string QueueName { get; } = AzuriteInstance.UniqueName("testq");

    /// <summary>Settings the host starts with; a test class may add to them before start (see <see cref="StartAsync"/>).</summary>
    public Dictionary<string, string> Values { get; } = new(StringComparer.Ordinal);

    public static string TestAppDirectory
    {
        get
        {
            var configuration = typeof(LocalHostFixture).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyConfigurationAttribute), false)
                .Cast<System.Reflection.AssemblyConfigurationAttribute>().Single().Configuration;
            return Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "Collection.LocalHost.TestApp", "bin", configuration, "net10.0"));
        }
    }

    public async Task InitializeAsync()
    {
        Azurite = await AzuriteInstance.StartAsync();
        await BeforeStartAsync(Azurite);
        await StartAsync();
    }

    /// <summary>Storage set-up a test class needs before the host starts (say, a timer's missed occurrence).</summary>
    public Func<AzuriteInstance, Task> BeforeStartAsync { get; set; } = _ => Task.CompletedTask;

    public async Task StartAsync()
    {
        Values["AzureWebJobsStorage"] = Azurite.ConnectionString;
        Values["TestQueue"] = QueueName;
        Values.TryAdd("TickSchedule", "0 0 0 1 1 *");
        _settingsPath = Path.Combine(Path.GetTempPath(), $"local.settings.{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(_settingsPath, JsonSerializer.Serialize(new { IsEncrypted = false, Values }));
        var port = FreePort();
        _host = LocalHostApp.Build(new LocalHostOptions(TestAppDirectory, _settingsPath, port));
        await _host.StartAsync();
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(60) };
    }

    public T Service<T>()
        where T : notnull => _host!.Services.GetRequiredService<T>();

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (_host is not null)
        {
            await _host.StopAsync();
            await _host.DisposeAsync();
        }

        if (_settingsPath is not null)
        {
            File.Delete(_settingsPath);
        }

        await Azurite.DisposeAsync();
    }

    /// <summary>Waits for a blob the test app writes, polling storage (the app runs in another process).</summary>
    public async Task<JsonElement> WaitForOutputAsync(string name, TimeSpan? timeout = null)
    {
        var blob = Output.GetBlobClient(name);
        var deadline = DateTimeOffset.UtcNow + (timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            try
            {
                var content = await blob.DownloadContentAsync();
                return JsonDocument.Parse(content.Value.Content.ToString()).RootElement.Clone();
            }
            catch (Azure.RequestFailedException e) when (e.Status == 404 && DateTimeOffset.UtcNow < deadline)
            {
                await Task.Delay(200);
            }
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        return ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
    }
}
