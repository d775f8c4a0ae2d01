using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Collection.Runtime.Functions;
using Collection.Runtime.Hosting;
using Collection.Runtime.Tests.Support;
using Collection.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Collection.Runtime.Tests;

public class HostConfigurationTests
{
    private const string CustomHostJson = """
        {
          "version": "2.0",
          "functionTimeout": "00:02:00",
          "logging": { "logLevel": { "default": "Warning", "Collection.Runtime": "Debug" } },
          "extensions": {
            "queues": { "maxDequeueCount": 3, "batchSize": 8, "maxPollingInterval": "00:00:04", "visibilityTimeout": "00:00:45" },
            "blobs": { "maxDequeueCount": 2, "pollingInterval": "00:00:03" },
            "http": { "routePrefix": "custom", "maxRequestBodySize": 2048 }
          }
        }
        """;

    private static Dictionary<string, string?> MinimalSettings(AzuriteInstance azurite) => new()
    {
        ["AzureWebJobsStorage"] = azurite.ConnectionString,
        ["Keys:admin"] = TestFunctionsHost.AdminKey,
    };

    [Fact]
    public async Task HostJson_InContentRoot_BindsEveryOptionAndLogLevels()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        await using var host = await TestFunctionsHost.StartAsync(_ => { }, MinimalSettings(azurite), hostJson: CustomHostJson);

        var queues = host.Service<IOptions<QueueTriggerOptions>>().Value;
        var blobs = host.Service<IOptions<BlobTriggerOptions>>().Value;
        var http = host.Service<IOptions<HttpHostOptions>>().Value;
        var configuration = host.Service<IConfiguration>();
        var health = await host.Client.GetAsync(new Uri("/custom/health", UriKind.Relative));

        Assert.Equal(TimeSpan.FromMinutes(2), host.Service<IOptions<FunctionHostOptions>>().Value.FunctionTimeout);
        Assert.Equal((3, 8, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(45)), (queues.MaxDequeueCount, queues.BatchSize, queues.MaxPollingInterval, queues.VisibilityTimeout));
        Assert.Equal((2, TimeSpan.FromSeconds(3)), (blobs.MaxDequeueCount, blobs.PollingInterval));
        Assert.Equal(("custom", 2048L), (http.RoutePrefix, http.MaxRequestBodySize));
        Assert.Equal("Warning", configuration["Logging:LogLevel:Default"]);
        Assert.Equal("Debug", configuration["Logging:LogLevel:Collection.Runtime"]);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task RepositoryHostJson_StartsAHostWithItsValues()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Collection.Functions.sln")))
        {
            directory = directory.Parent;
        }

        Assert.NotNull(directory);
        var hostJson = await File.ReadAllTextAsync(Path.Combine(directory.FullName, HostJson.FileName));
        await using var host = await TestFunctionsHost.StartAsync(_ => { }, MinimalSettings(azurite), hostJson: hostJson);

