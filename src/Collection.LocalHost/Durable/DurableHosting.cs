using System.Text.Json.Nodes;
using Collection.LocalHost.Settings;
using Collection.LocalHost.Worker;
using Microsoft.Azure.WebJobs;
using Microsoft.Azure.WebJobs.Extensions.DurableTask;
using Microsoft.Azure.WebJobs.Host.Config;

namespace Collection.LocalHost.Durable;

/// <summary>
/// Durable Functions in the local host, as in the Functions host: Microsoft's Durable extension (the Durable
/// Task Framework on the app's storage account) in a WebJobs host, in isolated mode, with one forwarding
/// WebJobs function per orchestrator and activity of the app.
/// </summary>
internal static partial class DurableHosting
{
    public const string DefaultHubName = "TestHubName";

    public static void AddDurable(WebApplicationBuilder builder, ScriptRoot app, int httpPort)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(app);
        var functions = app.Functions
            .SelectMany(f => f.Bindings.Where(b => b.IsTrigger).Select(b => (f.Name, TriggerType: b.Type)))
            .Where(f => f.TriggerType is "orchestrationTrigger" or "activityTrigger")
            .ToList();
        var usesClient = app.Functions.Any(f => f.Bindings.Any(b => string.Equals(b.Type, "durableClient", StringComparison.OrdinalIgnoreCase)));
        if (functions.Count == 0 && !usesClient)
        {
            return;
        }

        // The extension reads these the way the Functions host provides them: the worker runtime selects
        // the isolated (passthrough) protocol; the storage connection comes from configuration.
        // A development host is never on a Consumption plan; the extension takes CONTAINER_NAME (set in some
        // containers) to mean Linux Consumption and then writes its whole event stream to the console.
        builder.Configuration.AddInMemoryCollection(app.Values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value)));
        builder.Configuration.AddInMemoryCollection([
            KeyValuePair.Create("FUNCTIONS_WORKER_RUNTIME", (string?)"dotnet-isolated"),
            KeyValuePair.Create("CONTAINER_NAME", (string?)string.Empty),
        ]);

        var host = DurableShimTarget.NewHost();
        var shims = DurableShims.Emit(host, functions);
        var settings = app.HostJson["extensions"]?["durableTask"] as JsonObject;
        builder.Host.ConfigureWebJobs(webJobs => webJobs.AddDurableTask(options => Configure(options, settings)));
        // As the Functions host: a listener that cannot start (storage not there yet) is logged and retried in
        // the background instead of failing the whole host.
        builder.Services.Configure<JobHostOptions>(options => options.AllowPartialHostStartup = true);
        StartJobHostInBackground(builder.Services);
        builder.Services.AddSingleton<ITypeLocator>(new ShimTypeLocator(shims));
#pragma warning disable CS0618 // see LocalWebHooks
        builder.Services.AddSingleton<IWebHookProvider>(new LocalWebHooks(new Uri($"http://127.0.0.1:{httpPort}/runtime/webhooks/")));
