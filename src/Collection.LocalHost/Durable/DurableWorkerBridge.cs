using System.Text.Json;
using Collection.LocalHost.Rpc;
using Collection.LocalHost.Worker;
using Newtonsoft.Json.Linq;

namespace Collection.LocalHost.Durable;

/// <summary>
/// Runs the Durable extension's orchestrator and activity executions in the worker. In the isolated
/// model the extension hands an orchestrator the encoded history (base64 <c>OrchestratorRequest</c>) and
/// expects the encoded actions back; an activity gets its input JSON and returns its output. A worker lost
/// mid-call (crash, restart) is waited for and the call made again: replays are deterministic and activities
/// are at-least-once by contract.
/// </summary>
internal sealed partial class DurableWorkerBridge(FunctionInvoker invoker, DurableClientInput client, ILogger<DurableWorkerBridge> logger)
{
    private const int TriesWhenWorkerLost = 5;

    public async Task<string> RunOrchestratorAsync(string function, string request)
    {
        var response = await RunAsync(function, new TypedData { String = request }).ConfigureAwait(false);
        return response.ReturnValue?.DataCase switch
        {
            TypedData.DataOneofCase.Json => JsonSerializer.Deserialize<string>(response.ReturnValue.Json) ?? string.Empty,
            TypedData.DataOneofCase.String => response.ReturnValue.String,
            _ => throw new InvalidOperationException($"Orchestrator '{function}' returned no encoded response."),
        };
    }

    public async Task<object> RunActivityAsync(string function, string input)
    {
        var response = await RunAsync(function, new TypedData { String = input }).ConfigureAwait(false);
        // The extension serialises what we return: JSON from the worker goes back as the same JSON.
        return response.ReturnValue?.DataCase switch
        {
            TypedData.DataOneofCase.Json => JToken.Parse(response.ReturnValue.Json),
            TypedData.DataOneofCase.String => response.ReturnValue.String,
            _ => JValue.CreateNull(),
        };
    }

    public void SetClient(string json) => client.Set(json);

    private async Task<InvocationResponse> RunAsync(string function, TypedData input)
    {
        for (var attempt = 1; ; attempt++)
        {
            var worker = await invoker.WorkerAsync(Timeout.InfiniteTimeSpan, CancellationToken.None).ConfigureAwait(false);
            var hosted = worker.Find(function) ?? throw new InvalidOperationException($"The worker has no function '{function}'.");
            var result = await invoker.InvokeAsync(
                worker,
                hosted,
                Guid.NewGuid().ToString(),
                [new ParameterBinding { Name = hosted.Trigger.Name, Data = input }],
                [],
                CancellationToken.None).ConfigureAwait(false);
            if (result.Succeeded)
            {
                return result.Response!;
            }

            if (result.WorkerLost && attempt < TriesWhenWorkerLost)
            {
                LogWorkerLost(function, attempt);
                continue;
            }

            throw new DurableFunctionFailedException($"Function '{function}' failed: {result.Failure}");
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Durable function {Function}: the worker went away during try {Attempt}; trying again when it is back")]
    private partial void LogWorkerLost(string function, int attempt);
}

/// <summary>
/// The <c>[DurableClient]</c> input isolated functions receive: the task hub's client description (hub
/// name, the extension's local gRPC address…), the same for every call, read once from the extension.
/// </summary>
internal sealed class DurableClientInput : IInputBindingSource
{
    private readonly TaskCompletionSource<string> _json = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string BindingType => "durableClient";

    public void Set(string json) => _json.TrySetResult(json);

    public async Task<TypedData> BindAsync(FunctionBinding binding, CancellationToken cancellationToken) =>
        new() { String = await _json.Task.WaitAsync(TimeSpan.FromSeconds(90), cancellationToken).ConfigureAwait(false) };
}

/// <summary>An orchestrator or activity the worker ran and failed.</summary>
internal sealed class DurableFunctionFailedException : Exception
{
    public DurableFunctionFailedException(string message) : base(message) { }

    public DurableFunctionFailedException() { }

    public DurableFunctionFailedException(string message, Exception inner) : base(message, inner) { }
}
