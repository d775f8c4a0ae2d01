using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Collection.Domain;
using Collection.Domain.Enrolments;
using Collection.Functions.Assessments;
using Collection.Functions.Hosting;
using Collection.Functions.Policies;

namespace Collection.Functions.Ledger;

/// <summary>Table names; a prefix isolates tests and benchmarks that share one storage account.</summary>
public sealed record LedgerTables(string Prefix = "")
{
    public const string PrefixSetting = "Ledger:TablePrefix";

    public string Enrolments => Prefix + "enrolments";

    public string Transactions => Prefix + "ledgertransactions";

    public string EmployeeInsurance => Prefix + "employeeinsurance";

    public string Remittances => Prefix + "ledgerremittances";
}

/// <summary>
/// The ledger's storage: the <c>enrolments</c> and <c>employeeinsurance</c> tables (layout in LedgerRecords.cs) —
/// point reads, OR-filtered reads of a partition, conditional writes and the optimistic read–change–write, and the
/// queries (EnrolmentStore.Queries.cs). It knows keys and rows, not rules: every writer of the table (the ledger,
/// payment posting, rosters) goes through it.
/// </summary>
public sealed partial class EnrolmentStore
{
    /// <summary>Rows in one entity-group transaction (Azure Tables' limit).</summary>
    public const int TransactionLimit = 100;

    // Keeps an OR-filtered query's URL short (each clause ~40 characters).
    internal const int ReadBatchSize = 40;

    private static readonly TableEntityJson<EnrolmentEntity> EntityJson = new();

    private readonly TableClient _enrolments;
    private readonly TableClient _employeeInsurance;
    private readonly TableClient _transactions;
    private readonly string _enrolmentsTable;
    private readonly TableBatchInserter _inserter;
    private readonly Resilience _resilience;
    private readonly ILogger<EnrolmentStore> _logger;
    private readonly Lock _gate = new();
    private Task? _created;

