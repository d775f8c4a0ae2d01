using System.Collections.Concurrent;
using Collection.Runtime.Functions;
using Collection.Runtime.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Collection.Runtime.Tests.Support;

/// <summary>
/// A Functions host as the app builds it (WebApplication + AddFunctionsHost + MapFunctionsHost) on an
/// in-memory test server, with test-only functions, short polling intervals and captured logs.
/// </summary>
internal sealed class TestFunctionsHost : IAsyncDisposable
{
    public const string AdminKey = "test-admin-key";

    private readonly Lazy<HttpClient> _client;

    private TestFunctionsHost(WebApplication app, LogSink logs)
    {
        App = app;
        Logs = logs;
        _client = new Lazy<HttpClient>(() =>
        {
            var client = app.GetTestClient();
            client.DefaultRequestHeaders.Add("x-functions-key", AdminKey);
            return client;
        });
    }

    public WebApplication App { get; }

    public LogSink Logs { get; }

    /// <summary>Sends the admin key on every request.</summary>
    public HttpClient Client => _client.Value;

    private bool _started;

    /// <summary>Starts the host; a host that failed to start is only disposed, not stopped.</summary>
    public async Task StartAsync()
    {
        await App.StartAsync();
        _started = true;
    }

    public T Service<T>()
        where T : notnull => App.Services.GetRequiredService<T>();

    /// <summary>Settings every test host gets unless a test overrides them: fast polling, short leases.</summary>
    public static Dictionary<string, string?> FastSettings(string connectionString) => new()
    {
        ["AzureWebJobsStorage"] = connectionString,
        ["Keys:admin"] = AdminKey,
        ["Keys:staff"] = "test-staff-key",
        [HostJson.BlobsSection + ":pollingInterval"] = "00:00:00.100",
        [HostJson.QueuesSection + ":minPollingInterval"] = "00:00:00.050",
        [HostJson.QueuesSection + ":maxPollingInterval"] = "00:00:00.200",
        [HostJson.QueuesSection + ":visibilityTimeout"] = "00:00:10",
        [HostJson.Section + ":extensions:timers:leaseRetryInterval"] = "00:00:00.100",
    };

    public static async Task<TestFunctionsHost> StartAsync(
        Action<FunctionCatalog> register,
        IDictionary<string, string?> settings,
        Action<IServiceCollection>? services = null,
        string? hostJson = null,
        TimeProvider? time = null)
    {
        var host = Build(register, settings, services, hostJson, time);
        await host.StartAsync();
        return host;
    }

    public static TestFunctionsHost Build(
        Action<FunctionCatalog> register,
        IDictionary<string, string?> settings,
        Action<IServiceCollection>? services = null,
        string? hostJson = null,
        TimeProvider? time = null)
    {
        var contentRoot = Directory.CreateTempSubdirectory("functions-host-").FullName;
        if (hostJson is not null)
        {
            File.WriteAllText(Path.Combine(contentRoot, HostJson.FileName), hostJson);
        }

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ContentRootPath = contentRoot,
            EnvironmentName = "Testing",
            ApplicationName = typeof(TestFunctionsHost).Assembly.GetName().Name,
        });
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection(settings);
        var logs = new LogSink();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(logs);
        builder.AddFunctionsHost(register);
        if (time is not null)
        {
            builder.Services.Replace(ServiceDescriptor.Singleton(time));
        }

        services?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapFunctionsHost();
        return new TestFunctionsHost(app, logs);
    }

    public async ValueTask DisposeAsync()
    {
        if (_client.IsValueCreated)
        {
            _client.Value.Dispose();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            if (_started)
            {
                await App.StopAsync(timeout.Token);
            }
        }
        finally
        {
            await App.DisposeAsync();
        }
    }
}

/// <summary>Captures log lines so tests can assert what an operator would read.</summary>
internal sealed class LogSink : ILoggerProvider
{
    private readonly ConcurrentQueue<(LogLevel Level, string Category, string Message)> _lines = new();

    public IReadOnlyList<(LogLevel Level, string Category, string Message)> Lines => [.. _lines];

    public bool Contains(LogLevel level, string text) =>
        _lines.Any(l => l.Level == level && l.Message.Contains(text, StringComparison.Ordinal));

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogSink sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            sink._lines.Enqueue((logLevel, category, formatter(state, exception)));
    }
}

/// <summary>What test functions saw, shared by every host of one test; tests wait on it rather than sleep.</summary>
internal sealed class RunLog
{
    private readonly ConcurrentQueue<object> _runs = new();

    /// <summary>What a run does after being recorded (throw to fail it, delay to run long).</summary>
    public Func<object, CancellationToken, Task> Behaviour { get; set; } = (_, _) => Task.CompletedTask;

    public IReadOnlyList<T> Runs<T>() => [.. _runs.OfType<T>()];

    public Task RecordAsync(object trigger, CancellationToken cancellationToken)
    {
        _runs.Enqueue(trigger);
        return Behaviour(trigger, cancellationToken);
    }

    public Task WaitForAsync<T>(Func<IReadOnlyList<T>, bool> condition, int seconds = 20) =>
        Eventually.TrueAsync(() => condition(Runs<T>()), $"runs of {typeof(T).Name}", seconds);
}

internal static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> until it holds; fails the test after <paramref name="seconds"/>.</summary>
    public static async Task TrueAsync(Func<bool> condition, string what, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out after {seconds} s waiting for {what}.");
            await Task.Delay(25);
        }
    }

    public static async Task TrueAsync(Func<Task<bool>> condition, string what, int seconds = 20)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out after {seconds} s waiting for {what}.");
            await Task.Delay(50);
        }
    }
}

internal sealed class BlobRecorder(RunLog log) : IBlobFunction
{
    public Task RunAsync(BlobTrigger blob, CancellationToken cancellationToken) => log.RecordAsync(blob, cancellationToken);
}

internal sealed class QueueRecorder(RunLog log) : IQueueFunction
{
    public Task RunAsync(QueueTrigger message, CancellationToken cancellationToken) => log.RecordAsync(message, cancellationToken);
}

internal sealed class TimerRecorder(RunLog log) : ITimerFunction
{
    public Task RunAsync(TimerTrigger timer, CancellationToken cancellationToken) => log.RecordAsync(timer, cancellationToken);
}

internal static class TestClientExtensions
{
    /// <summary>A client that sends no function key.</summary>
    public static HttpClient GetTestClientWithoutKey(this Microsoft.AspNetCore.Builder.WebApplication app) =>
        Microsoft.AspNetCore.TestHost.HostBuilderTestServerExtensions.GetTestClient(app);
}
