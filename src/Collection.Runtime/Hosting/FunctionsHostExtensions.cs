using System.Text.Json;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Collection.Runtime.Blobs;
using Collection.Runtime.Functions;
using Collection.Runtime.Http;
using Collection.Runtime.Queues;
using Collection.Runtime.Tables;
using Collection.Runtime.Timers;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Scalar.AspNetCore;

namespace Collection.Runtime.Hosting;

/// <summary>Turns an ASP.NET Core app into a Functions-style host on Azure Storage.</summary>
public static class FunctionsHostExtensions
{
    public const string StorageSetting = "AzureWebJobsStorage";
    public const string DefaultUrl = "http://localhost:7071";

    /// <summary>
    /// Reads configuration as Azure Functions does (<c>local.settings.json</c> "Values", <c>host.json</c>),
    /// connects to storage and registers every function of <paramref name="register"/>.
    /// </summary>
    public static FunctionCatalog AddFunctionsHost(this WebApplicationBuilder builder, Action<FunctionCatalog> register)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(register);

        AddLocalSettings(builder.Configuration, builder.Environment.ContentRootPath);
        HostJson.AddHostJson(builder.Configuration, builder.Environment.ContentRootPath);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        var catalog = new FunctionCatalog();
        register(catalog);
        builder.Services.AddSingleton(catalog);
        foreach (var registration in catalog.ServiceRegistrations)
        {
            registration(builder.Services);
        }

