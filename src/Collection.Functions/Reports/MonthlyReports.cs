using System.Globalization;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Collection.Domain.Policies;
using Collection.Functions.Ledger;
using Collection.Functions.Policies;

namespace Collection.Functions.Reports;

/// <summary>What one monthly run wrote for one policy.</summary>
public sealed record MonthlyReportRun(string Policy, string Month, string AsOf, string Since, IReadOnlyList<string> Units, IReadOnlyList<string> Blobs);

/// <summary>
/// 每月参保工作信息 (luyang-2023 八(四) "集中参保期内，各乡镇街道，庐阳经开区每月15日前分别向区医疗保障局、区税务局报送参保工作信息"):
/// on the day of a policy's <c>monthly-progress-report</c> deadline (<c>dayOfMonth</c>; the month's last day when it
/// is shorter) within the collection period, each unit's report and the bureau's summary (<c>汇总</c>) are written
/// to the <c>reports</c> container as XLSX and CSV: <c>{policy}/monthly/{yyyy-MM}/{unit}.xlsx|.csv</c>. A report
/// is as of the day before the deadline (the figures the town sends by then), cumulative, with what is new since
/// the previous report (or since the period opened). The content carries no time of writing, so a run repeated
/// for the same day writes the same bytes.
/// </summary>
public sealed partial class MonthlyReports(EnrolmentLedger ledger, PolicyCatalog policies, TargetStore targets, BlobServiceClient blobs, ILogger<MonthlyReports> logger)
{
    public const string DeadlineCode = "monthly-progress-report";

    public const string SummaryName = "汇总";

    public static string Prefix(string policy, string month) => $"{policy}/monthly/{month}/";

    public static string BlobName(string policy, string month, string unit, string extension) =>
        $"{Prefix(policy, month)}{SafeName(unit)}.{extension}";

    /// <summary>The day of the month the policy's monthly report is due, or null when it has none.</summary>
    public static int? DueDay(Policy policy) =>
        policy?.Document.Deadlines?.FirstOrDefault(d => d.Code == DeadlineCode)?.DayOfMonth;

    /// <summary>The report's due day in the month of <paramref name="day"/> (clamped to the month's length).</summary>
    public static DateOnly DueIn(int dueDay, DateOnly day) => new(day.Year, day.Month, Math.Min(dueDay, DateTime.DaysInMonth(day.Year, day.Month)));

    /// <summary>Whether a report of <paramref name="policy"/> is due on <paramref name="today"/>: its due day, after the period opened and not after it closed.</summary>
    public static bool IsDue(Policy policy, DateOnly today) =>
        DueDay(policy) is { } due && DueIn(due, today) == today && today > policy.CollectionStart && today <= policy.CollectionEnd;

    /// <summary>Writes the reports of every policy due on <paramref name="today"/>.</summary>
    public async Task<IReadOnlyList<MonthlyReportRun>> RunAsync(DateOnly today, CancellationToken cancellationToken)
    {
        var runs = new List<MonthlyReportRun>();
        foreach (var policy in policies.Policies)
        {
            if (IsDue(policy, today))
            {
                runs.Add(await WriteAsync(policy, today, cancellationToken).ConfigureAwait(false));
            }
        }

        return runs;
    }

    /// <summary>Writes <paramref name="policy"/>'s reports due on <paramref name="today"/> (whether or not it is a due day: an admin's replay).</summary>
    public async Task<MonthlyReportRun> WriteAsync(Policy policy, DateOnly today, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var asOf = today.AddDays(-1);
        var previous = DueDay(policy) is { } due ? DueIn(due, today.AddMonths(-1)) : today.AddMonths(-1);
        var since = previous <= policy.CollectionStart ? policy.CollectionStart.AddDays(-1) : previous.AddDays(-1);
        var units = ReportUnits.For(policy, await targets.GetAsync(policy.Code, cancellationToken).ConfigureAwait(false));
        var (report, before) = await ProgressReport.BuildAsync(ledger, policy, units, asOf, since, cancellationToken).ConfigureAwait(false);
        ProgressFigures? Before(ProgressFigures f) => before.GetValueOrDefault(f.Unit);

        var month = today.ToString("yyyy-MM", CultureInfo.InvariantCulture);
        var container = blobs.GetBlobContainerClient(MobilisationContainer);
        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var written = new List<string>();
        async Task WriteUnitAsync(string unit, IReadOnlyList<ProgressFigures> rows)
        {
            using (var xlsx = new MemoryStream())
            {
                await ProgressFiles.WriteXlsxAsync(xlsx, SheetName(unit, month), rows, Before).ConfigureAwait(false);
                written.Add(await UploadAsync(container, BlobName(policy.Code, month, unit, "xlsx"), xlsx, ProgressFiles.XlsxContentType, cancellationToken).ConfigureAwait(false));
            }

            using var csv = new MemoryStream();
            await ProgressFiles.WriteCsvAsync(csv, rows, Before).ConfigureAwait(false);
            written.Add(await UploadAsync(container, BlobName(policy.Code, month, unit, "csv"), csv, "text/csv; charset=utf-8", cancellationToken).ConfigureAwait(false));
        }

        foreach (var unit in report.Units)
        {
            await WriteUnitAsync(unit.Unit, [unit]).ConfigureAwait(false);
        }

        await WriteUnitAsync(SummaryName, [.. report.Units, report.Total]).ConfigureAwait(false);
        LogReportsWritten(policy.Code, month, asOf, report.Units.Count);
        return new MonthlyReportRun(policy.Code, month, IsoDate.Text(asOf), IsoDate.Text(since.AddDays(1)), [.. report.Units.Select(u => u.Unit)], written);
    }

    /// <summary>A written report's bytes, or null when none was written for that month and unit.</summary>
    public async Task<BinaryData?> ReadAsync(string policy, string month, string unit, string extension, CancellationToken cancellationToken)
    {
        try
        {
            var download = await blobs.GetBlobContainerClient(MobilisationContainer).GetBlobClient(BlobName(policy, month, unit, extension))
                .DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            return download.Value.Content;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    private const string MobilisationContainer = Supplementary.MobilisationLists.Container;

    private static async Task<string> UploadAsync(BlobContainerClient container, string name, MemoryStream content, string contentType, CancellationToken cancellationToken)
    {
        content.Position = 0;
        await container.GetBlobClient(name).UploadAsync(content, new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = contentType } }, cancellationToken).ConfigureAwait(false);
        return $"{container.Name}/{name}";
    }

    private static string SheetName(string unit, string month) => $"{unit} {month}";

    /// <summary>A unit's name as a blob name segment: path and control characters replaced.</summary>
    public static string SafeName(string unit) =>
        new([.. (unit ?? "").Select(c => c is '/' or '\\' or '#' or '?' || char.IsControl(c) ? '_' : c)]);

    [LoggerMessage(Level = LogLevel.Information, Message = "Monthly reports of {Policy} for {Month} (as of {AsOf}): {Units} units")]
    private partial void LogReportsWritten(string policy, string month, DateOnly asOf, int units);
}
