using Azure;
using Azure.Data.Tables;
using Collection.Domain.Policies;
using Collection.Functions.Hosting;
using Collection.Functions.Policies;

namespace Collection.Functions.Ledger;

/// <summary>
/// Posts payments (到账划账): claims the transaction id, reads the enrolment, lets <see cref="PaymentDecision"/> decide,
/// and writes the payment row and the enrolment row in one transaction — one payment, or a tax return chunk batched
/// per partition. A payment of a mobilised person enrols them first where the policy says so.
/// </summary>
public sealed partial class PaymentPoster(
    EnrolmentStore store, TransactionClaims claims, EnrolmentRegistrar registrar, PolicyCatalog catalog, ChinaClock clock, Resilience resilience, ILogger<PaymentPoster> logger)
{
    /// <summary>
    /// Posts one payment. Idempotent by transaction id (a repeat answers <see cref="PostingOutcome.Duplicate"/> with
    /// the first posting); <c>no-assessment</c> when the person is not enrolled; a day the policy does not allow
    /// is rejected with the assessment's reason code; coverage start is re-assessed as of the payment day.
    /// </summary>
    public async Task<PostingResult> PostAsync(PaymentPosting posting, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(posting);
        if (PaymentDecision.Validate(posting, catalog, clock.Today) is { } invalid)
        {
            return PostingResult.Reject(invalid);
        }

        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        posting = await FollowReferenceAsync(posting, cancellationToken).ConfigureAwait(false);
        var claim = await claims.ClaimAsync(posting, cancellationToken).ConfigureAwait(false);
        if (claim.Error is { } conflict)
        {
            return PostingResult.Reject(conflict);
        }

        var result = await PostClaimedAsync(posting, actor, cancellationToken).ConfigureAwait(false);
        if (IsUnenrolled(result) && await registrar.EnrolMobilisedAsync(posting, actor, cancellationToken).ConfigureAwait(false))
        {
            result = await PostClaimedAsync(posting, actor, cancellationToken).ConfigureAwait(false);
        }

        await claims.SettleAsync(posting, claim.Entity, result, cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// Posts many payments (a tax return chunk): claims in parallel, then one entity-group transaction per
    /// partition of up to 100 rows; a transaction that loses a race falls back to posting each payment on its own.
    /// Results come back in the order given.
    /// </summary>
    public async Task<IReadOnlyList<PostingResult>> PostManyAsync(IReadOnlyList<PaymentPosting> postings, string actor, int parallelism = 16, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(postings);
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        if (postings.Any(p => p.Id.IsNewbornReference))
        {
            var followed = new PaymentPosting[postings.Count];
            for (var i = 0; i < postings.Count; i++)
            {
                followed[i] = await FollowReferenceAsync(postings[i], cancellationToken).ConfigureAwait(false);
            }

            postings = followed;
        }

        var results = new PostingResult?[postings.Count];
        var claimed = new TransactionClaimEntity?[postings.Count];
        var options = new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken };

        var today = clock.Today;
        var valid = new List<int>(postings.Count);
        for (var i = 0; i < postings.Count; i++)
        {
            if (PaymentDecision.Validate(postings[i], catalog, today) is { } invalid)
            {
                results[i] = PostingResult.Reject(invalid);
            }
            else
            {
                valid.Add(i);
            }
        }

        await claims.ClaimManyAsync(postings, valid, results, claimed, options).ConfigureAwait(false);
        var repeated = claimed.Select(TransactionClaims.IsRepeat).ToArray();

        // The same transaction twice in one chunk: the later rows wait for the first and come out duplicates.
        var firstByTransaction = new Dictionary<string, int>(StringComparer.Ordinal);
        var repeats = new List<int>();
        var byPartition = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < postings.Count; i++)
        {
            if (results[i] is not null)
            {
                continue;
            }

            if (!firstByTransaction.TryAdd(postings[i].TransactionId, i))
            {
                repeats.Add(i);
                continue;
            }

            var partition = LedgerKeys.Partition(postings[i].Policy, postings[i].Id.ToString());
            if (!byPartition.TryGetValue(partition, out var list))
            {
                byPartition[partition] = list = [];
            }

            list.Add(i);
        }

        await Parallel.ForEachAsync(byPartition.Values, options, async (indexes, ct) =>
            await PostPartitionAsync(postings, indexes, results, repeated, actor, ct).ConfigureAwait(false)).ConfigureAwait(false);

        foreach (var i in repeats)
        {
            results[i] = await PostClaimedAsync(postings[i], actor, cancellationToken).ConfigureAwait(false);
        }

        // A mobilised person's payment enrols them where the policy says so; then it posts as any other (once: the claim holds).
        await Parallel.ForEachAsync(Enumerable.Range(0, postings.Count), options, async (i, ct) =>
        {
            if (claimed[i] is not null && IsUnenrolled(results[i]) && await registrar.EnrolMobilisedAsync(postings[i], actor, ct).ConfigureAwait(false))
            {
                results[i] = await PostClaimedAsync(postings[i], actor, ct).ConfigureAwait(false);
            }
        }).ConfigureAwait(false);

        await Parallel.ForEachAsync(Enumerable.Range(0, postings.Count), options, async (i, ct) =>
        {
            if (claimed[i] is { } claim)
            {
                await claims.SettleAsync(postings[i], claim, results[i]!, ct).ConfigureAwait(false);
            }
        }).ConfigureAwait(false);

        return results!;
    }

    private Task EnsureTablesAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(store.EnsureTablesAsync(cancellationToken), claims.EnsureTableAsync(cancellationToken));

    private static bool IsUnenrolled(PostingResult? result) => result is { Outcome: PostingOutcome.Rejected, Error.Code: "no-assessment" };

    /// <summary>
    /// A payment under a newborn's registration reference whose ID was attached since goes to the child's ID (where the
    /// enrolment and the claims of its earlier payments now are): a file sent again is then a duplicate, never lost.
    /// </summary>
    private async Task<PaymentPosting> FollowReferenceAsync(PaymentPosting posting, CancellationToken cancellationToken) =>
        posting.Id.IsNewbornReference && catalog.TryGet(posting.Policy, out _)
            && await store.AttachedToAsync(posting.Policy, posting.Id, cancellationToken).ConfigureAwait(false) is { } child
            ? posting with { Id = child }
            : posting;

    private PaymentDecision Decide(PaymentPosting posting, EnrolmentEntity? entity, PaymentEntity? existing, string actor) =>
        PaymentDecision.Decide(posting, entity, entity is null ? null : store.TryToEntry(entity), existing, actor, catalog, clock.Today, clock.Now);

    /// <summary>The posting after the claim: read, decide, write payment + enrolment in one transaction; from a fresh read after a lost race.</summary>
    private async Task<PostingResult> PostClaimedAsync(PaymentPosting posting, string actor, CancellationToken cancellationToken)
    {
        var idNumber = posting.Id.ToString();
        return await resilience.OptimisticWrite.ExecuteAsync(async token =>
        {
            var read = store.ReadAsync(posting.Policy, idNumber, token);
            var posted = store.ReadPaymentAsync(posting.Policy, idNumber, posting.TransactionId, token);
            var entity = await read.ConfigureAwait(false);
            var decision = Decide(posting, entity, await posted.ConfigureAwait(false), actor);
            if (decision.Result is not null)
            {
                return await MarkInTreasuryAsync(decision, posting, actor, token).ConfigureAwait(false);
            }

            try
            {
                await store.SubmitAsync(
                    [new TableTransactionAction(TableTransactionActionType.Add, decision.Payment!), new TableTransactionAction(TableTransactionActionType.UpdateReplace, decision.Updated!, entity!.ETag)],
                    token).ConfigureAwait(false);
                return decision.AsPosted();
            }
            catch (RequestFailedException e) when (e.Status is >= 400 and < 500 && !Resilience.LostRace(e))
            {
                // Storage refused this person's write: this payment is rejected with a code, no other is held up.
                LogPostingRefused(e, LogText.Of(posting.TransactionId), posting.Id.Masked);
                return PostingResult.Reject(EnrolmentRules.WriteRefused(e.Status));
            }
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// A posting already on file that this one reports in the treasury (是否入库 = 是), while the book still has it
    /// outside: the payment moves into the treasury (the cash a community collected and later remitted).
    /// </summary>
    private async Task<PostingResult> MarkInTreasuryAsync(PaymentDecision decision, PaymentPosting posting, string actor, CancellationToken cancellationToken)
    {
        var result = decision.Result!;
        if (result.Outcome != PostingOutcome.Duplicate || !posting.InTreasury || decision.Existing is not { InTreasury: false } existing)
        {
            return result;
        }

        existing.InTreasury = true;
        existing.InTreasuryOn = IsoDate.Text(clock.Today);
        existing.InTreasuryBy = actor;
        try
        {
            await store.ReplacePaymentAsync(existing, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == StatusCodes.Status412PreconditionFailed)
        {
            // Marked by another writer (a remittance) at the same moment: the payment is in the treasury either way.
        }

        return result with { Payment = EnrolmentRows.ToPayment(existing), MarkedInTreasury = true };
    }

    private async Task PostPartitionAsync(IReadOnlyList<PaymentPosting> postings, List<int> indexes, PostingResult?[] results, bool[] repeats, string actor, CancellationToken cancellationToken)
    {
        // Read each person once, then apply their payments in file order. Payments that may be on file already
        // (their claim is from an earlier attempt) are read too: a repeat is a duplicate, never a second posting.
        // A re-dropped file is all repeats: its payments are found on file and their people need not be read.
        var policy = postings[indexes[0]].Policy;
        var onFile = await store.ReadPaymentsAsync(policy, [.. indexes.Where(i => repeats[i]).Select(i => (postings[i].Id.ToString(), postings[i].TransactionId))], cancellationToken).ConfigureAwait(false);
        var people = indexes.Where(i => !onFile.ContainsKey(postings[i].TransactionId)).Select(i => postings[i].Id.ToString()).Distinct(StringComparer.Ordinal).ToList();
        var entities = await store.ReadManyAsync(policy, people, cancellationToken).ConfigureAwait(false);

        var group = new PendingGroup();
        foreach (var i in indexes)
        {
            var idNumber = postings[i].Id.ToString();
            var current = group.Touched.TryGetValue(idNumber, out var updated) ? updated : entities.GetValueOrDefault(idNumber);
            var decision = Decide(postings[i], current, onFile.GetValueOrDefault(postings[i].TransactionId), actor);
            if (decision.Result is not null)
            {
                results[i] = await MarkInTreasuryAsync(decision, postings[i], actor, cancellationToken).ConfigureAwait(false);
                continue;
            }

            // A transaction holds at most 100 rows: each person needs their payments plus one enrolment row.
            if (group.Operations.Count + group.Touched.Count + (group.Touched.ContainsKey(idNumber) ? 1 : 2) > EnrolmentStore.TransactionLimit)
            {
                await SubmitGroupAsync(postings, group, entities, results, actor, cancellationToken).ConfigureAwait(false);
                current = entities[idNumber];
                decision = Decide(postings[i], current, null, actor);
                if (decision.Result is not null)
                {
                    results[i] = await MarkInTreasuryAsync(decision, postings[i], actor, cancellationToken).ConfigureAwait(false);
                    continue;
                }
            }

            decision.Updated!.ETag = entities[idNumber]?.ETag ?? default;
            group.Operations.Add(new TableTransactionAction(TableTransactionActionType.Add, decision.Payment!));
            group.Touched[idNumber] = decision.Updated;
            group.Pending.Add((i, decision));
        }

        await SubmitGroupAsync(postings, group, entities, results, actor, cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Storage refused posting {Transaction} for {Id}")]
    private partial void LogPostingRefused(Exception exception, string transaction, string id);

    /// <summary>Payments of one partition decided and waiting to go in together, with the enrolment rows they change.</summary>
    private sealed class PendingGroup
    {
        public List<(int Index, PaymentDecision Decision)> Pending { get; } = [];

        public List<TableTransactionAction> Operations { get; } = [];

        public Dictionary<string, EnrolmentEntity> Touched { get; } = new(StringComparer.Ordinal);
    }

    private async Task SubmitGroupAsync(
        IReadOnlyList<PaymentPosting> postings, PendingGroup group, Dictionary<string, EnrolmentEntity?> entities, PostingResult?[] results, string actor, CancellationToken cancellationToken)
    {
        var (pending, operations, touched) = (group.Pending, group.Operations, group.Touched);
        if (pending.Count == 0)
        {
            return;
        }

        var actions = operations.Concat(touched.Values.Select(e => new TableTransactionAction(TableTransactionActionType.UpdateReplace, e, e.ETag))).ToList();
        try
        {
            var response = await store.SubmitAsync(actions, cancellationToken).ConfigureAwait(false);
            for (var k = 0; k < pending.Count; k++)
            {
                results[pending[k].Index] = pending[k].Decision.AsPosted();
            }

            // The next group in this partition starts from what was just written (fresh ETags).
            for (var k = 0; k < actions.Count; k++)
            {
                if (actions[k].Entity is EnrolmentEntity written)
                {
                    if (response.Value.Count > k && response.Value[k].Headers.ETag is { } etag)
                    {
                        written.ETag = etag;
                        entities[written.IdNumber] = written;
                    }
                    else
                    {
                        entities[written.IdNumber] = await store.ReadAsync(written.Policy, written.IdNumber, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
        }
        catch (RequestFailedException)
        {
            // Lost a race with another writer, or storage refused one row of the group: post these one by one, each
            // with its own retries and its own outcome, so one person's trouble never holds up or drops another's.
            foreach (var (index, _) in pending)
            {
                results[index] = await PostClaimedAsync(postings[index], actor, cancellationToken).ConfigureAwait(false);
            }

            foreach (var idNumber in touched.Keys)
            {
                entities[idNumber] = await store.ReadAsync(postings[pending[0].Index].Policy, idNumber, cancellationToken).ConfigureAwait(false);
            }
        }

        pending.Clear();
        operations.Clear();
        touched.Clear();
    }
}
