using System.Text.Json.Serialization;
using Collection.Domain.Enrolments;
using Collection.Functions.Assessments;
using Collection.Functions.Policies;

namespace Collection.Functions.Ledger;

/// <summary>The body of <c>POST /api/enrolments</c>: an assessment request plus the person and the source.</summary>
public sealed record EnrolmentRequestBody : AssessmentRequestBody
{
    public string? Name { get; init; }

    public string? Phone { get; init; }

    public string? Address { get; init; }

    /// <summary>乡镇/街道.</summary>
    public string? Town { get; init; }

    /// <summary><c>window</c>, <c>roster:&lt;school&gt;</c>, <c>subsidy-list</c>, …; default <c>window</c>.</summary>
    public string? Source { get; init; }
}

/// <summary>The body of <c>POST /api/payments</c>.</summary>
public sealed record PaymentRequestBody
{
    public string? Policy { get; init; }

    public string? IdNumber { get; init; }

    /// <summary>Yuan, exact decimal (a JSON number, or a string holding one).</summary>
    [JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)]
    public decimal? Amount { get; init; }

    public string? PaidOn { get; init; }

    /// <summary>A payment channel code or its Chinese label.</summary>
    public string? Channel { get; init; }

    public string? TransactionId { get; init; }

    public bool? InTreasury { get; init; }

    /// <summary><c>person</c> (default) or <c>government</c>: a department or fund paying the subsidised share (资助代缴).</summary>
    public string? Payer { get; init; }

    /// <summary>代收单位 that took the money: <c>community:…</c>, <c>school:…</c>, <c>township:…</c>, <c>window</c>.</summary>
    public string? Collector { get; init; }
}

public sealed record TermsBody(decimal StandardContribution, decimal Subsidy, string SubsidyMode, decimal Payable, decimal Rebate, string CoverageStart, string CoverageEnd);

public sealed record PaymentBody(string TransactionId, decimal Amount, string PaidOn, string Channel, bool InTreasury, DateTimeOffset PostedAt, string Actor)
{
    /// <summary><c>person</c>, or <c>government</c> for the subsidised share paid through tax.</summary>
    public string Payer { get; init; } = "person";

    /// <summary>代收单位, when an agent took the money.</summary>
    public string? Collector { get; init; }

    public string? InTreasuryOn { get; init; }

    public string? InTreasuryBy { get; init; }
}

public sealed record RefundBody(string CaseId, decimal Amount, bool Subsidy, string Reason, string Channel, DateTimeOffset At, string Actor, int Generation);

public sealed record ChangeBody(DateTimeOffset At, string Actor, string Cause, string Status, string? Detail);

/// <summary>One enrolment as staff see it (the ID number in clear: staff only).</summary>
public sealed record EnrolmentBody(
    string Policy,
    string IdNumber,
    string? Name,
    string? Phone,
    string? Address,
    string? Town,
    string Source,
    string EnrolledOn,
    string Status,
    string? CancellationReason,
    TermsBody Assessment,
    string CoverageStart,
    decimal Paid,
    decimal Balance,
    decimal Overpayment,
    AssessmentRequestBody Request,
    IReadOnlyList<PaymentBody> Payments,
    IReadOnlyList<ChangeBody> History)
{
    /// <summary>1 for a first enrolment; one more for each enrolment after a cancelled one (earlier ones are kept).</summary>
    public int Generation { get; init; } = 1;

    /// <summary>Paid in before refunds (<see cref="Paid"/> is net of <see cref="Refunded"/>).</summary>
    public decimal PaidGross { get; init; }

    public decimal Refunded { get; init; }

    /// <summary>The subsidised share the government paid through tax (not the person's money, never an overpayment).</summary>
    public decimal GovernmentPaid { get; init; }

    public int PaymentCount { get; init; }

    /// <summary>Refunds paid from this enrolment.</summary>
    public IReadOnlyList<RefundBody> Refunds { get; init; } = [];

    /// <summary>True when more payments are on file than this answer lists (the newest are listed).</summary>
    public bool PaymentsTruncated { get; init; }

    /// <summary>The person's subsidy identities under the policy (from the subsidy lists), on <c>GET</c> of one enrolment.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<Subsidies.IdentitySpellBody>? Identities { get; init; }

    /// <summary>
    /// Identities claimed at the window or in the roster that no department's list confirms (未经部门名单确认):
    /// shown so staff see them; they subsidise only where the policy says so.
    /// </summary>
    public IReadOnlyList<string> UnconfirmedIdentities { get; init; } = [];

    /// <summary>The most payments and history entries one answer lists (the newest); the enrolment's sums count them all.</summary>
    public const int ListedLimit = 500;

    public static EnrolmentBody From(LedgerEntry entry, IReadOnlyList<PostedPayment> payments, IReadOnlyList<EnrolmentChange> history, IReadOnlyList<RefundRecord>? refunds = null)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(payments);
        ArgumentNullException.ThrowIfNull(history);
        var e = entry.Enrolment;
        return new EnrolmentBody(e.Policy, e.IdNumber, entry.Person.Name, entry.Person.Phone, entry.Person.Address, entry.Person.Town, e.Source,
            IsoDate.Text(e.EnrolledOn), LedgerCodes.Status(e.Status), e.CancellationReason, Terms(e.Terms), IsoDate.Text(e.CoverageStart),
            e.Paid, e.Balance, e.Overpayment, entry.Request,
            [.. payments.TakeLast(ListedLimit).Select(Payment)],
            [.. history.TakeLast(ListedLimit).Select(h => new ChangeBody(h.At, h.Actor, h.Cause, LedgerCodes.Status(h.Status), h.Detail))])
        {
            UnconfirmedIdentities = entry.Request.UnconfirmedIdentities ?? [],
            Generation = e.Generation,
            PaidGross = e.PaidGross,
            Refunded = e.Money.Refunded,
            GovernmentPaid = e.Money.GovernmentPaid,
            PaymentCount = e.Money.PaymentCount,
            PaymentsTruncated = payments.Count > ListedLimit,
            Refunds = [.. (refunds ?? []).Where(r => r.Generation == e.Generation)
                .Select(r => new RefundBody(r.Refund.CaseId, r.Refund.Amount, r.Refund.Subsidy, r.Refund.Reason, r.Refund.Channel, r.Refund.At, r.Refund.Actor, r.Generation))],
        };
    }

    public static TermsBody Terms(EnrolmentTerms t) => new(t.StandardContribution, t.Subsidy, Domain.Codes.Glossary.SubsidyModes.Code(t.SubsidyMode),
        t.Payable, t.Rebate, IsoDate.Text(t.CoverageStart), IsoDate.Text(t.CoverageEnd));

    public static PaymentBody Payment(PostedPayment p) => new(p.TransactionId, p.Amount, IsoDate.Text(p.PaidOn), p.Channel, p.InTreasury, p.PostedAt, p.Actor)
    {
        Payer = LedgerCodes.Payer(p.Payer),
        Collector = p.Collector,
        InTreasuryOn = p.InTreasuryOn is { } on ? IsoDate.Text(on) : null,
        InTreasuryBy = p.InTreasuryBy,
    };
}