    public EnrolmentStore(TableServiceClient tables, LedgerTables names, TableBatchInserter inserter, Resilience resilience, ILogger<EnrolmentStore> logger)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(names);
        _enrolmentsTable = names.Enrolments;
        _enrolments = tables.GetTableClient(names.Enrolments);
        _employeeInsurance = tables.GetTableClient(names.EmployeeInsurance);
        _transactions = tables.GetTableClient(names.Transactions);
        _inserter = inserter;
        _resilience = resilience;
        _logger = logger;
    }

    /// <summary>
    /// Creates the ledger's tables once, the claims table (<see cref="TransactionClaims"/>) with them as always;
    /// a failed attempt (storage down) is tried again by the next call.
    /// </summary>
    public Task EnsureTablesAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_created is null || _created.IsFaulted || _created.IsCanceled)
            {
                _created = Task.WhenAll(
                    _enrolments.CreateIfNotExistsAsync(CancellationToken.None),
                    _employeeInsurance.CreateIfNotExistsAsync(CancellationToken.None),
                    _transactions.CreateIfNotExistsAsync(CancellationToken.None));
            }

            return _created.WaitAsync(cancellationToken);
        }
    }

    /// <summary>The current enrolment row of a person under a policy, or null.</summary>
    public async Task<EnrolmentEntity?> ReadAsync(string policy, string idNumber, CancellationToken cancellationToken)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var response = await _enrolments.GetEntityIfExistsAsync<EnrolmentEntity>(LedgerKeys.Partition(policy, idNumber), LedgerKeys.EnrolmentRow(idNumber), cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? response.Value : null;
    }

    /// <summary>An earlier (cancelled) enrolment kept beside the current one, or null.</summary>
    public async Task<EnrolmentEntity?> ReadArchivedAsync(string policy, string idNumber, int generation, CancellationToken cancellationToken)
    {
        var response = await _enrolments.GetEntityIfExistsAsync<EnrolmentEntity>(LedgerKeys.Partition(policy, idNumber), LedgerKeys.ArchivedRow(idNumber, generation), cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? response.Value : null;
    }

    /// <summary>
    /// Reads the enrolments of people in one partition with a few OR-filtered queries instead of one read
    /// each: a tax return chunk touches dozens of people per partition, and round trips dominate its cost.
    /// </summary>
    public async Task<Dictionary<string, EnrolmentEntity?>> ReadManyAsync(string policy, IReadOnlyList<string> idNumbers, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(idNumbers);
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var found = idNumbers.ToDictionary(id => id, _ => (EnrolmentEntity?)null, StringComparer.Ordinal);
        foreach (var group in idNumbers.Chunk(ReadBatchSize))
        {
            var partition = TableClient.CreateQueryFilter($"PartitionKey eq {LedgerKeys.Partition(policy, group[0])}");
            var rows = string.Join(" or ", group.Select(id => TableClient.CreateQueryFilter($"RowKey eq {LedgerKeys.EnrolmentRow(id)}")));
            await foreach (var entity in _enrolments.QueryAsync<EnrolmentEntity>($"{partition} and ({rows})", cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                found[entity.IdNumber] = entity;
            }
        }

        return found;
    }

    /// <summary>The payment row of a transaction for a person, or null.</summary>
    public async Task<PaymentEntity?> ReadPaymentAsync(string policy, string idNumber, string transactionId, CancellationToken cancellationToken)
    {
        var response = await _enrolments.GetEntityIfExistsAsync<PaymentEntity>(LedgerKeys.Partition(policy, idNumber), LedgerKeys.PaymentRow(idNumber, transactionId), cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? response.Value : null;
    }

    /// <summary>The payment rows on file among (person, transaction) pairs of one partition, by transaction id; few OR-filtered queries.</summary>
    public async Task<Dictionary<string, PaymentEntity>> ReadPaymentsAsync(string policy, IReadOnlyList<(string IdNumber, string TransactionId)> wanted, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(wanted);
        var found = new Dictionary<string, PaymentEntity>(StringComparer.Ordinal);
        foreach (var group in wanted.Chunk(ReadBatchSize))
        {
            var partition = TableClient.CreateQueryFilter($"PartitionKey eq {LedgerKeys.Partition(policy, group[0].IdNumber)}");
            var rows = string.Join(" or ", group.Select(w => TableClient.CreateQueryFilter($"RowKey eq {LedgerKeys.PaymentRow(w.IdNumber, w.TransactionId)}")));
            await foreach (var row in _enrolments.QueryAsync<PaymentEntity>($"{partition} and ({rows})", cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                found[row.TransactionId] = row;
            }
        }

        return found;
    }

    /// <summary>Whether the refund of a case is written in the person's book already.</summary>
    public async Task<bool> HasRefundAsync(EnrolmentEntity owner, string caseId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(owner);
        var written = await _enrolments.GetEntityIfExistsAsync<RefundEntity>(owner.PartitionKey, LedgerKeys.RefundRow(owner.IdNumber, caseId), cancellationToken: cancellationToken).ConfigureAwait(false);
        return written.HasValue;
    }

    /// <summary>Where a newborn's registration reference went: the child's ID number once attached, else null.</summary>
    public async Task<ResidentId?> AttachedToAsync(string policy, ResidentId reference, CancellationToken cancellationToken)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var key = reference.ToString();
        var marker = await _enrolments.GetEntityIfExistsAsync<AttachedReferenceEntity>(LedgerKeys.Partition(policy, key), LedgerKeys.AttachedRow(key), cancellationToken: cancellationToken).ConfigureAwait(false);
        return marker.HasValue && ResidentId.TryParse(marker.Value!.AttachedTo, out var child) ? child : null;
    }

    /// <summary>The person's employee-insurance mark, or null (see <see cref="EnrolmentRules.InEmployeeInsurance(EmployeeInsuranceEntity?)"/>).</summary>
    public async Task<EmployeeInsuranceEntity?> EmployeeInsuranceMarkAsync(string idNumber, CancellationToken cancellationToken)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var mark = await _employeeInsurance.GetEntityIfExistsAsync<EmployeeInsuranceEntity>(MarkPartition(idNumber), idNumber, cancellationToken: cancellationToken).ConfigureAwait(false);
        return mark.HasValue ? mark.Value : null;
    }

    /// <summary>The ID numbers of everyone marked in employee insurance: they are few, so a file reads them in one scan instead of a read per row.</summary>
    public async Task<HashSet<string>> EmployeeInsuranceMarksAsync(CancellationToken cancellationToken)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var marked = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var mark in _employeeInsurance.QueryAsync<TableEntity>(select: ["RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            marked.Add(mark.RowKey);
        }

        return marked;
    }

    public async Task MarkEmployeeInsuranceAsync(string idNumber, DateOnly since, string source, string actor, CancellationToken cancellationToken)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        await _employeeInsurance.UpsertEntityAsync(new EmployeeInsuranceEntity
        {
            PartitionKey = MarkPartition(idNumber),
            RowKey = idNumber,
            Since = IsoDate.Text(since),
            Source = source,
            Actor = actor,
        }, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    private static string MarkPartition(string idNumber) => LedgerKeys.Bucket(idNumber).ToString("D2", CultureInfo.InvariantCulture);

    /// <summary>One entity-group transaction (rows of one partition): all land or none; a lost race throws 409/412.</summary>
    public Task<Response<IReadOnlyList<Response>>> SubmitAsync(IEnumerable<TableTransactionAction> actions, CancellationToken cancellationToken) =>
        _enrolments.SubmitTransactionAsync(actions, cancellationToken);

    /// <summary>Inserts enrolment rows of one partition as one transaction on the fast path; false when any row exists already (nothing written).</summary>
    public Task<bool> TryInsertAllAsync(IReadOnlyList<EnrolmentEntity> rows, CancellationToken cancellationToken) =>
        _inserter.TryInsertAllAsync(_enrolmentsTable, rows, EntityJson, cancellationToken);

    /// <summary>Replaces a payment row if its ETag still holds (a 412 is thrown otherwise).</summary>
    public Task ReplacePaymentAsync(PaymentEntity payment, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(payment);
        return _enrolments.UpdateEntityAsync(payment, payment.ETag, TableUpdateMode.Replace, cancellationToken);
    }

    /// <summary>
    /// Applies <paramref name="change"/> to the person's enrolment with an optimistic write (ETag), from a fresh read
    /// after a lost race (<see cref="Resilience.OptimisticWrite"/>). Null when there is no enrolment; the entry
    /// unchanged when the change returns the enrolment itself.
    /// </summary>
    /// <param name="known">The row as just read (the calendar scan), used for the first try.</param>
    /// <param name="request">A stored request to replace the enrolment's (a reassessment).</param>
    public async Task<LedgerEntry?> UpdateAsync(string policy, string idNumber, Func<Enrolment, Enrolment> change, CancellationToken cancellationToken, EnrolmentEntity? known = null, AssessmentRequestBody? request = null)
    {
        ArgumentNullException.ThrowIfNull(change);
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        return await _resilience.OptimisticWrite.ExecuteAsync(async token =>
        {
            var entity = known ?? await ReadAsync(policy, idNumber, token).ConfigureAwait(false);
            known = null;
            if (entity is null)
            {
                return null;
            }

            var entry = EnrolmentRows.ToEntry(entity);
            var next = change(entry.Enrolment);
            if (ReferenceEquals(next, entry.Enrolment))
            {
                return entry;
            }

            var stored = request ?? entry.Request;
            var updated = EnrolmentRows.ToEntity(next, entry.Person, stored, entity.ChangeCount);
            List<TableTransactionAction> actions = [new(TableTransactionActionType.UpdateReplace, updated, entity.ETag)];
            actions.AddRange(EnrolmentRows.ChangeRows(updated, next.Changes));
            await _enrolments.SubmitTransactionAsync(actions, token).ConfigureAwait(false);
            return entry with { Enrolment = next, Request = stored };
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The entry, or null when the stored row cannot be read (a damaged row must not stop the rows around it).</summary>
    public LedgerEntry? TryToEntry(EnrolmentEntity entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        try
        {
            return EnrolmentRows.ToEntry(entity);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or ArgumentException or OverflowException)
        {
            LogUnreadableRow(e, ResidentId.TryParse(entity.IdNumber, out var id) ? id.Masked : "?", LogText.Of(entity.Policy));
            return null;
        }
    }

    /// <summary>
    /// Copies a person's payment, change, refund and archived rows to another key (idempotent: upserts); answers the
    /// transaction ids of the payments copied, whose claims must follow them.
    /// </summary>
    public async Task<IReadOnlyList<string>> CopyPersonRowsAsync(string policy, string fromKey, string toKey, CancellationToken cancellationToken)
    {
        var partition = LedgerKeys.Partition(policy, toKey);
        var copies = new List<TableTransactionAction>();
        var transactions = new List<string>();
        foreach (var kind in "phrx")
        {
            await foreach (var row in _enrolments.QueryAsync<TableEntity>(LedgerKeys.PersonRowsFilter(policy, fromKey, kind), 1000, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                var copy = new TableEntity(row) { PartitionKey = partition, RowKey = string.Concat(kind.ToString(), "|", toKey, row.RowKey.AsSpan(2 + fromKey.Length)) };
                copy.Remove("odata.etag");
                copy.Remove("Timestamp");
                if (copy.ContainsKey("IdNumber"))
                {
                    copy["IdNumber"] = toKey;
                }

                copies.Add(new TableTransactionAction(TableTransactionActionType.UpsertReplace, copy));
                if (kind == 'p' && row.GetString("TransactionId") is { } transaction)
                {
                    transactions.Add(transaction);
                }
            }
        }

        foreach (var batch in copies.Chunk(TransactionLimit))
        {
            await _enrolments.SubmitTransactionAsync(batch, cancellationToken).ConfigureAwait(false);
        }

        return transactions;
    }

    /// <summary>Deletes a moved reference's payment, change, refund and archived rows (the enrolment row is the marker's).</summary>
    public async Task RemovePersonRowsAsync(string policy, string key, CancellationToken cancellationToken)
    {
        var deletes = new List<TableTransactionAction>();
        foreach (var kind in "phrx")
        {
            await foreach (var row in _enrolments.QueryAsync<TableEntity>(LedgerKeys.PersonRowsFilter(policy, key, kind), 1000, select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                deletes.Add(new TableTransactionAction(TableTransactionActionType.Delete, row, ETag.All));
            }
        }

        foreach (var batch in deletes.Chunk(TransactionLimit))
        {
            await _enrolments.SubmitTransactionAsync(batch, cancellationToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The enrolment row of {Id} under {Policy} cannot be read")]
    private partial void LogUnreadableRow(Exception exception, string id, string policy);
}
