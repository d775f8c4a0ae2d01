using Collection.Domain.Codes;
using Collection.Domain.Enrolments;
using Collection.Functions.Ledger;
using Collection.Functions.Policies;

namespace Collection.Functions.Reports;

public sealed record CountAmount(int Count, decimal Amount);

public sealed record ChannelTotal(string Channel, string Label, int Count, decimal Amount);

/// <summary>A difference between what was assessed and what was paid, person by person (or a payment that matched nobody).</summary>
public sealed record Mismatch(string Kind, string IdNumber, string? Name, decimal Payable, decimal Paid, decimal Difference, string Detail);

/// <summary>
/// 对账: "征收人数与系统人数一致，缴费人数与缴费金额相符". Enrolments count when enrolled within [from, to];
/// payments when paid within [from, to]; over- and under-payment compare each counted enrolment's payable with
/// everything paid on it, net of refunds (a refunded duplicate balances). <see cref="Paid"/> is gross (what came in),
/// <see cref="Refunded"/> what went back, <see cref="Net"/> the difference; the subsidised share a department paid
/// through tax is <see cref="GovernmentPaid"/>, never an overpayment.
/// </summary>
public sealed record ReconciliationReport(
    string Policy,
    string From,
    string To,
    CountAmount Assessed,
    CountAmount Paid,
    int PaidPeople,
    IReadOnlyList<ChannelTotal> ByChannel,
    CountAmount InTreasury,
    CountAmount NotInTreasury,
    CountAmount Waived,
    decimal GovernmentShare,
    CountAmount Overpaid,
    CountAmount Underpaid,
    CountAmount Unpaid,
    int Cancelled,
    CountAmount Unmatched,
    IReadOnlyList<Mismatch> Mismatches)
{
    /// <summary>Refunds written to the books within the range (by the day they were paid back, China time).</summary>
    public CountAmount Refunded { get; init; } = new(0, 0m);

    /// <summary>Paid within the range less refunded.</summary>
    public decimal Net => Paid.Amount - Refunded.Amount;

    /// <summary>Of <see cref="Paid"/>, the subsidised share paid by the government through tax.</summary>
    public CountAmount GovernmentPaid { get; init; } = new(0, 0m);

    public static async Task<ReconciliationReport> BuildAsync(EnrolmentLedger ledger, string policy, DateOnly from, DateOnly to, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        int assessed = 0, waived = 0, cancelled = 0, payments = 0, overpaid = 0, underpaid = 0, unpaid = 0, inTreasury = 0, unmatched = 0;
        decimal assessedAmount = 0, waivedShare = 0, governmentShare = 0, paidAmount = 0, overAmount = 0, underAmount = 0, unpaidAmount = 0, inTreasuryAmount = 0, unmatchedAmount = 0;
        var paidPeople = 0;
        var channels = Enum.GetValues<PaymentChannel>().ToDictionary(c => Glossary.PaymentChannels.Code(c), _ => (Count: 0, Amount: 0m), StringComparer.Ordinal);
        var mismatches = new List<Mismatch>();
        int refunds = 0, governmentPayments = 0;
        decimal refundedAmount = 0, governmentAmount = 0;
        var payers = new HashSet<string>(StringComparer.Ordinal);

        // Payments are rows of their own: one streamed scan of the policy's payment rows.
        await foreach (var (idNumber, _, p) in ledger.ScanPaymentsAsync(policy, cancellationToken).ConfigureAwait(false))
        {
            if (p.PaidOn < from || p.PaidOn > to)
            {
                continue;
            }

            payments++;
            paidAmount += p.Amount;
            payers.Add(idNumber);
            var total = channels.GetValueOrDefault(p.Channel);
            channels[p.Channel] = (total.Count + 1, total.Amount + p.Amount);
            if (p.InTreasury)
            {
                inTreasury++;
                inTreasuryAmount += p.Amount;
            }

            if (p.Payer == PaymentPayer.Government)
            {
                governmentPayments++;
                governmentAmount += p.Amount;
            }
        }

        paidPeople = payers.Count;
        await foreach (var (_, _, refund) in ledger.ScanRefundsAsync(policy, cancellationToken).ConfigureAwait(false))
        {
            var day = DateOnly.FromDateTime(refund.At.ToOffset(ChinaClock.Offset).DateTime);
            if (day >= from && day <= to)
            {
                refunds++;
                refundedAmount += refund.Amount;
            }
        }

        await foreach (var entry in ledger.ScanAsync(policy, cancellationToken).ConfigureAwait(false))
        {
            var e = entry.Enrolment;
            if (e.EnrolledOn < from || e.EnrolledOn > to)
            {
                continue;
            }

            if (e.Status == EnrolmentStatus.Cancelled)
            {
                cancelled++;
                if (e.Paid > 0)
                {
                    mismatches.Add(new Mismatch("paid-while-cancelled", e.IdNumber, entry.Person.Name, e.Terms.Payable, e.Paid, e.Paid,
                        $"已注销（{e.CancellationReason}）但有缴费 {e.Paid:0.00} 元，应退费"));
                }

                continue;
            }

            assessed++;
            assessedAmount += e.Terms.Payable;
            governmentShare += e.Terms.Subsidy;
            if (e.Terms.Waived)
            {
                waived++;
                waivedShare += e.Terms.Subsidy;
            }

            if (e.Overpayment > 0)
            {
                overpaid++;
                overAmount += e.Overpayment;
                mismatches.Add(new Mismatch("overpaid", e.IdNumber, entry.Person.Name, e.Terms.Payable, e.Paid, e.Overpayment, $"多缴 {e.Overpayment:0.00} 元（{e.Money.PaymentCount} 笔）"));
            }
            else if (e.Balance > 0 && e.Paid > 0)
            {
                underpaid++;
                underAmount += e.Balance;
                mismatches.Add(new Mismatch("underpaid", e.IdNumber, entry.Person.Name, e.Terms.Payable, e.Paid, -e.Balance, $"少缴 {e.Balance:0.00} 元"));
            }
            else if (e.Balance > 0)
            {
                unpaid++;
                unpaidAmount += e.Balance;
            }
        }

        await foreach (var payment in ledger.ScanUnmatchedAsync(policy, cancellationToken).ConfigureAwait(false))
        {
            if (payment.PaidOn < from || payment.PaidOn > to)
            {
                continue;
            }

            unmatched++;
            unmatchedAmount += payment.Amount;
            mismatches.Add(new Mismatch("unmatched-payment", payment.IdNumber, null, 0m, payment.Amount, payment.Amount,
                $"税务回传缴费未能入账（{payment.Reason}：{LedgerCodes.Message(payment.Reason)}），流水号 {payment.TransactionId}"));
        }

        return new ReconciliationReport(
            policy, IsoDate.Text(from), IsoDate.Text(to),
            new CountAmount(assessed, assessedAmount),
            new CountAmount(payments, paidAmount),
            paidPeople,
            [.. channels.Select(c => new ChannelTotal(c.Key, Glossary.PaymentChannels.Label(Glossary.PaymentChannels.Parse(c.Key)), c.Value.Count, c.Value.Amount))],
            new CountAmount(inTreasury, inTreasuryAmount),
            new CountAmount(payments - inTreasury, paidAmount - inTreasuryAmount),
            new CountAmount(waived, waivedShare),
            governmentShare,
            new CountAmount(overpaid, overAmount),
            new CountAmount(underpaid, underAmount),
            new CountAmount(unpaid, unpaidAmount),
            cancelled,
            new CountAmount(unmatched, unmatchedAmount),
            [.. mismatches.OrderBy(m => m.Kind, StringComparer.Ordinal).ThenBy(m => m.IdNumber, StringComparer.Ordinal)])
        {
            Refunded = new CountAmount(refunds, refundedAmount),
            GovernmentPaid = new CountAmount(governmentPayments, governmentAmount),
        };
    }
}
