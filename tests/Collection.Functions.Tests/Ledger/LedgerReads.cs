using Collection.Domain;
using Collection.Domain.Enrolments;
using Collection.Functions.Ledger;

namespace Collection.Functions.Tests.Ledger;

/// <summary>A person's payments and history as the ledger stores them (rows beside the enrolment), for assertions.</summary>
internal static class LedgerReads
{
    public static Task<IReadOnlyList<PostedPayment>> PaymentsAsync(this EnrolmentLedger ledger, string policy, string idNumber) =>
        ledger.GetPaymentsAsync(policy, ResidentId.Parse(idNumber));

    public static Task<IReadOnlyList<EnrolmentChange>> HistoryAsync(this EnrolmentLedger ledger, string policy, string idNumber) =>
        ledger.GetHistoryAsync(policy, ResidentId.Parse(idNumber));
}
