using System.Globalization;
using Collection.Runtime.Functions;

namespace Collection.Functions.Timers;

/// <summary>The China calendar day a timer run acts for, and how its changes are signed in histories.</summary>
public static class TimerDays
{
    /// <summary>
    /// <c>?asOf=</c> when an admin or a test asked for a day; otherwise the business date when one is set, or
    /// the China date of the occurrence the run is for (a past-due run at start-up acts for the day it was
    /// due, not the day the host came back).
    /// </summary>
    public static DateOnly Today(TimerTrigger timer, ChinaClock clock)
    {
        ArgumentNullException.ThrowIfNull(timer);
        ArgumentNullException.ThrowIfNull(clock);
        return timer.AsOf ?? clock.DayOf(timer.ScheduledTime);
    }

    /// <summary>The actor of every change a run makes: <c>timer:ActivateCoverage@2022-07-10</c>.</summary>
    public static string Actor(string function, DateOnly day) =>
        string.Create(CultureInfo.InvariantCulture, $"timer:{function}@{day:yyyy-MM-dd}");
}
