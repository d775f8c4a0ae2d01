using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Collection.Functions.Reports;

public static class ReportServices
{
    /// <summary>The bureau's management reports (issue 20): task tables, progress, monthly town reports.</summary>
    public static IServiceCollection AddReports(this IServiceCollection services)
    {
        services.TryAddSingleton<TargetStore>();
        services.TryAddSingleton<MonthlyReports>();
        return services;
    }
}