        Assert.Equal(5, host.Service<IOptions<BlobTriggerOptions>>().Value.MaxDequeueCount);
        Assert.Equal(5, host.Service<IOptions<QueueTriggerOptions>>().Value.MaxDequeueCount);
        Assert.Equal("api", host.Service<IOptions<HttpHostOptions>>().Value.RoutePrefix);
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync(new Uri("/api/health", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task HostJson_Absent_UsesFunctionsDefaults()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        await using var host = await TestFunctionsHost.StartAsync(_ => { }, MinimalSettings(azurite));

        var queues = host.Service<IOptions<QueueTriggerOptions>>().Value;
        var blobs = host.Service<IOptions<BlobTriggerOptions>>().Value;

        Assert.Equal(5, queues.MaxDequeueCount);
        Assert.Equal(TimeSpan.FromMinutes(1), queues.MaxPollingInterval);
        Assert.Equal(5, blobs.MaxDequeueCount);
        Assert.True(blobs.PollingInterval <= TimeSpan.FromSeconds(10));
        Assert.Equal(100L * 1024 * 1024, host.Service<IOptions<HttpHostOptions>>().Value.MaxRequestBodySize);
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync(new Uri("/api/health", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task HostJson_BlobPollingOverTenSeconds_StopsStartUp()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var host = TestFunctionsHost.Build(_ => { }, MinimalSettings(azurite), hostJson: """{ "extensions": { "blobs": { "pollingInterval": "00:00:30" } } }""");
        await using (host)
        {
            var error = await Assert.ThrowsAsync<OptionsValidationException>(host.StartAsync);
            Assert.Contains("at most 10 s", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Placeholders_InBlobPathQueueNameAndSchedule_ResolveFromConfiguration()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var container = AzuriteInstance.UniqueName("placed");
        var queueName = AzuriteInstance.UniqueName("placedq");
        var (blobFn, queueFn, timerFn) = (AzuriteInstance.UniqueName("b"), AzuriteInstance.UniqueName("q"), AzuriteInstance.UniqueName("t"));
        var settings = TestFunctionsHost.FastSettings(azurite.ConnectionString);
        settings["RosterContainer"] = container;
        settings["WorkQueue"] = queueName;
        settings["Schedules:Daily"] = "0 30 2 * * *";
        var log = new RunLog();
        await using var host = await TestFunctionsHost.StartAsync(
            f => f.Blob<BlobRecorder>(blobFn, "%RosterContainer%/{name}").Queue<QueueRecorder>(queueFn, "%WorkQueue%").Timer<TimerRecorder>(timerFn, "%Schedules:Daily%"),
            settings,
            s => s.AddSingleton(log),
            time: new FakeTimeProvider(new DateTimeOffset(2026, 9, 4, 12, 0, 0, TimeSpan.Zero)));

        var blobs = azurite.CreateBlobServiceClient().GetBlobContainerClient(container);
        await Eventually.TrueAsync(async () => (await blobs.ExistsAsync()).Value, "the resolved container");
        await blobs.UploadBlobAsync("a.csv", BinaryData.FromString("x"));
        var queue = azurite.CreateQueueServiceClient().GetQueueClient(queueName);
        await Eventually.TrueAsync(async () => (await queue.ExistsAsync()).Value, "the resolved queue");
        await queue.SendMessageAsync("hello");
        await log.WaitForAsync<BlobTrigger>(runs => runs.Count == 1);
        await log.WaitForAsync<QueueTrigger>(runs => runs.Count == 1);
        var next = await host.Service<Timers.TimerTriggerListener>().WaitUntilScheduledAsync(timerFn, cancellationToken: new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token);
        var list = await host.Client.GetFromJsonAsync<JsonElement[]>(new Uri("/admin/functions", UriKind.Relative)) ?? [];

        Assert.Equal(new DateTimeOffset(2026, 9, 4, 18, 30, 0, TimeSpan.Zero), next);
        var resolved = list.ToDictionary(f => f.GetProperty("name").GetString()!, f => f.GetProperty("resolvedBinding").GetString());
        Assert.Equal($"{container}/{{name}}", resolved[blobFn]);
        Assert.Equal(queueName, resolved[queueFn]);
        Assert.Equal("0 30 2 * * *", resolved[timerFn]);
        var timerStatus = list.Single(f => f.GetProperty("name").GetString() == timerFn).GetProperty("status");
        Assert.Equal(next, timerStatus.GetProperty("nextRun").GetDateTimeOffset());
        Assert.Equal(0, list.Single(f => f.GetProperty("name").GetString() == blobFn).GetProperty("status").GetProperty("poisonCount").GetInt32());
    }

    [Fact]
    public async Task Placeholder_UnknownSetting_StopsStartUpNamingFunctionAndSetting()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var host = TestFunctionsHost.Build(f => f.Queue<QueueRecorder>("PaymentsIn", "%PaymentsQueue%"), TestFunctionsHost.FastSettings(azurite.ConnectionString));
        await using (host)
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(host.StartAsync);
            Assert.Contains("'PaymentsIn'", error.Message, StringComparison.Ordinal);
            Assert.Contains("'PaymentsQueue'", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Schedule_FiveFields_StopsStartUpNamingFunction()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var host = TestFunctionsHost.Build(f => f.Timer<TimerRecorder>("Nightly", "0 1 * * *"), TestFunctionsHost.FastSettings(azurite.ConnectionString));
        await using (host)
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(host.StartAsync);
            Assert.Contains("'Nightly'", error.Message, StringComparison.Ordinal);
            Assert.Contains("six fields", error.Message, StringComparison.Ordinal);
        }
    }
}
