using System.Globalization;
using Collection.Domain.Codes;
using Collection.Domain.Policies;
using Collection.Functions.Files;
using Collection.Functions.Hosting;
using Collection.Functions.Ledger;
using Collection.Functions.Policies;
using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.Supplementary;

/// <summary>One settlement as the report lists it (staff only: the ID number is in clear).</summary>
public sealed record SettlementItem(
    string Kind,
    string IdNumber,
    string Name,
    string Town,
    string Department,
    string Identity,
    string? PaidBy,
    decimal FromLevel,
    decimal ToLevel,
    decimal Amount,
    string TransactionId,
    string RunDate,
    string Actor)
{
    /// <summary>For an assistance-fund settlement: what the government has paid for the person through tax (资助代缴), matched from the ledger.</summary>
    public decimal? GovernmentPaid { get; init; }

    public string? GovernmentPaidOn { get; init; }

    /// <summary>What of the settlement the fund has not paid yet (never below zero).</summary>
    public decimal? Outstanding { get; init; }
}

/// <summary>The answer of the settlements report; <see cref="Items"/> is streamed as it is read.</summary>
public sealed record SettlementReport(string Policy, string Month, IAsyncEnumerable<SettlementItem> Items);

/// <summary>
/// <c>GET /api/reports/subsidy-settlements?policy=&amp;month=yyyy-MM[&amp;format=csv]</c> (staff, admin): the top-ups (补差),
/// rebates due (先缴后补) and assistance-fund payments the supplementary run recorded for a policy in a month.
/// </summary>
public sealed class SubsidySettlementsApi(EnrolmentLedger ledger, PolicyCatalog policies, SubsidySettlementBook settlements)
{
    private static readonly string[] CsvHeaders =
        ["类别", "身份证号", "姓名", "乡镇街道", "报送部门", "资助身份", "资金承担", "原资助标准", "新资助标准", "金额", "结算流水号", "运行日期", "资助代缴已到账", "到账日期", "未到账"];

    /// <summary>Top-ups, rebates due and assistance-fund payments recorded by the supplementary enrolment for a policy and month; format=csv downloads them (UTF-8 BOM).</summary>
    [Function("SubsidySettlements")]
    [Roles(FunctionRoles.Staff)]
    public Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "reports/subsidy-settlements")] HttpRequest request, CancellationToken cancellationToken) =>
        GetAsync(Query.Text(request, "policy"), Query.Text(request, "month"), Query.Text(request, "format"), ledger, policies, settlements, cancellationToken);

    internal static async Task<IResult> GetAsync(string? policy, string? month, string? format, EnrolmentLedger ledger, PolicyCatalog policies, SubsidySettlementBook settlements, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(policy) || !policies.TryGet(policy, out var known))
        {
            return Problems.UnknownPolicy(policy, StatusCodes.Status400BadRequest);
        }

        if (string.IsNullOrEmpty(month) || !IsoDate.TryParseMonth(month, out _))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "invalid-month", "month must be given as yyyy-MM.", $"Got '{month}'.", "month");
        }

        if (format is not (null or "json" or "csv"))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "unknown-format", "Unknown format.", "format: json (default) or csv.", "format");
        }

        // One book: an assistance-fund settlement (what the fund owes for a person's share) is shown with the
        // government's payments of that share posted through tax (issue 18).
        var governmentPaid = await ledger.GovernmentPaymentsAsync(known.Code, cancellationToken).ConfigureAwait(false);
        var items = Items(settlements.ListAsync(known.Code, month, cancellationToken), governmentPaid);
        if (format != "csv")
        {
            return TypedResults.Ok(new SettlementReport(known.Code, month, items));
        }

        // A temporary file rather than memory: a first month of rebates can list every subsidised person.
        var file = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        var totals = new SortedDictionary<string, (int Count, decimal Amount, decimal Paid, decimal Outstanding)>(StringComparer.Ordinal);
        await using (var csv = CsvReportWriter.Create(file, CsvHeaders, leaveOpen: true))
        {
            await foreach (var s in items.ConfigureAwait(false))
            {
                await csv.WriteRowAsync(
                [
                    SettlementKinds.Label(s.Kind), s.IdNumber, s.Name, s.Town, DepartmentLabel(s.Department), IdentityLabel(s.Identity), s.PaidBy,
                    CsvReportWriter.Amount(s.FromLevel), CsvReportWriter.Amount(s.ToLevel), CsvReportWriter.Amount(s.Amount), s.TransactionId, s.RunDate,
                    s.GovernmentPaid is { } paid ? CsvReportWriter.Amount(paid) : "", s.GovernmentPaidOn ?? "", s.Outstanding is { } owed ? CsvReportWriter.Amount(owed) : "",
                ], cancellationToken).ConfigureAwait(false);
                var t = totals.GetValueOrDefault(s.Kind);
                totals[s.Kind] = (t.Count + 1, t.Amount + s.Amount, t.Paid + (s.GovernmentPaid ?? 0m), t.Outstanding + (s.Outstanding ?? 0m));
            }

            foreach (var (kind, t) in totals)
            {
                var fund = kind == SettlementKinds.AssistanceFund;
                await csv.WriteRowAsync([$"合计：{SettlementKinds.Label(kind)}", "", $"{t.Count} 人", "", "", "", "", "", "", CsvReportWriter.Amount(t.Amount), "", "",
                    fund ? CsvReportWriter.Amount(t.Paid) : "", "", fund ? CsvReportWriter.Amount(t.Outstanding) : ""], cancellationToken).ConfigureAwait(false);
            }
        }

        file.Position = 0;
        return TypedResults.File(file, "text/csv; charset=utf-8", $"subsidy-settlements-{known.Code}-{month}.csv");
    }

    private static async IAsyncEnumerable<SettlementItem> Items(IAsyncEnumerable<SubsidySettlement> settlements, IReadOnlyDictionary<string, (decimal Amount, DateOnly LastPaidOn)> governmentPaid)
    {
        await foreach (var s in settlements.ConfigureAwait(false))
        {
            var item = new SettlementItem(s.Kind, s.IdNumber, s.Name, s.Town, s.Department, s.Identity, s.PaidBy, s.FromLevel, s.ToLevel, s.Amount, s.TransactionId,
                IsoDate.Text(s.RunDate), s.Actor);
            if (s.Kind == SettlementKinds.AssistanceFund)
            {
                var found = governmentPaid.TryGetValue(s.IdNumber, out var p);
                item = item with
                {
                    GovernmentPaid = found ? p.Amount : 0m,
                    GovernmentPaidOn = found ? IsoDate.Text(p.LastPaidOn) : null,
                    Outstanding = Math.Max(0m, s.Amount - (found ? p.Amount : 0m)),
                };
            }

            yield return item;
        }
    }

    private static string DepartmentLabel(string code) => Glossary.Departments.TryParse(code, out var d) ? Glossary.Departments.Label(d) : code;

    private static string IdentityLabel(string code) => Glossary.SubsidyIdentities.TryParse(code, out var i) ? Glossary.SubsidyIdentities.Label(i) : code;
}
