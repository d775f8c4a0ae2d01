using Collection.Functions.Ledger;
using Collection.Runtime.Functions;

namespace Collection.Functions.Timers;

/// <summary>
/// Waiting-period activation, daily at 00:05 China time: every <c>paid</c> enrolment whose coverage start has
/// come becomes <c>active</c>, every <c>active</c> one past coverage end becomes <c>expired</c> (dalate-2022 二(二)
/// “设置3个月待遇等待期”; bagongshan-2022 “医保待遇自参保缴费次日起享受”). Five past midnight, so a
/// cover starting today is active before the day's first claim.
/// </summary>
public sealed class ActivateCoverageFunction(EnrolmentLedger ledger, ChinaClock clock, ILogger<ActivateCoverageFunction> logger) : ITimerFunction
{
    public const string Name = "ActivateCoverage";

    /// <summary>Six-field NCrontab, China time: 00:05:00 every day.</summary>
    public const string Schedule = "0 5 0 * * *";

    public async Task RunAsync(TimerTrigger timer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timer);
        var today = TimerDays.Today(timer, clock);
        var result = await ledger.AdvanceAsync(today, TimerDays.Actor(Name, today), cancellationToken: cancellationToken).ConfigureAwait(false);
        timer.RecordSummary(new { asOf = today, result.Examined, result.Activated, result.Expired });
        logger.LogInformation("ActivateCoverage as of {Today}: examined {Examined}, activated {Activated}, expired {Expired}", today, result.Examined, result.Activated, result.Expired);
    }
}
