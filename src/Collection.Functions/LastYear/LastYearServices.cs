using Collection.Functions.Ledger;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Collection.Functions.LastYear;

public static class LastYearServices
{
    /// <summary>Last year's roll and what reads it (issue 20): roll-over, since-last-year, hand-over to agents and tax.</summary>
    public static IServiceCollection AddLastYear(this IServiceCollection services)
    {
        services.TryAddSingleton(sp => new LastYearTables(sp.GetRequiredService<IConfiguration>()[LedgerTables.PrefixSetting] ?? ""));
        services.TryAddSingleton<LastYearRollStore>();
        return services;
    }
}
