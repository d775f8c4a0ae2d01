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

/// <summary>Who a payment's money is from: the person, or the government paying the subsidised share (资助代缴).</summary>
public enum PaymentPayer
{
    Person,

    /// <summary>A department or fund paying the subsidised share through tax (wuhai-2022 四(四) "按照在校学生模式"; the assistance fund).</summary>
    Government,
}

/// <summary>One payment posted against an enrolment (到账划账).</summary>
/// <param name="InTreasury">入库: the cash is in the treasury (a later tax return or remittance can set it; see <see cref="InTreasuryOn"/>).</param>
public sealed record PostedPayment(
    string TransactionId,
    decimal Amount,
    DateOnly PaidOn,
    string Channel,
    bool InTreasury,
    DateTimeOffset PostedAt,
    string Actor)
{
    public PaymentPayer Payer { get; init; } = PaymentPayer.Person;

    /// <summary>代收单位: who took the money (community, school, township, window); null when the person paid tax directly.</summary>
    public string? Collector { get; init; }

    /// <summary>The day the payment was known to be in the treasury, and by what (a tax return, a remittance).</summary>
    public DateOnly? InTreasuryOn { get; init; }

    public string? InTreasuryBy { get; init; }
}

/// <summary>Money paid back to the person for a refund case (退费), written to the enrolment's book.</summary>
/// <param name="Subsidy">The refund pays a subsidy (subsidised-paid-full): the government took over that share, so the person's cover is unchanged.</param>
public sealed record RefundEntry(string CaseId, decimal Amount, bool Subsidy, string Reason, string Channel, DateTimeOffset At, string Actor);

/// <summary>The enrolment's money, summed as it is posted (payments and refunds are rows of their own).</summary>
public sealed record EnrolmentMoney(int PaymentCount, decimal PersonPaid, decimal GovernmentPaid, int RefundCount, decimal Refunded, decimal SubsidyRefunded)
{
    public static readonly EnrolmentMoney None = new(0, 0m, 0m, 0, 0m, 0m);
}

/// <summary>One entry of an enrolment's history: every change says when, who and why.</summary>
public sealed record EnrolmentChange(
    DateTimeOffset At,
    string Actor,
    string Cause,
    EnrolmentStatus Status,
    string? Detail = null);

/// <summary>
/// One person's enrolment under one policy. Immutable: every operation returns the next version. The money is
/// kept as sums (<see cref="Money"/>); each payment, refund and change is a record of its own that the store keeps
/// beside the enrolment, so an enrolment holds any number of them. <see cref="Changes"/> are the changes this
/// version made since it was registered or restored: what the store appends to the history.
/// The caller supplies the calendar day and the instant (no clock reads here).
/// </summary>
public sealed record Enrolment
{
    private Enrolment(string policy, string idNumber, string source, EnrolmentTerms terms, DateOnly enrolledOn, int generation)
    {
        Policy = policy;
        IdNumber = idNumber;
        Source = source;
        Terms = terms;
        EnrolledOn = enrolledOn;
        CoverageStart = terms.CoverageStart;
        Generation = generation;
    }

    public string Policy { get; }

    /// <summary>The person's key: an ID number, or a newborn's registration reference until its ID is attached.</summary>
    public string IdNumber { get; private init; }

    /// <summary>Where the enrolment came from: <c>window</c>, <c>roster:&lt;school&gt;</c>, <c>subsidy-list</c>, ….</summary>
    public string Source { get; init; }

    public EnrolmentTerms Terms { get; init; }

    /// <summary>The day of enrolment (what a second enrolment's 409 names).</summary>
    public DateOnly EnrolledOn { get; }

    /// <summary>1 for the first enrolment of the person under the policy; one more for each enrolment after a cancelled one.</summary>
    public int Generation { get; }

    /// <summary>Coverage start in force: the assessment's, or as re-assessed on the day the balance was paid.</summary>
    public DateOnly CoverageStart { get; private init; }

    public EnrolmentStatus Status { get; private init; }

    public string? CancellationReason { get; private init; }

    /// <summary>When the enrolment was cancelled (reports as of an earlier day count it as it stood then).</summary>
    public DateTimeOffset? CancelledAt { get; private init; }

