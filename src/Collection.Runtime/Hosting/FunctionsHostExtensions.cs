using System.Text.Json;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Collection.Runtime.Functions;
using Collection.Runtime.Http;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
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
        builder.Services.AddProblemDetails();
        builder.Services.AddSingleton<FunctionKeyStore>();
        builder.Services.AddAuthentication(FunctionKeyDefaults.Scheme)
            .AddScheme<AuthenticationSchemeOptions, FunctionKeyHandler>(FunctionKeyDefaults.Scheme, null);
        builder.Services.AddAuthorization();
        builder.Services.AddOpenApi();
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase);

        // Read when first needed, so hosts built by tests can point the app at their own Azurite.
        builder.Services.TryAddSingleton(sp => new BlobServiceClient(StorageConnection(sp)));
        builder.Services.TryAddSingleton(sp => new QueueServiceClient(StorageConnection(sp)));
        builder.Services.TryAddSingleton(sp => new TableServiceClient(StorageConnection(sp)));
        return catalog;
    }

    /// <summary>Maps the HTTP functions under <c>/api</c>, the admin endpoints and the OpenAPI document and UI.</summary>
    public static WebApplication MapFunctionsHost(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();

        var catalog = app.Services.GetRequiredService<FunctionCatalog>();
        var api = app.MapGroup("/api");
        api.MapGet("/health", async (BlobServiceClient blobs, CancellationToken ct) =>
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(3));
            try
            {
                await blobs.GetPropertiesAsync(timeout.Token).ConfigureAwait(false);
                return Results.Ok(new { status = "healthy", storage = "reachable" });
            }
            catch (Exception e) when (e is Azure.RequestFailedException or OperationCanceledException or AggregateException)
            {
                return Results.Json(new { status = "unhealthy", storage = "unreachable", error = e.Message }, statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        }).WithName("Health").WithTags("Host");

        foreach (var map in catalog.HttpMaps)
        {
            map(api);
        }

        var admin = app.MapGroup("/admin").RequireRoles(FunctionRoles.Admin).WithTags("Admin");
        admin.MapGet("/functions", (FunctionCatalog functions) =>
            functions.Functions.Select(f => new { name = f.Name, trigger = f.Trigger.ToString().ToLowerInvariant(), binding = f.Binding, implementation = f.Implementation.FullName }));
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
