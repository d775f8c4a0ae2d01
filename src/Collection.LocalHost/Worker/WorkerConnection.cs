using System.Collections.Concurrent;
using System.Threading.Channels;
using Collection.LocalHost.Rpc;
using Grpc.Core;

namespace Collection.LocalHost.Worker;

/// <summary>
/// One worker's event stream: requests go out on a channel, responses come back with the request's
/// <c>RequestId</c> (the worker echoes it) and complete the waiting call. Logs from the worker go to the
/// host's logger under the function's name.
/// </summary>
internal sealed partial class WorkerConnection : IDisposable
{
    private readonly Channel<StreamingMessage> _outbound = Channel.CreateUnbounded<StreamingMessage>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, TaskCompletionSource<StreamingMessage>> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _invocationFunctions = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _closedToken = new();
    private readonly Lock _closing = new();
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;

    public WorkerConnection(string workerId, ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(loggers);
        WorkerId = workerId;
        _loggers = loggers;
        _logger = loggers.CreateLogger("Host.Worker");
        ClosedToken = _closedToken.Token;
    }

    public string WorkerId { get; }

    /// <summary>Completes when the worker's stream ends (the worker exited or the host is stopping).</summary>
    public Task Closed => _closed.Task;

    /// <summary>Cancelled when the worker's stream ends: work meant for this worker stops waiting on it.</summary>
    /// <remarks>Taken once, so that it stays readable after <see cref="Dispose"/>.</remarks>
    public CancellationToken ClosedToken { get; }

    /// <summary>Sends a request and waits for the worker's answer to it.</summary>
    public async Task<StreamingMessage> RequestAsync(StreamingMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.RequestId = Guid.NewGuid().ToString("N");
        var answer = new TaskCompletionSource<StreamingMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[request.RequestId] = answer;
        try
        {
            if (Closed.IsCompleted || !_outbound.Writer.TryWrite(request))
            {
                throw new WorkerUnavailableException("The worker is not connected.");
            }

            return await answer.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _pending.TryRemove(request.RequestId, out _);
        }
    }

    /// <summary>Sends a message that has no answer (cancel, terminate).</summary>
    public void Send(StreamingMessage message) => _outbound.Writer.TryWrite(message);

    /// <summary>Names an invocation's function, so the worker's logs for it carry the function's name.</summary>
    public void Track(string invocationId, string functionName) => _invocationFunctions[invocationId] = functionName;

    public void Untrack(string invocationId) => _invocationFunctions.TryRemove(invocationId, out _);

    /// <summary>Runs the stream until either side ends it.</summary>
    internal async Task RunAsync(IAsyncStreamReader<StreamingMessage> fromWorker, IServerStreamWriter<StreamingMessage> toWorker, CancellationToken cancellationToken)
    {
        var writing = WriteAsync(toWorker, cancellationToken);
        try
        {
            while (await fromWorker.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                Receive(fromWorker.Current);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or Grpc.Core.RpcException)
        {
            LogStreamEnded(e.Message);
        }
        finally
        {
            Abort();
            await writing.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Ends everything meant for this worker: its stream closed, or its process exited (noticed before the
    /// stream's end, so that nothing sent to it waits, nor reaches a successor on a reused port).
    /// </summary>
    public void Abort()
    {
        _outbound.Writer.TryComplete();
        foreach (var waiting in _pending.Values)
        {
            waiting.TrySetException(new WorkerUnavailableException("The worker's connection closed."));
        }

        // Under the lock: a supervisor's Abort racing the stream's end cancels before Dispose frees the source.
        lock (_closing)
        {
            if (_closed.TrySetResult())
            {
                _closedToken.Cancel();
            }
        }
    }

    /// <summary>Ends the connection (if the stream has not) and frees its token's source; the token stays cancelled.</summary>
    public void Dispose()
    {
        Abort();
        lock (_closing)
        {
            _closedToken.Dispose();
        }
    }

    private async Task WriteAsync(IServerStreamWriter<StreamingMessage> toWorker, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var message in _outbound.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                await toWorker.WriteAsync(message, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
        {
            // The stream is gone; RunAsync fails what was waiting.
        }
    }

    private void Receive(StreamingMessage message)
    {
        if (message.ContentCase == StreamingMessage.ContentOneofCase.RpcLog)
        {
            Log(message.RpcLog);
            return;
        }

        if (!string.IsNullOrEmpty(message.RequestId) && _pending.TryGetValue(message.RequestId, out var waiting))
        {
            waiting.TrySetResult(message);
            return;
        }

        LogUnexpected(message.ContentCase);
    }

    private void Log(RpcLog log)
    {
        var category = _invocationFunctions.TryGetValue(log.InvocationId ?? string.Empty, out var function)
            ? $"Function.{function}"
            : string.IsNullOrEmpty(log.Category) ? "Worker" : log.Category;
        var level = log.Level switch
        {
            RpcLog.Types.Level.Trace => LogLevel.Trace,
            RpcLog.Types.Level.Debug => LogLevel.Debug,
            RpcLog.Types.Level.Information => LogLevel.Information,
            RpcLog.Types.Level.Warning => LogLevel.Warning,
            RpcLog.Types.Level.Error => LogLevel.Error,
            RpcLog.Types.Level.Critical => LogLevel.Critical,
            _ => LogLevel.None,
        };
        var logger = _loggers.CreateLogger(category);
        if (!logger.IsEnabled(level))
        {
            return;
        }

        if (log.Exception is { } error)
        {
            logger.Log(level, "{Message}{NewLine}{Exception}", log.Message, Environment.NewLine, $"{error.Message}{Environment.NewLine}{error.StackTrace}");
        }
        else
        {
            logger.Log(level, "{Message}", log.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Worker stream ended: {Reason}")]
    private partial void LogStreamEnded(string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Unexpected message from the worker: {Kind}")]
    private partial void LogUnexpected(StreamingMessage.ContentOneofCase kind);
}

/// <summary>The worker is not running or its connection closed while a call waited.</summary>
internal sealed class WorkerUnavailableException : Exception
{
    public WorkerUnavailableException(string message) : base(message) { }

    public WorkerUnavailableException() { }

    public WorkerUnavailableException(string message, Exception inner) : base(message, inner) { }
}
