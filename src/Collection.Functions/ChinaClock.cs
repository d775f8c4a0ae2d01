using Collection.Functions.Hosting;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Collection.Functions;

/// <summary>
/// The app's one source of "today": the China calendar day and wall clock (UTC+8, no daylight saving) of
/// the injected <see cref="TimeProvider"/>, or — for training, rehearsals and replays of a past year — a
/// configured business date (<c>Collection:BusinessDate</c>, <c>yyyy-MM-dd</c>; in <c>local.settings.json</c>
/// "Values" or the environment variable <c>Collection__BusinessDate</c>). With a business date every "today"
/// is that day while the time of day still runs. The domain never reads it: it takes dates as arguments.
/// </summary>
public sealed class ChinaClock
{
    public const string BusinessDateSetting = "Collection:BusinessDate";

    /// <summary>The response header every HTTP answer carries: the day the app treats as today.</summary>
    public const string HeaderName = "X-Business-Date";

    public static readonly TimeSpan Offset = TimeSpan.FromHours(8);

    private readonly TimeProvider _time;

    public ChinaClock(TimeProvider time, DateOnly? businessDate = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _configured = businessDate;
    }

    private static readonly AsyncLocal<DateOnly?> RequestDate = new();

    private readonly DateOnly? _configured;

    /// <summary>
    /// The business date in force: one a request asked for (<see cref="ForRequest"/>), else the configured one;
    /// null when the app follows the real China date.
    /// </summary>
    public DateOnly? BusinessDate => _configured is null ? null : RequestDate.Value ?? _configured;

    /// <summary>True when a business date is configured, so requests may ask for another day (never in production).</summary>
    public bool Rehearsal => _configured is not null;

    /// <summary>
    /// Within a rehearsal (a configured business date), the rest of this request acts as of <paramref name="day"/>:
    /// a trainer or a test walks a year through its days without restarting. The request header
    /// <see cref="HeaderName"/> asks for it. Outside a rehearsal it is refused, so the live service has one calendar.
    /// </summary>
    public bool ForRequest(DateOnly day)
    {
        if (!Rehearsal)
        {
            return false;
        }

        RequestDate.Value = day;
        return true;
    }

    /// <summary>Now in China (+08:00); on the business date when one is set, at the real time of day.</summary>
    public DateTimeOffset Now
    {
        get
        {
            var real = _time.GetUtcNow().ToOffset(Offset);
            return BusinessDate is { } day ? new DateTimeOffset(day.ToDateTime(TimeOnly.FromTimeSpan(real.TimeOfDay)), Offset) : real;
        }
    }

    /// <summary>Today's China calendar date (the business date when one is set).</summary>
    public DateOnly Today => DateOnly.FromDateTime(Now.DateTime);

    /// <summary>The clock configuration asks for (see <see cref="BusinessDateOf"/>).</summary>
    public static ChinaClock FromConfiguration(IConfiguration configuration, TimeProvider time) => new(time, BusinessDateOf(configuration));

    /// <summary>
    /// The configured business date, or null. A business date that is not <c>yyyy-MM-dd</c>, or any business
    /// date where the environment says production (<c>AZURE_FUNCTIONS_ENVIRONMENT</c>, <c>ASPNETCORE_ENVIRONMENT</c>
    /// or <c>DOTNET_ENVIRONMENT</c> = Production), throws with the reason.
    /// </summary>
    public static DateOnly? BusinessDateOf(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var text = configuration[BusinessDateSetting];
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (!IsoDate.TryParse(text.Trim(), out var day))
        {
            throw new InvalidOperationException($"{BusinessDateSetting} must be a date as yyyy-MM-dd (got '{text}'); remove it to follow the real China date.");
        }

        if (ProductionSetting(configuration) is { } setting)
        {
            throw new InvalidOperationException(
                $"{BusinessDateSetting} is set ({text.Trim()}) but {setting} says Production: a business date is for training, rehearsals and replays, never for the live service. Remove {BusinessDateSetting} (or Collection__BusinessDate) to start.");
        }

        return day;
    }

    /// <summary>
    /// The clock of a console command (no host): <c>Collection:BusinessDate</c> from the "Values" of
    /// <c>local.settings.json</c> in the current folder, the environment winning, as for the host.
    /// </summary>
    public static ChinaClock ForConsole(TimeProvider time)
    {
        var settings = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "local.settings.json"), optional: true)
            .Build()
            .GetSection("Values");
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.AsEnumerable(makePathsRelative: true))
            .AddEnvironmentVariables()
            .Build();
        return FromConfiguration(configuration, time);
    }

    /// <summary>The setting that declares production, if any (an unset environment is not production here: run.sh starts the host without one).</summary>
    private static string? ProductionSetting(IConfiguration configuration)
    {
        // ASPNETCORE_/DOTNET_ variables arrive both whole and as "environment" (prefix removed); UseEnvironment sets "environment".
        foreach (var name in new[] { "AZURE_FUNCTIONS_ENVIRONMENT", "ASPNETCORE_ENVIRONMENT", "DOTNET_ENVIRONMENT", "environment" })
        {
            if (string.Equals(configuration[name]?.Trim(), Environments.Production, StringComparison.OrdinalIgnoreCase))
            {
                return name;
            }
        }

        return null;
    }
}

public static class ChinaClockServices
{
    /// <summary>
    /// The one <see cref="ChinaClock"/> (on the host's <see cref="TimeProvider"/> and <c>Collection:BusinessDate</c>
    /// of <paramref name="configuration"/>, checked here, so a refused business date stops the host before it is
    /// built), its date on <c>GET /api/health</c>; <see cref="FunctionAccessMiddleware"/> puts it in <see cref="ChinaClock.HeaderName"/> on every answer.
    /// </summary>
    public static IServiceCollection AddChinaClock(this IServiceCollection services, IConfiguration configuration)
    {
        var businessDate = ChinaClock.BusinessDateOf(configuration);
        services.TryAddSingleton(sp => new ChinaClock(sp.GetRequiredService<TimeProvider>(), businessDate));
        services.AddSingleton(new HealthFact("businessDate", sp => IsoDate.Text(sp.GetRequiredService<ChinaClock>().Today)));
        services.AddSingleton(new HealthFact("businessDateConfigured", sp => sp.GetRequiredService<ChinaClock>().BusinessDate is not null));
        return services;
    }

}
