using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace Collection.LocalHost.Durable;

/// <summary>
/// What the emitted shims call (public: a dynamic assembly sees only public members of this one). Each local
/// host in a process has its own number, baked into its shims, so that hosts side by side (tests run several)
/// each reach their own worker.
/// </summary>
[SuppressMessage("Performance", "CA1515", Justification = "Called from the emitted shim assembly, which can reach public members only.")]
public static class DurableShimTarget
{
    private static readonly ConcurrentDictionary<int, TaskCompletionSource<DurableWorkerBridge>> Bridges = new();
    private static int _lastHost;

    public static async Task<string> OrchestratorAsync(int host, string function, string request) =>
        await (await BridgeAsync(host).ConfigureAwait(false)).RunOrchestratorAsync(function, request).ConfigureAwait(false);

    public static async Task<object> ActivityAsync(int host, string function, string input) =>
        await (await BridgeAsync(host).ConfigureAwait(false)).RunActivityAsync(function, input).ConfigureAwait(false);

    public static void ClientProbe(int host, string client) => Source(host).Task.Result.SetClient(client);

    internal static int NewHost() => Interlocked.Increment(ref _lastHost);

    internal static void Register(int host, DurableWorkerBridge bridge) => Source(host).TrySetResult(bridge);

    internal static void Unregister(int host) => Bridges.TryRemove(host, out _);

    // Work can reach a shim before the host has registered its bridge (the extension starts first): it waits.
    private static Task<DurableWorkerBridge> BridgeAsync(int host) => Source(host).Task;

    private static TaskCompletionSource<DurableWorkerBridge> Source(int host) =>
        Bridges.GetOrAdd(host, _ => new TaskCompletionSource<DurableWorkerBridge>(TaskCreationOptions.RunContinuationsAsynchronously));
}
