using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;
using Collection.Domain.Codes;
using Collection.Domain.Policies;
using Collection.Functions.Hosting;
using Collection.Functions.Policies;

namespace Collection.Functions.Ledger;

/// <summary>
/// A remittance (汇缴入库) an agent records: the cash it collected from <see cref="From"/> to <see cref="To"/>,
/// handed to tax for <see cref="Headcount"/> payers and <see cref="Amount"/> yuan, under the reference on the
/// 税收缴款书 (luyang-2023 五(一) "备注缴费时间段和缴费人数"; bagongshan-2022 六(五) "及时上解代收款项").
/// </summary>
public sealed record Remittance(string Policy, string Collector, DateOnly From, DateOnly To, int Headcount, decimal Amount, string Reference, DateOnly RemittedOn);

/// <summary>What a remittance did: the payments it moved into the treasury (all of them, on a repeat).</summary>
public sealed record RemittanceResult(Remittance Remittance, int Payments, int People, decimal Amount, bool Repeated, string Actor, DateTimeOffset At);

/// <summary>Cash an agent holds outside the treasury, and the remittance duties it has reached.</summary>
public sealed record CashHeld(string Collector, int Payments, int People, decimal Amount, DateOnly OldestPaidOn, int DaysHeld, IReadOnlyList<CashWarning> Warnings);

/// <summary>A remittance duty reached (code and Chinese message), for the list staff act on and the agent's own view.</summary>
public sealed record CashWarning(string Code, string Message);

public sealed class RemittanceMismatchException(string message, int payments, int people, decimal amount) : Exception(message)
{
    public int Payments { get; } = payments;

    public int People { get; } = people;

    public decimal Amount { get; } = amount;
}

/// <summary>
/// The cash side of the book: which agent (代收单位) holds which payments outside the treasury, and the remittances
/// that move them in. A payment's 入库 state lives on its row in the ledger (<see cref="PaymentEntity"/>); a remittance
/// marks each of its payments <c>InTreasuryBy = remittance:{reference}</c>, which makes recording it again harmless
/// (the payments it marked still count as its own), and keeps a row of its own in table <c>ledgerremittances</c>
/// (PK = policy, RK = reference). Refund cases then see the payment in the treasury and refund through tax.
/// </summary>
public sealed partial class CashRemittanceBook
{
    private readonly TableClient _enrolments;
    private readonly TableClient _remittances;
    private readonly ChinaClock _clock;
    private readonly Resilience _resilience;
    private readonly ILogger<CashRemittanceBook> _logger;
    private volatile bool _created;

    public CashRemittanceBook(TableServiceClient tables, LedgerTables names, ChinaClock clock, Resilience resilience, ILogger<CashRemittanceBook> logger)
    {
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(names);
        _enrolments = tables.GetTableClient(names.Enrolments);
        _remittances = tables.GetTableClient(names.Remittances);
        _clock = clock;
        _resilience = resilience;
        _logger = logger;
    }

    public static string Mark(string reference) => "remittance:" + reference;

