using System.Collections.Immutable;
using Collection.Domain.Codes;

namespace Collection.Domain.Enrolments;

/// <summary>参保登记 → 应征 → 到账划账 → 享受待遇: where an enrolment stands, derived from money and calendar.</summary>
public enum EnrolmentStatus
{
    /// <summary>Owes a balance (应征).</summary>
    Assessed,

    /// <summary>Paid in full; coverage has not started yet (e.g. waiting period).</summary>
    Paid,

    /// <summary>Coverage running (享受待遇).</summary>
    Active,

    /// <summary>After coverage end.</summary>
    Expired,

    /// <summary>Refunded or removed; the reason is kept.</summary>
    Cancelled,
}

/// <summary>What the assessment fixed when the person enrolled. <see cref="Subsidy"/> is the government's share.</summary>
public sealed record EnrolmentTerms(
    decimal StandardContribution,
    decimal Subsidy,
    decimal Payable,
    decimal Rebate,
    DateOnly CoverageStart,
    DateOnly CoverageEnd,
    SubsidyMode SubsidyMode = SubsidyMode.None)
{
    /// <summary>Government pays the whole personal share (政府全额代缴): nothing to collect.</summary>
    public bool Waived => SubsidyMode == SubsidyMode.Waived;
}

/// <summary>One payment posted against an enrolment (到账划账).</summary>
public sealed record PostedPayment(
    string TransactionId,
    decimal Amount,
    DateOnly PaidOn,
    string Channel,
    bool InTreasury,
    DateTimeOffset PostedAt,
    string Actor);

/// <summary>One entry of an enrolment's history: every change says when, who and why.</summary>
public sealed record EnrolmentChange(
    DateTimeOffset At,
    string Actor,
    string Cause,
    EnrolmentStatus Status,
    string? Detail = null);

/// <summary>
/// One person's enrolment under one policy. Immutable: every operation returns the next version with
/// its history extended. The caller supplies the calendar day and the instant (no clock reads here).
/// </summary>
public sealed record Enrolment
{
    private Enrolment(string policy, string idNumber, string source, EnrolmentTerms terms, DateOnly enrolledOn)
    {
        Policy = policy;
        IdNumber = idNumber;
        Source = source;
        Terms = terms;
        EnrolledOn = enrolledOn;
        CoverageStart = terms.CoverageStart;
    }

    public string Policy { get; }

    public string IdNumber { get; }

    /// <summary>Where the enrolment came from: <c>window</c>, <c>roster:&lt;school&gt;</c>, <c>subsidy-list</c>, ….</summary>
    public string Source { get; init; }

    public EnrolmentTerms Terms { get; init; }

    /// <summary>The day of enrolment (what a second enrolment's 409 names).</summary>
    public DateOnly EnrolledOn { get; }

    /// <summary>Coverage start in force: the assessment's, or as re-assessed on the day the balance was paid.</summary>
    public DateOnly CoverageStart { get; private init; }

    public EnrolmentStatus Status { get; private init; }

    public string? CancellationReason { get; private init; }

    public ImmutableList<PostedPayment> Payments { get; private init; } = [];

    public ImmutableList<EnrolmentChange> History { get; private init; } = [];

    public decimal Paid => Payments.Sum(p => p.Amount);

    /// <summary>What is still owed (never negative).</summary>
    public decimal Balance => Math.Max(0m, Terms.Payable - Paid);

    /// <summary>Paid beyond the payable: what refund reason <c>duplicate-payment</c> pays back.</summary>
    public decimal Overpayment => Math.Max(0m, Paid - Terms.Payable);

    /// <summary>Registers a person; <paramref name="enrolledOn"/> is the enrolment day, <paramref name="today"/> the day the status is for.</summary>
    public static Enrolment Register(string policy, string idNumber, string source, EnrolmentTerms terms, DateOnly today, DateTimeOffset at, string actor, DateOnly? enrolledOn = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(policy);
        ArgumentException.ThrowIfNullOrWhiteSpace(idNumber);
        ArgumentNullException.ThrowIfNull(terms);
        if (terms.Payable < 0 || terms.CoverageEnd < terms.CoverageStart)
        {
            throw new ArgumentException("Terms must have a non-negative payable and a coverage window.", nameof(terms));
        }

        var enrolment = new Enrolment(policy, idNumber, source, terms, enrolledOn ?? today);
        var status = enrolment.StatusOn(today);
        return enrolment with
        {
            Status = status,
            History = [new EnrolmentChange(at, actor, "enrolled", status, $"source {source}; payable {terms.Payable:0.00}")],
        };
    }

