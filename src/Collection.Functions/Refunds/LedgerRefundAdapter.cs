using Collection.Domain;
using Collection.Domain.Policies;
using Collection.Functions.Assessments;
using Collection.Functions.Ledger;

namespace Collection.Functions.Refunds;

/// <summary>The refund port over the enrolment ledger: the book of record stays the ledger's.</summary>
public sealed class LedgerRefundAdapter(EnrolmentLedger ledger, PolicyCatalog policies, ChinaClock clock) : IRefundLedger
{
    public async Task<RefundLedgerEntry?> GetAsync(string policy, string idNumber, CancellationToken cancellationToken)
    {
        if (!ResidentId.TryParse(idNumber, out var id))
        {
            return null;
        }

        var entry = await ledger.GetAsync(policy, id, cancellationToken).ConfigureAwait(false);
        if (entry is null)
        {
            return null;
        }

        // The facts the enrolment was assessed from, for re-assessing on the payment day (subsidised-paid-full).
        var person = AssessmentRequestParser.TryParse(entry.Request, policies, clock.Today, out _, out var request, out _)
            ? request
            : new Domain.Assessments.AssessmentRequest { Id = id };
        var payments = await ledger.GetPaymentsAsync(policy, id, cancellationToken: cancellationToken).ConfigureAwait(false);
        return new RefundLedgerEntry(entry.Enrolment, person, payments);
    }

    public async Task RecordRefundAsync(string policy, string idNumber, Domain.Enrolments.RefundEntry refund, CancellationToken cancellationToken)
    {
        var id = ResidentId.TryParse(idNumber, out var parsed) ? parsed : throw new ArgumentException("Invalid resident ID number.", nameof(idNumber));
        _ = await ledger.RecordRefundAsync(policy, id, refund, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"No enrolment of {RefundCaseView.Mask(idNumber)} under {policy} to refund.");
    }

    public async Task CancelAsync(string policy, string idNumber, string reason, string actor, CancellationToken cancellationToken)
    {
        var id = ResidentId.TryParse(idNumber, out var parsed) ? parsed : throw new ArgumentException("Invalid resident ID number.", nameof(idNumber));
        _ = await ledger.CancelAsync(policy, id, reason, actor, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"No enrolment of {RefundCaseView.Mask(idNumber)} under {policy} to cancel.");
    }
}
