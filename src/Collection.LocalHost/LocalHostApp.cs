using System.Net;
using System.Net.Sockets;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Collection.LocalHost.Admin;
using Collection.LocalHost.Durable;
using Collection.LocalHost.Http;
using Collection.LocalHost.Triggers;
using Collection.LocalHost.Settings;
using Collection.LocalHost.Worker;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Collection.LocalHost;

/// <summary>What to run and where: the app folder, its settings file, the HTTP port and (optionally) the web console's built files.</summary>
internal sealed record LocalHostOptions(string ScriptRoot, string? SettingsPath, int Port, string? ConsoleRoot = null)
{
    /// <summary>
    /// <c>--script-root DIR</c> (default: the current folder), <c>--settings FILE</c> (default:
    /// <c>local.settings.json</c> in the app folder, else in the current folder), <c>--port N</c> (default 7071),
    /// <c>--console DIR</c> (the built web console, e.g. <c>web/dist</c>, served at <c>/</c>; none by default).
    /// </summary>
    public static LocalHostOptions Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        string? root = null, settings = null, console = null;
        var port = 7071;
        for (var i = 0; i < args.Count; i++)
        {
            var value = i + 1 < args.Count ? args[i + 1] : throw new ArgumentException($"'{args[i]}' needs a value.");
            switch (args[i])
            {
                case "--script-root": root = value; i++; break;
                case "--settings": settings = value; i++; break;
                case "--port": port = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture); i++; break;
                case "--console": console = value; i++; break;
                default: throw new ArgumentException($"Unknown argument '{args[i]}'. Usage: --script-root DIR [--settings FILE] [--port N] [--console DIR]");
            }
        }

        root = Path.GetFullPath(root ?? Directory.GetCurrentDirectory());
        settings ??= new[] { Path.Combine(root, "local.settings.json"), Path.Combine(Directory.GetCurrentDirectory(), "local.settings.json") }
            .FirstOrDefault(File.Exists);
        if (console is not null)
        {
            console = Path.GetFullPath(console);
            if (!File.Exists(Path.Combine(console, "index.html")))
            {
                throw new ArgumentException($"--console {console}: no index.html there; build the console first (cd web && npm ci && npm run build).");
            }
        }

        return new LocalHostOptions(root, settings, port, console);
    }
}

