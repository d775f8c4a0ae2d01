using System.Runtime.CompilerServices;
using Azure.Data.Tables;
using Collection.Domain;
using Collection.Domain.Enrolments;
using Collection.Domain.Policies;
using Collection.Functions.Assessments;
using Collection.Functions.Hosting;
using Collection.Functions.Policies;

namespace Collection.Functions.Ledger;

/// <summary>
/// The book of record (参保登记 → 应征 → 到账划账 → 享受待遇): what rosters, refunds, timers, subsidy lists and the API
/// ask of the ledger — enrol, post, refund, cancel, advance with the calendar, and read. Each answer is a ledger
/// entry or a <see cref="LedgerError"/>, never an HTTP status. The work is done by its parts: the rows in
/// <see cref="EnrolmentStore"/>, registration in <see cref="EnrolmentRegistrar"/>, payments in <see cref="PaymentPoster"/>
/// (with <see cref="TransactionClaims"/>), newborns in <see cref="NewbornAttachment"/>; the rules live in the domain.
/// </summary>
public sealed partial class EnrolmentLedger(
    EnrolmentStore store, TransactionClaims claims, EnrolmentRegistrar registrar, PaymentPoster poster, NewbornAttachment newborns, PolicyCatalog catalog, ChinaClock clock, Resilience resilience, ILogger<EnrolmentLedger> logger)
{
    /// <summary>Updates in flight during <see cref="AdvanceAsync"/>: enough to hide round trips, few enough for one partition's write rate.</summary>
    public const int AdvanceParallelism = 16;

    /// <inheritdoc cref="EnrolmentRegistrar.EnrolAsync"/>
    public Task<EnrolResult> EnrolAsync(EnrolmentApplication application, string actor, DateOnly? asOf = null, CancellationToken cancellationToken = default) =>
        registrar.EnrolAsync(application, actor, asOf, cancellationToken);

    /// <inheritdoc cref="PaymentPoster.PostAsync"/>
    public Task<PostingResult> PostPaymentAsync(PaymentPosting posting, string actor, CancellationToken cancellationToken = default) =>
        poster.PostAsync(posting, actor, cancellationToken);

    /// <inheritdoc cref="PaymentPoster.PostManyAsync"/>
    public Task<IReadOnlyList<PostingResult>> PostPaymentsAsync(IReadOnlyList<PaymentPosting> postings, string actor, int parallelism = 16, CancellationToken cancellationToken = default) =>
        poster.PostManyAsync(postings, actor, parallelism, cancellationToken);

    /// <inheritdoc cref="NewbornAttachment.AttachIdAsync"/>
    public Task<AttachResult> AttachIdAsync(Policy policy, ResidentId reference, ResidentId child, string actor, CancellationToken cancellationToken = default) =>
        newborns.AttachIdAsync(policy, reference, child, actor, cancellationToken);

    /// <summary>Where a newborn's registration reference went: the child's ID number once attached, else null.</summary>
    public Task<ResidentId?> AttachedToAsync(string policy, ResidentId reference, CancellationToken cancellationToken = default) =>
        store.AttachedToAsync(policy, reference, cancellationToken);

    /// <summary>
    /// A list confirmed an identity for an enrolled person who has paid nothing yet: the amount due becomes
    /// <paramref name="terms"/> (lower only; see <see cref="Enrolment.Reassess"/>) and the stored request the identities applied.
    /// Null when there is no enrolment; the entry unchanged when the enrolment cannot be reassessed.
    /// </summary>
    public Task<LedgerEntry?> ReassessAsync(string policy, ResidentId id, EnrolmentTerms terms, AssessmentRequestBody request, string detail, string actor, DateOnly today, CancellationToken cancellationToken = default) =>
        store.UpdateAsync(policy, id.ToString(), enrolment => enrolment.Reassess(terms, today, clock.Now, actor, detail), cancellationToken, request: request);

    /// <summary>Cancels an enrolment (refunded or removed) with the reason; null when there is no enrolment.</summary>
    public Task<LedgerEntry?> CancelAsync(string policy, ResidentId id, string reason, string actor, CancellationToken cancellationToken = default) =>
        store.UpdateAsync(policy, id.ToString(), enrolment => enrolment.Cancel(reason, clock.Now, actor), cancellationToken);

    /// <summary>
    /// Writes a refund into the person's book: a refund row beside the enrolment, whose paid, balance and overpayment
    /// are net of it from then on, and an entry in its history. Idempotent by case id. Null when there is no enrolment.
    /// The refund is dated by the ledger's clock (the business date, where one is set), as payments are.
    /// </summary>
    public async Task<LedgerEntry?> RecordRefundAsync(string policy, ResidentId id, RefundEntry refund, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(refund);
        refund = refund with { At = clock.Now };
        await store.EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var idNumber = id.ToString();
        return await resilience.OptimisticWrite.ExecuteAsync(async token =>
        {
            var entity = await store.ReadAsync(policy, idNumber, token).ConfigureAwait(false);
            if (entity is null)
            {
                return null;
            }

            // Another writer changed the enrolment, or a second run of the case wrote the refund: a retry reads again.
            var entry = EnrolmentRows.ToEntry(entity);
            if (await store.HasRefundAsync(entity, refund.CaseId, token).ConfigureAwait(false))
            {
                return entry;
            }

            var next = entry.Enrolment.RecordRefund(refund, clock.Today);
            var updated = EnrolmentRows.ToEntity(next, entry.Person, entry.Request, entity.ChangeCount);
            List<TableTransactionAction> actions =
            [
                new(TableTransactionActionType.UpdateReplace, updated, entity.ETag),
                new(TableTransactionActionType.Add, EnrolmentRows.ToRefundRow(entity, next.Generation, refund)),
            ];
            actions.AddRange(EnrolmentRows.ChangeRows(updated, next.Changes));
            await store.SubmitAsync(actions, token).ConfigureAwait(false);
            if (logger.IsEnabled(LogLevel.Information))
            {
                var caseId = LogText.Of(refund.CaseId);
                LogRefundWritten(caseId, refund.Amount, id.Masked, policy);
            }

            return entry with { Enrolment = next };
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Whether the person is marked in employee insurance (see <see cref="MarkEmployeeInsuranceAsync"/>).</summary>
    public async Task<bool> InEmployeeInsuranceAsync(ResidentId id, CancellationToken cancellationToken = default) =>
        await store.EmployeeInsuranceMarkAsync(id.ToString(), cancellationToken).ConfigureAwait(false) is not null;

    /// <summary>Marks a person as in employee insurance: later enrolments under any policy are refused.</summary>
    public Task MarkEmployeeInsuranceAsync(ResidentId id, DateOnly since, string source, string actor, CancellationToken cancellationToken = default) =>
        store.MarkEmployeeInsuranceAsync(id.ToString(), since, source, actor, cancellationToken);

    /// <summary>
    /// Moves paid and active enrolments with the calendar (paid → active on coverage start, → expired after
    /// coverage end) as of <paramref name="today"/>; every policy when <paramref name="policy"/> is null. Each
    /// change is an entry in the enrolment's history with <paramref name="actor"/> (the run that made it).
    /// Streams: one policy range scan, filtered on status server-side, with at most
    /// <see cref="AdvanceParallelism"/> updates in flight; a policy's enrolments are never held whole.
    /// </summary>
    public async Task<AdvanceSummary> AdvanceAsync(DateOnly today, string actor, string? policy = null, CancellationToken cancellationToken = default)
    {
        var codes = policy is null ? catalog.Policies.Select(p => p.Code).ToArray() : [policy];
        var counts = new AdvanceCounts();
        var options = new ParallelOptions { MaxDegreeOfParallelism = AdvanceParallelism, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(ChangesDueAsync(codes, today, counts, cancellationToken), options, async (entity, ct) =>
        {
            var cause = entity.Next == EnrolmentStatus.Active ? "coverage-started" : "coverage-ended";
            var updated = await store.UpdateAsync(entity.Row.Policy, entity.Row.IdNumber, e => e.AdvanceTo(today, clock.Now, actor, cause), ct, entity.Row).ConfigureAwait(false);
            if (updated?.Enrolment.Status == EnrolmentStatus.Active)
            {
                Interlocked.Increment(ref counts.Activated);
            }
            else if (updated?.Enrolment.Status == EnrolmentStatus.Expired)
            {
                Interlocked.Increment(ref counts.Expired);
            }
        }).ConfigureAwait(false);

        return new AdvanceSummary(counts.Examined, counts.Activated, counts.Expired);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Refund {Case} of {Amount} written to the book of {Id} under {Policy}")]
    private partial void LogRefundWritten(string @case, decimal amount, string id, string policy);

    private sealed class AdvanceCounts
    {
        public int Examined;
        public int Activated;
        public int Expired;
    }

    /// <summary>The paid and active enrolments whose status the calendar changes on <paramref name="today"/>.</summary>
    private async IAsyncEnumerable<(EnrolmentEntity Row, EnrolmentStatus Next)> ChangesDueAsync(
        IReadOnlyList<string> policies, DateOnly today, AdvanceCounts counts, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var code in policies)
        {
            await foreach (var entity in store.PaidOrActiveAsync(code, cancellationToken).ConfigureAwait(false))
            {
                // Only this enumerator counts, and Parallel.ForEachAsync pulls it one item at a time.
                counts.Examined++;
                var current = EnrolmentState.Deserialize(entity);
                var next = current.StatusOn(today);
                if (next != current.Status)
                {
                    yield return (entity, next);
                }
            }
        }
    }

    public async Task<LedgerEntry?> GetAsync(string policy, ResidentId id, CancellationToken cancellationToken = default) =>
        await store.ReadAsync(policy, id.ToString(), cancellationToken).ConfigureAwait(false) is { } entity ? EnrolmentRows.ToEntry(entity) : null;

    /// <inheritdoc cref="EnrolmentStore.GetPaymentsAsync"/>
    public Task<IReadOnlyList<PostedPayment>> GetPaymentsAsync(string policy, ResidentId id, int? generation = null, CancellationToken cancellationToken = default) =>
        store.GetPaymentsAsync(policy, id, generation, cancellationToken);

    /// <inheritdoc cref="EnrolmentStore.GetRefundsAsync"/>
    public Task<IReadOnlyList<RefundRecord>> GetRefundsAsync(string policy, ResidentId id, CancellationToken cancellationToken = default) =>
        store.GetRefundsAsync(policy, id, cancellationToken);

    /// <inheritdoc cref="EnrolmentStore.GetHistoryAsync"/>
    public Task<IReadOnlyList<EnrolmentChange>> GetHistoryAsync(string policy, ResidentId id, int? generation = null, CancellationToken cancellationToken = default) =>
        store.GetHistoryAsync(policy, id, generation, cancellationToken);

    /// <inheritdoc cref="EnrolmentStore.ListAsync"/>
    public Task<LedgerPage> ListAsync(ListQuery query, CancellationToken cancellationToken = default) => store.ListAsync(query, cancellationToken);

    /// <inheritdoc cref="EnrolmentStore.ScanAsync"/>
    public IAsyncEnumerable<LedgerEntry> ScanAsync(string policy, CancellationToken cancellationToken = default) => store.ScanAsync(policy, cancellationToken);

    /// <inheritdoc cref="EnrolmentStore.ScanPaymentsAsync"/>
    public IAsyncEnumerable<(string IdNumber, int Generation, PostedPayment Payment)> ScanPaymentsAsync(string policy, CancellationToken cancellationToken = default) =>
        store.ScanPaymentsAsync(policy, cancellationToken);

    /// <inheritdoc cref="EnrolmentStore.ScanRefundsAsync"/>
    public IAsyncEnumerable<(string IdNumber, int Generation, RefundEntry Refund)> ScanRefundsAsync(string policy, CancellationToken cancellationToken = default) =>
        store.ScanRefundsAsync(policy, cancellationToken);

    /// <inheritdoc cref="TransactionClaims.ScanUnmatchedAsync"/>
    public IAsyncEnumerable<UnmatchedPayment> ScanUnmatchedAsync(string policy, CancellationToken cancellationToken = default) =>
        claims.ScanUnmatchedAsync(policy, cancellationToken);

    /// <summary>
    /// The government's payments of people's shares under a policy (缴费类型 资助代缴, the assistance fund), per person: what
    /// the settlements of the supplementary run are matched with. One query, filtered by storage.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, (decimal Amount, DateOnly LastPaidOn)>> GovernmentPaymentsAsync(string policy, CancellationToken cancellationToken = default)
    {
        var paid = new Dictionary<string, (decimal Amount, DateOnly LastPaidOn)>(StringComparer.Ordinal);
        await foreach (var row in store.PaymentRowsAsync(policy, PaymentPayer.Government, cancellationToken).ConfigureAwait(false))
        {
            var payment = EnrolmentRows.ToPayment(row);
            var (amount, last) = paid.GetValueOrDefault(row.IdNumber);
            paid[row.IdNumber] = (amount + payment.Amount, last > payment.PaidOn ? last : payment.PaidOn);
        }

        return paid;
    }
}
