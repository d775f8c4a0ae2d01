using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Data.Tables;
using Collection.Functions.Ledger;

namespace Collection.Functions.LastYear;

/*
 Storage layout of last year's roll (上年度参保缴费人员), and why.

 Table `lastyearroll` (the ledger's table prefix isolates tests and benchmarks):
   person rows: PK = "{policy}|{bucket}"   RK = "{idNumber}"
   file rows:   PK = "files|{policy}"      RK = SHA-256 of the blob name (a name holds '/', which keys may not)
 bucket = LedgerKeys.Bucket(idNumber), the ledger's own 64 buckets: a roll is read whole beside the ledger's
 enrolments of the same policy (since-last-year, roll-over, details), one PK range scan "{policy}|" ..
 "{policy}|~"; 64 partitions keep loading a 100,000-row roll off the 2,000 entities/s of one partition, and
 rows still batch 100 to a transaction. One row per person and policy: a person on two files (moved town, a
 corrected export) is the later row, so a roll re-loaded, whole or in pieces, holds each payer once. A unit's
 rows are filtered from that scan (town and community are properties): a partition per town would split one
 person over two partitions when they moved. The policy is this year's (wuhai-2022 holds the 2021 roll).
 ID numbers are stored in clear (staff and tax get them); logs only ever get masked ones.
*/

/// <summary>Table names of the roll; the ledger's prefix setting isolates tests here too.</summary>
public sealed record LastYearTables(string Prefix = "")
{
    public string Roll => Prefix + "lastyearroll";
}

/// <summary>One payer of last year's roll, as the bureau's export gives them.</summary>
public sealed record RollPerson(
    string IdNumber,
    string Name,
    string? IdType,
    string? Category,
    decimal? Amount,
    DateOnly? PaidOn,
    string? Town,
    string? Community,
    string? School,
    string? Phone,
    string? Address,
    string File);

/// <summary>A roll file that was loaded: when (China business date) and what it gave.</summary>
public sealed record RollFile(string Name, string ETag, DateOnly LoadedOn, int Rows, int Loaded, int Rejected);

/// <summary>A person row of the roll table.</summary>
public sealed class RollEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string Name { get; set; } = "";

    public string? IdType { get; set; }

    public string? Category { get; set; }

    /// <summary>yuan as invariant text: the Table service has no decimal type.</summary>
    public string? Amount { get; set; }

    public string? PaidOn { get; set; }

    public string? Town { get; set; }

    public string? Community { get; set; }

    public string? School { get; set; }

    public string? Phone { get; set; }

    public string? Address { get; set; }

    public string File { get; set; } = "";
}

/// <summary>A file row of the roll table.</summary>
public sealed class RollFileEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string Name { get; set; } = "";

    public string FileETag { get; set; } = "";

    public string LoadedOn { get; set; } = "";

    public int Rows { get; set; }

    public int Loaded { get; set; }

    public int Rejected { get; set; }
}

/// <summary>Last year's roll per policy: written by the roll loads, read by the roll-over and the reports.</summary>
public sealed class LastYearRollStore
{
    private readonly TableClient _table;
    private volatile bool _created;

