using System.Diagnostics.CodeAnalysis;

namespace Collection.LocalHost.Durable;

/// <summary>What the emitted shims call (public: a dynamic assembly sees only public members of this one).</summary>
[SuppressMessage("Performance", "CA1515", Justification = "Called from the emitted shim assembly, which can reach public members only.")]
public static class DurableShimTarget
{
    private static DurableWorkerBridge? _bridge;

    internal static DurableWorkerBridge Bridge
    {
        get => Volatile.Read(ref _bridge) ?? throw new InvalidOperationException("The Durable bridge is not set up.");
        set => Volatile.Write(ref _bridge, value);
    }

    public static Task<string> OrchestratorAsync(string function, string request) => Bridge.RunOrchestratorAsync(function, request);

    public static Task<object> ActivityAsync(string function, string input) => Bridge.RunActivityAsync(function, input);

    public static void ClientProbe(string client) => Bridge.SetClient(client);
}