    /// <summary>
    /// Records a remittance: the agent's payments outside the treasury paid within the period must be the headcount
    /// and amount declared (<see cref="RemittanceMismatchException"/> says what was found otherwise); they all move
    /// into the treasury as of the remittance day. The same reference again answers the first result.
    /// </summary>
    public async Task<RemittanceResult> RemitAsync(Remittance remittance, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(remittance);
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var recorded = await _remittances.GetEntityIfExistsAsync<TableEntity>(remittance.Policy, remittance.Reference, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (recorded.HasValue && recorded.Value is { } first)
        {
            return ToResult(first, repeated: true);
        }

        var mark = Mark(remittance.Reference);
        var rows = new List<PaymentEntity>();
        await foreach (var row in CollectedAsync(remittance.Policy, remittance.Collector, remittance.From, remittance.To, cancellationToken).ConfigureAwait(false))
        {
            if (!row.InTreasury || row.InTreasuryBy == mark)
            {
                rows.Add(row);
            }
        }

        var people = rows.Select(r => r.IdNumber).Distinct(StringComparer.Ordinal).Count();
        var amount = rows.Sum(r => Money.Parse(r.Amount));
        if (people != remittance.Headcount || amount != remittance.Amount)
        {
            throw new RemittanceMismatchException(
                $"{remittance.Collector} holds {rows.Count} payments of {people} people, {amount:0.00} yuan, paid {IsoDate.Text(remittance.From)}..{IsoDate.Text(remittance.To)} outside the treasury; the remittance declares {remittance.Headcount} people, {remittance.Amount:0.00} yuan.",
                rows.Count, people, amount);
        }

        foreach (var row in rows.Where(r => r.InTreasuryBy != mark))
        {
            await MarkAsync(row, mark, remittance.RemittedOn, cancellationToken).ConfigureAwait(false);
        }

        var at = _clock.Now;
        var entity = new TableEntity(remittance.Policy, remittance.Reference)
        {
            ["Collector"] = remittance.Collector,
            ["From"] = IsoDate.Text(remittance.From),
            ["To"] = IsoDate.Text(remittance.To),
            ["Headcount"] = remittance.Headcount,
            ["Amount"] = Money.Text(remittance.Amount),
            ["RemittedOn"] = IsoDate.Text(remittance.RemittedOn),
            ["Payments"] = rows.Count,
            ["Actor"] = actor,
            ["At"] = at,
        };
        try
        {
            await _remittances.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == StatusCodes.Status409Conflict)
        {
            // Recorded at the same moment by a second call with the same reference: the payments are marked either way.
            return ToResult((await _remittances.GetEntityAsync<TableEntity>(remittance.Policy, remittance.Reference, cancellationToken: cancellationToken).ConfigureAwait(false)).Value, repeated: true);
        }

        if (_logger.IsEnabled(LogLevel.Information))
        {
            var (reference, collector) = (LogText.Of(remittance.Reference), LogText.Of(remittance.Collector));
            LogRemitted(reference, collector, rows.Count, amount);
        }

        return new RemittanceResult(remittance, rows.Count, people, amount, false, actor, at);
    }

    /// <summary>
    /// Per agent, the cash held outside the treasury on <paramref name="today"/>, with the duties the policy sets:
    /// remit within N days of the oldest payment or once the amount reaches the limit (luyang-2023 五(一)), and
    /// universities' unified collections by their day (luyang-2023 五(四)). One streamed scan of the policy's payments.
    /// </summary>
    public async Task<IReadOnlyList<CashHeld>> HeldAsync(Policy policy, DateOnly today, string? collector, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var filter = $"{LedgerKeys.PolicyFilter(policy.Code)} and ({LedgerKeys.PaymentRowsFilter}) and InTreasury eq false and Collector ne '' and "
            + TableClient.CreateQueryFilter($"PaidOn le {IsoDate.Text(today)}");
        if (!string.IsNullOrEmpty(collector))
        {
            filter += " and " + TableClient.CreateQueryFilter($"Collector eq {collector}");
        }

        var byCollector = new Dictionary<string, Tally>(StringComparer.Ordinal);
        await foreach (var row in _enrolments.QueryAsync<PaymentEntity>(filter, 1000, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (!byCollector.TryGetValue(row.Collector, out var tally))
            {
                byCollector[row.Collector] = tally = new Tally();
            }

            var paidOn = IsoDate.Parse(row.PaidOn);
            tally.Payments++;
            tally.People.Add(row.IdNumber);
            tally.Amount += Money.Parse(row.Amount);
            tally.Oldest = tally.Oldest is { } oldest && oldest <= paidOn ? oldest : paidOn;
            tally.Unified |= row.Channel == Glossary.PaymentChannels.Code(PaymentChannel.Unified);
        }

        return [.. byCollector.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => Held(policy, today, c.Key, c.Value))];
    }

    private static CashHeld Held(Policy policy, DateOnly today, string collector, Tally tally)
    {
        var oldest = tally.Oldest!.Value;
        var days = today.DayNumber - oldest.DayNumber;
        var warnings = new List<CashWarning>();
        if (policy.CashRemittanceDays is { } limit && days >= limit)
        {
            warnings.Add(new CashWarning("cash-held-too-long",
                $"最早一笔现金（{IsoDate.Text(oldest)}）已收取 {days} 天，达到 {limit} 天汇缴期限，应办理汇缴入库"));
        }

        if (policy.CashRemittanceAmount is { } amount && tally.Amount >= amount)
        {
            warnings.Add(new CashWarning("cash-amount-reached",
                $"未汇缴现金 {tally.Amount:0.00} 元，达到 {amount:0} 元限额，应办理汇缴入库"));
        }

        if (policy.UniversityRemittanceBy is { } by && today > by && tally.Unified)
        {
            warnings.Add(new CashWarning("university-not-in-treasury",
                $"高校统一代收费用应于 {IsoDate.Text(by)} 前缴入国库，仍有未入库款项"));
        }

        return new CashHeld(collector, tally.Payments, tally.People.Count, tally.Amount, oldest, days, warnings);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Remittance {Reference} of {Collector}: {Payments} payments, {Amount} yuan into the treasury")]
    private partial void LogRemitted(string reference, string collector, int payments, decimal amount);

    private sealed class Tally
    {
        public int Payments;
        public decimal Amount;
        public DateOnly? Oldest;
        public bool Unified;
        public readonly HashSet<string> People = new(StringComparer.Ordinal);
    }

    /// <summary>Every payment the agent collected, paid from <paramref name="from"/> to <paramref name="to"/>, in the treasury or not.</summary>
    public async IAsyncEnumerable<PaymentEntity> CollectedAsync(string policy, string collector, DateOnly from, DateOnly to, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var filter = $"{LedgerKeys.PolicyFilter(policy)} and ({LedgerKeys.PaymentRowsFilter}) and "
            + TableClient.CreateQueryFilter($"Collector eq {collector} and PaidOn ge {IsoDate.Text(from)} and PaidOn le {IsoDate.Text(to)}");
        await foreach (var row in _enrolments.QueryAsync<PaymentEntity>(filter, 1000, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return row;
        }
    }

    /// <summary>Moves one payment into the treasury; a concurrent change (another remittance, a tax return) is read again.</summary>
    private async Task MarkAsync(PaymentEntity row, string mark, DateOnly on, CancellationToken cancellationToken)
    {
        var current = row;
        await _resilience.OptimisticWrite.ExecuteAsync(async token =>
        {
            current ??= (await _enrolments.GetEntityAsync<PaymentEntity>(row.PartitionKey, row.RowKey, cancellationToken: token).ConfigureAwait(false)).Value;
            var payment = current;
            current = null; // a lost race reads the row again
            if (payment.InTreasury && payment.InTreasuryBy != mark)
            {
                return;
            }

            payment.InTreasury = true;
            payment.InTreasuryOn = IsoDate.Text(on);
            payment.InTreasuryBy = mark;
            await _enrolments.UpdateEntityAsync(payment, payment.ETag, TableUpdateMode.Replace, token).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }

    private static RemittanceResult ToResult(TableEntity row, bool repeated)
    {
        var remittance = new Remittance(row.PartitionKey, row.GetString("Collector") ?? "", Day(row.GetString("From")), Day(row.GetString("To")),
            row.GetInt32("Headcount") ?? 0, Money.Parse(row.GetString("Amount")), row.RowKey, Day(row.GetString("RemittedOn")));
        return new RemittanceResult(remittance, row.GetInt32("Payments") ?? 0, remittance.Headcount, remittance.Amount, repeated, row.GetString("Actor") ?? "",
            row.GetDateTimeOffset("At")?.ToOffset(ChinaClock.Offset) ?? default);

        static DateOnly Day(string? text) => IsoDate.Parse(text ?? "0001-01-01");
    }

    private async Task EnsureTablesAsync(CancellationToken cancellationToken)
    {
        if (!_created)
        {
            await Task.WhenAll(_enrolments.CreateIfNotExistsAsync(cancellationToken), _remittances.CreateIfNotExistsAsync(cancellationToken)).ConfigureAwait(false);
            _created = true;
        }
    }
}
