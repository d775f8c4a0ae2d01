using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Collection.Functions.Hosting;
using Collection.Functions.Ledger;
using Collection.Functions.Policies;
using Collection.Functions.Reports;
using Collection.Functions.Supplementary;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Collection.Functions.Timers;

/// <summary>One run of a scheduled job, as <c>GET /api/jobs/{name}/runs</c> lists it.</summary>
public sealed record JobRun(
    string RunId,
    string Job,
    string AsOf,
    string Trigger,
    DateTimeOffset StartedAt,
    DateTimeOffset FinishedAt,
    string Outcome,
    string? Error,
    JsonElement? Summary);

/// <summary>
/// The scheduled jobs the notices ask for, each run as of one China calendar day:
/// <list type="bullet">
/// <item><c>ActivateCoverage</c>, daily at 00:05 China time: every <c>paid</c> enrolment whose coverage start
/// has come becomes <c>active</c>, every <c>active</c> one past coverage end <c>expired</c> (dalate-2022 二(二)
/// “设置3个月待遇等待期”; bagongshan-2022 “医保待遇自参保缴费次日起享受”) — five past midnight, so a cover
/// starting today is active before the day's first claim;</item>
/// <item><c>SupplementaryEnrolment</c>, monthly on the 5th at 02:00 China time: luyang-2023 “集中参保期结束后……
/// 每月5日前将资助参保对象变动名单报送” — the departments' changes are in by the 5th (see <see cref="SupplementaryRun"/>);</item>
/// <item><c>MonthlyReports</c>, daily at 01:00 China time: writes the monthly town reports of every policy whose
/// <c>monthly-progress-report</c> day it is (luyang-2023 八(四) “每月15日前……报送参保工作信息”; see <see cref="Reports.MonthlyReports"/>).</item>
/// </list>
/// A timer runs a job for today; an admin may run one for any day (a replay, or a run the host missed) with
/// <c>POST /api/jobs/{name}/runs?asOf=yyyy-MM-dd</c>. Every run is kept with its summary in a table.
/// </summary>
public sealed partial class ScheduledJobs(EnrolmentLedger ledger, SupplementaryRun supplementary, Reports.MonthlyReports monthly, JobRunStore runs, TimeProvider time, ILogger<ScheduledJobs> logger)
{
    public const string ActivateCoverage = "ActivateCoverage";
    public const string SupplementaryEnrolment = "SupplementaryEnrolment";
    public const string MonthlyReports = "MonthlyReports";

    public static IReadOnlyList<string> Names { get; } = [ActivateCoverage, SupplementaryEnrolment, MonthlyReports];