        builder.Services.TryAddSingleton(TimeProvider.System);
        HttpErrors.AddHttpErrors(builder.Services);
        AddTriggerRuntime(builder.Services, builder.Configuration);
        builder.Services.AddSingleton<FunctionKeyStore>();
        builder.Services.AddAuthentication(FunctionKeyDefaults.Scheme)
            .AddScheme<AuthenticationSchemeOptions, FunctionKeyHandler>(FunctionKeyDefaults.Scheme, null);
        builder.Services.AddAuthorization();
        builder.Services.AddOpenApi();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase);

        // Read when first needed, so hosts built by tests can point the app at their own Azurite.
        // Few SDK retries: the listeners retry with their own backoff when storage is away.
        builder.Services.TryAddSingleton(sp => new BlobServiceClient(StorageConnection(sp), WithRetries(new BlobClientOptions())));
        builder.Services.TryAddSingleton(sp => new QueueServiceClient(StorageConnection(sp), WithRetries(new QueueClientOptions())));
        builder.Services.TryAddSingleton(sp => new TableServiceClient(StorageConnection(sp), WithRetries(new TableClientOptions())));
        builder.Services.TryAddSingleton(sp => new TableBatchInserter(sp.GetRequiredService<TableServiceClient>(), StorageConnection(sp), WithRetries(new TableClientOptions())));
        return catalog;
    }

    /// <summary>host.json options, <c>%Name%</c> resolution at start-up, and one listener per trigger kind.</summary>
    private static void AddTriggerRuntime(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<FunctionHostOptions>().Bind(configuration.GetSection(HostJson.Section))
            .Validate(o => o.FunctionTimeout > TimeSpan.Zero, "host.json functionTimeout must be positive.").ValidateOnStart();
        services.AddOptions<QueueTriggerOptions>().Bind(configuration.GetSection(HostJson.QueuesSection))
            .Validate(o => o.MaxDequeueCount >= 1, "host.json extensions.queues.maxDequeueCount must be at least 1.")
            .Validate(o => o.BatchSize is >= 1 and <= 32, "host.json extensions.queues.batchSize must be 1–32.")
            .Validate(o => o.MinPollingInterval > TimeSpan.Zero && o.MaxPollingInterval >= o.MinPollingInterval, "host.json extensions.queues.maxPollingInterval must be positive.")
            .Validate(o => o.VisibilityTimeout >= TimeSpan.FromSeconds(1) && o.VisibilityTimeout <= TimeSpan.FromDays(7), "host.json extensions.queues.visibilityTimeout must be 1 s – 7 days.")
            .ValidateOnStart();
        services.AddOptions<BlobTriggerOptions>().Bind(configuration.GetSection(HostJson.BlobsSection))
            .Validate(o => o.MaxDequeueCount >= 1, "host.json extensions.blobs.maxDequeueCount must be at least 1.")
            .Validate(o => o.PollingInterval > TimeSpan.Zero && o.PollingInterval <= BlobTriggerOptions.MaxDetectionLatency, "host.json extensions.blobs.pollingInterval must be positive and at most 10 s (the detection latency promised).")
            .Validate(o => o.LeaseTime >= TimeSpan.FromSeconds(1), "host.json extensions.blobs.leaseTime must be at least 1 s.")
            .ValidateOnStart();
        services.AddOptions<HttpHostOptions>().Bind(configuration.GetSection(HostJson.HttpSection))
            .Validate(o => o.MaxRequestBodySize > 0, "host.json extensions.http.maxRequestBodySize must be positive.").ValidateOnStart();
        services.AddOptions<TimerTriggerOptions>().Bind(configuration.GetSection(HostJson.Section + ":extensions:timers"))
            .Configure(o => o.TimeZone = configuration[TimerTriggerOptions.TimeZoneSetting] is { Length: > 0 } zone ? zone : o.TimeZone);
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<HttpHostOptions>>((kestrel, http) => kestrel.Limits.MaxRequestBodySize = http.Value.MaxRequestBodySize);

        services.TryAddSingleton<FunctionBindings>();
        services.TryAddSingleton<FunctionInvoker>();
        services.TryAddSingleton<BlobScanSignal>();
        services.TryAddSingleton<BlobTriggerListener>();
        services.TryAddSingleton<QueueTriggerListener>();
        services.TryAddSingleton<TimerTriggerListener>();
        // The validator first: a missing %Setting% stops start-up before any listener polls.
        services.AddHostedService<FunctionBindingsValidator>();
        services.AddHostedService(sp => sp.GetRequiredService<BlobTriggerListener>());
        services.AddHostedService(sp => sp.GetRequiredService<QueueTriggerListener>());
        services.AddHostedService(sp => sp.GetRequiredService<TimerTriggerListener>());
    }

    private static T WithRetries<T>(T options)
        where T : Azure.Core.ClientOptions
    {
        options.Retry.MaxRetries = 2;
        options.Retry.Delay = TimeSpan.FromMilliseconds(200);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(2);
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(30);
        return options;
    }

    /// <summary>Maps the HTTP functions under <c>/api</c> (host.json <c>extensions.http.routePrefix</c>), the admin endpoints and the OpenAPI document and UI.</summary>
    public static WebApplication MapFunctionsHost(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseMiddleware<RequestBodyLimitMiddleware>();
        app.UseAuthentication();
        app.UseAuthorization();

        var catalog = app.Services.GetRequiredService<FunctionCatalog>();
        var routePrefix = app.Services.GetRequiredService<IOptions<HttpHostOptions>>().Value.RoutePrefix.Trim('/');
        var api = app.MapGroup("/" + routePrefix);
        api.MapGet("/health", async (BlobServiceClient blobs, IEnumerable<HealthFact> facts, IServiceProvider services, CancellationToken ct) =>
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            Dictionary<string, object?> With(Dictionary<string, object?> answer)
            {
                foreach (var fact in facts)
                {
                    answer[fact.Name] = fact.Value(services);
                }

                return answer;
            }

            try
            {
                await blobs.GetPropertiesAsync(timeout.Token).ConfigureAwait(false);
                return Results.Ok(With(new() { ["status"] = "healthy", ["storage"] = "reachable" }));
            }
            catch (Exception e) when (e is Azure.RequestFailedException or OperationCanceledException or AggregateException)
            {
                return Results.Json(With(new() { ["status"] = "unhealthy", ["storage"] = "unreachable", ["error"] = e.Message }), statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        }).WithName("Health").WithTags("Host");

        foreach (var map in catalog.HttpMaps)
        {
            map(api);
        }

        var admin = app.MapGroup("/admin").RequireRoles(FunctionRoles.Admin).WithTags("Admin");
        AdminEndpoints.MapAdminFunctions(admin);
        Workflows.WorkflowAdminApi.MapWorkflowAdmin(admin);

        app.MapOpenApi();
        app.MapScalarApiReference();
        return app;
    }

    private static string StorageConnection(IServiceProvider services) =>
        services.GetRequiredService<IConfiguration>()[StorageSetting] is { Length: > 0 } connection
            ? connection
            : "UseDevelopmentStorage=true";

    /// <summary>"Values" of local.settings.json become configuration, as with <c>func start</c>; environment wins.</summary>
    private static void AddLocalSettings(ConfigurationManager configuration, string contentRoot)
    {
        foreach (var directory in new[] { Directory.GetCurrentDirectory(), contentRoot })
        {
            var path = Path.Combine(directory, "local.settings.json");
            if (!File.Exists(path))
            {
                continue;
            }

            using var stream = File.OpenRead(path);
            using var document = JsonDocument.Parse(stream, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (document.RootElement.TryGetProperty("Values", out var values))
            {
                var settings = values.EnumerateObject().ToDictionary(p => p.Name, p => (string?)p.Value.ToString(), StringComparer.OrdinalIgnoreCase);
                var sources = configuration.Sources.ToList();
                configuration.Sources.Clear();
                configuration.AddInMemoryCollection(settings);
                foreach (var source in sources)
                {
                    configuration.Sources.Add(source);
                }
            }

            return;
        }
    }
}
