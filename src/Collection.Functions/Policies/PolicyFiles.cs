using Collection.Domain.Policies;

namespace Collection.Functions.Policies;

/// <summary>Loads <c>policies/*.json</c> (shipped beside the app) into the <see cref="PolicyCatalog"/>.</summary>
public static partial class PolicyFiles
{
    /// <summary>Configuration key of the folder holding the policy files; default: <c>policies</c> beside the app.</summary>
    public const string DirectorySetting = "Policies:Directory";

    public static string DefaultDirectory => Path.Combine(AppContext.BaseDirectory, "policies");

    public static PolicyCatalog Load(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new PolicyValidationException(directory, "$", "the policy folder does not exist");
        }

        var files = Directory.GetFiles(directory, "*.json").Order(StringComparer.Ordinal).ToArray();
        if (files.Length == 0)
        {
            throw new PolicyValidationException(directory, "$", "the policy folder holds no *.json file");
        }

        return PolicyCatalog.Read(files.Select(f => (Path.GetFileName(f), File.ReadAllText(f))));
    }

    /// <summary>
    /// Registers the catalog and checks it when the host starts: a bad file stops the host with a
    /// message naming the file and the field, rather than failing the first request that needs it.
    /// </summary>
    public static IServiceCollection AddPolicies(this IServiceCollection services)
    {
        services.AddSingleton(sp =>
        {
            var configured = sp.GetRequiredService<IConfiguration>()[DirectorySetting];
            return Load(string.IsNullOrEmpty(configured) ? DefaultDirectory : configured);
        });
        services.AddHostedService<PolicyStartupCheck>();
        return services;
    }

    private sealed partial class PolicyStartupCheck(IServiceProvider services, ILogger<PolicyStartupCheck> logger) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            try
            {
                var catalog = services.GetRequiredService<PolicyCatalog>();
                if (logger.IsEnabled(LogLevel.Information))
                {
                    var codes = string.Join(", ", catalog.Policies.Select(p => p.Code));
                    LogLoaded(catalog.Policies.Count, codes);
                }
            }
            catch (PolicyValidationException e)
            {
                LogInvalid(e.Message);
                throw;
            }

            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        [LoggerMessage(Level = LogLevel.Information, Message = "Loaded {Count} policies: {Codes}")]
        private partial void LogLoaded(int count, string codes);

        [LoggerMessage(Level = LogLevel.Critical, Message = "{Message}")]
        private partial void LogInvalid(string message);
    }
}