    public static string? Find(string name) => Names.FirstOrDefault(n => string.Equals(n, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The actor of every change a run makes: <c>timer:ActivateCoverage@2022-07-10</c>.</summary>
    public static string Actor(string job, DateOnly day) =>
        string.Create(CultureInfo.InvariantCulture, $"timer:{job}@{day:yyyy-MM-dd}");

    /// <summary>Runs <paramref name="job"/> as of <paramref name="asOf"/> and records the run; a failure is recorded and returned, not thrown.</summary>
    public async Task<JobRun> RunAsync(string job, DateOnly asOf, string trigger, CancellationToken cancellationToken)
    {
        var runId = Guid.NewGuid().ToString("N");
        var started = time.GetUtcNow();
        var stopwatch = Stopwatch.StartNew();
        object? summary = null;
        string? error;
        try
        {
            (summary, error) = job switch
            {
                ActivateCoverage => await ActivateAsync(asOf, cancellationToken).ConfigureAwait(false),
                SupplementaryEnrolment => await SupplementAsync(asOf, cancellationToken).ConfigureAwait(false),
                MonthlyReports => await ReportAsync(asOf, cancellationToken).ConfigureAwait(false),
                _ => throw new ArgumentOutOfRangeException(nameof(job), job, "No such job."),
            };
        }
        catch (Exception e) when (e is not OperationCanceledException and not ArgumentOutOfRangeException)
        {
            error = e.Message;
            LogFailed(logger, job, asOf, e);
        }

        var run = new JobRun(runId, job, IsoDate.Text(asOf), trigger, started, started + stopwatch.Elapsed,
            error is null ? "succeeded" : "failed", error, summary is null ? null : JsonSerializer.SerializeToElement(summary, JsonSerializerOptions.Web));
        await runs.AddAsync(run, cancellationToken).ConfigureAwait(false);
        return run;
    }

    private async Task<(object Summary, string? Error)> ActivateAsync(DateOnly today, CancellationToken cancellationToken)
    {
        var result = await ledger.AdvanceAsync(today, Actor(ActivateCoverage, today), cancellationToken: cancellationToken).ConfigureAwait(false);
        LogActivated(today, result.Examined, result.Activated, result.Expired);
        return (new { asOf = IsoDate.Text(today), result.Examined, result.Activated, result.Expired }, null);
    }

    private async Task<(object Summary, string? Error)> SupplementAsync(DateOnly today, CancellationToken cancellationToken)
    {
        var summary = await supplementary.RunAsync(today, Actor(SupplementaryEnrolment, today), cancellationToken: cancellationToken).ConfigureAwait(false);
        if (logger.IsEnabled(LogLevel.Information))
        {
            var policies = string.Join(", ", summary.Policies.Where(p => p.Acted).Select(p => p.Policy));
            var totals = string.Join(", ", summary.Totals.Where(t => t.Value > 0).Select(t => $"{t.Key} {t.Value}"));
            LogSupplemented(today, policies, totals);
        }

        var failed = summary.Count(SupplementaryOutcome.Failed);
        // What succeeded stays done and the rest is retried by the next run; the run itself is marked failed.
        return (summary, failed > 0
            ? string.Create(CultureInfo.InvariantCulture, $"{failed} people could not be processed (see the log); run again with POST /api/jobs/{SupplementaryEnrolment}/runs?asOf={today:yyyy-MM-dd}.")
            : null);
    }

    private async Task<(object Summary, string? Error)> ReportAsync(DateOnly today, CancellationToken cancellationToken)
    {
        var written = await monthly.RunAsync(today, cancellationToken).ConfigureAwait(false);
        if (logger.IsEnabled(LogLevel.Information))
        {
            LogReported(today, written.Count == 0 ? "none due" : string.Join(", ", written.Select(w => $"{w.Policy} {w.Month} ({w.Units.Count} units)")));
        }

        return (new { asOf = IsoDate.Text(today), reports = written }, null);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "ActivateCoverage as of {Today}: examined {Examined}, activated {Activated}, expired {Expired}")]
    private partial void LogActivated(DateOnly today, int examined, int activated, int expired);

    [LoggerMessage(Level = LogLevel.Information, Message = "SupplementaryEnrolment as of {Today}: acted for {Policies}; {Totals}")]
    private partial void LogSupplemented(DateOnly today, string policies, string totals);

    [LoggerMessage(Level = LogLevel.Information, Message = "MonthlyReports as of {Today}: {Policies}")]
    private partial void LogReported(DateOnly today, string policies);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Job} as of {AsOf} failed")]
    private static partial void LogFailed(ILogger logger, string job, DateOnly asOf, Exception e);
}

