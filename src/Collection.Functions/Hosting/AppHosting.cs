using System.Text.Json;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Blobs;
using Collection.Functions.Assessments;
using Collection.Functions.LastYear;
using Collection.Functions.Ledger;
using Collection.Functions.Refunds;
using Collection.Functions.Reports;
using Collection.Functions.Rosters;
using Collection.Functions.Subsidies;
using Collection.Functions.Supplementary;
using Collection.Functions.Timers;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Collection.Functions.Hosting;

/// <summary>What every function of the app stands on: storage clients, keys and roles, problem details.</summary>
public static class AppHosting
{
    /// <summary>
    /// The whole app's services: what Program.cs registers in the worker, and what tests and benchmarks compose
    /// in their own process to reach the same storage the same way.
    /// </summary>
    public static IServiceCollection AddCollectionApp(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddAppHosting(configuration);
        services.AddChinaClock(configuration);
        services.AddAssessments();
        services.AddLedger();
        services.AddRefunds();
        services.AddRosters();
        services.AddSubsidies();
        services.AddSupplementaryEnrolment();
        services.AddReports();
        services.AddLastYear();
        services.AddTimerJobs();
        return services;
    }

    public const string StorageSetting = "AzureWebJobsStorage";

    /// <summary>Largest request body (roster uploads are the largest); beyond it the answer is 413 <c>request-too-large</c>.</summary>
    public const string MaxRequestBodySetting = "Http:MaxRequestBodySize";

    public const long DefaultMaxRequestBodySize = 50L * 1024 * 1024;

    public static IServiceCollection AddAppHosting(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.TryAddSingleton(TimeProvider.System);
        HttpErrors.AddHttpErrors(services);
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
            // Chinese as itself (names, towns, every detailZh), not \uXXXX; HTML-sensitive characters stay escaped.
            o.SerializerOptions.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.Create(System.Text.Unicode.UnicodeRanges.All);
        });
        services.Configure<KestrelServerOptions>(kestrel =>
            kestrel.Limits.MaxRequestBodySize = configuration.GetValue(MaxRequestBodySetting, DefaultMaxRequestBodySize));
        services.AddSingleton<FunctionKeyStore>();
        services.AddSingleton<CallerAuthenticator>();
        // The console offers the 统一身份认证 sign-in only where App Service Authentication is there to answer it.
        services.AddSingleton(new HealthFact("appServiceSignIn", sp => sp.GetRequiredService<CallerAuthenticator>().AcceptsAppServicePrincipal));
        services.AddSingleton(new FunctionAccessMap(typeof(AppHosting).Assembly));

        // Few SDK retries: the trigger retries (blob receipts, durable activity retries) are the outer loop.
        services.TryAddSingleton(sp => StorageClients.Blobs(sp.GetRequiredService<IConfiguration>()));
        services.TryAddSingleton(sp => StorageClients.Tables(sp.GetRequiredService<IConfiguration>()));
        services.TryAddSingleton(sp => StorageClients.BatchInserter(sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<TableServiceClient>()));
        return services;
    }
}

/// <summary>
/// The app's storage clients from <c>AzureWebJobsStorage</c>, as the Functions host reads it: a connection
/// string (Azurite, or an account key), or identity-based — <c>AzureWebJobsStorage__blobServiceUri</c> and
/// <c>__tableServiceUri</c> with <c>__credential</c> = <c>managedidentity</c> and <c>__clientId</c> (what
/// <c>infra/</c> sets on Flex Consumption, where no account key is kept).
/// </summary>
internal static class StorageClients
{
    public static BlobServiceClient Blobs(IConfiguration configuration)
    {
        var options = WithRetries(new BlobClientOptions());
        return ConnectionString(configuration) is { } connection
            ? new BlobServiceClient(connection, options)
            : new BlobServiceClient(ServiceUri(configuration, "blobServiceUri"), Credential(configuration), options);
    }

    public static TableServiceClient Tables(IConfiguration configuration)
    {
        var options = WithRetries(new TableClientOptions());
        return ConnectionString(configuration) is { } connection
            ? new TableServiceClient(connection, options)
            : new TableServiceClient(ServiceUri(configuration, "tableServiceUri"), Credential(configuration), options);
    }

    public static TableBatchInserter BatchInserter(IConfiguration configuration, TableServiceClient tables) =>
        new(tables, ConnectionString(configuration), WithRetries(new TableClientOptions()));

    private static string? ConnectionString(IConfiguration configuration)
    {
        var section = configuration.GetSection(AppHosting.StorageSetting);
        if (!string.IsNullOrEmpty(section.Value))
        {
            return section.Value;
        }

        // Nothing configured at all: the local emulator, as Core Tools assumes.
        return section.GetChildren().Any() ? null : "UseDevelopmentStorage=true";
    }

    private static Uri ServiceUri(IConfiguration configuration, string name) =>
        configuration[$"{AppHosting.StorageSetting}:{name}"] is { Length: > 0 } uri
            ? new Uri(uri)
            : throw new InvalidOperationException($"{AppHosting.StorageSetting} has no connection string and no {AppHosting.StorageSetting}__{name}.");

    private static TokenCredential Credential(IConfiguration configuration) =>
        string.Equals(configuration[$"{AppHosting.StorageSetting}:credential"], "managedidentity", StringComparison.OrdinalIgnoreCase)
            ? new ManagedIdentityCredential(configuration[$"{AppHosting.StorageSetting}:clientId"] is { Length: > 0 } id ? ManagedIdentityId.FromUserAssignedClientId(id) : ManagedIdentityId.SystemAssigned)
            : new DefaultAzureCredential();

    private static T WithRetries<T>(T options)
        where T : ClientOptions
    {
        options.Retry.MaxRetries = 2;
        options.Retry.Delay = TimeSpan.FromMilliseconds(200);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(2);
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(30);
        return options;
    }
}
