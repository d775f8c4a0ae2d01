using System.Text.Json.Serialization;
using Collection.Domain.Codes;
using Collection.Domain.Policies;
using Collection.Functions.Assessments;
using Collection.Functions.Files;
using Collection.Functions.Hosting;
using Collection.Functions.Ledger;
using Collection.Functions.Policies;
using Collection.Functions.Reports;
using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.Supplementary;

/// <summary>The body of <c>POST /api/subsidy-transfers</c>: one 划转 from the assistance-fund account to the fiscal account.</summary>
public sealed record SubsidyTransferRequestBody
{
    public string? Policy { get; init; }

    /// <summary>The transfer voucher (划转凭证号): a transfer is recorded once per reference.</summary>
    public string? Reference { get; init; }

    /// <summary>The day the money moved; today when absent.</summary>
    public string? TransferredOn { get; init; }

    /// <summary>资助参保人数 the transfer is for.</summary>
    public int? Headcount { get; init; }

    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
    public decimal? Amount { get; init; }

    public string? Note { get; init; }
}

public sealed record SubsidyTransferBody(string Policy, string Reference, string TransferredOn, int Headcount, decimal Amount, string? Note, bool Repeated, string Actor, DateTimeOffset RecordedAt);

public sealed record TransferDueBody(string Kind, string KindLabel, string Identity, string IdentityLabel, string? PaidBy, decimal Standard, int People, decimal Amount);

/// <summary>A warning of the transfer report: <c>transfer-overdue</c>, <c>transfer-outstanding</c> or <c>transfer-exceeds-due</c>.</summary>
public sealed record TransferWarning(string Code, string Message);

/// <summary>What the fund owes as of a day, what was transferred, and what is outstanding against the policy's deadline.</summary>
public sealed record SubsidyTransferReport(
    string Policy,
    string AsOf,
    string? TransferBy,
    IReadOnlyList<TransferDueBody> Due,
    int DuePeople,
    decimal DueAmount,
    IReadOnlyList<SubsidyTransferBody> Transfers,
    int TransferredHeadcount,
    decimal Transferred,
    decimal Outstanding,
    IReadOnlyList<TransferWarning> Warnings);

/// <summary>
/// The transfer of the subsidies (luyang-2023 五(五) "12月31日前，区医保局按照上报的资助参保人数和标准，将资助参保缴费金额从医疗救助资金帐户划转到
/// 市居民医保财政专户"; bagongshan-2022 七9 特殊群体财政资助款项汇缴入库): staff record each transfer, and the report sets
/// them against headcount × standard per identity, with the policy's deadline (<c>subsidy-transfer</c>).
/// </summary>
public sealed class SubsidyTransfersApi(PolicyCatalog policies, SupplementaryRun run, SubsidyTransferBook book, ChinaClock clock)
{
    private static readonly string[] Headers = ["类别", "资助身份", "资金来源", "资助标准", "人数", "金额"];

