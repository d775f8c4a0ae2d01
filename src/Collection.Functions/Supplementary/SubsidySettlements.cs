using System.Globalization;
using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;
using Collection.Domain;
using Collection.Functions.Ledger;

namespace Collection.Functions.Supplementary;

/*
 Storage layout of subsidy settlements, and why.

 Table `subsidysettlements` holds two kinds of row:
   settlement  PK = "{policy}|{yyyy-MM}"     RK = "{kind}|{idNumber}"
   person      PK = "{policy}|p{bucket}"     RK = "{idNumber}"
 kind = top-up (补差), rebate (先缴后补 返还), assistance-fund (医疗救助资金代缴 of a directly enrolled person).

 - GET /api/reports/subsidy-settlements?policy=&month= reads ONE partition: the month's settlements of
   a policy, in kind then ID order. A month holds at most one settlement of each kind per person, so a
   second run of the same month upserts the same key, never a second credit.
 - The person row remembers, per kind, the level credited so far (Level), the level it was credited
   from (Base) and the month (Month), so next month's run credits only what the identity adds beyond it
   (a top-up of 100 → 250 in March, then 250 → 350 in May, is 150 then 100, never 250 + 250). A rerun
   of the same month reads Base (not Level) and writes the same settlement again. The settlement row is
   written before the person row: a crash between them leaves a person row that the rerun completes.
 - bucket = LedgerKeys.Bucket(idNumber): 64 partitions per policy, as the ledger, for the monthly
   run's write rate.
*/

/// <summary>The kinds of settlement the supplementary run records.</summary>
public static class SettlementKinds
{
    public const string TopUp = "top-up";
    public const string Rebate = "rebate";
    public const string AssistanceFund = "assistance-fund";

    public static string Label(string kind) => kind switch
    {
        TopUp => "补差（资助标准提高）",
        Rebate => "先缴后补返还",
        AssistanceFund => "医疗救助资金代缴",
        _ => kind,
    };
}

/// <summary>One settlement: a credit the government owes for one person in one month.</summary>
public sealed record SubsidySettlement(
    string Policy,
    string Month,
    string Kind,
    string IdNumber,
    string Name,
    string Town,
    string Department,
    string Identity,
    string? PaidBy,
    decimal FromLevel,
    decimal ToLevel,
    decimal Amount,
    string TransactionId,
    DateOnly RunDate,
    string Actor,
    DateTimeOffset RecordedAt);

/// <summary>What the book knows of one person's credits of one kind.</summary>
public sealed record CreditedLevel(decimal Level, decimal Base, string Month);

public sealed record SettlementTables(string Prefix = "")
{
    public string Settlements => Prefix + "subsidysettlements";

    public string Transfers => Prefix + "subsidytransfers";
}

/// <summary>The settlements table (layout above).</summary>
public sealed class SubsidySettlementBook
{
    private readonly TableClient _table;
    private readonly Lock _gate = new();
    private Task? _created;

