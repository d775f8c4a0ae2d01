using System.Text.Json;
using System.Text.Json.Serialization;
using Azure;
using Azure.Data.Tables;
using Collection.Domain;
using Collection.Domain.Codes;
using Collection.Domain.Subsidies;
using Collection.Functions.Ledger;

namespace Collection.Functions.Subsidies;

/*
 Storage layout of the identity book, and why.

 Table `subsidyidentities`, one row per (policy, person, identity, department):
   PK = "{policy}|{bucket}"   RK = "{idNumber}|{identity code}|{department code}"
 bucket = LedgerKeys.Bucket(idNumber) (FNV-1a mod 64), the same as the ledger's, so a person's
 identities sit in the partition number of their enrolment.

 The row holds the department's list entries for that person and identity (JSON, one per list date,
 only those that changed something) and the spells folded from them (JSON). Spells are never edited:
 a list row adds an entry and the spells are re-folded (IdentitySpells), so arrival order does not
 matter and a re-dropped list changes nothing. The row's ETag serialises writers of the same person
 and identity (two lists processed at once): each write is Add or Replace-if-ETag, retried from a
 fresh read on 409/412.

 - The monthly supplementary run streams a policy: one PK range scan "{policy}|" .. "{policy}|~"
   (64 partitions in key order), page by page. One partition per policy would cap list ingestion and
   that scan at ~2,000 entities/s; 64 buckets spread it as the ledger does, and a list's rows still
   batch into entity-group transactions of up to 100 rows per partition.
 - "In force on a date" for one person is one range query inside one partition
   (RK "{idNumber}|" .. "{idNumber}}").
 - A person across all policies (GET /api/people/{id}/identities) is one such query per policy in the
   catalog (five), run together; a partition per person would make that one query but turn the
   monthly scan into a scan of every policy's rows.
 ID numbers are stored in clear (staff look people up by them); logs only ever get ResidentId.Masked.
*/

/// <summary>Table name; the ledger's prefix setting isolates tests and benchmarks here too.</summary>
public sealed record SubsidyTables(string Prefix = "")
{
    public string Identities => Prefix + "subsidyidentities";
}

/// <summary>Keys of the identity book (see the layout note above).</summary>
public static class SubsidyKeys
{
    public static string Partition(string policy, ResidentId id) => LedgerKeys.Partition(policy, id.ToString());

    public static string Row(ResidentId id, SubsidyIdentity identity, Department department) =>
        $"{id}|{Glossary.SubsidyIdentities.Code(identity)}|{Glossary.Departments.Code(department)}";

    public static string PersonFilter(string policy, ResidentId id)
    {
        var person = id.ToString();
        return TableClient.CreateQueryFilter($"PartitionKey eq {Partition(policy, id)} and RowKey ge {person + "|"} and RowKey lt {person + "}"}");
    }

    public static string PolicyFilter(string policy) => LedgerKeys.PolicyFilter(policy);
}

/// <summary>One (policy, person, identity, department) row: its list entries and the spells they give.</summary>
public sealed class IdentityEntity : ITableEntity
{
    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string Policy { get; set; } = "";

    public string IdNumber { get; set; } = "";

    /// <summary>Glossary code of the identity.</summary>
    public string Identity { get; set; } = "";

    /// <summary>Glossary code of the department.</summary>
    public string Department { get; set; } = "";

    /// <summary>The name on the latest list, for people reading the table.</summary>
    public string Name { get; set; } = "";

    /// <summary>yyyy-MM-dd of the open spell's start, when one is open; for filters in storage tools.</summary>
    public string? OpenFrom { get; set; }

    public string Entries { get; set; } = "[]";

    public string Spells { get; set; } = "[]";
}

/// <summary>How entries and spells are written into a row: codes and yyyy-MM-dd dates, short property names.</summary>
internal static class IdentityRowJson
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string Entries(IEnumerable<ListEntry> entries) =>
        JsonSerializer.Serialize(entries.Select(e => new StoredEntry(IsoDate.Text(e.Date), e.Change == ListChange.Add ? "add" : "remove", e.Name, e.Town, Class(e.AllowanceClass), e.Source)).ToArray(), Options);

    public static string Spells(IEnumerable<Spell> spells) =>
        JsonSerializer.Serialize(spells.Select(s => new StoredSpell(IsoDate.Text(s.From), s.To is { } to ? IsoDate.Text(to) : null, s.Name, s.Town, Class(s.AllowanceClass), s.Source)).ToArray(), Options);

    public static List<ListEntry> ReadEntries(string json) =>
        [.. (JsonSerializer.Deserialize<StoredEntry[]>(json, Options) ?? []).Select(e => new ListEntry(
            IsoDate.Parse(e.Date), e.Change == "remove" ? ListChange.Remove : ListChange.Add, e.Name, e.Town, ParseClass(e.AllowanceClass), e.Source))];

    public static List<Spell> ReadSpells(string json) =>
        [.. (JsonSerializer.Deserialize<StoredSpell[]>(json, Options) ?? []).Select(s => new Spell(
            IsoDate.Parse(s.From), s.To is null ? null : IsoDate.Parse(s.To), s.Name, s.Town, ParseClass(s.AllowanceClass), s.Source))];

    private static string? Class(AllowanceClass? value) => value is { } c ? Glossary.AllowanceClasses.Code(c) : null;

    private static AllowanceClass? ParseClass(string? code) => code is null ? null : Glossary.AllowanceClasses.Parse(code);

    private sealed record StoredEntry(string Date, string Change, string Name, string? Town, string? AllowanceClass, string Source);

    private sealed record StoredSpell(string From, string? To, string Name, string? Town, string? AllowanceClass, string Source);
}
