using Collection.Domain.Policies;
using Collection.Functions.Ledger;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Collection.Functions.Subsidies;

public static class SubsidyServices
{
    /// <summary>The identity book (needs the policy catalog) on the host's table storage; <c>Ledger:TablePrefix</c> isolates its table too.</summary>
    public static IServiceCollection AddSubsidies(this IServiceCollection services)
    {
        services.TryAddSingleton(sp => new SubsidyTables(sp.GetRequiredService<IConfiguration>()[LedgerTables.PrefixSetting] ?? ""));
        services.TryAddSingleton(sp => new SubsidyIdentityBook(
            sp.GetRequiredService<Azure.Data.Tables.TableServiceClient>(),
            sp.GetRequiredService<SubsidyTables>(),
            sp.GetRequiredService<PolicyCatalog>(),
            sp.GetRequiredService<Hosting.Resilience>()));
        return services;
    }
}
