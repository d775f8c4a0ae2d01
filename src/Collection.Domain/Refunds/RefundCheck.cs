using System.Collections.Immutable;
using Collection.Domain.Assessments;
using Collection.Domain.Codes;
using Collection.Domain.Policies;

namespace Collection.Domain.Refunds;

/// <summary>One payment on file, as the refund rules need it.</summary>
public sealed record RefundPayment(string TransactionId, decimal Amount, DateOnly PaidOn, PaymentChannel Channel, bool InTreasury);

/// <summary>What the checks are given: the case as applied for and the person's enrolment as the ledger holds it.</summary>
public sealed record RefundFacts
{
    public required RefundReason Reason { get; init; }

    /// <summary>When the qualifying event happened (not needed for duplicate-payment and subsidised-paid-full).</summary>
    public DateOnly? EventDate { get; init; }

    public required IReadOnlyList<RefundPayment> Payments { get; init; }

    /// <summary>The payable the enrolment was assessed at.</summary>
    public required decimal Payable { get; init; }

    /// <summary>Already refunded to this person under this policy by earlier cases.</summary>
    public decimal AlreadyRefunded { get; init; }

    /// <summary>
    /// What the person already got back of their subsidy beyond the enrolment's own terms (top-ups, 补差): a
    /// subsidised-paid-full refund pays only the rest, so the subsidy of the highest identity is paid once (issue 17).
    /// </summary>
    public decimal AlreadySubsidised { get; init; }

    /// <summary>The person's facts for re-assessment (identities, birth date); used by subsidised-paid-full.</summary>
    public AssessmentRequest? Person { get; init; }

    /// <summary>When given, only these payments are refunded.</summary>
    public IReadOnlyList<string>? TransactionIds { get; init; }
}

/// <summary>Part of the refund taken from one payment.</summary>
public sealed record RefundAllocation(string TransactionId, decimal Amount, PaymentChannel Channel, bool InTreasury)
{
    /// <summary>Money the medical-assistance fund paid goes back to the fund, never to the person.</summary>
    public bool ToFund => Channel == PaymentChannel.AssistanceFund;
}

/// <summary>The outcome of the checks: rejected with a code, or what to refund, to whom, how, and what happens to the enrolment.</summary>
public sealed record RefundCheck
{
    public bool Passed => RejectionCode is null;

    public string? RejectionCode { get; init; }

    public decimal Amount { get; init; }

    public decimal ToPerson { get; init; }

    public decimal ToFund { get; init; }

    public RefundChannel? Channel { get; init; }

    public bool CancelsEnrolment { get; init; }

    public ImmutableList<RefundAllocation> Allocations { get; init; } = [];

    public static RefundCheck Rejected(string code) => new() { RejectionCode = code };
}

/// <summary>The rejection codes of the checks (problem-details and case outcome codes).</summary>
public static class RefundCodes
{
    public const string NoPayment = "no-payment";
    public const string DeadlinePassed = "deadline-passed";
    public const string EventDateRequired = "event-date-required";
    public const string NotADuplicatePayment = "not-a-duplicate-payment";
    public const string NothingToRefund = "nothing-to-refund";
    public const string NoSubsidyIdentity = "no-subsidy-identity";
    public const string UnknownTransaction = "unknown-transaction";
    public const string RejectedByBureau = "rejected-by-bureau";
}

/// <summary>
/// The refund rules of bagongshan-2022 §六(九), applied to every policy: the check per reason, the amount,
/// who gets the money back, and the channel the hand-offs follow.
/// </summary>
public static class RefundChecks
{
    /// <summary>Reasons that only hold when the event came on or before the end of the collection period.</summary>
    public static bool NeedsEventBeforeCollectionEnd(RefundReason reason) =>
        reason is RefundReason.JoinedEmployeeInsurance or RefundReason.Deceased or RefundReason.DuplicateEnrolment or RefundReason.GaveUpBeforeDeadline;

    /// <summary>Reasons whose application must say when the event happened.</summary>
    public static bool NeedsEventDate(RefundReason reason) =>
        NeedsEventBeforeCollectionEnd(reason) || reason == RefundReason.MovedPoolingRegion;

    /// <summary>Reasons that refund everything and cancel the enrolment.</summary>
    public static bool RefundsEverything(RefundReason reason) => NeedsEventDate(reason) || reason == RefundReason.WronglyCollected;

    public static RefundCheck Check(Policy policy, RefundFacts facts)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(facts);

        var paid = facts.Payments.Sum(p => p.Amount);
        if (facts.Payments.Count == 0 || paid <= 0)
        {
            return RefundCheck.Rejected(RefundCodes.NoPayment);
        }

        if (facts.TransactionIds is { Count: > 0 } ids && ids.Any(id => !facts.Payments.Any(p => p.TransactionId == id)))
        {
            return RefundCheck.Rejected(RefundCodes.UnknownTransaction);
        }

