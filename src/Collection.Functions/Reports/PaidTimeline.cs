using Collection.Domain.Enrolments;
using Collection.Functions.Ledger;

namespace Collection.Functions.Reports;

/// <summary>
/// What each enrolment of a policy had covered of its payable on any day: the person's payments by the day paid,
/// less refunds of their own money by the day refunded (a subsidy refund does not reopen a balance; see
/// <see cref="Enrolment.Covered"/>). Payments and refunds are rows of their own in the ledger, so reports "as of"
/// a day read them in two streamed scans and keep, per enrolment, only its dated amounts.
/// </summary>
internal sealed class PaidTimeline
{
    private readonly Dictionary<(string IdNumber, int Generation), List<(DateOnly Day, decimal Amount)>> _entries = [];

    public static async Task<PaidTimeline> LoadAsync(EnrolmentLedger ledger, string policy, CancellationToken cancellationToken)
    {
        var timeline = new PaidTimeline();
        await foreach (var (idNumber, generation, payment) in ledger.ScanPaymentsAsync(policy, cancellationToken).ConfigureAwait(false))
        {
            if (payment.Payer == PaymentPayer.Person)
            {
                timeline.Add(idNumber, generation, payment.PaidOn, payment.Amount);
            }
        }

        await foreach (var (idNumber, generation, refund) in ledger.ScanRefundsAsync(policy, cancellationToken).ConfigureAwait(false))
        {
            if (!refund.Subsidy)
            {
                timeline.Add(idNumber, generation, DateOnly.FromDateTime(refund.At.ToOffset(ChinaClock.Offset).DateTime), -refund.Amount);
            }
        }

        return timeline;
    }

    /// <summary>Covered of the payable on or before <paramref name="day"/>.</summary>
    public decimal PaidBy(Enrolment enrolment, DateOnly day)
    {
        ArgumentNullException.ThrowIfNull(enrolment);
        return _entries.TryGetValue((enrolment.IdNumber, enrolment.Generation), out var entries)
            ? entries.Where(e => e.Day <= day).Sum(e => e.Amount)
            : 0m;
    }

    private void Add(string idNumber, int generation, DateOnly day, decimal amount)
    {
        if (!_entries.TryGetValue((idNumber, generation), out var list))
        {
            _entries[(idNumber, generation)] = list = [];
        }

        list.Add((day, amount));
    }
}