    public EnrolmentMoney Money { get; private init; } = EnrolmentMoney.None;

    /// <summary>The first entry of the history: who registered the person, when, from where (kept with the enrolment itself).</summary>
    public EnrolmentChange? Registration { get; private init; }

    /// <summary>The changes made since this version was registered or restored (the store appends them to the history).</summary>
    public ImmutableList<EnrolmentChange> Changes { get; private init; } = [];

    /// <summary>Paid, net of refunds, by everyone (the person and the government's share paid through tax).</summary>
    public decimal Paid => Money.PersonPaid + Money.GovernmentPaid - Money.Refunded;

    /// <summary>Everything paid in, before refunds: the most refunds may ever pay back.</summary>
    public decimal PaidGross => Money.PersonPaid + Money.GovernmentPaid;

    /// <summary>
    /// What counts against the person's payable: their payments, less refunds of their own money. A subsidy refund
    /// (subsidised-paid-full) replaced the person's money with the government's, so it does not reopen a balance.
    /// </summary>
    public decimal Covered => Money.PersonPaid - (Money.Refunded - Money.SubsidyRefunded);

    /// <summary>What is still owed (never negative).</summary>
    public decimal Balance => Math.Max(0m, Terms.Payable - Covered);

    /// <summary>Paid beyond the payable, net of refunds: what refund reason <c>duplicate-payment</c> pays back.</summary>
    public decimal Overpayment => Math.Max(0m, Covered - Terms.Payable);

