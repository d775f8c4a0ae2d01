using Collection.Functions.Timers;
using Collection.Runtime.Functions;

namespace Collection.Functions.Supplementary;

/// <summary>
/// Supplementary enrolment, monthly on the 5th at 02:00 China time: luyang-2023 “集中参保期结束后……每月5日前
/// 将资助参保对象变动名单报送” — the departments' changes are in by the 5th, so the run follows them that night.
/// See <see cref="SupplementaryRun"/> for what it does per person.
/// </summary>
public sealed class SupplementaryEnrolmentFunction(SupplementaryRun run, ChinaClock clock, ILogger<SupplementaryEnrolmentFunction> logger) : ITimerFunction
{
    public const string Name = "SupplementaryEnrolment";

    /// <summary>Six-field NCrontab, China time: 02:00:00 on the 5th of every month.</summary>
    public const string Schedule = "0 0 2 5 * *";

    public async Task RunAsync(TimerTrigger timer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timer);
        var today = TimerDays.Today(timer, clock);
        var summary = await run.RunAsync(today, TimerDays.Actor(Name, today), cancellationToken: cancellationToken).ConfigureAwait(false);
        timer.RecordSummary(summary);
        var failed = summary.Count(SupplementaryOutcome.Failed);
        logger.LogInformation("SupplementaryEnrolment as of {Today}: acted for {Policies}; {Totals}", today,
            string.Join(", ", summary.Policies.Where(p => p.Acted).Select(p => p.Policy)), string.Join(", ", summary.Totals.Where(t => t.Value > 0).Select(t => $"{t.Key} {t.Value}")));
        if (failed > 0)
        {
            // Marks the run failed in the run history; what succeeded stays done and the rest is retried next run.
            throw new InvalidOperationException($"{failed} people could not be processed (see the warnings above); run again with POST /admin/functions/{Name}?asOf={today:yyyy-MM-dd}.");
        }
    }
}
