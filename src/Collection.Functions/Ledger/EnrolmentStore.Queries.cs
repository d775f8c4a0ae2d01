using System.Runtime.CompilerServices;
using Azure.Data.Tables;
using Collection.Domain;
using Collection.Domain.Enrolments;

namespace Collection.Functions.Ledger;

/// <summary>The store's queries: a person's rows, a page or scan of a policy, and the rows the calendar moves.</summary>
public sealed partial class EnrolmentStore
{
    /// <summary>The payments of the person's enrolment (the current one, or <paramref name="generation"/>), in posting order.</summary>
    public async Task<IReadOnlyList<PostedPayment>> GetPaymentsAsync(string policy, ResidentId id, int? generation, CancellationToken cancellationToken)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var idNumber = id.ToString();
        generation ??= (await ReadAsync(policy, idNumber, cancellationToken).ConfigureAwait(false))?.Generation ?? 1;
        var payments = new List<PostedPayment>();
        await foreach (var row in _enrolments.QueryAsync<PaymentEntity>(LedgerKeys.PersonRowsFilter(policy, idNumber, 'p'), 1000, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (row.Generation == generation)
            {
                payments.Add(EnrolmentRows.ToPayment(row));
            }
        }

        return [.. payments.OrderBy(p => p.PostedAt).ThenBy(p => p.TransactionId, StringComparer.Ordinal)];
    }

    /// <summary>The refunds written to the person's book under the policy (every enrolment of theirs), in order.</summary>
    public async Task<IReadOnlyList<RefundRecord>> GetRefundsAsync(string policy, ResidentId id, CancellationToken cancellationToken)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var refunds = new List<RefundRecord>();
        await foreach (var row in _enrolments.QueryAsync<RefundEntity>(LedgerKeys.PersonRowsFilter(policy, id.ToString(), 'r'), 1000, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            refunds.Add(new RefundRecord(row.Generation, EnrolmentRows.ToRefund(row) with { At = row.At.ToOffset(ChinaClock.Offset) }));
        }

        return [.. refunds.OrderBy(r => r.Refund.At)];
    }

    /// <summary>
    /// The history of the person's enrolment (the current one, or <paramref name="generation"/>): its change rows and
    /// its payments (each payment row is the entry of its posting), in time order.
    /// </summary>
    public async Task<IReadOnlyList<EnrolmentChange>> GetHistoryAsync(string policy, ResidentId id, int? generation, CancellationToken cancellationToken)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var idNumber = id.ToString();
        generation ??= (await ReadAsync(policy, idNumber, cancellationToken).ConfigureAwait(false))?.Generation ?? 1;
        var history = new List<(EnrolmentChange Change, int Order)>();
        var current = await ReadAsync(policy, idNumber, cancellationToken).ConfigureAwait(false);
        var owner = current?.Generation == generation ? current : await ReadArchivedAsync(policy, idNumber, generation.Value, cancellationToken).ConfigureAwait(false);
        if (owner is not null && TryToEntry(owner)?.Enrolment.Registration is { } registration)
        {
            history.Add((registration with { At = registration.At.ToOffset(ChinaClock.Offset) }, -1));
        }

