using System.Globalization;
using Collection.Domain.Policies;
using Collection.Functions.Assessments;
using Collection.Functions.Files;
using Collection.Functions.Hosting;
using Collection.Functions.Ledger;
using Collection.Functions.Policies;
using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.Reports;

/// <summary>
/// <c>GET /api/reports/{policy}/progress?date=yyyy-MM-dd[&amp;format=json|csv|xlsx]</c> (staff, admin): 参保进度 per
/// unit against its task, as of the day (default today).
/// </summary>
public sealed class ProgressApi(EnrolmentLedger ledger, TargetStore targets, PolicyCatalog policies, ChinaClock clock)
{
    [Function("EnrolmentProgress")]
    [Roles(FunctionRoles.Staff)]
    public async Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "reports/{policy}/progress")] HttpRequest request, string policy, CancellationToken cancellationToken)
    {
        if (!ReportRequest.TryRead(request, policy, policies, clock, out var known, out var day, out var problem))
        {
            return problem;
        }

        var format = Query.Text(request, "format");
        if (format is not (null or "json" or "csv" or "xlsx"))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "unknown-format", "Unknown format.", "format: json (default), csv or xlsx.", "format");
        }

        var units = ReportUnits.For(known, await targets.GetAsync(known.Code, cancellationToken).ConfigureAwait(false));
        var report = await ProgressReport.BuildAsync(ledger, known, units, day, cancellationToken).ConfigureAwait(false);
        if (format is null or "json")
        {
            return TypedResults.Ok(report);
        }

        var buffer = new MemoryStream();
        var name = $"progress-{known.Code}-{IsoDate.Text(day)}";
        if (format == "csv")
        {
            await ProgressFiles.WriteCsvAsync(buffer, report.Units.Append(report.Total)).ConfigureAwait(false);
            buffer.Position = 0;
            return TypedResults.File(buffer, "text/csv; charset=utf-8", name + ".csv");
        }

        await ProgressFiles.WriteXlsxAsync(buffer, "参保进度", report.Units.Append(report.Total)).ConfigureAwait(false);
        buffer.Position = 0;
        return TypedResults.File(buffer, ProgressFiles.XlsxContentType, name + ".xlsx");
    }
}

/// <summary>The progress figures as CSV (UTF-8 with BOM) and XLSX, with the same Chinese headers.</summary>
public static class ProgressFiles
{
    public const string XlsxContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    public static readonly IReadOnlyList<string> Headers =
        ["单位", "类别", "征缴任务数", "参保登记人数", "参保缴费人数", "其中：个人缴费", "其中：全额资助", "其中：定额资助", "未缴费人数", "个人缴费金额", "财政资助金额", "任务完成率", "距任务差额"];

    /// <summary>Headers of a monthly report: the cumulative figures, then those of the month.</summary>
    public static readonly IReadOnlyList<string> MonthlyHeaders =
        [.. Headers, "本期新增登记人数", "本期新增参保缴费人数", "本期个人缴费金额"];

    public static string KindLabel(string kind) => kind switch
    {
        UnitKinds.Town => "乡镇街道",
        UnitKinds.Department => "部门单位",
        UnitKinds.School => "学校",
        UnitKinds.University => "高校",
        UnitKinds.Unassigned => "未归属",
        _ => "合计",
    };

    public static string? Percent(decimal? ratio) => ratio is { } r ? (r * 100m).ToString("0.00", CultureInfo.InvariantCulture) + "%" : null;

    public static IReadOnlyList<object?> Cells(ProgressFigures f, ProgressFigures? before = null)
    {
        ArgumentNullException.ThrowIfNull(f);
        object?[] cells =
        [
            f.Unit, KindLabel(f.Kind), f.Target, f.Registered, f.Insured, f.Paid, f.Waived, f.Subsidised, f.Unpaid,
            f.PaidAmount, f.SubsidyAmount, Percent(f.Completion), f.Shortfall,
        ];
        return before is null ? cells
            : [.. cells, f.Registered - before.Registered, f.Insured - before.Insured, f.PaidAmount - before.PaidAmount];
    }

    public static async Task WriteCsvAsync(Stream output, IEnumerable<ProgressFigures> rows, Func<ProgressFigures, ProgressFigures?>? before = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        await using var csv = CsvReportWriter.Create(output, before is null ? Headers : MonthlyHeaders, leaveOpen: true);
        foreach (var row in rows)
        {
            await csv.WriteRowAsync([.. Cells(row, before?.Invoke(row)).Select(Text)]).ConfigureAwait(false);
        }
    }

    public static async Task WriteXlsxAsync(Stream output, string sheet, IEnumerable<ProgressFigures> rows, Func<ProgressFigures, ProgressFigures?>? before = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        await using var xlsx = XlsxReportWriter.Create(output, sheet, before is null ? Headers : MonthlyHeaders);
        foreach (var row in rows)
        {
            xlsx.WriteRow(Cells(row, before?.Invoke(row)));
        }
    }

    /// <summary>A cell as CSV text: amounts with two decimals, numbers invariant.</summary>
    public static string? Text(object? cell) => cell switch
    {
        null => null,
        decimal amount => CsvReportWriter.Amount(amount),
        int number => number.ToString(CultureInfo.InvariantCulture),
        _ => Convert.ToString(cell, CultureInfo.InvariantCulture),
    };
}
