using System.Text.Json.Serialization;
using Collection.Domain.Codes;
using Collection.Domain.Policies;
using Collection.Functions.Assessments;
using Collection.Functions.Files;
using Collection.Functions.Hosting;
using Collection.Functions.Policies;
using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.Ledger;

/// <summary>The body of <c>POST /api/remittances</c>: the 税收缴款书 an agent handed tax for the cash it collected.</summary>
public sealed record RemittanceRequestBody
{
    public string? Policy { get; init; }

    /// <summary>代收单位, as payments record it: <c>community:…</c>, <c>school:…</c>, <c>township:…</c>, <c>window</c>.</summary>
    public string? Collector { get; init; }

    /// <summary>缴费时间段: the first and last payment day the remittance covers.</summary>
    public string? From { get; init; }

    public string? To { get; init; }

    /// <summary>缴费人数.</summary>
    public int? Headcount { get; init; }

    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
    public decimal? Amount { get; init; }

    /// <summary>The 税收缴款书 (or bank slip) number: a remittance is recorded once per reference.</summary>
    public string? Reference { get; init; }

    /// <summary>The day the cash went to tax; today when absent.</summary>
    public string? RemittedOn { get; init; }
}

public sealed record RemittanceBody(string Policy, string Collector, string From, string To, int Headcount, decimal Amount, string Reference, string RemittedOn,
    int Payments, bool Repeated, string Actor, DateTimeOffset At);

public sealed record CashHeldBody(string Collector, int Payments, int People, decimal Amount, string OldestPaidOn, int DaysHeld, IReadOnlyList<CashWarning> Warnings);

public sealed record CashHeldReport(string Policy, string AsOf, int? WithinDays, decimal? AmountLimit, IReadOnlyList<CashHeldBody> Collectors);