        decimal due;
        switch (facts.Reason)
        {
            case RefundReason.DuplicatePayment:
                if (facts.Payments.Count < 2 || paid <= facts.Payable)
                {
                    return RefundCheck.Rejected(RefundCodes.NotADuplicatePayment);
                }

                due = paid - facts.Payable;
                break;

            case RefundReason.SubsidisedPaidFull:
                if (facts.Person is null)
                {
                    return RefundCheck.Rejected(RefundCodes.NoSubsidyIdentity);
                }

                // The identity counts as held on the day the money was paid (the first payment).
                var paidOn = facts.Payments.Min(p => p.PaidOn);
                var assessment = AssessmentEngine.Assess(policy, facts.Person with { Date = paidOn }, paidOn);
                if (assessment.Failed || assessment.SubsidyIdentity is null)
                {
                    return RefundCheck.Rejected(RefundCodes.NoSubsidyIdentity);
                }

                // 先缴后补 (dalate-2022): paying in full is the rule, the subsidy comes back as a rebate.
                if (assessment.SubsidyMode == SubsidyMode.Rebate || assessment.Payable >= paid)
                {
                    return RefundCheck.Rejected(RefundCodes.NothingToRefund);
                }

                due = paid - assessment.Payable - facts.AlreadySubsidised;
                if (due <= 0)
                {
                    return RefundCheck.Rejected(RefundCodes.NothingToRefund);
                }

                break;

            case RefundReason.WronglyCollected:
                // Not a person the scope covers: everything comes back, the enrolment goes (and may be made again
                // by the policy's repayment deadline, wuhai-2022 五(四)).
                due = paid;
                break;

            default:
                if (facts.EventDate is not { } eventDate)
                {
                    return RefundCheck.Rejected(RefundCodes.EventDateRequired);
                }

                if (NeedsEventBeforeCollectionEnd(facts.Reason) && eventDate > policy.CollectionEnd)
                {
                    return RefundCheck.Rejected(RefundCodes.DeadlinePassed);
                }

                due = paid;
                break;
        }

        var amount = Math.Min(due, paid) - facts.AlreadyRefunded;
        if (amount <= 0)
        {
            return RefundCheck.Rejected(RefundCodes.NothingToRefund);
        }

        var allocations = Allocate(facts, amount);
        var allocated = allocations.Sum(a => a.Amount);
        if (allocated <= 0)
        {
            return RefundCheck.Rejected(RefundCodes.NothingToRefund);
        }

        var toFund = allocations.Where(a => a.ToFund).Sum(a => a.Amount);
        return new RefundCheck
        {
            Amount = allocated,
            ToFund = toFund,
            ToPerson = allocated - toFund,
            Channel = ChannelFor(allocations),
            CancelsEnrolment = RefundsEverything(facts.Reason),
            Allocations = allocations,
        };
    }

    /// <summary>
    /// Takes the refund from the latest payments first (the duplicate is the later one), skipping what
    /// earlier cases already refunded from them, so two cases never pay back the same yuan.
    /// </summary>
    private static ImmutableList<RefundAllocation> Allocate(RefundFacts facts, decimal amount)
    {
        var latestFirst = facts.Payments
            .Select((p, index) => (Payment: p, Index: index))
            .OrderByDescending(x => x.Payment.PaidOn)
            .ThenByDescending(x => x.Index)
            .Select(x => x.Payment)
            .ToList();
        var alreadyRefunded = facts.AlreadyRefunded;
        var remaining = amount;
        var result = ImmutableList.CreateBuilder<RefundAllocation>();
        foreach (var payment in latestFirst)
        {
            var available = payment.Amount;
            var skipped = Math.Min(available, alreadyRefunded);
            alreadyRefunded -= skipped;
            available -= skipped;
            var selected = facts.TransactionIds is not { Count: > 0 } ids || ids.Contains(payment.TransactionId);
            if (!selected || available <= 0 || remaining <= 0)
            {
                continue;
            }

            var take = Math.Min(available, remaining);
            remaining -= take;
            result.Add(new RefundAllocation(payment.TransactionId, take, payment.Channel, payment.InTreasury));
        }

        return result.ToImmutable();
    }

    /// <summary>
    /// The hand-offs follow the payment the person gets money back from (the latest one refunded):
    /// WeChat scan at a collection point, cash split by whether it reached the treasury, and every other
    /// personal channel like online. Money going back only to the assistance fund is approved by the
    /// bureau like an online refund.
    /// </summary>
    public static RefundChannel ChannelFor(IReadOnlyList<RefundAllocation> allocations)
    {
        ArgumentNullException.ThrowIfNull(allocations);
        var personal = allocations.FirstOrDefault(a => !a.ToFund);
        return personal switch
        {
            null => RefundChannel.Online,
            { Channel: PaymentChannel.WeChatScan } => RefundChannel.WeChatScan,
            { Channel: PaymentChannel.Cash, InTreasury: true } => RefundChannel.CashInTreasury,
            { Channel: PaymentChannel.Cash } => RefundChannel.CashNotInTreasury,
            _ => RefundChannel.Online,
        };
    }
}
