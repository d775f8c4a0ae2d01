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
}

public sealed record TermsBody(decimal StandardContribution, decimal Subsidy, string SubsidyMode, decimal Payable, decimal Rebate, string CoverageStart, string CoverageEnd);

public sealed record PaymentBody(string TransactionId, decimal Amount, string PaidOn, string Channel, bool InTreasury, DateTimeOffset PostedAt, string Actor);

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
    /// <summary>The person's subsidy identities under the policy (from the subsidy lists), on <c>GET</c> of one enrolment.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<Subsidies.IdentitySpellBody>? Identities { get; init; }

    /// <summary>
    /// Identities claimed at the window or in the roster that no department's list confirms (未经部门名单确认):
    /// shown so staff see them; they subsidise only where the policy says so.
    /// </summary>
    public IReadOnlyList<string> UnconfirmedIdentities { get; init; } = [];

    public static EnrolmentBody From(LedgerEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var e = entry.Enrolment;
        return new EnrolmentBody(e.Policy, e.IdNumber, entry.Person.Name, entry.Person.Phone, entry.Person.Address, entry.Person.Town, e.Source,
            Problems.Date(e.EnrolledOn), LedgerCodes.Status(e.Status), e.CancellationReason, Terms(e.Terms), Problems.Date(e.CoverageStart),
            e.Paid, e.Balance, e.Overpayment, entry.Request,
            [.. e.Payments.Select(Payment)],
            [.. e.History.Select(h => new ChangeBody(h.At, h.Actor, h.Cause, LedgerCodes.Status(h.Status), h.Detail))])
        {
            UnconfirmedIdentities = entry.Request.UnconfirmedIdentities ?? [],
        };
    }

    public static TermsBody Terms(EnrolmentTerms t) => new(t.StandardContribution, t.Subsidy, Domain.Codes.Glossary.SubsidyModes.Code(t.SubsidyMode),
        t.Payable, t.Rebate, Problems.Date(t.CoverageStart), Problems.Date(t.CoverageEnd));

    public static PaymentBody Payment(PostedPayment p) => new(p.TransactionId, p.Amount, Problems.Date(p.PaidOn), p.Channel, p.InTreasury, p.PostedAt, p.Actor);
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
        return new EnrolmentSummary(e.Policy, e.IdNumber, entry.Person.Name, entry.Person.Town, e.Source, Problems.Date(e.EnrolledOn),
            LedgerCodes.Status(e.Status), e.Terms.Payable, e.Paid, e.Balance, e.Overpayment, Problems.Date(e.CoverageStart));
    }
}

public sealed record EnrolmentPage(IReadOnlyList<EnrolmentSummary> Items, string? Continuation);

/// <summary>The answer of <c>POST /api/payments</c>: <c>posted</c> now, or <c>duplicate</c> with the first posting.</summary>
public sealed record PaymentResponse(string Outcome, PaymentBody Payment, string Status, decimal Paid, decimal Balance, decimal Overpayment, string CoverageStart);
