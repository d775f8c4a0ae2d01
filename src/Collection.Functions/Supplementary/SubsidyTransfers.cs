using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Collection.Domain;
using Collection.Functions.Ledger;

namespace Collection.Functions.Supplementary;

/*
 Storage layout of subsidy transfers, and why.

 Table `subsidytransfers`: PK = "{policy}", RK = "{reference}".
 - A policy has a handful of transfers a year (the notice asks for one by 12-31): the report reads its one
   partition whole.
 - The reference (the transfer voucher, 划转凭证号) is the key: recording the same transfer twice is one
   transfer (an insert that finds the row compares it: the same facts answer "already recorded", other facts 409).
*/

/// <summary>The kinds of line of what the fund owes (<see cref="SupplementaryRun.TransferDueAsync"/>).</summary>
public static class TransferDueKinds
{
    /// <summary>A subsidy in the amount due of an enrolled subsidised person (资助参保).</summary>
    public const string Subsidy = "subsidy";

    public static string Label(string kind) => kind switch
    {
        Subsidy => "资助参保",
        _ => SettlementKinds.Label(kind),
    };
}

/// <summary>One line of what the fund owes: people of one identity at one standard (or the top-ups or rebates of one identity).</summary>
public sealed record TransferDueLine(string Kind, string Identity, string? PaidBy, decimal Standard, int People, decimal Amount);

/// <summary>A transfer the bureau made from the assistance-fund account to the fiscal account (划转).</summary>
public sealed record SubsidyTransfer(string Policy, string Reference, DateOnly TransferredOn, int Headcount, decimal Amount, string? Note, string Actor, DateTimeOffset RecordedAt);

/// <summary>The subsidy transfers table (layout above).</summary>
public sealed class SubsidyTransferBook
{
    private readonly TableClient _table;
    private readonly Lock _gate = new();
    private Task? _created;

    public SubsidyTransferBook(TableServiceClient tables, SettlementTables names)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(names);
        _table = tables.GetTableClient(names.Transfers);
    }

    /// <summary>Records a transfer once per reference: the stored transfer and whether it was there already; null when the reference holds another transfer.</summary>
    public async Task<(SubsidyTransfer Transfer, bool Repeated)?> RecordAsync(SubsidyTransfer transfer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transfer);
        await EnsureAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _table.AddEntityAsync(Row(transfer), cancellationToken).ConfigureAwait(false);
            return (transfer, false);
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            var stored = Transfer((await _table.GetEntityAsync<TableEntity>(transfer.Policy, transfer.Reference, cancellationToken: cancellationToken).ConfigureAwait(false)).Value);
            var same = stored.TransferredOn == transfer.TransferredOn && stored.Headcount == transfer.Headcount && stored.Amount == transfer.Amount;
            return same ? (stored, true) : null;
        }
    }

    /// <summary>A policy's transfers, in reference order.</summary>
    public async Task<IReadOnlyList<SubsidyTransfer>> ListAsync(string policy, CancellationToken cancellationToken)
    {
        await EnsureAsync(cancellationToken).ConfigureAwait(false);
        var list = new List<SubsidyTransfer>();
        await foreach (var row in _table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {policy}"), cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            list.Add(Transfer(row));
        }

        return list;
    }

    private static TableEntity Row(SubsidyTransfer t) => new(t.Policy, t.Reference)
    {
        ["TransferredOn"] = IsoDate.Text(t.TransferredOn),
        ["Headcount"] = t.Headcount,
        ["Amount"] = Money.Text(t.Amount),
        ["Note"] = t.Note,
        ["Actor"] = t.Actor,
        ["RecordedAt"] = t.RecordedAt,
    };

    private static SubsidyTransfer Transfer(TableEntity row) => new(
        row.PartitionKey,
        row.RowKey,
        IsoDate.Parse(row.GetString("TransferredOn") ?? ""),
        row.GetInt32("Headcount") ?? 0,
        Money.Parse(row.GetString("Amount")),
        row.GetString("Note"),
        row.GetString("Actor") ?? "",
        row.GetDateTimeOffset("RecordedAt") ?? default);

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
