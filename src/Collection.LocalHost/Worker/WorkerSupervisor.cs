using System.Diagnostics;
using System.Text.Json.Nodes;
using Collection.LocalHost.Rpc;
using Collection.LocalHost.Settings;

namespace Collection.LocalHost.Worker;

/// <summary>
/// Starts the app's worker process, does the handshake the Functions host does (init, metadata, one load
/// per function), hands out invocations, and starts the worker again when it exits.
/// </summary>
internal sealed partial class WorkerSupervisor(
    ScriptRoot app,
    WorkerEndpoint endpoint,
    IHostApplicationLifetime lifetime,
    ILoggerFactory loggers,
    ILogger<WorkerSupervisor> logger) : BackgroundService
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(60);
    private static readonly string HostVersion = typeof(WorkerSupervisor).Assembly.GetName().Version?.ToString() ?? "4.0.0";
    private readonly object _gate = new();
    private TaskCompletionSource<WorkerConnection> _connecting = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource<WorkerState> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? _expectedWorkerId;

    /// <summary>The functions, available once the worker has loaded them (and again after a restart).</summary>
    public Task<WorkerState> Ready
    {
        get
        {
            lock (_gate)
            {
                return _ready.Task;
            }
        }
    }

    /// <summary>Raised each time a worker has loaded the functions.</summary>
    public event Action<WorkerState>? Loaded;

    internal bool Accept(WorkerConnection connection)
    {
        lock (_gate)
        {
            if (!string.Equals(connection.WorkerId, _expectedWorkerId, StringComparison.Ordinal))
            {
                return false;
            }

            return _connecting.TrySetResult(connection);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken hostStopping)
    {
        // The server stops before this service does: a worker that loses its connection then is not restarted.
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(hostStopping, lifetime.ApplicationStopping);
        var stoppingToken = stopping.Token;
        // Kestrel must listen on the protocol port before the worker dials it.
        await WhenStartedAsync(stoppingToken).ConfigureAwait(false);
        OrphanedWorkers.StopThoseOfDeadHosts(logger);
        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                await RunWorkerOnceAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogWorkerFailed(e, e.Message);
            }

            // A worker that ran a while gets restarted at once; one that keeps failing at start backs off.
            failures = Stopwatch.GetElapsedTime(started) > TimeSpan.FromMinutes(1) ? 0 : failures + 1;
            var delay = TimeSpan.FromSeconds(Math.Min(30, Math.Pow(2, failures - 1)));
            LogRestarting(delay.TotalSeconds);
            try
            {
                await Task.Delay(delay, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task RunWorkerOnceAsync(CancellationToken stoppingToken)
    {
        var workerId = Guid.NewGuid().ToString();
        TaskCompletionSource<WorkerConnection> connecting;
        lock (_gate)
        {
            _expectedWorkerId = workerId;
            connecting = _connecting = new TaskCompletionSource<WorkerConnection>(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        using var process = StartProcess(workerId);
        var exited = process.WaitForExitAsync(stoppingToken);
        try
        {
            var connection = await connecting.Task.WaitAsync(ConnectTimeout, stoppingToken).ConfigureAwait(false);
            var state = await HandshakeAsync(connection, stoppingToken).ConfigureAwait(false);
            TaskCompletionSource<WorkerState> ready;
            lock (_gate)
            {
                ready = _ready;
            }

            // Routes first: a request let through by Ready must find them.
            Loaded?.Invoke(state);
            ready.TrySetResult(state);
            LogLoaded(state.Functions.Count, process.Id);
            await Task.WhenAny(exited, connection.Closed).ConfigureAwait(false);
            connection.Abort();
            stoppingToken.ThrowIfCancellationRequested();
            LogWorkerExited(process.HasExited ? process.ExitCode : -1);
        }
        finally
        {
            lock (_gate)
            {
                if (_ready.Task.IsCompleted)
                {
                    _ready = new TaskCompletionSource<WorkerState>(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }

            Stop(process);
        }
    }

    private async Task<WorkerState> HandshakeAsync(WorkerConnection connection, CancellationToken cancellationToken)
    {
        var init = new WorkerInitRequest
        {
            HostVersion = HostVersion,
            WorkerDirectory = app.Directory,
            FunctionAppDirectory = app.Directory,
        };
        var initAnswer = (await connection.RequestAsync(new StreamingMessage { WorkerInitRequest = init }, cancellationToken).ConfigureAwait(false)).WorkerInitResponse;
        EnsureSuccess(initAnswer.Result, "initialise");
        Uri? httpUri = initAnswer.Capabilities.TryGetValue("HttpUri", out var uri) && !string.IsNullOrEmpty(uri) ? new Uri(uri) : null;

        var metadataRequest = new StreamingMessage { FunctionsMetadataRequest = new FunctionsMetadataRequest { FunctionAppDirectory = app.Directory } };
        var metadata = (await connection.RequestAsync(metadataRequest, cancellationToken).ConfigureAwait(false)).FunctionMetadataResponse;
        EnsureSuccess(metadata.Result, "index functions");
        if (metadata.UseDefaultMetadataIndexing)
        {
            throw new InvalidOperationException("The worker asked for host indexing (function.json); only worker indexing is supported.");
        }

        var functions = new List<HostedFunction>();
        foreach (var function in metadata.FunctionMetadataResults)
        {
            if (app.IsDisabled(function.Name))
            {
                continue; // as the Functions host: no route, no listener, no run
            }

            var load = new FunctionLoadRequest { FunctionId = function.FunctionId, Metadata = function };
            var loaded = (await connection.RequestAsync(new StreamingMessage { FunctionLoadRequest = load }, cancellationToken).ConfigureAwait(false)).FunctionLoadResponse;
            EnsureSuccess(loaded.Result, $"load function '{function.Name}'");
            functions.Add(new HostedFunction(function.Name, function.FunctionId, Bindings(function)));
        }

        if (httpUri is not null)
        {
            await WhenListeningAsync(httpUri, cancellationToken).ConfigureAwait(false);
        }

        return new WorkerState(connection, functions, httpUri);
    }

    /// <summary>
    /// The worker reports its HTTP address before its server listens; a request proxied in that gap waits on
    /// connection retries while the worker's own wait for it runs out. Ready means listening.
    /// </summary>
    private static async Task WhenListeningAsync(Uri httpUri, CancellationToken cancellationToken)
    {
        var deadline = TimeProvider.System.GetUtcNow() + ConnectTimeout;
        while (true)
        {
            try
            {
                using var probe = new System.Net.Sockets.TcpClient();
                await probe.ConnectAsync(httpUri.Host, httpUri.Port, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (System.Net.Sockets.SocketException) when (TimeProvider.System.GetUtcNow() < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static List<FunctionBinding> Bindings(RpcFunctionMetadata function) =>
        function.RawBindings
            .Select(raw => JsonNode.Parse(raw) as JsonObject ?? throw new InvalidOperationException($"Function '{function.Name}' has a binding that is not a JSON object."))
            .Select(raw => new FunctionBinding(
                raw["name"]?.ToString() ?? "$return",
                raw["type"]?.ToString() ?? throw new InvalidOperationException($"Function '{function.Name}' has a binding without a type."),
                raw["direction"]?.ToString() ?? "in",
                raw))
            .ToList();

    private static void EnsureSuccess(StatusResult result, string step)
    {
        if (result.Status != StatusResult.Types.Status.Success)
        {
            throw new InvalidOperationException($"The worker could not {step}: {result.Exception?.Message ?? result.Status.ToString()}");
        }
    }

    private Process StartProcess(string workerId)
    {
        var start = new ProcessStartInfo(app.WorkerExecutable)
        {
            WorkingDirectory = app.Directory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(app.WorkerPath);
        foreach (var argument in new[]
        {
            "--functions-uri", endpoint.Uri.ToString(),
            "--functions-worker-id", workerId,
            "--functions-request-id", Guid.NewGuid().ToString(),
            "--functions-grpc-max-message-length", int.MaxValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
        })
        {
            start.ArgumentList.Add(argument);
        }

        // App settings are the worker's environment, as in Azure; these are what the Functions host sets.
        foreach (var (name, value) in app.Values)
        {
            start.Environment[name] = value;
        }

        start.Environment["FUNCTIONS_WORKER_RUNTIME"] = "dotnet-isolated";
        start.Environment["FUNCTIONS_APPLICATION_DIRECTORY"] = app.Directory;
        start.Environment["AzureWebJobsScriptRoot"] = app.Directory;
        start.Environment["AZURE_FUNCTIONS_ENVIRONMENT"] = Environment.GetEnvironmentVariable("AZURE_FUNCTIONS_ENVIRONMENT") ?? "Development";

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var output = loggers.CreateLogger("Worker.Console");
        process.OutputDataReceived += (_, line) => { if (line.Data is { Length: > 0 } text) LogWorkerOutput(output, text); };
        process.ErrorDataReceived += (_, line) => { if (line.Data is { Length: > 0 } text) LogWorkerError(output, text); };
        process.Start();
        OrphanedWorkers.Note(process);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        LogStarted(process.Id, app.WorkerPath);
        return process;
    }

    private void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        OrphanedWorkers.Forget(process.Id);
        LogStopped(process.Id);
    }

    private async Task WhenStartedAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(stoppingToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker process {ProcessId} started: {WorkerPath}")]
    private partial void LogStarted(int processId, string workerPath);

    [LoggerMessage(Level = LogLevel.Information, Message = "Worker loaded {Count} functions (process {ProcessId})")]
    private partial void LogLoaded(int count, int processId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Worker exited (exit code {ExitCode})")]
    private partial void LogWorkerExited(int exitCode);

    [LoggerMessage(Level = LogLevel.Error, Message = "Worker failed: {Error}")]
    private partial void LogWorkerFailed(Exception exception, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Starting the worker again in {Seconds} s")]
    private partial void LogRestarting(double seconds);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Worker process {ProcessId} stopped")]
    private partial void LogStopped(int processId);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Line}")]
    private static partial void LogWorkerOutput(ILogger logger, string line);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Line}")]
    private static partial void LogWorkerError(ILogger logger, string line);
}

/// <summary>A running worker with its loaded functions; <see cref="HttpUri"/> is where it takes proxied HTTP requests.</summary>
internal sealed record WorkerState(WorkerConnection Connection, IReadOnlyList<HostedFunction> Functions, Uri? HttpUri)
{
    public HostedFunction? Find(string name) =>
        Functions.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase));
}

/// <summary>The address the worker dials for the protocol (loopback, HTTP/2, a port chosen at start).</summary>
internal sealed record WorkerEndpoint(Uri Uri);
