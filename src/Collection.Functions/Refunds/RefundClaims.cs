using System.Globalization;
using Azure;
using Azure.Data.Tables;

namespace Collection.Functions.Refunds;

/// <summary>Table names; a prefix isolates tests sharing one storage account.</summary>
public sealed record RefundTables(string Prefix = "")
{
    public const string PrefixSetting = "Refunds:TablePrefix";

    public string Claims => Prefix + "refundclaims";
}

/// <summary>A settlement the refund book already holds for a case.</summary>
public sealed record RefundSettlement(string CaseId, decimal Amount, string Kind, string Reference, DateTimeOffset At);

/// <summary>The book would refund more than the person paid.</summary>
public sealed class RefundLimitException(string message) : Exception(message);

/// <summary>
/// The refund book, one claim row per person and policy (PartitionKey = policy, RowKey = ID number) with a
/// settlement row per case beside it (RowKey = ID number + "|" + case id). The claim row names the one open
/// case and the total refunded; every change to it is an ETag-checked write, and a settlement is written in
/// the same entity-group transaction as the claim update, so two cases or two hosts can never refund more
/// than was paid, and a case is settled once however often its activity runs. Refund cases of a policy are
/// few (thousands), far below a partition's 2,000 entities/s.
/// </summary>
public sealed class RefundClaims
{
    private const string OpenCase = "OpenCaseId";
    private const string OpenedAt = "OpenedAt";
    private static readonly TimeSpan StartGrace = TimeSpan.FromMinutes(2);
    private const string Refunded = "Refunded";
    private const string SubsidyRefunded = "SubsidyRefunded";
    private readonly TableClient _table;
    private readonly TimeProvider _time;
    private volatile bool _created;

    public RefundClaims(TableServiceClient tables, RefundTables names, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(names);
        _table = tables.GetTableClient(names.Claims);
        _time = time;
    }

    /// <summary>
    /// Makes <paramref name="caseId"/> the person's open case. Answers the id of another case still open
    /// (<paramref name="isStillOpen"/> decides, so a finished or never-started case does not block), or null when taken.
    /// </summary>
    public async Task<string?> TryOpenAsync(string policy, string idNumber, string caseId, Func<string, CancellationToken, Task<bool?>> isStillOpen, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(isStillOpen);
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        while (true)
        {
            var claim = await ReadClaimAsync(policy, idNumber, cancellationToken).ConfigureAwait(false);
            var open = claim?.GetString(OpenCase);
            if (!string.IsNullOrEmpty(open) && open != caseId
                && (await isStillOpen(open, cancellationToken).ConfigureAwait(false) ?? IsStarting(claim!)))
            {
                return open;
            }

            try
            {
                if (claim is null)
                {
                    await _table.AddEntityAsync(new TableEntity(policy, idNumber) { [OpenCase] = caseId, [OpenedAt] = _time.GetUtcNow(), [Refunded] = "0" }, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    claim[OpenCase] = caseId;
                    claim[OpenedAt] = _time.GetUtcNow();
                    await _table.UpdateEntityAsync(claim, claim.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                }

                return null;
            }
            catch (RequestFailedException e) when (e.Status is 409 or 412)
            {
                // Another case for the same person won the race: read again and decide with its id.
            }
        }
    }

    /// <summary>
    /// A case whose workflow does not exist yet is still being opened (claim taken, start not yet sent):
    /// it blocks others for <see cref="StartGrace"/>, after which a start that never happened frees the person.
    /// </summary>
    private bool IsStarting(TableEntity claim) =>
        claim.GetDateTimeOffset(OpenedAt) is not { } openedAt || _time.GetUtcNow() - openedAt < StartGrace;

    /// <summary>Of the total refunded, what went back for subsidised-paid-full (a subsidy paid as a refund).</summary>
    public async Task<decimal> SubsidyRefundedAsync(string policy, string idNumber, CancellationToken cancellationToken)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        var claim = await ReadClaimAsync(policy, idNumber, cancellationToken).ConfigureAwait(false);
        return claim?.GetString(SubsidyRefunded) is { } text ? Amount(text) : 0m;
    }

    /// <summary>The total already refunded to the person under the policy.</summary>
    public async Task<decimal> RefundedAsync(string policy, string idNumber, CancellationToken cancellationToken)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        var claim = await ReadClaimAsync(policy, idNumber, cancellationToken).ConfigureAwait(false);
        return claim is null ? 0m : Amount(claim.GetString(Refunded));
    }