/// <summary>The local host's composition: Kestrel (HTTP for people, HTTP/2 for the worker), the worker and the triggers.</summary>
internal static class LocalHostApp
{
    /// <param name="options">What to run and where.</param>
    /// <param name="configure">Has the last word on services and logging before the host is built (tests: a fake clock, a log to read).</param>
    public static WebApplication Build(LocalHostOptions options, Action<WebApplicationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var app = ScriptRoot.Load(options.ScriptRoot, options.SettingsPath);
        var rpcPort = FreeLoopbackPort();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = Environments.Development });
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestBodySize = null; // the app sets its own limits
            kestrel.Listen(IPAddress.Loopback, options.Port, listen => listen.Protocols = HttpProtocols.Http1);
            kestrel.Listen(IPAddress.Loopback, rpcPort, listen => listen.Protocols = HttpProtocols.Http2);
        });
        builder.Logging.AddSimpleConsole(console => { console.SingleLine = true; console.TimestampFormat = "HH:mm:ss "; });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Grpc", LogLevel.Warning);
        builder.Logging.AddFilter("Yarp", LogLevel.Warning);
        // The Azure SDK logs every non-success answer (expected 404s and 409s) as a multi-line dump; newer clients
        // log through System.ClientModel's event source under that category. Errors only.
        builder.Logging.AddFilter("Azure", LogLevel.Error);
        builder.Logging.AddFilter("System.ClientModel", LogLevel.Error);
        builder.Logging.AddFilter("DurableTask", LogLevel.Warning);
        builder.Logging.AddFilter("Host", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Azure.WebJobs", LogLevel.Warning);
        AddHostJsonLogLevels(builder.Logging, app);

        builder.Services.AddSingleton(app);
        builder.Services.AddSingleton(new WorkerEndpoint(new Uri($"http://127.0.0.1:{rpcPort}/")));
        builder.Services.AddGrpc(grpc =>
        {
            grpc.MaxReceiveMessageSize = null;
            grpc.MaxSendMessageSize = null;
        });
        builder.Services.AddSingleton<WorkerSupervisor>();
        builder.Services.AddHostedService(services => services.GetRequiredService<WorkerSupervisor>());
        builder.Services.AddSingleton<FunctionInvoker>();
        builder.Services.AddHttpForwarder();
        builder.Services.AddSingleton<HttpFunctionEndpoints>();
        builder.Services.AddSingleton(TimeProvider.System);
        AddTriggers(builder.Services, app);
        DurableHosting.AddDurable(builder, app, options.Port);
        builder.Services.AddProblemDetails();
        configure?.Invoke(builder);
        var web = builder.Build();
        if (options.ConsoleRoot is { } consoleRoot)
        {
            ConsoleFiles.Use(web, consoleRoot, rpcPort);
        }

        // Requests that come while the worker (re)starts wait for it rather than find no route.
        web.Use(async (http, next) =>
        {
            if (http.Connection.LocalPort != rpcPort)
            {
                try
                {
                    await http.RequestServices.GetRequiredService<FunctionInvoker>().WorkerAsync(http.RequestAborted).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    await Results.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, detail: "The function worker is not running; see the host's log.",
                        extensions: new Dictionary<string, object?> { ["code"] = "worker-unavailable" }).ExecuteAsync(http).ConfigureAwait(false);
                    return;
                }
            }

            await next(http).ConfigureAwait(false);
        });
        web.UseRouting();
        web.MapGrpcService<FunctionRpcService>().RequireHost($"127.0.0.1:{rpcPort}");
        web.MapAdmin();
        ((IEndpointRouteBuilder)web).DataSources.Add(web.Services.GetRequiredService<HttpFunctionEndpoints>());
        return web;
    }

    /// <summary>host.json <c>logging.logLevel</c> (<c>default</c> and categories such as <c>Function</c>), as in Azure Functions.</summary>
    private static void AddHostJsonLogLevels(ILoggingBuilder logging, ScriptRoot app)
    {
        if (app.HostJson["logging"]?["logLevel"] is not System.Text.Json.Nodes.JsonObject levels)
        {
            return;
        }

        foreach (var (category, value) in levels)
        {
            if (Enum.TryParse<LogLevel>(value?.ToString(), ignoreCase: true, out var level))
            {
                logging.AddFilter(string.Equals(category, "default", StringComparison.OrdinalIgnoreCase) ? null : category, level);
            }
        }
    }

    /// <summary>Blob, queue and timer listeners on the app's storage account (<c>AzureWebJobsStorage</c>).</summary>
    private static void AddTriggers(IServiceCollection services, ScriptRoot app)
    {
        var storage = app.Setting(TriggerInvoker.DefaultConnection)
            ?? throw new InvalidOperationException("App setting AzureWebJobsStorage is not set (local.settings.json Values).");
        var timers = TriggerOptionsReader.Timers(app);
        TriggerArguments.Validate(app, timers);
        services.AddSingleton(new BlobServiceClient(storage));
        services.AddSingleton(new QueueServiceClient(storage));
        services.AddSingleton(new TableServiceClient(storage));
        services.AddSingleton(TriggerOptionsReader.Blobs(app));
        services.AddSingleton(TriggerOptionsReader.Queues(app));
        services.AddSingleton(timers);
        services.AddSingleton<TriggerInvoker>();
        services.AddSingleton<BlobTriggerListener>();
        services.AddSingleton<QueueTriggerListener>();
        services.AddSingleton<TimerTriggerListener>();
        services.AddHostedService(s => s.GetRequiredService<BlobTriggerListener>());
        services.AddHostedService(s => s.GetRequiredService<QueueTriggerListener>());
        services.AddHostedService(s => s.GetRequiredService<TimerTriggerListener>());
    }

    private static int FreeLoopbackPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
