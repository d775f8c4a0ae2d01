using Collection.Functions.Ledger;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Collection.Functions.Supplementary;

public static class SupplementaryServices
{
    /// <summary>The supplementary run and its settlement book (needs the ledger's and the subsidies' services); <c>Ledger:TablePrefix</c> isolates its table.</summary>
    public static IServiceCollection AddSupplementaryEnrolment(this IServiceCollection services)
    {
        services.TryAddSingleton(sp => new SettlementTables(sp.GetRequiredService<IConfiguration>()[LedgerTables.PrefixSetting] ?? ""));
        services.TryAddSingleton<SubsidySettlementBook>();
        services.TryAddSingleton<SubsidyTransferBook>();
        services.TryAddSingleton<SupplementaryRun>();
        return services;
    }
}
