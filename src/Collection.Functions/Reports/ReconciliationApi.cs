using Collection.Domain.Policies;
using Collection.Functions.Assessments;
using Collection.Functions.Files;
using Collection.Functions.Hosting;
using Collection.Functions.Ledger;
using Collection.Functions.Policies;
using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.Reports;

/// <summary><c>GET /api/reports/reconciliation?policy=&amp;from=&amp;to=[&amp;format=csv]</c> (staff, admin): 对账.</summary>
public sealed class ReconciliationApi(EnrolmentLedger ledger, PolicyCatalog policies)
{
    private static readonly Dictionary<string, string> KindLabels = new(StringComparer.Ordinal)
    {
        ["overpaid"] = "多缴",
        ["underpaid"] = "少缴",
        ["paid-while-cancelled"] = "注销后仍有缴费",
        ["unmatched-payment"] = "缴费未匹配到参保登记",
    };

    /// <summary>Assessed vs paid for a policy and period: by channel, in treasury, waived, over/under-payments and mismatches; format=csv downloads it.</summary>
    [Function("Reconciliation")]
    [Roles(FunctionRoles.Staff)]
    public Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "reports/reconciliation")] HttpRequest request, CancellationToken cancellationToken) =>
        GetAsync(Query.Text(request, "policy"), Query.Text(request, "from"), Query.Text(request, "to"), Query.Text(request, "format"), ledger, policies, cancellationToken);

    internal static async Task<IResult> GetAsync(string? policy, string? from, string? to, string? format, EnrolmentLedger ledger, PolicyCatalog policies, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(policy) || !policies.TryGet(policy, out var known))
        {
            return Problems.UnknownPolicy(policy, StatusCodes.Status400BadRequest);
        }

        if (!AssessmentRequestParser.TryDate(from, "from", out var fromDate, out var error) || !AssessmentRequestParser.TryDate(to, "to", out var toDate, out error))
        {
            return error.ToResult();
        }

        var start = fromDate ?? DateOnly.MinValue;
        var end = toDate ?? DateOnly.MaxValue;
        if (end < start)
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "invalid-period", "The period ends before it starts.", $"to ({to}) is before from ({from}).", "to");
        }

        if (format is not (null or "json" or "csv"))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "unknown-format", "Unknown format.", "format: json (default) or csv.", "format");
        }

        var report = await ReconciliationReport.BuildAsync(ledger, known.Code, start, end, cancellationToken).ConfigureAwait(false);
        if (format != "csv")
        {
            return TypedResults.Ok(report);
        }

        var buffer = new MemoryStream();
        await using (var csv = CsvReportWriter.Create(buffer, ["类别", "项目", "人数/笔数", "金额", "身份证号", "姓名", "说明"], leaveOpen: true))
        {
            void Row(string group, string item, int count, decimal amount, string? id = null, string? name = null, string? detail = null) =>
                csv.WriteRow([group, item, count.ToString(System.Globalization.CultureInfo.InvariantCulture), CsvReportWriter.Amount(amount), id, name, detail]);

            Row("汇总", "核定应征（人）", report.Assessed.Count, report.Assessed.Amount);
            Row("汇总", "已缴费（笔）", report.Paid.Count, report.Paid.Amount, detail: $"缴费人数 {report.PaidPeople}");
            foreach (var channel in report.ByChannel)
            {
                Row("缴费渠道", channel.Label, channel.Count, channel.Amount);
            }

            Row("入库", "已入库", report.InTreasury.Count, report.InTreasury.Amount);
            Row("入库", "未入库", report.NotInTreasury.Count, report.NotInTreasury.Amount);
            Row("资助", "政府全额代缴（人）", report.Waived.Count, report.Waived.Amount);
            Row("资助", "政府资助合计", report.Assessed.Count, report.GovernmentShare);
            Row("差异", "多缴", report.Overpaid.Count, report.Overpaid.Amount);
            Row("差异", "少缴", report.Underpaid.Count, report.Underpaid.Amount);
            Row("差异", "未缴", report.Unpaid.Count, report.Unpaid.Amount);
            Row("差异", "已注销", report.Cancelled, 0m);
            Row("差异", "未匹配缴费", report.Unmatched.Count, report.Unmatched.Amount);
            foreach (var m in report.Mismatches)
            {
                Row("不一致明细", KindLabels.GetValueOrDefault(m.Kind, m.Kind), 1, m.Difference, m.IdNumber, m.Name, m.Detail);
            }
        }

        buffer.Position = 0;
        return TypedResults.File(buffer, "text/csv; charset=utf-8", $"reconciliation-{known.Code}.csv");
    }
}
