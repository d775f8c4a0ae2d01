using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;
using Collection.Domain;
using Collection.Domain.Assessments;
using Collection.Domain.Codes;
using Collection.Domain.Policies;
using Collection.Domain.Subsidies;
using Collection.Functions.Hosting;

namespace Collection.Functions.Subsidies;

/// <summary>
/// A stretch of days a person holds a subsidy identity under a policy, as a department's lists say.
/// <paramref name="To"/> is null while the spell is open. <paramref name="Department"/> is the glossary code
/// (civil-affairs, …), <paramref name="AllowanceCategory"/> the 低保类别 code (rural-1, …) or null,
/// <paramref name="Town"/> the 乡镇街道 ("" when no list gave one), <paramref name="Source"/> the list that opened it.
/// </summary>
public sealed record IdentitySpell(string Policy, ResidentId Id, string Name, SubsidyIdentity Identity,
    DateOnly From, DateOnly? To, string Department, string Town, string? AllowanceCategory, string Source)
{
    public bool Covers(DateOnly day) => From <= day && (To is null || day <= To);

    public AllowanceClass? AllowanceClass =>
        AllowanceCategory is null ? null : Glossary.AllowanceClasses.Parse(AllowanceCategory);
}

/// <summary>One list row that changed a person's identities (the history): 新增 (add) or 减少 (remove) on a list's date.</summary>
public sealed record IdentityChange(string Policy, ResidentId Id, SubsidyIdentity Identity, string Department,
    DateOnly Date, ListChange Change, string Name, string? Town, string? AllowanceCategory, string Source);

/// <summary>Everything the book knows about one person: spells ordered by From, changes ordered by date.</summary>
public sealed record PersonIdentities(IReadOnlyList<IdentitySpell> Spells, IReadOnlyList<IdentityChange> Changes);

/// <summary>A list row to apply: the person, the identity, the department that sent it, and what the list says.</summary>
public sealed record SubsidyListRow(string Policy, ResidentId Id, SubsidyIdentity Identity, Department Department, ListEntry Entry);

/// <summary>
/// The person identity book (资助身份台账) on Azure Tables: who holds which subsidy identity under a policy,
/// from when to when, and the list rows that said so. Subsidy lists write it; the timers, the enrolment
/// view and <c>GET /api/people/{idNumber}/identities</c> read it. Layout: see SubsidyRecords.cs.
/// </summary>
public sealed class SubsidyIdentityBook : IDisposable
{
    private const int TransactionLimit = 100;
    private const int ParallelPartitions = 16;

    private readonly TableClient _table;
    private readonly PolicyCatalog _catalog;
    private readonly Resilience _resilience;
    private readonly Lock _gate = new();

    // Point reads in flight across all batches: enough to keep storage busy, few enough not to queue sockets.
    private readonly SemaphoreSlim _reads = new(64);
    private Task? _created;