/// <summary>A row of the enrolment list.</summary>
public sealed record EnrolmentSummary(
    string Policy,
    string IdNumber,
    string? Name,
    string? Town,
    string Source,
    string EnrolledOn,
    string Status,
    decimal Payable,
    decimal Paid,
    decimal Balance,
    decimal Overpayment,
    string CoverageStart)
{
    public static EnrolmentSummary From(LedgerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var e = entry.Enrolment;
        return new EnrolmentSummary(e.Policy, e.IdNumber, entry.Person.Name, entry.Person.Town, e.Source, IsoDate.Text(e.EnrolledOn),
            LedgerCodes.Status(e.Status), e.Terms.Payable, e.Paid, e.Balance, e.Overpayment, IsoDate.Text(e.CoverageStart));
    }
}

public sealed record EnrolmentPage(IReadOnlyList<EnrolmentSummary> Items, string? Continuation);

/// <summary>The answer of <c>POST /api/payments</c>: <c>posted</c> now, or <c>duplicate</c> with the first posting.</summary>
public sealed record PaymentResponse(string Outcome, PaymentBody Payment, string Status, decimal Paid, decimal Balance, decimal Overpayment, string CoverageStart)
{
    /// <summary>A duplicate that reported the payment in the treasury moved it there.</summary>
    public bool MarkedInTreasury { get; init; }
}

/// <summary>
/// The body of <c>POST /api/enrolments/newborns</c>: a child registered before birth (wuhai-2022 四(三)), by the expected
/// birth date and a parent's ID; the enrolment is keyed by a registration reference until the child's ID is attached.
/// </summary>
public sealed record NewbornRegistrationBody
{
    public string? Policy { get; init; }

    /// <summary>预产期, <c>yyyy-MM-dd</c>: after the registration day.</summary>
    public string? ExpectedBirthDate { get; init; }

    public NewbornParentRequest? Parent { get; init; }

    /// <summary>父母任意一方在本市参加基本医疗保险并按规定缴费 (staff check it, as for a permit).</summary>
    public bool? ParentInsured { get; init; }

    /// <summary>The child's order among those expected together (twins: 1, 2); default 1.</summary>
    public int? Child { get; init; }

    /// <summary>The registration day, <c>yyyy-MM-dd</c>; default today in China.</summary>
    public string? Date { get; init; }

    public bool? LocalHukou { get; init; }

    public bool? ResidencePermit { get; init; }

    /// <summary>The child's name, when one is chosen.</summary>
    public string? Name { get; init; }

    public string? Phone { get; init; }

    public string? Address { get; init; }

    public string? Town { get; init; }

    /// <summary>Default <c>window</c> (区劳动保障平台 or 生育医疗机构, 四(三)).</summary>
    public string? Source { get; init; }
}

public sealed record NewbornParentRequest
{
    public string? IdNumber { get; init; }

    public string? Name { get; init; }

    /// <summary><c>mother</c>, <c>father</c>, <c>guardian</c> or 母亲 / 父亲 / 监护人.</summary>
    public string? Relationship { get; init; }
}

/// <summary>The body of <c>POST /api/enrolments/{policy}/{reference}/attach-id</c>: the child's ID number after birth.</summary>
public sealed record AttachIdBody
{
    public string? IdNumber { get; init; }
}