/// <summary>
/// Cash collected by agents (代收单位) and its remittance to the treasury: <c>POST /api/remittances</c> records one
/// (community, school, staff; a school only for itself), <c>GET /api/remittances/{policy}/held</c> lists the cash each
/// agent holds with the duties reached (luyang-2023 五(一): 30 days or 200,000 yuan).
/// </summary>
public sealed class RemittancesApi(CashRemittanceBook book, PolicyCatalog policies, ChinaClock clock)
{
    [Function("RecordRemittance")]
    [Roles(FunctionRoles.Community, FunctionRoles.School, FunctionRoles.Staff)]
    public Task<IResult> Record(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "remittances")] HttpRequest request, CancellationToken cancellationToken) =>
        RecordAsync(request, cancellationToken);

    [Function("CashHeld")]
    [Roles(FunctionRoles.Community, FunctionRoles.School, FunctionRoles.Tax, FunctionRoles.Staff)]
    public Task<IResult> Held(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "remittances/{policy}/held")] HttpRequest request, string policy, CancellationToken cancellationToken) =>
        HeldAsync(request, policy, cancellationToken);

    /// <summary>
    /// The agent's 已缴费电子明细清册 for a period (bagongshan-2022 六(八) "建立健全年度参保人已缴费电子明细清册……便于……多方对账"):
    /// every payment it collected, with its 入库 state and the remittance that moved it, as CSV (default) or XLSX.
    /// A school sees only its own, with ID numbers masked.
    /// </summary>
    [Function("CollectedPayments")]
    [Roles(FunctionRoles.Community, FunctionRoles.School, FunctionRoles.Tax, FunctionRoles.Staff)]
    public Task<IResult> Collected(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "remittances/{policy}/collected")] HttpRequest request, string policy, CancellationToken cancellationToken) =>
        CollectedAsync(request, policy, cancellationToken);

    private static readonly string[] CollectedHeaders = ["代收单位", "缴费日期", "证件号码", "缴费金额", "缴费方式", "缴费类型", "交易流水号", "是否入库", "入库日期", "入库依据"];

    private async Task<IResult> CollectedAsync(HttpRequest http, string policyCode, CancellationToken cancellationToken)
    {
        if (!policies.TryGet(policyCode, out var policy))
        {
            return Problems.UnknownPolicy(policyCode, StatusCodes.Status404NotFound);
        }

        var format = Query.Text(http, "format") ?? "csv";
        if (format is not ("csv" or "xlsx"))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "unknown-format", "Unknown format.", "format: csv (default) or xlsx.", "format",
                new Dictionary<string, object?> { ["detailZh"] = "format 可取 csv（默认）或 xlsx" });
        }

        var collector = Query.Text(http, "collector")?.Trim();
        if (string.IsNullOrEmpty(collector) || collector.Length > TextLimits.Source || !Collectors.IsValid(collector))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "invalid-collector", "Invalid collector.", "collector: community:<name>, school:<code>, township:<name> or window.", "collector");
        }

        var user = http.HttpContext.User;
        var staffView = user.IsInRole(FunctionRoles.Admin) || user.IsInRole(FunctionRoles.Staff) || user.IsInRole(FunctionRoles.Tax) || user.IsInRole(FunctionRoles.Community);
        if (!staffView && !MayRemitFor(user, collector))
        {
            return Problems.Problem(StatusCodes.Status403Forbidden, "forbidden-collector", "This key may see only its own school's payments.", "Ask with collector=school:<your code>.", "collector");
        }

        if (!AssessmentRequestParser.TryDate(Query.Text(http, "from"), "from", out var from, out var error) || !AssessmentRequestParser.TryDate(Query.Text(http, "to"), "to", out var to, out error))
        {
            return error.ToResult();
        }

        var last = to ?? clock.Today;
        var first = from ?? policy.CollectionStart;
        if (last < first)
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "invalid-period", "The period is reversed.", "from ≤ to (yyyy-MM-dd).", "from");
        }

        // An agent's payments for a period are its real collections (thousands, not millions): sorted by day in memory.
        var rows = new List<PaymentEntity>();
        await foreach (var row in book.CollectedAsync(policy.Code, collector, first, last, cancellationToken).ConfigureAwait(false))
        {
            rows.Add(row);
        }

        rows.Sort((a, b) => (string.CompareOrdinal(a.PaidOn, b.PaidOn), string.CompareOrdinal(a.IdNumber, b.IdNumber), string.CompareOrdinal(a.TransactionId, b.TransactionId)) switch
        {
            (not 0 and var c, _, _) => c,
            (_, not 0 and var c, _) => c,
            (_, _, var c) => c,
        });
        var file = new FileStream(Path.GetTempFileName(), FileMode.Open, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        try
        {
            var cells = rows.Select(r => CollectedCells(r, staffView));
            if (format == "csv")
            {
                await using var csv = CsvReportWriter.Create(file, CollectedHeaders, leaveOpen: true);
                foreach (var row in cells)
                {
                    await csv.WriteRowAsync([.. row.Select(c => c switch { decimal d => CsvReportWriter.Amount(d), _ => (string?)c ?? "" })], cancellationToken).ConfigureAwait(false);
                }
            }
            else
            {
                await using var xlsx = XlsxReportWriter.Create(file, "已缴费明细", CollectedHeaders);
                foreach (var row in cells)
                {
                    xlsx.WriteRow(row);
                }
            }

            file.Position = 0;
            var name = $"collected-{policy.Code}-{IsoDate.Text(first)}-{IsoDate.Text(last)}.{format}";
            return Results.Stream(file, format == "csv" ? "text/csv; charset=utf-8" : Reports.ProgressFiles.XlsxContentType, name);
        }
        catch
        {
            await file.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static object?[] CollectedCells(PaymentEntity row, bool fullIdNumbers) =>
    [
        row.Collector,
        row.PaidOn,
        fullIdNumbers ? row.IdNumber : Domain.Rosters.RosterChecker.Mask(row.IdNumber),
        Money.Parse(row.Amount),
        Glossary.PaymentChannels.TryParse(row.Channel, out var channel) ? Glossary.PaymentChannels.Label(channel) : row.Channel,
        row.Payer == "government" ? "政府代缴" : "个人缴费",
        row.TransactionId,
        row.InTreasury ? "是" : "否",
        row.InTreasury ? row.InTreasuryOn : "",
        !row.InTreasury ? ""
            : row.InTreasuryBy.StartsWith("remittance:", StringComparison.Ordinal) ? "汇缴 " + row.InTreasuryBy["remittance:".Length..]
            : row.InTreasuryBy.Length == 0 || row.InTreasuryBy == row.Actor ? "缴费时已入库"
            : "入库确认：" + row.InTreasuryBy,
    ];

    private async Task<IResult> RecordAsync(HttpRequest http, CancellationToken cancellationToken)
    {
        var (body, error) = await JsonRequests.ReadAsync<RemittanceRequestBody>(http, "remittance", cancellationToken).ConfigureAwait(false);
        if (body is null)
        {
            return error!.ToResult();
        }

        if (string.IsNullOrWhiteSpace(body.Policy) || !policies.TryGet(body.Policy, out var policy))
        {
            return AssessmentRequestParser.UnknownPolicy(body.Policy).ToResult();
        }

        if (TextLimits.First(TextLimits.Check("collector", body.Collector, TextLimits.Source), TextLimits.Check("reference", body.Reference, TextLimits.TransactionId)) is { } tooLong)
        {
            return tooLong.ToResult();
        }

        if (string.IsNullOrWhiteSpace(body.Collector) || string.IsNullOrWhiteSpace(body.Reference) || body.Amount is null || body.Headcount is null)
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "missing-field", "A required field is missing.", "collector, from, to, headcount, amount and reference are required.");
        }

        var collector = body.Collector.Trim();
        if (!Collectors.IsValid(collector))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "invalid-collector", "Invalid collector.", "collector: community:<name>, school:<code>, township:<name> or window.", "collector");
        }

        if (!MayRemitFor(http.HttpContext.User, collector))
        {
            return Problems.Problem(StatusCodes.Status403Forbidden, "forbidden-collector", "This key may remit only for its own school.", $"A school key records remittances for school:<its code>, not {LogText.Of(collector)}.", "collector");
        }

        if (body.Headcount <= 0 || body.Amount <= 0 || body.Amount != decimal.Round(body.Amount.Value, 2))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, body.Headcount <= 0 ? "invalid-headcount" : "invalid-amount", "Invalid headcount or amount.",
                "headcount must be a positive whole number and amount positive yuan with at most two decimals.", body.Headcount <= 0 ? "headcount" : "amount");
        }

        if (!AssessmentRequestParser.TryDate(body.From, "from", out var from, out error) || !AssessmentRequestParser.TryDate(body.To, "to", out var to, out error)
            || !AssessmentRequestParser.TryDate(body.RemittedOn, "remittedOn", out var remittedOn, out error))
        {
            return error.ToResult();
        }

        if (from is null || to is null || to < from)
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, from is null || to is null ? "missing-field" : "invalid-period", "The period is missing or reversed.", "from and to (yyyy-MM-dd), from ≤ to.", "from");
        }

        var day = remittedOn ?? clock.Today;
        if (day > clock.Today || day < to)
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "date-in-future", "The remittance day is after today or before the period's end.", $"remittedOn {IsoDate.Text(day)} must lie between {IsoDate.Text(to.Value)} and today.", "remittedOn");
        }

        try
        {
            var result = await book.RemitAsync(new Remittance(policy.Code, collector, from.Value, to.Value, body.Headcount.Value, body.Amount.Value, body.Reference.Trim(), day),
                http.HttpContext.User.Actor(), cancellationToken).ConfigureAwait(false);
            var r = result.Remittance;
            var answer = new RemittanceBody(r.Policy, r.Collector, IsoDate.Text(r.From), IsoDate.Text(r.To), r.Headcount, r.Amount, r.Reference, IsoDate.Text(r.RemittedOn),
                result.Payments, result.Repeated, result.Actor, result.At);
            return result.Repeated ? TypedResults.Ok(answer) : TypedResults.Created($"/api/remittances/{r.Policy}/held?collector={Uri.EscapeDataString(r.Collector)}", answer);
        }
        catch (RemittanceMismatchException e)
        {
            return Problems.Problem(StatusCodes.Status422UnprocessableEntity, "remittance-mismatch", "The remittance does not match the cash held.", e.Message, "headcount",
                new Dictionary<string, object?> { ["foundPayments"] = e.Payments, ["foundPeople"] = e.People, ["foundAmount"] = e.Amount });
        }
    }

    private async Task<IResult> HeldAsync(HttpRequest http, string policyCode, CancellationToken cancellationToken)
    {
        if (!policies.TryGet(policyCode, out var policy))
        {
            return Problems.UnknownPolicy(policyCode, StatusCodes.Status404NotFound);
        }

        if (!AssessmentRequestParser.TryDate(Query.Text(http, "date"), "date", out var date, out var error))
        {
            return error.ToResult();
        }

        var collector = Query.Text(http, "collector");
        var user = http.HttpContext.User;
        if (!user.IsInRole(FunctionRoles.Admin) && !user.IsInRole(FunctionRoles.Staff) && !user.IsInRole(FunctionRoles.Tax) && !user.IsInRole(FunctionRoles.Community))
        {
            // A school sees only the cash it holds itself.
            var own = user.FindAll(FunctionRoles.SchoolClaim).Select(c => "school:" + c.Value).FirstOrDefault();
            if (own is null || (collector is not null && !string.Equals(collector, own, StringComparison.OrdinalIgnoreCase)))
            {
                return Problems.Problem(StatusCodes.Status403Forbidden, "forbidden-collector", "This key may see only its own school's cash.", "Ask with collector=school:<your code>.", "collector");
            }

            collector = own;
        }

        var day = date ?? clock.Today;
        var held = await book.HeldAsync(policy, day, collector, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(new CashHeldReport(policy.Code, IsoDate.Text(day), policy.CashRemittanceDays, policy.CashRemittanceAmount,
            [.. held.Select(h => new CashHeldBody(h.Collector, h.Payments, h.People, h.Amount, IsoDate.Text(h.OldestPaidOn), h.DaysHeld, h.Warnings))]));
    }

    private static bool MayRemitFor(System.Security.Claims.ClaimsPrincipal user, string collector) =>
        user.IsInRole(FunctionRoles.Admin) || user.IsInRole(FunctionRoles.Staff) || user.IsInRole(FunctionRoles.Community)
        || (collector.StartsWith("school:", StringComparison.OrdinalIgnoreCase) && user.MayActForSchool(collector["school:".Length..]));
}

/// <summary>How payments and remittances name the agent that took the money.</summary>
public static class Collectors
{
    private static readonly string[] Kinds = ["community:", "school:", "township:"];

    public static bool IsValid(string collector) =>
        collector == "window"
        || Kinds.Any(k => collector.StartsWith(k, StringComparison.Ordinal) && collector.Length > k.Length && !collector.Any(char.IsControl));
}
