namespace Collection.Functions.Ledger;

public static class LedgerServices
{
    /// <summary>The ledger (needs the policy catalog: AddAssessments/AddPolicies) (one per host) on the host's table storage; <c>Ledger:TablePrefix</c> isolates tables.</summary>
    public static IServiceCollection AddLedger(this IServiceCollection services)
    {
        services.AddSingleton(sp => new LedgerTables(sp.GetRequiredService<IConfiguration>()[LedgerTables.PrefixSetting] ?? ""));
        services.AddSingleton<People.PersonFacts>();
        services.AddSingleton<EnrolmentStore>();
        services.AddSingleton<TransactionClaims>();
        services.AddSingleton<EnrolmentRegistrar>();
        services.AddSingleton<PaymentPoster>();
        services.AddSingleton<NewbornAttachment>();
        services.AddSingleton<EnrolmentLedger>();
        services.AddSingleton<CashRemittanceBook>();
        return services;
    }
}