    /// <summary>Registers a person; <paramref name="enrolledOn"/> is the enrolment day, <paramref name="today"/> the day the status is for.</summary>
    /// <param name="generation">One more than the cancelled enrolment this one follows (1 for a first enrolment).</param>
    public static Enrolment Register(string policy, string idNumber, string source, EnrolmentTerms terms, DateOnly today, DateTimeOffset at, string actor, DateOnly? enrolledOn = null, int generation = 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(policy);
        ArgumentException.ThrowIfNullOrWhiteSpace(idNumber);
        ArgumentNullException.ThrowIfNull(terms);
        ArgumentOutOfRangeException.ThrowIfLessThan(generation, 1);
        if (terms.Payable < 0 || terms.CoverageEnd < terms.CoverageStart)
        {
            throw new ArgumentException("Terms must have a non-negative payable and a coverage window.", nameof(terms));
        }

        var enrolment = new Enrolment(policy, idNumber, source, terms, enrolledOn ?? today, generation);
        var status = enrolment.StatusOn(today);
        var registration = new EnrolmentChange(at, actor, "enrolled", status, $"source {source}; payable {terms.Payable:0.00}");
        return enrolment with
        {
            Status = status,
            Registration = registration,
            Changes = [registration],
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
        EnrolmentMoney money,
        int generation = 1,
        DateTimeOffset? cancelledAt = null,
        EnrolmentChange? registration = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(policy);
        ArgumentException.ThrowIfNullOrWhiteSpace(idNumber);
        ArgumentNullException.ThrowIfNull(terms);
        ArgumentNullException.ThrowIfNull(money);
        return new Enrolment(policy, idNumber, source, terms, enrolledOn, Math.Max(1, generation))
        {
            CoverageStart = coverageStart,
            Status = status,
            CancellationReason = cancellationReason,
            CancelledAt = cancelledAt,
            Registration = registration,
            Money = money,
        };
    }

    /// <summary>
    /// Posts a payment. <paramref name="coverageStartIfPaidOn"/> is the coverage start the policy gives for a
    /// payment on that day (day after payment for migrant workers, plus the waiting period for late enrolment);
    /// it takes effect when this payment settles the balance. A payment by the government pays the subsidised
    /// share and leaves the person's balance as it is. That a transaction posts once is the store's to ensure.
    /// </summary>
    /// <param name="coverageFromPaymentDay">The payment day dates cover even before the terms' start (a new university student's unified collection, #19).</param>
    public Enrolment Post(PostedPayment payment, DateOnly coverageStartIfPaidOn, DateOnly today, bool coverageFromPaymentDay = false)
    {
        ArgumentNullException.ThrowIfNull(payment);
        if (payment.Amount <= 0)
        {
            throw new ArgumentException("A payment amount must be positive.", nameof(payment));
        }

        var byPerson = payment.Payer == PaymentPayer.Person;
        var settles = byPerson && Balance > 0 && payment.Amount >= Balance;
        var next = this with
        {
            Money = byPerson
                ? Money with { PaymentCount = Money.PaymentCount + 1, PersonPaid = Money.PersonPaid + payment.Amount }
                : Money with { PaymentCount = Money.PaymentCount + 1, GovernmentPaid = Money.GovernmentPaid + payment.Amount },
            CoverageStart = settles ? (coverageFromPaymentDay ? coverageStartIfPaidOn : Later(coverageStartIfPaidOn, Terms.CoverageStart)) : CoverageStart,
        };
        var detail = $"{payment.Amount:0.00} by {payment.Channel} on {payment.PaidOn:yyyy-MM-dd} ({payment.TransactionId})";
        if (!byPerson)
        {
            detail += $"; government share, {next.Money.GovernmentPaid:0.00} of {Terms.Subsidy:0.00} subsidy paid";
        }
        else if (next.Overpayment > 0)
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
    /// Writes a refund into the book (退费): paid, balance and overpayment are net of it from now on. Refused beyond
    /// what was paid in. A refund of the person's own money that leaves a balance reopens it (the status follows).
    /// </summary>
    public Enrolment RecordRefund(RefundEntry refund, DateOnly today)
    {
        ArgumentNullException.ThrowIfNull(refund);
        if (refund.Amount <= 0 || Money.Refunded + refund.Amount > PaidGross)
        {
            throw new ArgumentException($"A refund of {refund.Amount:0.00} with {Money.Refunded:0.00} refunded before exceeds the {PaidGross:0.00} paid.", nameof(refund));
        }

        var next = this with
        {
            Money = Money with
            {
                RefundCount = Money.RefundCount + 1,
                Refunded = Money.Refunded + refund.Amount,
                SubsidyRefunded = Money.SubsidyRefunded + (refund.Subsidy ? refund.Amount : 0m),
            },
        };
        var detail = $"{refund.Amount:0.00} refunded for {refund.Reason} by {refund.Channel} (case {refund.CaseId}); paid net {next.Paid:0.00}";
        return next.Record(today, refund.At, refund.Actor, "refund-issued", detail, force: true);
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
        if (Status == EnrolmentStatus.Cancelled || Money.PaymentCount > 0 || terms.Payable >= Terms.Payable || terms.Payable < 0)
        {
            return this;
        }

        var next = this with { Terms = terms, CoverageStart = terms.CoverageStart };
        return next.Record(today, at, actor, "reassessed", $"{detail}; payable {Terms.Payable:0.00} → {terms.Payable:0.00}", force: true);
    }

    /// <summary>
    /// A child registered before birth under a reference now has its ID number (wuhai-2022 四(三)): the enrolment,
    /// its terms, money and history continue under <paramref name="idNumber"/>; cover starts on
    /// <paramref name="coverageStart"/> (the policy's start for the actual birth date, not the expected one).
    /// Checking the birth against the registration is <see cref="NewbornRegistration"/>'s.
    /// </summary>
    public Enrolment AttachId(string idNumber, DateOnly coverageStart, DateOnly today, DateTimeOffset at, string actor, string detail)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(idNumber);
        if (coverageStart > Terms.CoverageEnd)
        {
            throw new ArgumentException("Cover must start within the coverage year.", nameof(coverageStart));
        }

        var next = this with
        {
            IdNumber = idNumber,
            Terms = Terms with { CoverageStart = coverageStart },
            CoverageStart = coverageStart,
        };
        return next.Record(today, at, actor, "id-attached", detail, force: true);
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
            CancelledAt = at,
            Changes = Changes.Add(new EnrolmentChange(at, actor, "cancelled", EnrolmentStatus.Cancelled, reason)),
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
            Changes = Changes.Add(new EnrolmentChange(at, actor, cause, status, detail)),
        };
    }

    private static DateOnly Later(DateOnly a, DateOnly b) => a > b ? a : b;
}