#pragma warning restore CS0618
        builder.Services.AddSingleton<DurableClientInput>();
        builder.Services.AddSingleton<IInputBindingSource>(s => s.GetRequiredService<DurableClientInput>());
        builder.Services.AddSingleton<DurableWorkerBridge>();
        builder.Services.AddHostedService(s => new DurableClientProbe(host, s.GetRequiredService<IJobHost>(), s.GetRequiredService<BackgroundStart>(), s.GetRequiredService<DurableWorkerBridge>(),
            s.GetRequiredService<IHostApplicationLifetime>(), s.GetRequiredService<ILogger<DurableClientProbe>>()));
    }

    private static void Configure(DurableTaskOptions options, JsonObject? settings)
    {
        options.HubName = settings?["hubName"]?.ToString() is { Length: > 0 } hub ? hub : DefaultHubName;
        if (settings?["storageProvider"] is JsonObject provider)
        {
            foreach (var (name, value) in provider)
            {
                // From host.json or an app-setting override (always a string there).
                var text = value?.ToString() ?? string.Empty;
                options.StorageProvider[name] = bool.TryParse(text, out var flag) ? flag
                    : long.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var number) ? number
                    : text;
            }
        }

        if (bool.TryParse(settings?["extendedSessionsEnabled"]?.ToString(), out var extended))
        {
            options.ExtendedSessionsEnabled = extended;
        }

        if (int.TryParse(settings?["maxConcurrentActivityFunctions"]?.ToString(), System.Globalization.CultureInfo.InvariantCulture, out var activities))
        {
            options.MaxConcurrentActivityFunctions = activities;
        }

        if (int.TryParse(settings?["maxConcurrentOrchestratorFunctions"]?.ToString(), System.Globalization.CultureInfo.InvariantCulture, out var orchestrators))
        {
            options.MaxConcurrentOrchestratorFunctions = orchestrators;
        }
    }

    /// <summary>
    /// The WebJobs host (the Durable extension's listeners) starts beside the rest of the local host, not before
    /// it: while storage is unreachable each Durable listener spends its storage client's retries (about 25 s)
    /// failing to start, one after the other, and HTTP, the worker and the trigger listeners would wait minutes.
    /// </summary>
    private static void StartJobHostInBackground(IServiceCollection services)
    {
        var jobHostService = services.LastOrDefault(d => d.ServiceType == typeof(IHostedService) && d.ImplementationType?.FullName == "Microsoft.Azure.WebJobs.Hosting.JobHostService")
            ?? throw new InvalidOperationException("The WebJobs host's hosted service was not found (has Microsoft.Azure.WebJobs changed?).");
        services.Remove(jobHostService);
        services.AddSingleton(s => new BackgroundStart(
            (IHostedService)ActivatorUtilities.CreateInstance(s, jobHostService.ImplementationType!),
            s.GetRequiredService<IHostApplicationLifetime>(),
            s.GetRequiredService<ILogger<BackgroundStart>>()));
        services.AddHostedService(s => s.GetRequiredService<BackgroundStart>());
    }

    private sealed partial class BackgroundStart(IHostedService inner, IHostApplicationLifetime lifetime, ILogger<BackgroundStart> logger) : IHostedService, IDisposable
    {
        private readonly CancellationTokenSource _stopping = new();
        private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private Task _starting = Task.CompletedTask;

        /// <summary>Completes once the WebJobs host runs (its listeners started, or retrying in the background).</summary>
        public Task Started => _started.Task;

        public Task StartAsync(CancellationToken cancellationToken)
        {
            _starting = Task.Run(StartInnerAsync, CancellationToken.None);
            return Task.CompletedTask;
        }

        public async Task StopAsync(CancellationToken cancellationToken)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
            await _starting.WaitAsync(cancellationToken).ConfigureAwait(false);
            await inner.StopAsync(cancellationToken).ConfigureAwait(false);
        }

        public void Dispose() => _stopping.Dispose();

        private async Task StartInnerAsync()
        {
            try
            {
                await inner.StartAsync(_stopping.Token).ConfigureAwait(false);
                _started.TrySetResult();
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                // Stopped while starting.
                _started.TrySetCanceled();
            }
            catch (Exception e)
            {
                // What used to fail the host's start still stops it.
                _started.TrySetException(e);
                LogStartFailed(e, e.Message);
                lifetime.StopApplication();
            }
        }

        [LoggerMessage(Level = LogLevel.Critical, Message = "The WebJobs host (Durable) could not start; stopping: {Error}")]
        private partial void LogStartFailed(Exception exception, string error);
    }

    /// <summary>The WebJobs host indexes only the emitted shims, not this assembly.</summary>
    private sealed class ShimTypeLocator(Type shims) : ITypeLocator
    {
        public IReadOnlyList<Type> GetTypes() => [shims];
    }

    /// <summary>The extension asks where its HTTP webhooks are (it builds management links from it); without
    /// one it cannot bind <c>[DurableClient]</c>. The Functions host registers the same (marked not public API).</summary>
#pragma warning disable CS0618
    private sealed class LocalWebHooks(Uri root) : IWebHookProvider
    {
        public Uri GetUrl(IExtensionConfigProvider extension) => new(root, "durabletask");
    }
#pragma warning restore CS0618

    /// <summary>
    /// Reads the client description once the WebJobs host runs, so isolated functions can bind <c>[DurableClient]</c>;
    /// until then such functions wait (their task hub may not exist before the Durable listeners started).
    /// </summary>
    private sealed partial class DurableClientProbe(int host, IJobHost jobs, BackgroundStart jobHost, DurableWorkerBridge bridge, IHostApplicationLifetime lifetime, ILogger<DurableClientProbe> logger) : BackgroundService
    {
        public override async Task StopAsync(CancellationToken cancellationToken)
        {
            await base.StopAsync(cancellationToken).ConfigureAwait(false);
            DurableShimTarget.Unregister(host);
        }

        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            DurableShimTarget.Register(host, bridge);
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
            {
                await started.Task.WaitAsync(stoppingToken).ConfigureAwait(false);
            }

            await jobHost.Started.WaitAsync(stoppingToken).ConfigureAwait(false);
            await jobs.CallAsync(DurableShims.ClientProbeName, cancellationToken: stoppingToken).ConfigureAwait(false);
            LogReady();
        }

        [LoggerMessage(Level = LogLevel.Information, Message = "Durable extension ready (client binding available)")]
        private partial void LogReady();
    }
}
