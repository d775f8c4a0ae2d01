using Collection.Domain.Enrolments;
using Collection.Domain.Policies;
using Collection.Functions.Ledger;

namespace Collection.Functions.Reports;

/// <summary>
/// One unit's (or the whole policy's) enrolment figures as of a day. <see cref="Registered"/>: enrolled on or before
/// the day and not cancelled by then (参保登记); <see cref="Insured"/>: of those, nothing left to pay on the day —
/// paid in full by payments dated on or before it, or nothing to pay (参保缴费人数, what the task counts);
/// <see cref="Paid"/>: insured by paying something; <see cref="Waived"/>: the government pays the whole personal share
/// (全额资助); <see cref="Subsidised"/>: insured with a partial subsidy (定额资助); <see cref="Unpaid"/>: registered,
/// still owing. <see cref="Completion"/> = insured ÷ target (4 decimals) when there is a target.
/// </summary>
public sealed record ProgressFigures(
    string Unit,
    string Kind,
    int? Target,
    int Registered,
    int Insured,
    int Paid,
    int Waived,
    int Subsidised,
    int Unpaid,
    decimal PaidAmount,
    decimal SubsidyAmount,
    decimal? Completion,
    int? Shortfall);

/// <summary>
/// 参保进度: enrolments per unit against the task (bagongshan-2022 四 and 附件; luyang-2023 一), as of any day. The
/// policy's enrolments are streamed once (one row per unit is kept, never the enrolments).
/// </summary>
public sealed record ProgressReport(
    string Policy,
    string AsOf,
    decimal? EnrolmentRate,
    IReadOnlyList<string>? RateIdentities,
    int? TargetTotal,
    IReadOnlyList<ProgressFigures> Units,
    ProgressFigures Total)
{
    public const string TotalName = "合计";

    public static async Task<ProgressReport> BuildAsync(EnrolmentLedger ledger, Policy policy, ReportUnits units, DateOnly asOf, CancellationToken cancellationToken) =>
        (await BuildAsync(ledger, policy, units, asOf, null, cancellationToken).ConfigureAwait(false)).Report;

    /// <summary>The report as of <paramref name="asOf"/>, and (with <paramref name="since"/>) the same figures for what changed after <paramref name="since"/>.</summary>
    internal static async Task<(ProgressReport Report, IReadOnlyDictionary<string, ProgressFigures> Before)> BuildAsync(
        EnrolmentLedger ledger, Policy policy, ReportUnits units, DateOnly asOf, DateOnly? since, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(units);
        ArgumentNullException.ThrowIfNull(policy);
        var known = policy;
        var tallies = new Dictionary<string, (ReportUnit Unit, Tally Now, Tally Before)>(StringComparer.Ordinal);
        foreach (var unit in units.Declared)
        {
            tallies[unit.Name] = (unit, new Tally(), new Tally());
        }

        var timeline = await PaidTimeline.LoadAsync(ledger, policy.Code, cancellationToken).ConfigureAwait(false);
        await foreach (var entry in ledger.ScanAsync(policy.Code, cancellationToken).ConfigureAwait(false))
        {
            var unit = units.Of(entry);
            if (!tallies.TryGetValue(unit.Name, out var tally))
            {
                tally = (unit, new Tally(), new Tally());
                tallies[unit.Name] = tally;
            }

            tally.Now.Add(entry.Enrolment, asOf, timeline);
            if (since is { } day)
            {
                tally.Before.Add(entry.Enrolment, day, timeline);
            }
        }

        // Declared units in the task table's order, then the others with someone registered by the day, by name (ordinal: the same order every run).
        var declared = units.Declared.Select(u => u.Name).ToHashSet(StringComparer.Ordinal);
        var ordered = units.Declared.Select(u => tallies[u.Name])
            .Concat(tallies.Where(t => !declared.Contains(t.Key) && t.Value.Now.Registered > 0).OrderBy(t => t.Key, StringComparer.Ordinal).Select(t => t.Value))
            .ToList();
        var total = new Tally();
        var totalBefore = new Tally();
        foreach (var t in ordered)
        {
            total.Plus(t.Now);
            totalBefore.Plus(t.Before);
        }

        var targetTotal = units.Declared.Count > 0 ? units.Declared.Sum(u => u.Target ?? 0) : (int?)null;
        var report = new ProgressReport(known.Code, IsoDate.Text(asOf), known.Document.Targets?.EnrolmentRate, known.Document.Targets?.RateIdentities,
            targetTotal,
            [.. ordered.Select(t => t.Now.Figures(t.Unit.Name, t.Unit.Kind, t.Unit.Target))],
            total.Figures(TotalName, "total", targetTotal));
        var before = ordered.ToDictionary(t => t.Unit.Name, t => t.Before.Figures(t.Unit.Name, t.Unit.Kind, t.Unit.Target), StringComparer.Ordinal);
        before[TotalName] = totalBefore.Figures(TotalName, "total", targetTotal);
        return (report, before);
    }

    /// <summary>Whether <paramref name="enrolment"/> stood cancelled on <paramref name="day"/> (by the China date of its cancellation).</summary>
    internal static bool CancelledBy(Enrolment enrolment, DateOnly day) =>
        enrolment.Status == EnrolmentStatus.Cancelled
        && (enrolment.CancelledAt is not { } at || DateOnly.FromDateTime(at.ToOffset(ChinaClock.Offset).DateTime) <= day);

    private sealed class Tally
    {
        private int _registered, _insured, _paid, _waived, _subsidised;
        private decimal _paidAmount, _subsidyAmount;

        public int Registered => _registered;

        public void Add(Enrolment e, DateOnly day, PaidTimeline timeline)
        {
            if (e.EnrolledOn > day || CancelledBy(e, day))
            {
                return;
            }

            _registered++;
            var paid = timeline.PaidBy(e, day);
            _paidAmount += paid;
            if (paid < e.Terms.Payable)
            {
                return;
            }

            _insured++;
            _subsidyAmount += e.Terms.Subsidy;
            if (e.Terms.Waived || e.Terms.Payable == 0m)
            {
                _waived++;
                return;
            }

            _paid++;
            _subsidised += e.Terms.Subsidy > 0m ? 1 : 0;
        }

        public void Plus(Tally other)
        {
            _registered += other._registered;
            _insured += other._insured;
            _paid += other._paid;
            _waived += other._waived;
            _subsidised += other._subsidised;
            _paidAmount += other._paidAmount;
            _subsidyAmount += other._subsidyAmount;
        }

        public ProgressFigures Figures(string unit, string kind, int? target) =>
            new(unit, kind, target, _registered, _insured, _paid, _waived, _subsidised, _registered - _insured, _paidAmount, _subsidyAmount,
                target is > 0 ? Math.Round((decimal)_insured / target.Value, 4, MidpointRounding.AwayFromZero) : null,
                target is { } t ? Math.Max(0, t - _insured) : null);
    }
}