    public SubsidySettlementBook(TableServiceClient tables, SettlementTables names)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(names);
        _table = tables.GetTableClient(names.Settlements);
    }

    public static string Month(DateOnly day) => day.ToString("yyyy-MM", CultureInfo.InvariantCulture);

    /// <summary>The deterministic transaction id of a settlement: the same person, kind and month always give the same id.</summary>
    public static string TransactionId(string policy, string kind, string month, string idNumber) =>
        kind == SettlementKinds.AssistanceFund ? $"AF-{policy}-{idNumber}" : $"{(kind == SettlementKinds.TopUp ? "TU" : "RB")}-{policy}-{month}-{idNumber}";

    /// <summary>What was credited to a person so far, per kind.</summary>
    public async Task<IReadOnlyDictionary<string, CreditedLevel>> CreditedAsync(string policy, string idNumber, CancellationToken cancellationToken)
    {
        await EnsureAsync(cancellationToken).ConfigureAwait(false);
        var row = await _table.GetEntityIfExistsAsync<TableEntity>(PersonPartition(policy, idNumber), idNumber, cancellationToken: cancellationToken).ConfigureAwait(false);
        var credited = new Dictionary<string, CreditedLevel>(StringComparer.Ordinal);
        if (!row.HasValue)
        {
            return credited;
        }

        foreach (var kind in new[] { SettlementKinds.TopUp, SettlementKinds.Rebate, SettlementKinds.AssistanceFund })
        {
            if (row.Value!.GetString(Column(kind, "Month")) is { Length: > 0 } month)
            {
                credited[kind] = new CreditedLevel(Money.Parse(row.Value.GetString(Column(kind, "Level"))), Money.Parse(row.Value.GetString(Column(kind, "Base"))), month);
            }
        }

        return credited;
    }

    /// <summary>Records a settlement (upsert: the same month, kind and person replace), then the person's credited level.</summary>
    public async Task RecordAsync(SubsidySettlement settlement, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settlement);
        await EnsureAsync(cancellationToken).ConfigureAwait(false);
        var row = new TableEntity($"{settlement.Policy}|{settlement.Month}", $"{settlement.Kind}|{settlement.IdNumber}")
        {
            ["Policy"] = settlement.Policy,
            ["Month"] = settlement.Month,
            ["Kind"] = settlement.Kind,
            ["IdNumber"] = settlement.IdNumber,
            ["Name"] = settlement.Name,
            ["Town"] = settlement.Town,
            ["Department"] = settlement.Department,
            ["Identity"] = settlement.Identity,
            ["PaidBy"] = settlement.PaidBy,
            ["FromLevel"] = Money.Text(settlement.FromLevel),
            ["ToLevel"] = Money.Text(settlement.ToLevel),
            ["Amount"] = Money.Text(settlement.Amount),
            ["TransactionId"] = settlement.TransactionId,
            ["RunDate"] = IsoDate.Text(settlement.RunDate),
            ["Actor"] = settlement.Actor,
            ["RecordedAt"] = settlement.RecordedAt,
        };
        await _table.UpsertEntityAsync(row, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        var person = new TableEntity(PersonPartition(settlement.Policy, settlement.IdNumber), settlement.IdNumber)
        {
            [Column(settlement.Kind, "Level")] = Money.Text(settlement.ToLevel),
            [Column(settlement.Kind, "Base")] = Money.Text(settlement.FromLevel),
            [Column(settlement.Kind, "Month")] = settlement.Month,
        };
        await _table.UpsertEntityAsync(person, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A policy's settlements of one month, streamed in kind then ID order.</summary>
    public async IAsyncEnumerable<SubsidySettlement> ListAsync(string policy, string month, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await EnsureAsync(cancellationToken).ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {policy + "|" + month}");
        await foreach (var row in _table.QueryAsync<TableEntity>(filter, 1000, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return new SubsidySettlement(
                row.GetString("Policy") ?? policy,
                row.GetString("Month") ?? month,
                row.GetString("Kind") ?? "",
                row.GetString("IdNumber") ?? "",
                row.GetString("Name") ?? "",
                row.GetString("Town") ?? "",
                row.GetString("Department") ?? "",
                row.GetString("Identity") ?? "",
                row.GetString("PaidBy"),
                Money.Parse(row.GetString("FromLevel")),
                Money.Parse(row.GetString("ToLevel")),
                Money.Parse(row.GetString("Amount")),
                row.GetString("TransactionId") ?? "",
                IsoDate.Parse(row.GetString("RunDate") ?? "0001-01-01"),
                row.GetString("Actor") ?? "",
                row.GetDateTimeOffset("RecordedAt") ?? default);
        }
    }

    private static string PersonPartition(string policy, string idNumber) =>
        string.Create(CultureInfo.InvariantCulture, $"{policy}|p{LedgerKeys.Bucket(idNumber):D2}");

    private static string Column(string kind, string what) => kind switch
    {
        SettlementKinds.TopUp => "TopUp",
        SettlementKinds.Rebate => "Rebate",
        _ => "AssistanceFund",
    } + what;

    private Task EnsureAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_created is null || _created.IsFaulted || _created.IsCanceled)
            {
                _created = _table.CreateIfNotExistsAsync(CancellationToken.None);
            }

            return _created.WaitAsync(cancellationToken);
        }
    }
}