    [Function("RecordSubsidyTransfer")]
    [Roles(FunctionRoles.Staff)]
    public async Task<IResult> Record(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "subsidy-transfers")] HttpRequest request, CancellationToken cancellationToken)
    {
        var (body, error) = await JsonRequests.ReadAsync<SubsidyTransferRequestBody>(request, "subsidy transfer", cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return error!.ToResult();
        }

        if (string.IsNullOrWhiteSpace(body.Policy) || !policies.TryGet(body.Policy, out var policy))
        {
            return AssessmentRequestParser.UnknownPolicy(body.Policy).ToResult();
        }

        if (TextLimits.First(TextLimits.Check("reference", body.Reference, TextLimits.TransactionId), TextLimits.Check("note", body.Note, TextLimits.Note, multiLine: true)) is { } tooLong)
        {
            return tooLong.ToResult();
        }

        if (string.IsNullOrWhiteSpace(body.Reference) || body.Amount is null || body.Headcount is null)
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "missing-field", "A required field is missing.", "policy, reference, headcount and amount are required.");
        }

        var reference = body.Reference.Trim();
        if (reference.IndexOfAny(['/', '\\', '#', '?']) >= 0)
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "invalid-reference", "The reference may not hold / \\ # or ?.", "Give the voucher number as printed.", "reference");
        }

        if (body.Headcount < 0 || body.Amount <= 0 || body.Amount != decimal.Round(body.Amount.Value, 2) || body.Amount > 1_000_000_000m)
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, body.Headcount < 0 ? "invalid-headcount" : "invalid-amount", "Invalid headcount or amount.",
                "headcount must be a whole number ≥ 0 and amount positive yuan with at most two decimals, at most 1,000,000,000.", body.Headcount < 0 ? "headcount" : "amount");
        }

        if (!AssessmentRequestParser.TryDate(body.TransferredOn, "transferredOn", out var on, out error))
        {
            return error.ToResult();
        }

        var day = on ?? clock.Today;
        if (day > clock.Today)
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "date-in-future", "The transfer day is after today.", $"transferredOn {IsoDate.Text(day)} is after {IsoDate.Text(clock.Today)}.", "transferredOn");
        }

        var transfer = new SubsidyTransfer(policy.Code, reference, day, body.Headcount.Value, body.Amount.Value, body.Note?.Trim(), request.HttpContext.User.Actor(), clock.Now);
        if (await book.RecordAsync(transfer, cancellationToken).ConfigureAwait(false) is not { } recorded)
        {
            return Problems.Problem(StatusCodes.Status409Conflict, "reference-in-use", "The reference is recorded with other figures.",
                $"Transfer {LogText.Of(reference)} is already recorded for {policy.Code} with another day, headcount or amount.", "reference");
        }

        var answer = Body(recorded.Transfer, recorded.Repeated);
        return recorded.Repeated ? TypedResults.Ok(answer) : TypedResults.Created($"/api/reports/{policy.Code}/subsidy-transfer", answer);
    }

    /// <summary><c>GET /api/reports/{policy}/subsidy-transfer?date=&amp;format=json|csv|xlsx</c> (staff, admin).</summary>
    [Function("SubsidyTransferReport")]
    [Roles(FunctionRoles.Staff)]
    public async Task<IResult> Report(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "reports/{policy}/subsidy-transfer")] HttpRequest request, string policy, CancellationToken cancellationToken)
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

        var report = await BuildAsync(known, day, cancellationToken).ConfigureAwait(false);
        if (format is null or "json")
        {
            return TypedResults.Ok(report);
        }

        var rows = report.Due.Select(d => (IReadOnlyList<object?>)[d.KindLabel, d.IdentityLabel, d.PaidBy, d.Standard, d.People, d.Amount])
            .Append(["应划转合计", null, null, null, report.DuePeople, report.DueAmount])
            .Concat(report.Transfers.Select(t => (IReadOnlyList<object?>)[$"已划转 {t.TransferredOn}", t.Reference, t.Note, null, t.Headcount, t.Amount]))
            .Append(["已划转合计", null, null, null, report.TransferredHeadcount, report.Transferred])
            .Append(["未划转", report.TransferBy is { } by ? $"划转期限 {by}" : null, string.Join("；", report.Warnings.Select(w => w.Message)), null, null, report.Outstanding])
            .ToList();
        var name = $"subsidy-transfer-{known.Code}-{IsoDate.Text(day)}";
        return await ReportFiles.FileAsync(format, name, "资助参保资金划转", Headers, rows, cancellationToken).ConfigureAwait(false);
    }

    private async Task<SubsidyTransferReport> BuildAsync(Policy policy, DateOnly day, CancellationToken cancellationToken)
    {
        var due = await run.TransferDueAsync(policy, day, cancellationToken).ConfigureAwait(false);
        var transfers = (await book.ListAsync(policy.Code, cancellationToken).ConfigureAwait(false)).Where(t => t.TransferredOn <= day)
            .OrderBy(t => t.TransferredOn).ThenBy(t => t.Reference, StringComparer.Ordinal).ToList();
        var dueAmount = due.Sum(d => d.Amount);
        var transferred = transfers.Sum(t => t.Amount);
        var outstanding = Math.Max(0m, dueAmount - transferred);
        var warnings = new List<TransferWarning>();
        if (outstanding > 0m && policy.SubsidyTransferBy is { } by)
        {
            warnings.Add(day > by
                ? new TransferWarning("transfer-overdue", $"划转期限{IsoDate.Text(by)}已过，尚有{CsvReportWriter.Amount(outstanding)}元未划转")
                : new TransferWarning("transfer-outstanding", $"尚有{CsvReportWriter.Amount(outstanding)}元未划转，期限{IsoDate.Text(by)}"));
        }

        if (transferred > dueAmount)
        {
            warnings.Add(new TransferWarning("transfer-exceeds-due", $"已划转{CsvReportWriter.Amount(transferred)}元，多于应划转的{CsvReportWriter.Amount(dueAmount)}元"));
        }

        return new SubsidyTransferReport(policy.Code, IsoDate.Text(day), policy.SubsidyTransferBy is { } d ? IsoDate.Text(d) : null,
            [.. due.Select(l => new TransferDueBody(l.Kind, TransferDueKinds.Label(l.Kind), l.Identity, IdentityLabel(l.Identity), l.PaidBy, l.Standard, l.People, l.Amount))],
            due.Where(l => l.Kind == TransferDueKinds.Subsidy).Sum(l => l.People), dueAmount,
            [.. transfers.Select(t => Body(t, false))], transfers.Sum(t => t.Headcount), transferred, outstanding, warnings);
    }

    private static SubsidyTransferBody Body(SubsidyTransfer t, bool repeated) =>
        new(t.Policy, t.Reference, IsoDate.Text(t.TransferredOn), t.Headcount, t.Amount, t.Note, repeated, t.Actor, t.RecordedAt);

    private static string IdentityLabel(string code) => Glossary.SubsidyIdentities.TryParse(code, out var i) ? Glossary.SubsidyIdentities.Label(i) : code;
}
