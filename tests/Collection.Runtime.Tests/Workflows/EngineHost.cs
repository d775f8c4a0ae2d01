using Azure.Data.Tables;
using Azure.Storage.Queues;
using Collection.Runtime.Functions;
using Collection.Runtime.Workflows;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Collection.Runtime.Tests.Workflows;

/// <summary>One workflow host (engine, client and, optionally, its background workers) on a test's hub.</summary>
internal sealed class EngineHost : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly List<IHostedService> _workers;

    private EngineHost(ServiceProvider services, List<IHostedService> workers)
    {
        _services = services;
        _workers = workers;
    }

    public IWorkflowClient Client => _services.GetRequiredService<IWorkflowClient>();

    public WorkflowEngine Engine => _services.GetRequiredService<WorkflowEngine>();

    public EffectLog Log => _services.GetRequiredService<EffectLog>();

    public static async Task<EngineHost> StartAsync(
        string connectionString, string hub, TimeProvider? time = null, EffectLog? log = null,
        Action<WorkflowOptions>? configure = null, bool runWorkers = true, Action<FunctionCatalog>? register = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton(time ?? TimeProvider.System);
        services.AddSingleton(new TableServiceClient(connectionString));
        services.AddSingleton(new QueueServiceClient(connectionString));
        services.AddSingleton(log ?? new EffectLog());
        services.AddFunctionCatalog(register ?? TestWorkflows.Register);
        services.Configure<WorkflowOptions>(o =>
        {
            o.HubName = hub;
            o.MaxPollInterval = TimeSpan.FromMilliseconds(100);
            o.MinPollInterval = TimeSpan.FromMilliseconds(20);
            o.TimerPollInterval = TimeSpan.FromMilliseconds(100);
            o.OutboxSweepInterval = TimeSpan.FromMilliseconds(500);
            configure?.Invoke(o);
        });
        var provider = services.BuildServiceProvider();
        var workers = runWorkers ? provider.GetServices<IHostedService>().ToList() : [];
        foreach (var worker in workers)
        {
            await worker.StartAsync(CancellationToken.None);
        }

        await provider.GetRequiredService<WorkflowEngine>().Store.EnsureCreatedAsync();
        return new EngineHost(provider, workers);
    }

    /// <summary>Waits (real time) until the instance reaches <paramref name="status"/>.</summary>
    public async Task<WorkflowStatus> WaitForAsync(string instanceId, WorkflowRuntimeStatus status, TimeSpan? timeout = null, bool showHistory = false)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        WorkflowStatus? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await Client.GetStatusAsync(instanceId, showHistory);
            if (last?.RuntimeStatus == status)
            {
                return last;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"Instance {instanceId} is {last?.RuntimeStatus.ToString() ?? "missing"}, not {status}, after {timeout ?? TimeSpan.FromSeconds(30)}; output {last?.Output}.");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var worker in _workers)
        {
            await worker.StopAsync(CancellationToken.None);
        }

        await _services.DisposeAsync();
    }
}
