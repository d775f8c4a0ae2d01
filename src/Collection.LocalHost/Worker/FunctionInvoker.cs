using System.Diagnostics;
using Collection.LocalHost.Rpc;
using Collection.LocalHost.Settings;

namespace Collection.LocalHost.Worker;

/// <summary>What one invocation ended with: the worker's answer, or why there was none.</summary>
internal sealed record InvocationResult(InvocationResponse? Response, string? Error, bool WorkerLost = false)
{
    public bool Succeeded => Response?.Result.Status == StatusResult.Types.Status.Success;

    public string? Failure => Succeeded ? null : Error ?? Response?.Result.Exception?.Message ?? "The function failed.";
}

/// <summary>
/// Sends invocations to the worker with host.json's <c>functionTimeout</c>; a timed-out or abandoned
/// invocation is cancelled in the worker, as the Functions host does.
/// </summary>
internal sealed class FunctionInvoker(WorkerSupervisor supervisor, ScriptRoot app, IEnumerable<IInputBindingSource> inputSources)
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    /// <summary>The loaded functions, waiting for the worker while it (re)starts.</summary>
    public Task<WorkerState> WorkerAsync(CancellationToken cancellationToken) => WorkerAsync(StartTimeout, cancellationToken);

    /// <summary>The loaded functions, waiting at most <paramref name="timeout"/> (infinite for listeners).</summary>
    public async Task<WorkerState> WorkerAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        await supervisor.Ready.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);

    /// <summary>The worker that replaces <paramref name="lost"/> (waiting while the host restarts it).</summary>
    public async Task<WorkerState> NextWorkerAsync(WorkerState lost, CancellationToken cancellationToken)
    {
        var deadline = TimeProvider.System.GetUtcNow() + StartTimeout;
        while (true)
        {
            var remaining = deadline - TimeProvider.System.GetUtcNow();
            var worker = await WorkerAsync(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
            if (!ReferenceEquals(worker, lost))
            {
                return worker;
            }

            // The supervisor has not noticed the exit yet.
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Starts an invocation; <paramref name="invocationId"/> lets a caller correlate (HTTP proxying).</summary>
    public async Task<InvocationResult> InvokeAsync(
        WorkerState worker,
        HostedFunction function,
        string invocationId,
        IEnumerable<ParameterBinding> inputs,
        IEnumerable<KeyValuePair<string, TypedData>> triggerMetadata,
        CancellationToken cancellationToken,
        RetryContext? retry = null)
    {
        ArgumentNullException.ThrowIfNull(worker);
        ArgumentNullException.ThrowIfNull(function);
        // The worker reads the trace context unconditionally; W3C traceparent of this invocation.
        var trace = new RpcTraceContext { TraceParent = $"00-{ActivityTraceId.CreateRandom()}-{ActivitySpanId.CreateRandom()}-00", TraceState = string.Empty };
        var request = new InvocationRequest { InvocationId = invocationId, FunctionId = function.Id, TraceContext = trace, RetryContext = retry };
        request.InputData.Add(inputs);
        foreach (var binding in function.Bindings.Where(b => !b.IsTrigger && string.Equals(b.Direction, "in", StringComparison.OrdinalIgnoreCase)))
        {
            if (inputSources.FirstOrDefault(s => string.Equals(s.BindingType, binding.Type, StringComparison.OrdinalIgnoreCase)) is { } source)
            {
                request.InputData.Add(new ParameterBinding { Name = binding.Name, Data = await source.BindAsync(binding, cancellationToken).ConfigureAwait(false) });
            }
        }

        foreach (var (name, value) in triggerMetadata)
        {
            request.TriggerMetadata[name] = value;
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(app.FunctionTimeout);
        worker.Connection.Track(invocationId, function.Name);
        try
        {
            var answer = await worker.Connection.RequestAsync(new StreamingMessage { InvocationRequest = request }, timeout.Token).ConfigureAwait(false);
            return new InvocationResult(answer.InvocationResponse, null);
        }
        catch (OperationCanceledException)
        {
            worker.Connection.Send(new StreamingMessage { InvocationCancel = new InvocationCancel { InvocationId = invocationId } });
            return new InvocationResult(null, cancellationToken.IsCancellationRequested
                ? "The invocation was cancelled."
                : $"Function '{function.Name}' did not finish within functionTimeout {app.FunctionTimeout}.");
        }
        catch (WorkerUnavailableException e)
        {
            return new InvocationResult(null, e.Message, WorkerLost: true);
        }
        finally
        {
            worker.Connection.Untrack(invocationId);
        }
    }
}