        await foreach (var row in _enrolments.QueryAsync<ChangeEntity>(LedgerKeys.PersonRowsFilter(policy, idNumber, 'h'), 1000, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (row.Generation == generation && LedgerCodes.TryParseStatus(row.Status, out var status))
            {
                history.Add((new EnrolmentChange(row.At.ToOffset(ChinaClock.Offset), row.Actor, row.Cause, status, row.Detail), history.Count));
            }
        }

        await foreach (var row in _enrolments.QueryAsync<PaymentEntity>(LedgerKeys.PersonRowsFilter(policy, idNumber, 'p'), 1000, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (row.Generation == generation && LedgerCodes.TryParseStatus(row.StatusAfter, out var status))
            {
                history.Add((new EnrolmentChange(row.PostedAt.ToOffset(ChinaClock.Offset), row.Actor, "payment-posted", status, row.Detail), history.Count));
            }
        }

        return [.. history.OrderBy(h => h.Change.At).ThenBy(h => h.Order).Select(h => h.Change)];
    }

    /// <summary>One page of a policy's enrolments, filtered; pass <see cref="LedgerPage.Continuation"/> back for the next.</summary>
    public async Task<LedgerPage> ListAsync(ListQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var filter = $"{LedgerKeys.PolicyFilter(query.Policy)} and {LedgerKeys.EnrolmentRowsFilter}";
        if (query.Status is { } status)
        {
            filter += " and " + TableClient.CreateQueryFilter($"Status eq {LedgerCodes.Status(status)}");
        }

        if (!string.IsNullOrEmpty(query.Town))
        {
            filter += " and " + TableClient.CreateQueryFilter($"Town eq {query.Town}");
        }

        if (!string.IsNullOrEmpty(query.Source))
        {
            filter += " and " + TableClient.CreateQueryFilter($"Source eq {query.Source}");
        }

        var size = Math.Clamp(query.PageSize, 1, 1000);
        var items = new List<LedgerEntry>(size);
        var continuation = query.Continuation;

        // A filtered page may come back empty with a continuation (the scan moved on): read until one has rows.
        await foreach (var page in _enrolments.QueryAsync<EnrolmentEntity>(filter, size, cancellationToken: cancellationToken)
            .AsPages(continuation, size).ConfigureAwait(false))
        {
            items.AddRange(page.Values.Select(EnrolmentRows.ToEntry));
            continuation = page.ContinuationToken;
            if (items.Count > 0 || continuation is null)
            {
                break;
            }
        }

        return new LedgerPage(items, continuation);
    }

    /// <summary>Every enrolment of a policy (reports, rosters, mobilisation lists).</summary>
    public async IAsyncEnumerable<LedgerEntry> ScanAsync(string policy, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var entity in _enrolments.QueryAsync<EnrolmentEntity>($"{LedgerKeys.PolicyFilter(policy)} and {LedgerKeys.EnrolmentRowsFilter}", 1000, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return EnrolmentRows.ToEntry(entity);
        }
    }

    /// <summary>Every posted payment of a policy (every person, every enrolment of theirs), with the ID number; streamed.</summary>
    public async IAsyncEnumerable<(string IdNumber, int Generation, PostedPayment Payment)> ScanPaymentsAsync(string policy, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var row in PaymentRowsAsync(policy, null, cancellationToken).ConfigureAwait(false))
        {
            yield return (row.IdNumber, row.Generation, EnrolmentRows.ToPayment(row));
        }
    }

    /// <summary>The payment rows of a policy, all or those of one payer; filtered by storage.</summary>
    public async IAsyncEnumerable<PaymentEntity> PaymentRowsAsync(string policy, PaymentPayer? payer, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var filter = $"{LedgerKeys.PolicyFilter(policy)} and ({LedgerKeys.PaymentRowsFilter})";
        if (payer is { } only)
        {
            filter += $" and Payer eq '{LedgerCodes.Payer(only)}'";
        }

        await foreach (var row in _enrolments.QueryAsync<PaymentEntity>(filter, 1000, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return row;
        }
    }

    /// <summary>Every refund written to the books of a policy, with the ID number; streamed.</summary>
    public async IAsyncEnumerable<(string IdNumber, int Generation, RefundEntry Refund)> ScanRefundsAsync(string policy, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var row in _enrolments.QueryAsync<RefundEntity>($"{LedgerKeys.PolicyFilter(policy)} and ({LedgerKeys.RefundRowsFilter})", 1000, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return (row.IdNumber, row.Generation, EnrolmentRows.ToRefund(row));
        }
    }

    /// <summary>The paid and active enrolment rows of a policy (what the calendar may move); filtered on status by storage, streamed.</summary>
    public async IAsyncEnumerable<EnrolmentEntity> PaidOrActiveAsync(string policy, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var filter = $"{LedgerKeys.PolicyFilter(policy)} and ({LedgerKeys.EnrolmentRowsFilter}) and (Status eq 'paid' or Status eq 'active')";
        await foreach (var entity in _enrolments.QueryAsync<EnrolmentEntity>(filter, 1000, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return entity;
        }
    }
}