    /// <summary>
    /// Rebuilds a stored enrolment exactly as it was saved (no rule runs): storage keeps the state the
    /// operations above produced, so a restore must not re-derive it.
    /// </summary>
    public static Enrolment Restore(
        string policy,
        string idNumber,
        string source,
        EnrolmentTerms terms,
        DateOnly enrolledOn,
        DateOnly coverageStart,
        EnrolmentStatus status,
        string? cancellationReason,
        IEnumerable<PostedPayment> payments,
        IEnumerable<EnrolmentChange> history)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(policy);
        ArgumentException.ThrowIfNullOrWhiteSpace(idNumber);
        ArgumentNullException.ThrowIfNull(terms);
        ArgumentNullException.ThrowIfNull(payments);
        ArgumentNullException.ThrowIfNull(history);
        return new Enrolment(policy, idNumber, source, terms, enrolledOn)
        {
            CoverageStart = coverageStart,
            Status = status,
            CancellationReason = cancellationReason,
            Payments = [.. payments],
            History = [.. history],
        };
    }

    public PostedPayment? FindPayment(string transactionId) =>
        Payments.Find(p => string.Equals(p.TransactionId, transactionId, StringComparison.Ordinal));

    public bool HasPayment(string transactionId) =>
        Payments.Exists(p => string.Equals(p.TransactionId, transactionId, StringComparison.Ordinal));

    /// <summary>
    /// Posts a payment. <paramref name="coverageStartIfPaidOn"/> is the coverage start the policy gives for a
    /// payment on that day (day after payment for migrant workers, plus the waiting period for late enrolment);
    /// it takes effect when this payment settles the balance. A transaction already posted changes nothing.
    /// </summary>
    /// <param name="coverageFromPaymentDay">The payment day dates cover even before the terms' start (a new university student's unified collection, #19).</param>
    public Enrolment Post(PostedPayment payment, DateOnly coverageStartIfPaidOn, DateOnly today, bool coverageFromPaymentDay = false)
    {
        ArgumentNullException.ThrowIfNull(payment);
        if (HasPayment(payment.TransactionId))
        {
            return this;
        }

        if (payment.Amount <= 0)
        {
            throw new ArgumentException("A payment amount must be positive.", nameof(payment));
        }

        var settles = Balance > 0 && payment.Amount >= Balance;
        var next = this with
        {
            Payments = Payments.Add(payment),
            CoverageStart = settles ? (coverageFromPaymentDay ? coverageStartIfPaidOn : Later(coverageStartIfPaidOn, Terms.CoverageStart)) : CoverageStart,
        };
        var detail = $"{payment.Amount:0.00} by {payment.Channel} on {payment.PaidOn:yyyy-MM-dd} ({payment.TransactionId})";
        if (next.Overpayment > 0)
        {
            detail += $"; overpaid {next.Overpayment:0.00}";
        }
        else if (next.Balance > 0)
        {
            detail += $"; balance {next.Balance:0.00}";
        }

        return next.Record(today, payment.PostedAt, payment.Actor, "payment-posted", detail, force: true);
    }

    /// <summary>
    /// A list confirmed an identity after the person enrolled and before they paid anything: the amount due is
    /// assessed again with it (bagongshan-2022 六(三) "对其个人承担比例部分可在应缴费金额中直接体现"). Only a lower
    /// amount due replaces the terms, and only while nothing is paid (after a payment the difference is a top-up,
    /// rebate or refund, never a new amount due); otherwise this enrolment comes back unchanged.
    /// </summary>
    public Enrolment Reassess(EnrolmentTerms terms, DateOnly today, DateTimeOffset at, string actor, string detail)
    {
        ArgumentNullException.ThrowIfNull(terms);
        if (Status == EnrolmentStatus.Cancelled || !Payments.IsEmpty || terms.Payable >= Terms.Payable || terms.Payable < 0)
        {
            return this;
        }

        var next = this with { Terms = terms, CoverageStart = terms.CoverageStart };
        return next.Record(today, at, actor, "reassessed", $"{detail}; payable {Terms.Payable:0.00} → {terms.Payable:0.00}", force: true);
    }

    /// <summary>Moves the status with the calendar (paid → active → expired); no change, no history entry.</summary>
    public Enrolment AdvanceTo(DateOnly today, DateTimeOffset at, string actor, string cause) =>
        Record(today, at, actor, cause, detail: null, force: false);

    public Enrolment Cancel(string reason, DateTimeOffset at, string actor)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        if (Status == EnrolmentStatus.Cancelled)
        {
            return this;
        }

        return this with
        {
            Status = EnrolmentStatus.Cancelled,
            CancellationReason = reason,
            History = History.Add(new EnrolmentChange(at, actor, "cancelled", EnrolmentStatus.Cancelled, reason)),
        };
    }

    /// <summary>The status money and calendar give on <paramref name="today"/>.</summary>
    public EnrolmentStatus StatusOn(DateOnly today) =>
        Status == EnrolmentStatus.Cancelled ? EnrolmentStatus.Cancelled
        : Balance > 0 ? EnrolmentStatus.Assessed
        : today < CoverageStart ? EnrolmentStatus.Paid
        : today > Terms.CoverageEnd ? EnrolmentStatus.Expired
        : EnrolmentStatus.Active;

    private Enrolment Record(DateOnly today, DateTimeOffset at, string actor, string cause, string? detail, bool force)
    {
        var status = StatusOn(today);
        if (!force && status == Status)
        {
            return this;
        }

        return this with
        {
            Status = status,
            History = History.Add(new EnrolmentChange(at, actor, cause, status, detail)),
        };
    }

    private static DateOnly Later(DateOnly a, DateOnly b) => a > b ? a : b;
}
