using System.Net.Sockets;
using Collection.LocalHost.Rpc;
using Collection.LocalHost.Settings;
using Collection.LocalHost.Worker;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Forwarder;

namespace Collection.LocalHost.Http;

/// <summary>
/// The HTTP functions as routes (from the worker's metadata: <c>route</c>, <c>methods</c>, host.json's
/// <c>routePrefix</c>). A request is an invocation whose HTTP request is proxied to the worker's own
/// ASP.NET Core server with the invocation id in <c>x-ms-invocation-id</c>: what the Functions host does
/// for apps built with <c>ConfigureFunctionsWebApplication</c>.
/// </summary>
internal sealed partial class HttpFunctionEndpoints : EndpointDataSource, IDisposable
{
    private const string InvocationIdHeader = "x-ms-invocation-id";
    private readonly object _gate = new();
    private readonly ScriptRoot _app;
    private readonly FunctionInvoker _invoker;
    private readonly IHttpForwarder _forwarder;
    private readonly ILogger<HttpFunctionEndpoints> _logger;
    private readonly HttpMessageInvoker _client;
    private readonly ForwarderRequestConfig _forwarding;
    private List<Endpoint> _endpoints = [];
    private CancellationTokenSource _changed = new();

    public HttpFunctionEndpoints(ScriptRoot app, WorkerSupervisor supervisor, FunctionInvoker invoker, IHttpForwarder forwarder, ILogger<HttpFunctionEndpoints> logger)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(supervisor);
        _app = app;
        _invoker = invoker;
        _forwarder = forwarder;
        _logger = logger;
        _client = new HttpMessageInvoker(new WorkerNotListeningRetry(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
        }));
        _forwarding = new ForwarderRequestConfig { ActivityTimeout = app.FunctionTimeout };
        supervisor.Loaded += Load;
    }

    public override IReadOnlyList<Endpoint> Endpoints
    {
        get
        {
            lock (_gate)
            {
                return _endpoints;
            }
        }
    }

    public override IChangeToken GetChangeToken()
    {
        lock (_gate)
        {
            return new CancellationChangeToken(_changed.Token);
        }
    }

    public void Dispose()
    {
        _client.Dispose();
        _changed.Dispose();
    }

    private void Load(WorkerState worker)
    {
        var endpoints = new List<Endpoint>();
        var prefix = _app.RoutePrefix.Trim('/');
        foreach (var function in worker.Functions)
        {
            if (function.Bindings.FirstOrDefault(b => string.Equals(b.Type, "httpTrigger", StringComparison.OrdinalIgnoreCase)) is not { } trigger)
            {
                continue;
            }

            var route = (trigger.Property("route") ?? function.Name).Trim('/');
            var pattern = RoutePatternFactory.Parse(prefix.Length == 0 ? route : $"{prefix}/{route}");
            var name = function.Name;
            var builder = new RouteEndpointBuilder(http => InvokeAsync(http, name), pattern, 0) { DisplayName = name };
            var methods = trigger.Strings("methods").Select(m => m.ToUpperInvariant()).ToList();
            if (methods.Count > 0)
            {
                builder.Metadata.Add(new HttpMethodMetadata(methods));
            }

            endpoints.Add(builder.Build());
        }

        CancellationTokenSource previous;
        lock (_gate)
        {
            _endpoints = endpoints;
            previous = _changed;
            _changed = new CancellationTokenSource();
        }

        previous.Cancel();
        previous.Dispose();
    }

    private async Task InvokeAsync(HttpContext http, string functionName)
    {
        var aborted = http.RequestAborted;
        WorkerState? lost = null;
        for (var attempt = 1; ; attempt++)
        {
            WorkerState worker;
            try
            {
                worker = lost is null
                    ? await _invoker.WorkerAsync(aborted).ConfigureAwait(false)
                    : await _invoker.NextWorkerAsync(lost, aborted).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                await Problem(http, StatusCodes.Status503ServiceUnavailable, "worker-unavailable", "The function worker is not running; see the host's log.").ConfigureAwait(false);
                return;
            }

            if (worker.Find(functionName) is not { } function || worker.HttpUri is null)
            {
                await Problem(http, StatusCodes.Status503ServiceUnavailable, "worker-unavailable", $"Function '{functionName}' is not loaded.").ConfigureAwait(false);
                return;
            }

            var (forwarded, result) = await InvokeOnceAsync(http, worker, function, aborted).ConfigureAwait(false);
            // A worker that went away before it got the request (it exited, the host is restarting it):
            // nothing reached the function, so the request goes once more to the next worker.
            if (attempt == 1 && forwarded is (ForwarderError.Request or ForwarderError.RequestCanceled) && !http.Response.HasStarted && worker.Connection.Closed.IsCompleted && !aborted.IsCancellationRequested)
            {
                LogRetryingOnNextWorker(functionName);
                lost = worker;
                continue;
            }

            if (forwarded != ForwarderError.None)
            {
                LogForwardingFailed(functionName, forwarded.ToString(), http.GetForwarderErrorFeature()?.Exception?.Message);
                if (!http.Response.HasStarted)
                {
                    await Problem(http, StatusCodes.Status502BadGateway, "worker-unreachable", $"The request could not be passed to the worker ({forwarded}).").ConfigureAwait(false);
                }

                return;
            }

            if (!result.Succeeded)
            {
                LogInvocationFailed(functionName, result.Failure);
                if (!http.Response.HasStarted)
                {
                    await Problem(http, StatusCodes.Status500InternalServerError, "function-failed", "The function failed; see the host's log.").ConfigureAwait(false);
                }
            }

            return;
        }
    }

    private async Task<(ForwarderError Forwarded, InvocationResult Result)> InvokeOnceAsync(HttpContext http, WorkerState worker, HostedFunction function, CancellationToken aborted)
    {
        var invocationId = Guid.NewGuid().ToString();
        http.Request.Headers[InvocationIdHeader] = invocationId;
        var trigger = function.Bindings.First(b => string.Equals(b.Type, "httpTrigger", StringComparison.OrdinalIgnoreCase));
        // With proxying the worker reads the request itself: the trigger input is an empty RpcHttp, and the
        // route values go as trigger metadata so that parameters named after them bind.
        var input = new ParameterBinding { Name = trigger.Name, Data = new TypedData { Http = new RpcHttp() } };
        var routeValues = http.Request.RouteValues
            .Where(v => v.Value is not null)
            .Select(v => KeyValuePair.Create(v.Key, new TypedData { String = Convert.ToString(v.Value, System.Globalization.CultureInfo.InvariantCulture) }))
            .ToList();

        using var invocationCancel = CancellationTokenSource.CreateLinkedTokenSource(aborted);
        var invocation = _invoker.InvokeAsync(worker, function, invocationId, [input], routeValues, invocationCancel.Token);
        // Stop at once if this worker goes: its port may be taken by the next worker, which knows nothing of this invocation.
        var forwarded = await _forwarder.SendAsync(http, worker.HttpUri!.ToString(), _client, _forwarding, HttpTransformer.Empty, worker.Connection.ClosedToken).ConfigureAwait(false);
        if (forwarded != ForwarderError.None)
        {
            // The worker never got the request: it would wait for it until functionTimeout.
            await invocationCancel.CancelAsync().ConfigureAwait(false);
        }

        return (forwarded, await invocation.ConfigureAwait(false));
    }

    private static Task Problem(HttpContext http, int status, string code, string detail)
    {
        http.Response.Clear();
        return Results.Problem(statusCode: status, detail: detail, extensions: new Dictionary<string, object?> { ["code"] = code }).ExecuteAsync(http);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "HTTP function {Function}: the request could not be passed to the worker ({Error}): {Detail}")]
    private partial void LogForwardingFailed(string function, string error, string? detail);

    [LoggerMessage(Level = LogLevel.Information, Message = "HTTP function {Function}: the worker went away before it got the request; passing it to the next worker")]
    private partial void LogRetryingOnNextWorker(string function);

    [LoggerMessage(Level = LogLevel.Warning, Message = "HTTP function {Function} failed: {Error}")]
    private partial void LogInvocationFailed(string function, string? error);

    /// <summary>
    /// The worker reports its HTTP address before its server listens; the first requests after a (re)start
    /// are retried on "connection refused" (the Functions host does the same).
    /// </summary>
    private sealed class WorkerNotListeningRetry(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
                }
                catch (HttpRequestException e) when (attempt < 20 && e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(100 * Math.Min(attempt, 5)), cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }
}
