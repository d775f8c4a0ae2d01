using System.Collections.Concurrent;
using Collection.Domain.Assessments;
using Collection.Domain.Codes;
using Collection.Domain.Enrolments;
using Collection.Functions.Refunds;

namespace Collection.Functions.Tests.Refunds;

/// <summary>The refund port over enrolments held in memory: lets activity tests set up payments directly.</summary>
internal sealed class MemoryRefundLedger : IRefundLedger
{
    private static readonly DateTimeOffset At = new(2021, 9, 1, 0, 0, 0, TimeSpan.FromHours(8));
    private readonly ConcurrentDictionary<(string, string), RefundLedgerEntry> _entries = new();

    public int Cancellations { get; private set; }

    public void Enrol(string policy, string idNumber, decimal payable, params PostedPayment[] payments)
    {
        var terms = new EnrolmentTerms(payable, 0, payable, 0, new DateOnly(2022, 1, 1), new DateOnly(2022, 12, 31));
        var enrolment = Enrolment.Register(policy, idNumber, "window", terms, new DateOnly(2021, 9, 1), At, "test");
        foreach (var payment in payments)
        {
            enrolment = enrolment.Post(payment, terms.CoverageStart, payment.PaidOn);
        }

        _entries[(policy, idNumber)] = new RefundLedgerEntry(enrolment, new AssessmentRequest { BirthDate = new DateOnly(1990, 1, 1), Identities = SubsidyIdentitySet.Empty }, payments);
    }

    public static PostedPayment Payment(string id, decimal amount, string channel = "online", bool inTreasury = false, string paidOn = "2021-10-01") =>
        new(id, amount, DateOnly.Parse(paidOn, System.Globalization.CultureInfo.InvariantCulture), channel, inTreasury, At, "test");

    public Enrolment? Find(string policy, string idNumber) => _entries.TryGetValue((policy, idNumber), out var e) ? e.Enrolment : null;

    public Task<RefundLedgerEntry?> GetAsync(string policy, string idNumber, CancellationToken cancellationToken) =>
        Task.FromResult(_entries.TryGetValue((policy, idNumber), out var entry) ? entry : null);

    public Task RecordRefundAsync(string policy, string idNumber, RefundEntry refund, CancellationToken cancellationToken)
    {
        var entry = _entries[(policy, idNumber)];
        if (_refunded.TryAdd(refund.CaseId, refund))
        {
            _entries[(policy, idNumber)] = entry with { Enrolment = entry.Enrolment.RecordRefund(refund, DateOnly.FromDateTime(refund.At.DateTime)) };
        }

        return Task.CompletedTask;
    }

    private readonly ConcurrentDictionary<string, RefundEntry> _refunded = new();

    public Task CancelAsync(string policy, string idNumber, string reason, string actor, CancellationToken cancellationToken)
    {
        var entry = _entries[(policy, idNumber)];
        if (entry.Enrolment.Status != EnrolmentStatus.Cancelled)
        {
            Cancellations++;
        }

        _entries[(policy, idNumber)] = entry with { Enrolment = entry.Enrolment.Cancel(reason, At, actor) };
        return Task.CompletedTask;
    }
}