    public SubsidyIdentityBook(TableServiceClient tables, SubsidyTables names, PolicyCatalog catalog, Resilience resilience)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(names);
        _table = tables.GetTableClient(names.Identities);
        _catalog = catalog;
        _resilience = resilience;
    }

    /// <summary>The container disposes the book with the host.</summary>
    public void Dispose() => _reads.Dispose();

    /// <summary>All spells (current and ended) of one person under every policy, ordered by From.</summary>
    public async Task<IReadOnlyList<IdentitySpell>> ForPersonAsync(ResidentId id, CancellationToken ct = default) =>
        (await PersonAsync(id, ct).ConfigureAwait(false)).Spells;

    /// <summary>A person's spells (ordered by From) and the list rows that made them (ordered by date), under every policy.</summary>
    public async Task<PersonIdentities> PersonAsync(ResidentId id, CancellationToken ct = default)
    {
        await EnsureTableAsync(ct).ConfigureAwait(false);
        var perPolicy = await Task.WhenAll(_catalog.Policies.Select(p => RowsAsync(p.Code, id, ct))).ConfigureAwait(false);
        var rows = perPolicy.SelectMany(r => r).ToList();
        var spells = rows.SelectMany(Spells)
            .OrderBy(s => s.From).ThenBy(s => s.Policy, StringComparer.Ordinal).ThenBy(s => s.Identity).ThenBy(s => s.Department, StringComparer.Ordinal)
            .ToList();
        var changes = rows.SelectMany(Changes)
            .OrderBy(c => c.Date).ThenBy(c => c.Policy, StringComparer.Ordinal).ThenBy(c => c.Identity).ThenBy(c => c.Department, StringComparer.Ordinal)
            .ToList();
        return new PersonIdentities(spells, changes);
    }

    /// <summary>
    /// The identity in force for a person under a policy on a day, or null. With several (就高不重复), the one
    /// that gives the largest subsidy under the policy on that day; ties go to the earliest spell.
    /// </summary>
    public async Task<IdentitySpell?> InForceAsync(string policy, ResidentId id, DateOnly on, CancellationToken ct = default) =>
        (await AllInForceAsync(policy, id, on, ct).ConfigureAwait(false)) is [var best, ..] ? best : null;

    /// <summary>Every spell in force for a person under a policy on a day, largest subsidy first.</summary>
    public async Task<IReadOnlyList<IdentitySpell>> AllInForceAsync(string policy, ResidentId id, DateOnly on, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (!_catalog.TryGet(policy, out var known))
        {
            return [];
        }

        await EnsureTableAsync(ct).ConfigureAwait(false);
        var rows = await RowsAsync(known.Code, id, ct).ConfigureAwait(false);
        return [.. rows.SelectMany(Spells).Where(s => s.Covers(on))
            .Select(s => (Spell: s, Subsidy: Subsidy(known, s, on)))
            .OrderByDescending(x => x.Subsidy).ThenBy(x => x.Spell.From).ThenBy(x => x.Spell.Identity).ThenBy(x => x.Spell.Department, StringComparer.Ordinal)
            .Select(x => x.Spell)];
    }

    /// <summary>A person's spells (current and ended) under one policy, ordered by From.</summary>
    public async Task<IReadOnlyList<IdentitySpell>> SpellsAsync(string policy, ResidentId id, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (!_catalog.TryGet(policy, out var known))
        {
            return [];
        }

        await EnsureTableAsync(ct).ConfigureAwait(false);
        return [.. (await RowsAsync(known.Code, id, ct).ConfigureAwait(false)).SelectMany(Spells).OrderBy(s => s.From).ThenBy(s => s.Identity)];
    }

    /// <summary>
    /// The spells in force on <paramref name="on"/> of many people of one book partition (a roster batch: they share
    /// the ledger partition, which is the book's), read with a few OR-filtered queries instead of one each.
    /// </summary>
    public async Task<IReadOnlyDictionary<ResidentId, List<IdentitySpell>>> InForceManyAsync(string policy, IReadOnlyList<ResidentId> ids, DateOnly on, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var found = new Dictionary<ResidentId, List<IdentitySpell>>();
        if (ids.Count == 0 || !_catalog.TryGet(policy, out var known))
        {
            return found;
        }

        await EnsureTableAsync(ct).ConfigureAwait(false);
        foreach (var group in ids.GroupBy(id => SubsidyKeys.Partition(known.Code, id), StringComparer.Ordinal))
        {
            foreach (var chunk in group.Chunk(10))
            {
                var people = string.Join(" or ", chunk.Select(id => TableClient.CreateQueryFilter($"(RowKey ge {id + "|"} and RowKey lt {id + "}"})")));
                var filter = $"{TableClient.CreateQueryFilter($"PartitionKey eq {group.Key}")} and ({people})";
                await foreach (var row in _table.QueryAsync<IdentityEntity>(filter, cancellationToken: ct).ConfigureAwait(false))
                {
                    foreach (var spell in Spells(row).Where(s => s.Covers(on)))
                    {
                        if (!found.TryGetValue(spell.Id, out var list))
                        {
                            found[spell.Id] = list = [];
                        }

                        list.Add(spell);
                    }
                }
            }
        }

        return found;
    }

    /// <summary>
    /// The identities an assessment of the person on <paramref name="on"/> applies: confirmed by the lists, and
    /// claimed ones only where the policy lets unconfirmed claims subsidise (see <see cref="ClaimedIdentities"/>).
    /// </summary>
    public async Task<ClaimedIdentities> ResolveAsync(Policy policy, ResidentId id, DateOnly on, SubsidyIdentitySet claimed, AllowanceClass? claimedClass, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var inForce = await AllInForceAsync(policy.Code, id, on, ct).ConfigureAwait(false);
        return Resolve(policy, inForce, claimed, claimedClass);
    }

    /// <summary><see cref="ResolveAsync"/> on spells already read (those in force on the day).</summary>
    public static ClaimedIdentities Resolve(Policy policy, IEnumerable<IdentitySpell> inForce, SubsidyIdentitySet claimed, AllowanceClass? claimedClass)
    {
        ArgumentNullException.ThrowIfNull(inForce);
        var spells = inForce.ToList();
        var confirmed = SubsidyIdentitySet.Of([.. spells.Select(s => s.Identity)]);
        var confirmedClass = spells.Where(s => s.Identity == SubsidyIdentity.MinimumLivingAllowance).Select(s => s.AllowanceClass).FirstOrDefault(c => c is not null);
        return ClaimedIdentities.Resolve(policy, confirmed, confirmedClass, claimed, claimedClass);
    }

    /// <summary>
    /// What the spell's identity is worth to the person under the policy on a day (the assessment engine,
    /// as a resident of their age): 0 when the policy does not subsidise that identity or class.
    /// </summary>
    public static decimal Subsidy(Policy policy, IdentitySpell spell, DateOnly on)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(spell);
        var assessment = AssessmentEngine.Assess(policy, new AssessmentRequest
        {
            Id = spell.Id,
            Population = Population.Resident,
            Identities = SubsidyIdentitySet.Of(spell.Identity),
            AllowanceClass = spell.AllowanceClass,
            Date = on,
        }, on);
        return assessment.Failed ? 0m : assessment.Subsidy;
    }

    /// <summary>
    /// Every spell of a policy (current and ended), streamed page by page in key order: memory holds one
    /// page, never the table. For the monthly supplementary run over the whole list.
    /// </summary>
    public async IAsyncEnumerable<IdentitySpell> ScanAsync(string policy, [EnumeratorCancellation] CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        if (!_catalog.TryGet(policy, out var known))
        {
            yield break;
        }

        await EnsureTableAsync(ct).ConfigureAwait(false);
        await foreach (var page in _table.QueryAsync<IdentityEntity>(SubsidyKeys.PolicyFilter(known.Code), maxPerPage: 1000, cancellationToken: ct).AsPages().ConfigureAwait(false))
        {
            foreach (var row in page.Values)
            {
                foreach (var spell in Spells(row))
                {
                    yield return spell;
                }
            }
        }
    }

    /// <summary>
    /// Applies list rows (at most one per person, identity and department; the caller rejects duplicates)
    /// and says what each did, in order. Idempotent: applying the same rows again gives Unchanged.
    /// Rows are written in entity-group transactions per partition, each retried from a fresh read when a
    /// concurrent list changed the same person first.
    /// </summary>
    public async Task<IReadOnlyList<ListEntryOutcome>> ApplyAsync(IReadOnlyList<SubsidyListRow> rows, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        await EnsureTableAsync(ct).ConfigureAwait(false);
        var outcomes = new ListEntryOutcome[rows.Count];
        var partitions = rows.Select((row, index) => (Row: row, Index: index))
            .GroupBy(x => SubsidyKeys.Partition(x.Row.Policy, x.Row.Id), StringComparer.Ordinal)
            .ToList();
        await Parallel.ForEachAsync(partitions, new ParallelOptions { MaxDegreeOfParallelism = ParallelPartitions, CancellationToken = ct }, async (partition, token) =>
        {
            foreach (var batch in partition.Chunk(TransactionLimit))
            {
                await ApplyBatchAsync(partition.Key, batch, outcomes, token).ConfigureAwait(false);
            }
        }).ConfigureAwait(false);
        return outcomes;
    }

    private async Task ApplyBatchAsync(string partition, (SubsidyListRow Row, int Index)[] batch, ListEntryOutcome[] outcomes, CancellationToken ct) =>
        // Another list changing one of these people since the read loses the race: read again and re-apply.
        await _resilience.BatchWrite.ExecuteAsync(async token =>
        {
            var actions = new List<TableTransactionAction>(batch.Length);
            var pending = new List<(int Index, ListEntryOutcome Outcome)>(batch.Length);
            var touched = await ReadAsync(partition, batch, token).ConfigureAwait(false);
            foreach (var (row, index) in batch)
            {
                var key = SubsidyKeys.Row(row.Id, row.Identity, row.Department);
                var current = touched[key];
                var update = IdentitySpells.Apply(IdentityRowJson.ReadEntries(current.Entity.Entries), row.Entry);
                pending.Add((index, update.Outcome));
                if (update.Store)
                {
                    current.Entity.Entries = IdentityRowJson.Entries(update.Entries);
                    current.Entity.Spells = IdentityRowJson.Spells(update.Spells);
                    current.Entity.Name = update.Spells.Count > 0 ? update.Spells[^1].Name : row.Entry.Name;
                    current.Entity.OpenFrom = update.Spells.FirstOrDefault(s => s.To is null) is { } open ? IsoDate.Text(open.From) : null;
                }
            }

            // Rows that changed nothing have the entity unchanged: writing it again (ETag-checked) costs little
            // and proves that what was read is still current, so each outcome is true at commit.
            foreach (var (_, (entity, exists)) in touched)
            {
                if (entity.Entries != "[]")
                {
                    actions.Add(exists
                        ? new TableTransactionAction(TableTransactionActionType.UpdateReplace, entity, entity.ETag)
                        : new TableTransactionAction(TableTransactionActionType.Add, entity));
                }
            }

            if (actions.Count > 0)
            {
                await _table.SubmitTransactionAsync(actions, token).ConfigureAwait(false);
            }

            foreach (var (index, outcome) in pending)
            {
                outcomes[index] = outcome;
            }
        }, ct).ConfigureAwait(false);

    /// <summary>The current row of every person and identity in the batch (a new, unsaved one where there is none), read together.</summary>
    private async Task<Dictionary<string, (IdentityEntity Entity, bool Exists)>> ReadAsync(string partition, (SubsidyListRow Row, int Index)[] batch, CancellationToken ct)
    {
        var keys = batch.Select(b => (Key: SubsidyKeys.Row(b.Row.Id, b.Row.Identity, b.Row.Department), b.Row)).DistinctBy(k => k.Key, StringComparer.Ordinal).ToList();
        var read = await Task.WhenAll(keys.Select(async k =>
        {
            await _reads.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                var stored = await _table.GetEntityIfExistsAsync<IdentityEntity>(partition, k.Key, cancellationToken: ct).ConfigureAwait(false);
                return (k.Key, Current: stored.HasValue ? (stored.Value!, true) : (NewEntity(partition, k.Key, k.Row), false));
            }
            finally
            {
                _reads.Release();
            }
        })).ConfigureAwait(false);
        return read.ToDictionary(r => r.Key, r => r.Current, StringComparer.Ordinal);
    }

    private static IdentityEntity NewEntity(string partition, string key, SubsidyListRow row) => new()
    {
        PartitionKey = partition,
        RowKey = key,
        Policy = row.Policy,
        IdNumber = row.Id.ToString(),
        Identity = Glossary.SubsidyIdentities.Code(row.Identity),
        Department = Glossary.Departments.Code(row.Department),
        Name = row.Entry.Name,
    };

    private async Task<List<IdentityEntity>> RowsAsync(string policy, ResidentId id, CancellationToken ct)
    {
        var rows = new List<IdentityEntity>();
        await foreach (var row in _table.QueryAsync<IdentityEntity>(SubsidyKeys.PersonFilter(policy, id), cancellationToken: ct).ConfigureAwait(false))
        {
            rows.Add(row);
        }

        return rows;
    }

    private static IEnumerable<IdentitySpell> Spells(IdentityEntity row)
    {
        var id = ResidentId.Parse(row.IdNumber);
        var identity = Glossary.SubsidyIdentities.Parse(row.Identity);
        return IdentityRowJson.ReadSpells(row.Spells).Select(s => new IdentitySpell(row.Policy, id, s.Name, identity, s.From, s.To, row.Department,
            s.Town ?? "", s.AllowanceClass is { } c ? Glossary.AllowanceClasses.Code(c) : null, s.Source));
    }

    private static IEnumerable<IdentityChange> Changes(IdentityEntity row)
    {
        var id = ResidentId.Parse(row.IdNumber);
        var identity = Glossary.SubsidyIdentities.Parse(row.Identity);
        return IdentityRowJson.ReadEntries(row.Entries).Select(e => new IdentityChange(row.Policy, id, identity, row.Department, e.Date, e.Change,
            e.Name, e.Town, e.AllowanceClass is { } c ? Glossary.AllowanceClasses.Code(c) : null, e.Source));
    }

    private Task EnsureTableAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            if (_created is null || _created.IsFaulted || _created.IsCanceled)
            {
                _created = CreateAsync();
            }

            return _created.WaitAsync(ct);
        }
    }

    private async Task CreateAsync()
    {
        try
        {
            await _table.CreateIfNotExistsAsync().ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // Created by another host at the same moment.
        }
    }
}
