using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;
using Collection.Domain;
using Collection.Domain.Codes;
using Collection.Functions.Policies;

namespace Collection.Functions.Ledger;

/// <summary>
/// The <c>ledgertransactions</c> table: the global index that makes a transaction id post once across people, files,
/// hosts and restarts (layout in LedgerRecords.cs). A claim is inserted before posting; a claim naming another person
/// or amount is a reuse of the id; a claim keeps the reason of a rejected posting for reconciliation.
/// </summary>
public sealed partial class TransactionClaims
{
    private readonly TableClient _transactions;
    private readonly ChinaClock _clock;
    private readonly ILogger<TransactionClaims> _logger;
    private readonly Lock _gate = new();
    private Task? _created;

    public TransactionClaims(TableServiceClient tables, LedgerTables names, ChinaClock clock, ILogger<TransactionClaims> logger)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(names);
        _transactions = tables.GetTableClient(names.Transactions);
        _clock = clock;
        _logger = logger;
    }

    /// <summary>Creates the table once; a failed attempt (storage down) is tried again by the next call.</summary>
    public Task EnsureTableAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_created is null || _created.IsFaulted || _created.IsCanceled)
            {
                _created = _transactions.CreateIfNotExistsAsync(CancellationToken.None);
            }

            return _created.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Claims the posting's transaction id: the claim (new, or the same payment's from an earlier try), or the conflict.</summary>
    public async Task<(TransactionClaimEntity? Entity, LedgerError? Error)> ClaimAsync(PaymentPosting posting, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(posting);
        var claim = NewClaim(posting);
        try
        {
            var response = await _transactions.AddEntityAsync(claim, cancellationToken).ConfigureAwait(false);
            claim.ETag = response.Headers.ETag ?? ETag.All;
            return (claim, null);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            var existing = (await _transactions.GetEntityAsync<TransactionClaimEntity>(claim.PartitionKey, claim.RowKey, cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
            return MatchExisting(posting, claim, existing);
        }
    }

    /// <summary>
    /// Claims a chunk's transaction ids with few round trips: existing claims are read with OR-filtered
    /// queries per claim partition, new ones inserted in batches of up to 100; a batch that loses a race
    /// with another host falls back to claiming its rows one by one.
    /// </summary>
    public async Task ClaimManyAsync(IReadOnlyList<PaymentPosting> postings, List<int> indexes, PostingResult?[] results, TransactionClaimEntity?[] claims, ParallelOptions options)
    {
        ArgumentNullException.ThrowIfNull(postings);
        ArgumentNullException.ThrowIfNull(indexes);
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(claims);
        var byPartition = indexes.GroupBy(i => LedgerKeys.ClaimPartition(postings[i].TransactionId)).ToList();
        await Parallel.ForEachAsync(byPartition, options, async (group, ct) =>
        {
            var transactionIds = group.Select(i => postings[i].TransactionId).Distinct(StringComparer.Ordinal).ToList();
            var existing = new Dictionary<string, TransactionClaimEntity>(StringComparer.Ordinal);
            foreach (var ids in transactionIds.Chunk(EnrolmentStore.ReadBatchSize))
            {
                var rows = string.Join(" or ", ids.Select(id => TableClient.CreateQueryFilter($"RowKey eq {id}")));
                var filter = TableClient.CreateQueryFilter($"PartitionKey eq {group.Key}") + $" and ({rows})";
                await foreach (var found in _transactions.QueryAsync<TransactionClaimEntity>(filter, cancellationToken: ct).ConfigureAwait(false))
                {
                    existing[found.RowKey] = found;
                }
            }

            var fresh = new List<(int Index, TransactionClaimEntity Claim)>();
            foreach (var i in group)
            {
                var claim = NewClaim(postings[i]);
                if (existing.TryGetValue(claim.RowKey, out var known))
                {
                    (claims[i], var conflict) = MatchExisting(postings[i], claim, known);
                    results[i] = conflict is null ? null : PostingResult.Reject(conflict);
                    continue;
                }

                // Known from here on: a later row of this chunk with the same id shares this claim or conflicts with it.
                existing[claim.RowKey] = claim;
                claims[i] = claim;
                fresh.Add((i, claim));
            }

            foreach (var batch in fresh.Chunk(EnrolmentStore.TransactionLimit))
            {
                try
                {
                    await _transactions.SubmitTransactionAsync(batch.Select(b => new TableTransactionAction(TableTransactionActionType.Add, b.Claim)), ct).ConfigureAwait(false);
                }
                catch (TableTransactionFailedException)
                {
                    foreach (var (index, _) in batch)
                    {
                        var claim = await ClaimAsync(postings[index], ct).ConfigureAwait(false);
                        claims[index] = claim.Entity;
                        results[index] = claim.Error is { } conflict ? PostingResult.Reject(conflict) : null;
                    }
                }
            }
        }).ConfigureAwait(false);
    }

    /// <summary>A claim read back from the table (it has a server timestamp) was made by an earlier attempt: the payment may be posted already.</summary>
    public static bool IsRepeat(TransactionClaimEntity? claim) => claim?.Timestamp is not null;

    /// <summary>Records the claim's outcome: a rejection reason (for reconciliation), or clears one once posted.</summary>
    public async Task SettleAsync(PaymentPosting posting, TransactionClaimEntity? claim, PostingResult result, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(posting);
        ArgumentNullException.ThrowIfNull(result);
        if (claim is null)
        {
            return;
        }

        var rejection = result.Outcome == PostingOutcome.Rejected ? result.Error?.Code : null;
        if (string.Equals(claim.Rejection ?? "", rejection ?? "", StringComparison.Ordinal))
        {
            return;
        }

        claim.Rejection = rejection ?? "";
        try
        {
            await _transactions.UpdateEntityAsync(claim, ETag.All, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e)
        {
            // The payment itself stands; only the unmatched-payment list would miss this one until the next try.
            LogOutcomeNotRecorded(e, LogText.Of(posting.TransactionId), posting.Id.Masked);
        }
    }

    /// <summary>The claim follows its payment to another ID number (a newborn's reference attached), so a repeat there is a duplicate.</summary>
    public async Task MoveAsync(string transactionId, string toIdNumber, CancellationToken cancellationToken)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        await _transactions.UpsertEntityAsync(new TableEntity(LedgerKeys.ClaimPartition(transactionId), transactionId) { ["IdNumber"] = toIdNumber }, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Postings that stand rejected for a policy (their claims keep the reason).</summary>
    public async IAsyncEnumerable<UnmatchedPayment> ScanUnmatchedAsync(string policy, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter($"Policy eq {policy}") + " and Rejection ne ''";
        await foreach (var claim in _transactions.QueryAsync<TransactionClaimEntity>(filter, 1000, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (string.IsNullOrEmpty(claim.Rejection))
            {
                continue;
            }

            yield return new UnmatchedPayment(claim.RowKey, claim.IdNumber, Money.Parse(claim.Amount), IsoDate.Parse(claim.PaidOn),
                claim.Channel, claim.InTreasury, claim.Rejection);
        }
    }

    private static (TransactionClaimEntity? Entity, LedgerError? Error) MatchExisting(PaymentPosting posting, TransactionClaimEntity claim, TransactionClaimEntity existing)
    {
        if (existing.Policy != claim.Policy || existing.IdNumber != claim.IdNumber || existing.Amount != claim.Amount)
        {
            return (null, new LedgerError(LedgerErrorKind.Conflict, "transaction-id-conflict", "The transaction id was used for another payment.",
                $"transactionId {posting.TransactionId} was claimed for {ResidentId.Parse(existing.IdNumber).Masked} under {existing.Policy}, {existing.Amount} yuan.", "transactionId"));
        }

        // Same payment: a repeat, or a claim left by a crash before posting. Posting is idempotent.
        return (existing, null);
    }

    private TransactionClaimEntity NewClaim(PaymentPosting posting) => new()
    {
        PartitionKey = LedgerKeys.ClaimPartition(posting.TransactionId),
        RowKey = posting.TransactionId,
        Policy = posting.Policy,
        IdNumber = posting.Id.ToString(),
        Amount = Money.Text(posting.Amount),
        PaidOn = IsoDate.Text(posting.PaidOn),
        Channel = Glossary.PaymentChannels.Code(posting.Channel),
        InTreasury = posting.InTreasury,
        ClaimedAt = _clock.Now,
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not record the outcome of transaction {Transaction} for {Id}")]
    private partial void LogOutcomeNotRecorded(Exception exception, string transaction, string id);
}
