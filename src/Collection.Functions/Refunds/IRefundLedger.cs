using Collection.Domain.Assessments;
using Collection.Domain.Enrolments;

namespace Collection.Functions.Refunds;

/// <summary>A person's enrolment as refunds need it: its payments on file and the facts it was assessed from.</summary>
public sealed record RefundLedgerEntry(Enrolment Enrolment, AssessmentRequest Person, IReadOnlyList<PostedPayment> Payments);

/// <summary>
/// What refunds need from the enrolment ledger (the book of record): read an enrolment with its payments,
/// write a refund into it, and cancel it. Refunds keep no enrolments of their own.
/// </summary>
public interface IRefundLedger
{
    Task<RefundLedgerEntry?> GetAsync(string policy, string idNumber, CancellationToken cancellationToken);

    /// <summary>Writes the money paid back into the enrolment's book (idempotent by case id).</summary>
    Task RecordRefundAsync(string policy, string idNumber, RefundEntry refund, CancellationToken cancellationToken);

    /// <summary>Cancels the enrolment with the reason; cancelling a cancelled enrolment changes nothing.</summary>
    Task CancelAsync(string policy, string idNumber, string reason, string actor, CancellationToken cancellationToken);
}
