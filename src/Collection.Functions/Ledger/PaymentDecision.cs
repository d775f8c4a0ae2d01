using Collection.Domain;
using Collection.Domain.Assessments;
using Collection.Domain.Codes;
using Collection.Domain.Enrolments;
using Collection.Functions.Assessments;
using Collection.Domain.Policies;
using Collection.Functions.Policies;

namespace Collection.Functions.Ledger;

/// <summary>
/// What posting a payment onto an enrolment means, decided without I/O: a result (duplicate or rejected), or the rows
/// to write — the payment row and the enrolment row after it — and the entry and payment they make.
/// </summary>
public sealed record PaymentDecision(PostingResult? Result, PaymentEntity? Payment, EnrolmentEntity? Updated, LedgerEntry? Entry, PostedPayment? Posted, PaymentEntity? Existing = null)
{
    /// <summary>The answer once <see cref="Payment"/> and <see cref="Updated"/> are written.</summary>
    public PostingResult AsPosted() => new(PostingOutcome.Posted, Entry, Posted, null);

    /// <summary>A posting that no enrolment can take: unknown policy, no ID, an amount out of bounds, a future day, a bad transaction id.</summary>
    public static LedgerError? Validate(PaymentPosting posting, PolicyCatalog catalog, DateOnly today)
    {
        ArgumentNullException.ThrowIfNull(posting);
        ArgumentNullException.ThrowIfNull(catalog);
        if (!catalog.TryGet(posting.Policy, out _))
        {
            return AssessmentRequestParser.UnknownPolicy(posting.Policy).ToLedgerError();
        }

        if (posting.Id.IsEmpty)
        {
            return new LedgerError(LedgerErrorKind.Invalid, ResidentId.ErrorCode, "Invalid resident ID number.", "idNumber: empty.", "idNumber");
        }

        if (posting.Amount <= 0 || posting.Amount != decimal.Round(posting.Amount, 2))
        {
            return new LedgerError(LedgerErrorKind.Invalid, "invalid-amount", "Invalid amount.",
                $"amount: {posting.Amount} must be positive yuan with at most two decimals.", "amount");
        }

        if (posting.Amount > LedgerCodes.LargestPayment)
        {
            return new LedgerError(LedgerErrorKind.Invalid, "amount-over-limit", "Amount over the limit.",
                $"amount: {posting.Amount} is over the limit of {LedgerCodes.LargestPayment:0} yuan for one payment.", "amount")
            {
                Extensions = new Dictionary<string, object?> { ["limit"] = LedgerCodes.LargestPayment },
            };
        }

        if (posting.PaidOn > today)
        {
            return new LedgerError(LedgerErrorKind.Invalid, "paid-on-in-future", "The payment day is after today.",
                $"paidOn: {IsoDate.Text(posting.PaidOn)} is after today ({IsoDate.Text(today)}) in China.", "paidOn");
        }

        return LedgerKeys.IsValidTransactionId(posting.TransactionId)
            ? null
            : new LedgerError(LedgerErrorKind.Invalid, "invalid-transaction-id", "Invalid transaction id.",
                "transactionId: 1–100 characters, no / \\ # ? | or control characters, no surrounding spaces.", "transactionId");
    }

    /// <summary>What posting <paramref name="posting"/> onto <paramref name="entity"/> means; no I/O.</summary>
    /// <param name="entry"><paramref name="entity"/> read (null when there is no row, or it cannot be read).</param>
    /// <param name="existing">The payment row of this transaction when it is on file already.</param>
    public static PaymentDecision Decide(PaymentPosting posting, EnrolmentEntity? entity, LedgerEntry? entry, PaymentEntity? existing, string actor, PolicyCatalog catalog, DateOnly today, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(posting);
        if (existing is not null)
        {
            return new PaymentDecision(new PostingResult(PostingOutcome.Duplicate, entry, EnrolmentRows.ToPayment(existing), null), null, null, null, null, existing);
        }

        if (entity is null)
        {
            return Reject(new LedgerError(LedgerErrorKind.Refused, "no-assessment", "No enrolment to post against.",
                $"{posting.Id.Masked} is not enrolled under {posting.Policy}: enrol (assess) the person first; the payment is not posted.", "idNumber"));
        }

        if (entry is null)
        {
            return Reject(EnrolmentRules.Unreadable(entity.IdNumber));
        }

        // Re-assess as of the payment day: the policy decides whether that day is allowed, and when cover starts.
        if (!AssessmentRequestParser.TryParse(entry.Request with { Date = IsoDate.Text(posting.PaidOn) }, catalog, today, out var policy, out var request, out var error))
        {
            return Reject(error.ToLedgerError());
        }

        var assessment = AssessmentEngine.Assess(policy, request, today);
        if (AssessmentRequestParser.Failure(policy, assessment) is { } failure)
        {
            return Reject(failure.ToLedgerError());
        }

        if (!assessment.Eligible)
        {
            return Reject(EnrolmentRules.NotEligible(assessment.Reasons, "payment day"));
        }

        var channel = Glossary.PaymentChannels.Code(posting.Channel);
        var payment = new PostedPayment(posting.TransactionId, posting.Amount, posting.PaidOn, channel, posting.InTreasury, now, actor)
        {
            Payer = posting.Payer,
            Collector = posting.Collector,
            InTreasuryOn = posting.InTreasury ? today : null,
            InTreasuryBy = posting.InTreasury ? actor : null,
        };
        var next = entry.Enrolment.Post(payment, assessment.CoverageStart!.Value, today, assessment.CoverageFromPaymentDay);
        var change = next.Changes[^1];
        var updated = EnrolmentRows.ToEntity(next, entry.Person, entry.Request, entity.ChangeCount);
        var paymentRow = new PaymentEntity
        {
            PartitionKey = entity.PartitionKey,
            RowKey = LedgerKeys.PaymentRow(entity.IdNumber, posting.TransactionId),
            Policy = posting.Policy,
            IdNumber = entity.IdNumber,
            TransactionId = posting.TransactionId,
            Amount = Money.Text(posting.Amount),
            PaidOn = IsoDate.Text(posting.PaidOn),
            Channel = payment.Channel,
            InTreasury = posting.InTreasury,
            InTreasuryOn = payment.InTreasuryOn is { } on ? IsoDate.Text(on) : "",
            InTreasuryBy = payment.InTreasuryBy ?? "",
            PostedAt = payment.PostedAt,
            Actor = actor,
            Generation = next.Generation,
            Payer = LedgerCodes.Payer(payment.Payer),
            Collector = payment.Collector ?? "",
            StatusAfter = LedgerCodes.Status(change.Status),
            Detail = change.Detail ?? "",
        };
        return new PaymentDecision(null, paymentRow, updated, entry with { Enrolment = next }, payment);

        static PaymentDecision Reject(LedgerError error) => new(PostingResult.Reject(error), null, null, null, null);
    }
}
