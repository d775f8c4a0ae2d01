using Collection.Domain.Policies;
using Collection.Functions.Hosting;
using Collection.Functions.Ledger;
using Collection.Functions.Policies;
using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.Reports;

/// <summary>
/// <c>GET /api/reports/{policy}/monthly/{yyyy-MM}?unit=&amp;format=xlsx|csv</c> (staff, admin): a monthly report as the
/// <c>MonthlyReports</c> job wrote it (the same bytes as the blob); without <c>unit</c>, the bureau's summary (汇总).
/// </summary>
public sealed class MonthlyReportsApi(PolicyCatalog policies, MonthlyReports reports)
{
    [Function("MonthlyReport")]
    [Roles(FunctionRoles.Staff)]
    public async Task<IResult> Get(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "reports/{policy}/monthly/{month}")] HttpRequest request, string policy, string month, CancellationToken cancellationToken)
    {
        if (!policies.TryGet(policy, out var known))
        {
            return Problems.UnknownPolicy(LogText.Of(policy), StatusCodes.Status404NotFound);
        }

        if (!IsoDate.TryParseMonth(month, out _))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "invalid-month", "month must be yyyy-MM.", $"Got '{LogText.Of(month)}'.", "month",
                new Dictionary<string, object?> { ["detailZh"] = "月份格式应为 yyyy-MM，例如 2022-10" });
        }

        var format = Query.Text(request, "format") ?? "xlsx";
        if (format is not ("xlsx" or "csv"))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "unknown-format", "Unknown format.", "format: xlsx (default) or csv.", "format");
        }

        var unit = Query.Text(request, "unit") is { Length: > 0 } u ? u.Trim() : MonthlyReports.SummaryName;
        if (unit.Length > TextLimits.Town)
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "text-too-long", "unit is too long.", $"At most {TextLimits.Town} characters.", "unit");
        }

        if (await reports.ReadAsync(known.Code, month, unit, format, cancellationToken).ConfigureAwait(false) is not { } content)
        {
            return Problems.Problem(StatusCodes.Status404NotFound, "report-not-written", "No such monthly report.",
                $"No {format} report of {known.Code} for {LogText.Of(month)} and unit '{LogText.Of(unit)}'; the MonthlyReports job writes them on the policy's monthly-progress-report day.", "unit",
                new Dictionary<string, object?> { ["detailZh"] = "该月份尚未生成此单位的月报（月报在政策规定的报送日由定时任务生成）" });
        }

        var contentType = format == "csv" ? "text/csv; charset=utf-8" : ProgressFiles.XlsxContentType;
        return TypedResults.File(content.ToArray(), contentType, $"{known.Code}-{month}-{MonthlyReports.SafeName(unit)}.{format}");
    }
}