    /// <summary>
    /// Records that <paramref name="amount"/> went back to the person for <paramref name="caseId"/>. Idempotent by
    /// case id (a second call answers the first settlement); refused with <see cref="RefundLimitException"/> when the
    /// total refunded would exceed <paramref name="paid"/>. Closes the case on the claim.
    /// </summary>
    /// <param name="subsidy">The refund pays a subsidy back (subsidised-paid-full): counted apart, so a top-up never pays it again.</param>
    public async Task<RefundSettlement> SettleAsync(string policy, string idNumber, string caseId, decimal amount, decimal paid, string kind, CancellationToken cancellationToken, bool subsidy = false)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        var settlementKey = idNumber + "|" + caseId;
        while (true)
        {
            var existing = await _table.GetEntityIfExistsAsync<TableEntity>(policy, settlementKey, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (existing.HasValue && existing.Value is { } settled)
            {
                return ToSettlement(caseId, settled);
            }

            var claim = await ReadClaimAsync(policy, idNumber, cancellationToken).ConfigureAwait(false) ?? new TableEntity(policy, idNumber) { [Refunded] = "0" };
            var total = Amount(claim.GetString(Refunded)) + amount;
            if (total > paid)
            {
                throw new RefundLimitException($"Refunding {amount:0.00} for {caseId} would make {total:0.00} refunded of {paid:0.00} paid.");
            }

            claim[Refunded] = total.ToString(CultureInfo.InvariantCulture);
            if (subsidy)
            {
                claim[SubsidyRefunded] = (Amount(claim.GetString(SubsidyRefunded)) + amount).ToString(CultureInfo.InvariantCulture);
            }

            if (claim.GetString(OpenCase) == caseId)
            {
                claim[OpenCase] = "";
            }

            var at = _time.GetUtcNow();
            var settlement = new TableEntity(policy, settlementKey)
            {
                ["Amount"] = amount.ToString(CultureInfo.InvariantCulture),
                ["Kind"] = kind,
                ["Reference"] = "refund-" + caseId,
                ["At"] = at,
            };
            var actions = new List<TableTransactionAction>
            {
                claim.ETag == default
                    ? new TableTransactionAction(TableTransactionActionType.Add, claim)
                    : new TableTransactionAction(TableTransactionActionType.UpdateReplace, claim, claim.ETag),
                new(TableTransactionActionType.Add, settlement),
            };
            try
            {
                await _table.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
                return ToSettlement(caseId, settlement);
            }
            catch (TableTransactionFailedException e) when (e.Status is 409 or 412)
            {
                // Lost a race with another case or a second run of this one: read again.
            }
        }
    }

    private async Task<TableEntity?> ReadClaimAsync(string policy, string idNumber, CancellationToken cancellationToken)
    {
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(policy, idNumber, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? response.Value : null;
    }

    private static RefundSettlement ToSettlement(string caseId, TableEntity row) =>
        new(caseId, Amount(row.GetString("Amount")), row.GetString("Kind") ?? "", row.GetString("Reference") ?? "", row.GetDateTimeOffset("At") ?? default);

    private static decimal Amount(string? text) =>
        decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var value) ? value : 0m;

    private async Task EnsureTableAsync(CancellationToken cancellationToken)
    {
        if (!_created)
        {
            await _table.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
            _created = true;
        }
    }
}
