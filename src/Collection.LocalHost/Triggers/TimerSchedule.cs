using NCrontab;

namespace Collection.LocalHost.Triggers;

/// <summary>A six-field NCrontab schedule (<c>sec min hour day month day-of-week</c>) read in one time zone.</summary>
internal sealed class TimerSchedule
{
    private readonly CrontabSchedule _schedule;

    private TimerSchedule(CrontabSchedule schedule, TimeZoneInfo zone)
    {
        _schedule = schedule;
        Zone = zone;
    }

    public TimeZoneInfo Zone { get; }

    public static TimerSchedule Parse(string functionName, string expression, string timeZone)
    {
        ArgumentNullException.ThrowIfNull(expression);
        var fields = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 6)
        {
            throw new InvalidOperationException(
                $"Function '{functionName}': schedule '{expression}' must have six fields (second minute hour day month day-of-week), as in Azure Functions.");
        }

        var schedule = CrontabSchedule.TryParse(expression, new CrontabSchedule.ParseOptions { IncludingSeconds = true })
            ?? throw new InvalidOperationException($"Function '{functionName}': schedule '{expression}' is not a valid NCrontab expression.");
        return new TimerSchedule(schedule, FindZone(functionName, timeZone));
    }

    /// <summary>The first occurrence strictly after <paramref name="after"/>.</summary>
    public DateTimeOffset NextAfter(DateTimeOffset after)
    {
        var local = TimeZoneInfo.ConvertTime(after, Zone).DateTime;
        while (true)
        {
            local = _schedule.GetNextOccurrence(local);
            // A local time skipped by a daylight-saving jump does not exist; take the next occurrence.
            if (!Zone.IsInvalidTime(local))
            {
                var offset = Zone.GetUtcOffset(local);
                return new DateTimeOffset(local, offset).ToUniversalTime();
            }
        }
    }

    private static TimeZoneInfo FindZone(string functionName, string timeZone)
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(timeZone);
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            // China has kept UTC+8 without daylight saving since 1991: a fixed zone is exact when tzdata is missing.
            if (string.Equals(timeZone, "Asia/Shanghai", StringComparison.OrdinalIgnoreCase)
                || string.Equals(timeZone, "China Standard Time", StringComparison.OrdinalIgnoreCase))
            {
                return TimeZoneInfo.CreateCustomTimeZone("Asia/Shanghai", TimeSpan.FromHours(8), "China Standard Time", "China Standard Time");
            }

            throw new InvalidOperationException($"Function '{functionName}': time zone '{timeZone}' (setting WEBSITE_TIME_ZONE) is not known.", e);
        }
    }
}