/// <summary>
/// The timer triggers. Schedules come from settings (six-field NCrontab): locally in China time
/// (<c>WEBSITE_TIME_ZONE</c> = Asia/Shanghai: <c>0 5 0 * * *</c>, <c>0 0 2 5 * *</c>, <c>0 0 1 * * *</c>); on Flex Consumption,
/// where timers run in UTC, the same instants in UTC (<c>0 5 16 * * *</c>, <c>0 0 18 4 * *</c>, <c>0 0 17 * * *</c>; see infra/README.md).
/// A run acts for today's China date (or the business date); a past-due run at start-up acts for the day it
/// runs, which covers the missed day too (coverage that began yesterday is still active today). A failed run
/// fails the invocation so the host shows it failed.
/// </summary>
public sealed class TimerFunctions(ScheduledJobs jobs, ChinaClock clock)
{
    [Function(ScheduledJobs.ActivateCoverage)]
    public Task ActivateCoverage([TimerTrigger("%ActivateCoverageSchedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        RunAsync(ScheduledJobs.ActivateCoverage, timer, cancellationToken);

    [Function(ScheduledJobs.SupplementaryEnrolment)]
    public Task SupplementaryEnrolment([TimerTrigger("%SupplementaryEnrolmentSchedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        RunAsync(ScheduledJobs.SupplementaryEnrolment, timer, cancellationToken);

    [Function(ScheduledJobs.MonthlyReports)]
    public Task MonthlyReports([TimerTrigger("%MonthlyReportsSchedule%")] TimerInfo timer, CancellationToken cancellationToken) =>
        RunAsync(ScheduledJobs.MonthlyReports, timer, cancellationToken);

    private async Task RunAsync(string job, TimerInfo timer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timer);
        var run = await jobs.RunAsync(job, clock.Today, timer.IsPastDue ? "timer (past due)" : "timer", cancellationToken).ConfigureAwait(false);
        if (run.Error is not null)
        {
            throw new InvalidOperationException(run.Error);
        }
    }
}

/// <summary><c>POST /api/jobs/{name}/runs?asOf=</c> runs a job now; <c>GET /api/jobs/{name}/runs</c> lists its runs (admin).</summary>
public sealed class JobsApi(ScheduledJobs jobs, JobRunStore runs, ChinaClock clock)
{
    [Function("RunJob")]
    [Roles(FunctionRoles.Admin)]
    public async Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "jobs/{name}/runs")] HttpRequest request, string name, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (ScheduledJobs.Find(name) is not { } job)
        {
            return UnknownJob(name);
        }

        var asOf = clock.Today;
        if (Query.Text(request, "asOf") is { Length: > 0 } text
            && !IsoDate.TryParse(text, out asOf))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "invalid-as-of", "asOf must be a date as yyyy-MM-dd.", $"Got '{LogText.Of(text)}'.", "asOf");
        }

        var run = await jobs.RunAsync(job, asOf, "manual:" + request.HttpContext.User.Actor(), cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(run);
    }

    [Function("ListJobRuns")]
    [Roles(FunctionRoles.Admin)]
    public async Task<IResult> List(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "jobs/{name}/runs")] HttpRequest request, string name, CancellationToken cancellationToken)
    {
        if (ScheduledJobs.Find(name) is not { } job)
        {
            return UnknownJob(name);
        }

        if (!Query.TryInt(request, "top", out var top, out var problem))
        {
            return problem!;
        }

        return TypedResults.Ok(await runs.ListAsync(job, Math.Clamp(top ?? 20, 1, 200), cancellationToken).ConfigureAwait(false));
    }

    private static IResult UnknownJob(string name) =>
        Problems.Problem(StatusCodes.Status404NotFound, "unknown-job", "No such job.",
            $"'{LogText.Of(name)}' is not a job; the jobs are {string.Join(", ", ScheduledJobs.Names)}.", "name");
}

/// <summary>
/// The jobs' run history (table <c>{prefix}jobruns</c>): PartitionKey = job name, RowKey = inverted start ticks
/// + run id, so one partition query returns a job's runs newest first. A few runs a day land here.
/// </summary>
public sealed class JobRunStore(TableServiceClient tables, LedgerTables ledgerTables)
{
    private readonly TableClient _table = tables.GetTableClient(ledgerTables.Prefix + "jobruns");
    private readonly Lock _gate = new();
    private Task? _created;

    public async Task AddAsync(JobRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        await EnsureAsync(cancellationToken).ConfigureAwait(false);
        var entity = new TableEntity(run.Job, string.Create(CultureInfo.InvariantCulture, $"{DateTimeOffset.MaxValue.UtcTicks - run.StartedAt.UtcTicks:D19}-{run.RunId}"))
        {
            ["Run"] = Truncate(JsonSerializer.Serialize(run, JsonSerializerOptions.Web)),
        };
        try
        {
            await _table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            _created = null; // the table went away (emulator restarted empty): create it again next time
            throw;
        }
    }

    /// <summary>The newest <paramref name="top"/> runs of <paramref name="job"/>, newest first.</summary>
    public async Task<IReadOnlyList<JobRun>> ListAsync(string job, int top, CancellationToken cancellationToken)
    {
        await EnsureAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<JobRun>(top);
        await foreach (var entity in _table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {job}"), maxPerPage: top, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (entity.GetString("Run") is { } text && Parse(text) is { } run)
            {
                list.Add(run);
            }

            if (list.Count >= top)
            {
                break;
            }
        }

        return list;
    }

    private static JobRun? Parse(string text)
    {
        try
        {
            return JsonSerializer.Deserialize<JobRun>(text, JsonSerializerOptions.Web);
        }
        catch (JsonException)
        {
            return null; // cut at the column limit: a run too large to keep whole is left out of the list
        }
    }

    // A string column holds 64 KiB (32 K UTF-16 characters).
    private static string Truncate(string text) => text.Length > 30_000 ? text[..30_000] : text;

    private Task EnsureAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_created is null || _created.IsFaulted || _created.IsCanceled)
            {
                _created = _table.CreateIfNotExistsAsync(CancellationToken.None);
            }

            return _created.WaitAsync(cancellationToken);
        }
    }
}

public static class ScheduledJobServices
{
    public static IServiceCollection AddTimerJobs(this IServiceCollection services)
    {
        services.TryAddSingleton<JobRunStore>();
        services.TryAddSingleton<ScheduledJobs>();
        return services;
    }
}
