using Collection.Domain.Policies;
using Collection.Functions.Files;
using Collection.Functions.Ledger;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Collection.Functions.Rosters;

public static class RosterServices
{
    /// <summary>How often a running roster's result is rewritten with the rows so far (TimeSpan; default 2 s).</summary>
    public const string ProgressIntervalSetting = "Rosters:ProgressInterval";

    /// <summary>The roster ingestion, its result store and its ledger operation (needs the ledger's services).</summary>
    public static IServiceCollection AddRosters(this IServiceCollection services)
    {
        services.AddFileLimits();
        services.TryAddSingleton<RosterResultStore>();
        services.TryAddSingleton<IRosterLedger, RosterLedgerWriter>();
        services.TryAddSingleton(sp =>
        {
            var configured = sp.GetRequiredService<IConfiguration>()[ProgressIntervalSetting];
            return new RosterIngestion(
                sp.GetRequiredService<RosterResultStore>(),
                sp.GetRequiredService<IRosterLedger>(),
                sp.GetRequiredService<PolicyCatalog>(),
                sp.GetRequiredService<TimeProvider>(),
                sp.GetRequiredService<ChinaClock>(),
                sp.GetRequiredService<ILogger<RosterIngestion>>())
            {
                ProgressInterval = TimeSpan.TryParse(configured, System.Globalization.CultureInfo.InvariantCulture, out var interval) ? interval : TimeSpan.FromSeconds(2),
                Limits = sp.GetRequiredService<FileLimits>(),
            };
        });
        return services;
    }
}