    public LastYearRollStore(TableServiceClient tables, LastYearTables names)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(names);
        _table = tables.GetTableClient(names.Roll);
    }

    /// <summary>Writes <paramref name="people"/> (one row per person: the latest replaces), 100 to a transaction per partition.</summary>
    public async Task UpsertAsync(string policy, IReadOnlyList<RollPerson> people, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(people);
        await EnsureAsync(cancellationToken).ConfigureAwait(false);
        // The last row of a person wins within a chunk too (a transaction may not touch one entity twice).
        var latest = new Dictionary<string, RollPerson>(StringComparer.Ordinal);
        foreach (var person in people)
        {
            latest[person.IdNumber] = person;
        }

        var batches = latest.Values.Select(p => ToEntity(policy, p)).GroupBy(e => e.PartitionKey)
            .SelectMany(g => g.Chunk(100))
            .Select(chunk => _table.SubmitTransactionAsync(chunk.Select(e => new TableTransactionAction(TableTransactionActionType.UpsertReplace, e)), cancellationToken));
        foreach (var group in batches.Chunk(8))
        {
            await Task.WhenAll(group).ConfigureAwait(false);
        }
    }

    public async Task RecordFileAsync(string policy, RollFile file, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(file);
        await EnsureAsync(cancellationToken).ConfigureAwait(false);
        await _table.UpsertEntityAsync(new RollFileEntity
        {
            PartitionKey = FilesPartition(policy),
            RowKey = FileKey(file.Name),
            Name = file.Name,
            FileETag = file.ETag,
            LoadedOn = IsoDate.Text(file.LoadedOn),
            Rows = file.Rows,
            Loaded = file.Loaded,
            Rejected = file.Rejected,
        }, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The result already recorded for this version of the file, if any (a trigger run again for it loads nothing twice).</summary>
    public async Task<RollFile?> GetFileAsync(string policy, string name, CancellationToken cancellationToken)
    {
        await EnsureAsync(cancellationToken).ConfigureAwait(false);
        var row = await _table.GetEntityIfExistsAsync<RollFileEntity>(FilesPartition(policy), FileKey(name), cancellationToken: cancellationToken).ConfigureAwait(false);
        return row.HasValue ? ToFile(row.Value!) : null;
    }

    /// <summary>The files loaded for <paramref name="policy"/>, earliest load first.</summary>
    public async Task<IReadOnlyList<RollFile>> FilesAsync(string policy, CancellationToken cancellationToken)
    {
        await EnsureAsync(cancellationToken).ConfigureAwait(false);
        var files = new List<RollFile>();
        await foreach (var row in _table.QueryAsync<RollFileEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {FilesPartition(policy)}"), cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            files.Add(ToFile(row));
        }

        return [.. files.OrderBy(f => f.LoadedOn).ThenBy(f => f.Name, StringComparer.Ordinal)];
    }

    /// <summary>Every person of the policy's roll, streamed.</summary>
    public async IAsyncEnumerable<RollPerson> ScanAsync(string policy, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await EnsureAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var row in _table.QueryAsync<RollEntity>(LedgerKeys.PolicyFilter(policy), cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return new RollPerson(row.RowKey, row.Name, row.IdType, row.Category,
                row.Amount is { } amount ? decimal.Parse(amount, NumberStyles.Number, CultureInfo.InvariantCulture) : null,
                row.PaidOn is { } paid ? IsoDate.Parse(paid) : null,
                row.Town, row.Community, row.School, row.Phone, row.Address, row.File);
        }
    }

    private static RollEntity ToEntity(string policy, RollPerson p) => new()
    {
        PartitionKey = LedgerKeys.Partition(policy, p.IdNumber),
        RowKey = p.IdNumber,
        Name = p.Name,
        IdType = p.IdType,
        Category = p.Category,
        Amount = p.Amount?.ToString("0.00", CultureInfo.InvariantCulture),
        PaidOn = p.PaidOn is { } d ? IsoDate.Text(d) : null,
        Town = p.Town,
        Community = p.Community,
        School = p.School,
        Phone = p.Phone,
        Address = p.Address,
        File = p.File,
    };

    private static RollFile ToFile(RollFileEntity row) =>
        new(row.Name, row.FileETag, IsoDate.Parse(row.LoadedOn), row.Rows, row.Loaded, row.Rejected);

    private static string FilesPartition(string policy) => "files|" + policy;

    private static string FileKey(string name) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(name)));

    private async Task EnsureAsync(CancellationToken cancellationToken)
    {
        if (!_created)
        {
            await _table.CreateIfNotExistsAsync(cancellationToken).ConfigureAwait(false);
            _created = true;
        }
    }
}
