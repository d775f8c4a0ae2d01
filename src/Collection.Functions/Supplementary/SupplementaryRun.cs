using System.Runtime.CompilerServices;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Collection.Domain;
using Collection.Domain.Codes;
using Collection.Domain.Policies;
using Collection.Functions.Ledger;
using Collection.Functions.Policies;
using Collection.Functions.Subsidies;

namespace Collection.Functions.Supplementary;

/// <summary>What one policy's supplementary run did: people per outcome, and the month's mobilisation lists.</summary>
public sealed record PolicyRunSummary(
    string Policy,
    bool Acted,
    string? Skipped,
    int People,
    IReadOnlyDictionary<string, int> Outcomes,
    int MobilisationRows,
    IReadOnlyList<string> MobilisationTowns);

/// <summary>What a supplementary run did, per policy and in total (what the run's log and run history show).</summary>
public sealed record SupplementarySummary(DateOnly AsOf, string Month, IReadOnlyList<PolicyRunSummary> Policies, IReadOnlyDictionary<string, int> Totals)
{
    public int Count(SupplementaryOutcome outcome) => Totals.GetValueOrDefault(SupplementaryRun.Key(outcome));
}

/// <summary>
/// The supplementary enrolment after the collection period (luyang-2023 五(五) and the paragraph after it;
/// baiyin-2023 三; dalate-2022 三(二)): for every person on a policy's subsidy lists with an identity in force
/// on the run day, enrol the fully subsidised, list the partly subsidised for mobilisation, top up raised
/// subsidies, and record rebates due. One pass: the identity book and the ledger are streamed side by side
/// (both keyed "{policy}|{bucket}" then ID number, so a merge join pairs them without point reads); only
/// people whose case writes something go to a bounded set of parallel workers.
/// </summary>
public sealed partial class SupplementaryRun(
    SubsidyIdentityBook book,
    EnrolmentLedger ledger,
    PolicyCatalog catalog,
    ChinaClock clock,
    SubsidySettlementBook settlements,
    Refunds.RefundClaims refunds,
    BlobServiceClient blobs,
    TimeProvider time,
    ILogger<SupplementaryRun> logger)
{
    public const string Source = "subsidy-list";

    /// <summary>Writes in flight (enrolments, settlements).</summary>
    public const int Parallelism = 16;

    private static readonly SupplementaryOutcome[] Outcomes = Enum.GetValues<SupplementaryOutcome>();

    public static string Key(SupplementaryOutcome outcome) => JsonNamingPolicy.CamelCase.ConvertName(outcome.ToString());

    /// <summary>Runs for every policy (or one) as of <paramref name="day"/>; a policy outside its window is skipped with the reason.</summary>
    public async Task<SupplementarySummary> RunAsync(DateOnly day, string actor, string? policy = null, CancellationToken cancellationToken = default)
    {
        var month = SubsidySettlementBook.Month(day);
        var policies = catalog.Policies.Where(p => policy is null || string.Equals(p.Code, policy, StringComparison.OrdinalIgnoreCase)).ToList();
        var results = new List<PolicyRunSummary>();
        foreach (var known in policies)
        {
            if (!SupplementaryDecision.Acts(known, day))
            {
                var reason = day < known.CollectionStart ? "collection-period-not-open" : "coverage-year-over";
                results.Add(new PolicyRunSummary(known.Code, false, reason, 0, new Dictionary<string, int>(), 0, []));
                continue;
            }

            results.Add(await RunPolicyAsync(known, day, month, actor, cancellationToken).ConfigureAwait(false));
        }

        var totals = Outcomes.ToDictionary(Key, o => results.Sum(r => r.Outcomes.GetValueOrDefault(Key(o))));
        return new SupplementarySummary(day, month, results, totals);
    }

    private async Task<PolicyRunSummary> RunPolicyAsync(Policy policy, DateOnly day, string month, string actor, CancellationToken cancellationToken)
    {
        var counts = new int[Outcomes.Length];
        var people = 0;
        MobilisationLists lists = await MobilisationLists.OpenAsync(blobs, policy.Code, month, cancellationToken).ConfigureAwait(false);
        await using (lists.ConfigureAwait(false))
        {
            var options = new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken };
            await Parallel.ForEachAsync(CasesToWriteAsync(), options, async (person, ct) =>
            {
                var outcome = await WriteAsync(policy, day, month, actor, person, ct).ConfigureAwait(false);
                Interlocked.Increment(ref counts[(int)outcome]);
            }).ConfigureAwait(false);
            await lists.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }

        var outcomes = Outcomes.ToDictionary(Key, o => counts[(int)o]);
        if (logger.IsEnabled(LogLevel.Information))
        {
            var outcomeCounts = string.Join(", ", outcomes.Where(o => o.Value > 0).Select(o => $"{o.Key} {o.Value}"));
            LogPolicyRun(policy.Code, day, people, outcomeCounts, lists.Rows, lists.Towns.Count);
        }

        return new PolicyRunSummary(policy.Code, true, null, people, outcomes, lists.Rows, [.. lists.Towns.Order(StringComparer.Ordinal)]);

        // Decides in key order (the mobilisation lists are written here, in order, so a rerun writes the same
        // bytes) and hands on only the people whose case needs a write.
        async IAsyncEnumerable<SupplementaryCase> CasesToWriteAsync()
        {
            await foreach (var (spells, entry) in PeopleAsync(policy, cancellationToken).ConfigureAwait(false))
            {
                people++;
                var decided = SupplementaryDecision.Decide(policy, catalog, day, spells, entry);
                switch (decided.Outcome)
                {
                    case SupplementaryOutcome.Mobilised:
                        await lists.AddAsync(decided, cancellationToken).ConfigureAwait(false);
                        Interlocked.Increment(ref counts[(int)decided.Outcome]);
                        break;
                    case SupplementaryOutcome.EnrolledDirectly or SupplementaryOutcome.ToppedUp or SupplementaryOutcome.RebateDue or SupplementaryOutcome.Reassessed:
                        yield return decided;
                        break;
                    case SupplementaryOutcome.Unchanged when IsFullySubsidised(decided.Entry!):
                        // The fund pays the share of everyone it fully subsidises, however they were enrolled (baiyin-2023
                        // 三1 "从医疗救助资金中按个人缴费标准全额缴纳"): a window enrolment's settlement is recorded here, and a
                        // list enrolment's settlement that a crash lost is recorded again (the same key: never twice).
                        yield return decided;
                        break;
                    default:
                        Interlocked.Increment(ref counts[(int)decided.Outcome]);
                        break;
                }
            }
        }
    }

    /// <summary>
    /// Lists act when they arrive, in the collection period too (issue 17): for the people a list just put on
    /// (or changed), under a policy whose collection period has opened and whose list is dated no later than the
    /// period's end, the fully subsidised not yet enrolled are enrolled at once as of the list's day (covered from
    /// the coverage year's first day), and an enrolment not yet paid is assessed again with the subsidy applied.
    /// The partly subsidised not enrolled wait for the window, the school or the tax side, which take the subsidy
    /// from the book; top-ups and rebates are the monthly run's (baiyin-2023 "当月参保、次月资助").
    /// Lists dated after the period, or arriving before it opens, are the monthly run's, as before.
    /// </summary>
    /// <returns>People per outcome; empty when the list does not act now.</returns>
    public async Task<IReadOnlyDictionary<string, int>> ActForListedAsync(Policy policy, IReadOnlyCollection<ResidentId> people, DateOnly listDate, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(people);
        var today = clock.Today;
        if (people.Count == 0 || today < policy.CollectionStart || today > policy.CoverageEnd || listDate > policy.CollectionEnd || listDate > today)
        {
            return new Dictionary<string, int>();
        }

        var day = listDate < policy.CollectionStart ? policy.CollectionStart : listDate;
        var month = SubsidySettlementBook.Month(today);
        var counts = new int[Outcomes.Length];
        var options = new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(people, options, async (id, ct) =>
        {
            var spells = await book.SpellsAsync(policy.Code, id, ct).ConfigureAwait(false);
            if (spells.Count == 0)
            {
                return;
            }

            var entry = await ledger.GetAsync(policy.Code, id, ct).ConfigureAwait(false);
            var decided = SupplementaryDecision.Decide(policy, catalog, day, spells, entry);
            var outcome = decided.Outcome switch
            {
                SupplementaryOutcome.EnrolledDirectly => await EnrolAsync(policy, today, month, actor, decided, ct).ConfigureAwait(false),
                SupplementaryOutcome.Reassessed => await ReassessAsync(policy, today, month, actor, decided, ct).ConfigureAwait(false),
                _ => decided.Outcome,
            };
            Interlocked.Increment(ref counts[(int)outcome]);
        }).ConfigureAwait(false);
        // Not enrolled and partly subsidised: the subsidy waits in the book for the window, the school or the tax
        // side (no mobilisation list during an arrival; the monthly run writes those).
        return Outcomes.Where(o => counts[(int)o] > 0).ToDictionary(o => o == SupplementaryOutcome.Mobilised ? "awaitingEnrolment" : Key(o), o => counts[(int)o]);
    }

    /// <summary>
    /// Per department, as of <paramref name="asOf"/>: the people its lists hold, how many are enrolled (by the lists
    /// or elsewhere), the subsidies in their amounts due, and the top-ups and rebates recorded since the period opened.
    /// One pass over the book and the ledger side by side, then the settlements month by month.
    /// </summary>
    public async Task<IReadOnlyList<DepartmentTotals>> TotalsAsync(Policy policy, DateOnly asOf, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var tally = new SortedDictionary<string, Tally>(StringComparer.Ordinal);
        Tally Of(string department) => tally.TryGetValue(department, out var t) ? t : tally[department] = new Tally();
        await foreach (var (spells, entry) in PeopleAsync(policy, cancellationToken).ConfigureAwait(false))
        {
            var inForce = spells.Where(s => s.Covers(asOf)).ToList();
            if (inForce.Count == 0)
            {
                continue;
            }

            var best = inForce.OrderByDescending(s => SubsidyIdentityBook.Subsidy(policy, s, asOf)).ThenBy(s => s.From).First();
            var t = Of(best.Department);
            t.Listed++;
            if (entry is null || entry.Enrolment.Status == Domain.Enrolments.EnrolmentStatus.Cancelled)
            {
                t.Awaiting++;
                continue;
            }

            t.Enrolled++;
            t.ByLists += string.Equals(entry.Enrolment.Source, Source, StringComparison.Ordinal) ? 1 : 0;
            if (entry.Enrolment.Terms.SubsidyMode is SubsidyMode.Waived or SubsidyMode.Deducted && entry.Enrolment.Terms.Subsidy > 0m)
            {
                t.Subsidised++;
                t.Subsidy += entry.Enrolment.Terms.Subsidy;
            }
        }

        for (var month = new DateOnly(policy.CollectionStart.Year, policy.CollectionStart.Month, 1); month <= asOf; month = month.AddMonths(1))
        {
            await foreach (var s in settlements.ListAsync(policy.Code, SubsidySettlementBook.Month(month), cancellationToken).ConfigureAwait(false))
            {
                if (s.RunDate > asOf)
                {
                    continue;
                }

                if (s.Kind == SettlementKinds.TopUp)
                {
                    Of(s.Department).TopUps += s.Amount;
                }
                else if (s.Kind == SettlementKinds.Rebate)
                {
                    Of(s.Department).Rebates += s.Amount;
                }
            }
        }

        return [.. tally.Select(x => new DepartmentTotals(x.Key, SubsidyListTotalsApi.Label(x.Key), x.Value.Listed, x.Value.Enrolled, x.Value.ByLists, x.Value.Awaiting,
            x.Value.Subsidised, x.Value.Subsidy, x.Value.TopUps, x.Value.Rebates, x.Value.Subsidy + x.Value.TopUps + x.Value.Rebates))];
    }

    /// <summary>
    /// What the assistance fund owes for a policy's subsidised people as of a day, per identity and standard
    /// (luyang-2023 五(五) "按照上报的资助参保人数和标准"): the people on the lists enrolled with a subsidy in their amount due,
    /// each once under the identity that gives the most (就高不重复), then the top-ups and rebates recorded so far.
    /// The lines add up to the departments' <see cref="DepartmentTotals.Owed"/> of <see cref="TotalsAsync"/>.
    /// </summary>
    public async Task<IReadOnlyList<TransferDueLine>> TransferDueAsync(Policy policy, DateOnly asOf, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var lines = new SortedDictionary<(string Kind, string Identity, decimal Standard), (int People, decimal Amount)>();
        void Add(string kind, string identity, decimal standard, decimal amount)
        {
            var line = lines.GetValueOrDefault((kind, identity, standard));
            lines[(kind, identity, standard)] = (line.People + 1, line.Amount + amount);
        }

        await foreach (var (spells, entry) in PeopleAsync(policy, cancellationToken).ConfigureAwait(false))
        {
            var inForce = spells.Where(s => s.Covers(asOf)).ToList();
            if (inForce.Count == 0 || entry is null || entry.Enrolment.Status == Domain.Enrolments.EnrolmentStatus.Cancelled
                || entry.Enrolment.Terms.SubsidyMode is not (SubsidyMode.Waived or SubsidyMode.Deducted) || entry.Enrolment.Terms.Subsidy <= 0m)
            {
                continue;
            }

            var best = inForce.OrderByDescending(s => SubsidyIdentityBook.Subsidy(policy, s, asOf)).ThenBy(s => s.From).First();
            Add(TransferDueKinds.Subsidy, Glossary.SubsidyIdentities.Code(best.Identity), entry.Enrolment.Terms.Subsidy, entry.Enrolment.Terms.Subsidy);
        }

        for (var month = new DateOnly(policy.CollectionStart.Year, policy.CollectionStart.Month, 1); month <= asOf; month = month.AddMonths(1))
        {
            await foreach (var s in settlements.ListAsync(policy.Code, SubsidySettlementBook.Month(month), cancellationToken).ConfigureAwait(false))
            {
                if (s.RunDate <= asOf && s.Kind is SettlementKinds.TopUp or SettlementKinds.Rebate)
                {
                    Add(s.Kind, s.Identity, s.Amount, s.Amount);
                }
            }
        }

        return [.. lines.Select(l => new TransferDueLine(l.Key.Kind, l.Key.Identity, PaidBy(policy, l.Key.Identity), l.Key.Standard, l.Value.People, l.Value.Amount))];
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "SupplementaryEnrolment {Policy} as of {Day}: {People} people on the lists; {Outcomes}; mobilisation {Rows} rows in {Towns} towns")]
    private partial void LogPolicyRun(string policy, DateOnly day, int people, string outcomes, int rows, int towns);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SupplementaryEnrolment {Policy}: {Outcome} of {Id} failed: {Error}")]
    private partial void LogCaseFailed(Exception exception, string policy, SupplementaryOutcome outcome, string id, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "SupplementaryEnrolment {Policy}: could not enrol {Id}: {Code} {Detail}")]
    private partial void LogNotEnrolled(string policy, string id, string code, string detail);

    private sealed class Tally
    {
        public int Listed;
        public int Enrolled;
        public int ByLists;
        public int Awaiting;
        public int Subsidised;
        public decimal Subsidy;
        public decimal TopUps;
        public decimal Rebates;
    }

    private static bool IsFullySubsidised(LedgerEntry entry) =>
        entry.Enrolment.Status != Domain.Enrolments.EnrolmentStatus.Cancelled && entry.Enrolment.Terms.SubsidyMode == SubsidyMode.Waived
        && entry.Enrolment.Terms.Payable == 0m && entry.Enrolment.Terms.Subsidy > 0m;

    /// <summary>Carries out one case; an error is logged and counted, and the next month's run tries again.</summary>
    private async Task<SupplementaryOutcome> WriteAsync(Policy policy, DateOnly day, string month, string actor, SupplementaryCase person, CancellationToken cancellationToken)
    {
        try
        {
            return person.Outcome switch
            {
                SupplementaryOutcome.EnrolledDirectly => await EnrolAsync(policy, day, month, actor, person, cancellationToken).ConfigureAwait(false),
                SupplementaryOutcome.Unchanged => await EnsureFundSettlementAsync(policy, day, month, actor, person, cancellationToken).ConfigureAwait(false),
                SupplementaryOutcome.Reassessed => await ReassessAsync(policy, day, month, actor, person, cancellationToken).ConfigureAwait(false),
                _ => await CreditAsync(policy, day, month, actor, person, cancellationToken).ConfigureAwait(false),
            };
        }
        catch (Exception e) when (e is RequestFailedException or InvalidOperationException or AggregateException or HttpRequestException)
        {
            LogCaseFailed(e, policy.Code, person.Outcome, person.Spell.Id.Masked, e.Message);
            return SupplementaryOutcome.Failed;
        }
    }

    private async Task<SupplementaryOutcome> EnrolAsync(Policy policy, DateOnly day, string month, string actor, SupplementaryCase person, CancellationToken cancellationToken)
    {
        var spell = person.Spell;
        var application = new EnrolmentApplication(policy, person.Request!, new PersonDetails(spell.Name, null, null, string.IsNullOrWhiteSpace(spell.Town) ? null : spell.Town), Source, IdentitiesFromBook: true);
        var result = await ledger.EnrolAsync(application, actor, day, cancellationToken).ConfigureAwait(false);
        if (result.Error is { Code: "already-enrolled" })
        {
            // Enrolled meanwhile (a window, another host): decide again as an enrolled person.
            var entry = await ledger.GetAsync(policy.Code, spell.Id, cancellationToken).ConfigureAwait(false);
            var again = SupplementaryDecision.Decide(policy, catalog, day, [spell], entry);
            return again.Outcome is SupplementaryOutcome.ToppedUp or SupplementaryOutcome.RebateDue
                ? await CreditAsync(policy, day, month, actor, again, cancellationToken).ConfigureAwait(false)
                : again.Outcome;
        }

        if (result.Error is { } error)
        {
            LogNotEnrolled(policy.Code, spell.Id.Masked, error.Code, LogText.Of(error.Detail));
            return SupplementaryOutcome.NotEligible;
        }

        await RecordFundSettlementAsync(policy, day, month, actor, person, result.Entry!.Enrolment.Terms.Subsidy, cancellationToken).ConfigureAwait(false);
        return SupplementaryOutcome.EnrolledDirectly;
    }

    /// <summary>
    /// A list confirmed an identity of an enrolled person who has not paid: the amount due is assessed again;
    /// when it becomes nothing, the assistance fund pays the personal share as for a direct enrolment.
    /// </summary>
    private async Task<SupplementaryOutcome> ReassessAsync(Policy policy, DateOnly day, string month, string actor, SupplementaryCase person, CancellationToken cancellationToken)
    {
        var a = person.Assessment;
        var terms = new Domain.Enrolments.EnrolmentTerms(a.StandardContribution, a.Subsidy, a.Payable, a.Rebate, a.CoverageStart!.Value, a.CoverageEnd!.Value, a.SubsidyMode);
        var claimed = person.Entry!.Request;
        var applied = Assessments.AssessmentRequestParser.ToBody(policy.Code, person.Request!);
        var unconfirmed = (claimed.Identities ?? []).Concat(claimed.UnconfirmedIdentities ?? [])
            .Where(c => Glossary.SubsidyIdentities.TryParse(c, out var i) && !person.Request!.Identities.Contains(i))
            .Select(c => Glossary.SubsidyIdentities.Code(Glossary.SubsidyIdentities.Parse(c!))).Distinct(StringComparer.Ordinal).ToList();
        var body = claimed with { Identities = applied.Identities, AllowanceClass = applied.AllowanceClass, UnconfirmedIdentities = unconfirmed.Count == 0 ? null : unconfirmed };
        var identity = Glossary.SubsidyIdentities.Label(a.SubsidyIdentity ?? person.Spell.Identity);
        var updated = await ledger.ReassessAsync(policy.Code, person.Spell.Id, terms, body, $"{Glossary.Departments.Label(Glossary.Departments.Parse(person.Spell.Department))}名单确认{identity}", actor, day, cancellationToken).ConfigureAwait(false);
        if (updated is null || updated.Enrolment.Terms.Payable != a.Payable)
        {
            return SupplementaryOutcome.Unchanged;
        }

        if (a.Payable == 0m && a.Subsidy > 0m)
        {
            await RecordFundSettlementAsync(policy, day, month, actor, person, a.Subsidy, cancellationToken).ConfigureAwait(false);
        }

        return SupplementaryOutcome.Reassessed;
    }

    private async Task<SupplementaryOutcome> EnsureFundSettlementAsync(Policy policy, DateOnly day, string month, string actor, SupplementaryCase person, CancellationToken cancellationToken)
    {
        var credited = await settlements.CreditedAsync(policy.Code, person.Spell.Id.ToString(), cancellationToken).ConfigureAwait(false);
        if (!credited.ContainsKey(SettlementKinds.AssistanceFund))
        {
            await RecordFundSettlementAsync(policy, day, month, actor, person, person.Entry!.Enrolment.Terms.Subsidy, cancellationToken).ConfigureAwait(false);
        }

        return SupplementaryOutcome.Unchanged;
    }

    /// <summary>The assistance fund pays the personal share of a person enrolled directly (医疗救助资金代缴).</summary>
    private Task RecordFundSettlementAsync(Policy policy, DateOnly day, string month, string actor, SupplementaryCase person, decimal amount, CancellationToken cancellationToken) =>
        settlements.RecordAsync(Settlement(policy, day, month, actor, person, SettlementKinds.AssistanceFund, 0m, amount, amount), cancellationToken);

    /// <summary>A top-up or rebate: only what the identity gives beyond what was credited before (see SubsidySettlements.cs).</summary>
    private async Task<SupplementaryOutcome> CreditAsync(Policy policy, DateOnly day, string month, string actor, SupplementaryCase person, CancellationToken cancellationToken)
    {
        var kind = person.Outcome == SupplementaryOutcome.ToppedUp ? SettlementKinds.TopUp : SettlementKinds.Rebate;
        var credited = await settlements.CreditedAsync(policy.Code, person.Spell.Id.ToString(), cancellationToken).ConfigureAwait(false);
        credited.TryGetValue(kind, out var before);
        if (before is not null && before.Month == month && before.Level == person.Level)
        {
            // This month's run already recorded exactly this: nothing changes.
            return person.Outcome;
        }

        var applied = kind == SettlementKinds.TopUp ? person.Entry!.Enrolment.Terms.Subsidy : 0m;
        var from = before is null ? applied : before.Month == month ? before.Base : Math.Max(applied, before.Level);

        // The highest subsidy once, never twice (issue 17): what a subsidised-paid-full refund already paid back
        // counts as subsidy given, so the top-up pays only the rest.
        if (kind == SettlementKinds.TopUp && (before is null || before.Month != month))
        {
            from += await refunds.SubsidyRefundedAsync(policy.Code, person.Spell.Id.ToString(), cancellationToken).ConfigureAwait(false);
        }

        var amount = kind == SettlementKinds.TopUp ? policy.SubsidyAdjustment(from, person.Level) : Math.Max(0m, person.Level - from);
        if (amount <= 0m)
        {
            return SupplementaryOutcome.Unchanged;
        }

        await settlements.RecordAsync(Settlement(policy, day, month, actor, person, kind, from, person.Level, amount), cancellationToken).ConfigureAwait(false);
        return person.Outcome;
    }

    private SubsidySettlement Settlement(Policy policy, DateOnly day, string month, string actor, SupplementaryCase person, string kind, decimal from, decimal to, decimal amount)
    {
        var spell = person.Spell;
        var identity = person.Assessment.SubsidyIdentity ?? spell.Identity;
        var idNumber = spell.Id.ToString();
        return new SubsidySettlement(policy.Code, month, kind, idNumber, spell.Name, spell.Town, spell.Department, Glossary.SubsidyIdentities.Code(identity),
            PaidBy(policy, identity), from, to, amount, SubsidySettlementBook.TransactionId(policy.Code, kind, month, idNumber), day, actor, time.GetUtcNow());
    }

    /// <summary>Who pays the identity's subsidy, as the policy's text says (dalate-2022: 旗民族事务委员会 150; 旗民政局、乡村振兴统筹发展中心 310).</summary>
    private static string? PaidBy(Policy policy, SubsidyIdentity identity) => PaidBy(policy, Glossary.SubsidyIdentities.Code(identity));

    private static string? PaidBy(Policy policy, string identityCode) =>
        policy.Document.Subsidies?.FirstOrDefault(r => r.Identities?.Contains(identityCode, StringComparer.Ordinal) == true)?.PaidBy;

    /// <summary>
    /// People on the policy's lists with their enrolment: the identity book's rows come grouped per person
    /// in key order ("{policy}|{bucket}", then ID number), the ledger's enrolments in the same order, so one
    /// cursor over the ledger finds each person's enrolment while both streams are read page by page.
    /// </summary>
    private async IAsyncEnumerable<(IReadOnlyList<IdentitySpell> Spells, LedgerEntry? Entry)> PeopleAsync(Policy policy, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var enrolments = new LedgerCursor(ledger.ScanAsync(policy.Code, cancellationToken).GetAsyncEnumerator(cancellationToken));
        await using (enrolments.ConfigureAwait(false))
        {
            List<IdentitySpell>? person = null;
            await foreach (var spell in book.ScanAsync(policy.Code, cancellationToken).ConfigureAwait(false))
            {
                if (person is not null && person[0].Id.Equals(spell.Id))
                {
                    person.Add(spell);
                    continue;
                }

                if (person is not null)
                {
                    yield return (person, await enrolments.SeekAsync(person[0].Id).ConfigureAwait(false));
                }

                person = [spell];
            }

            if (person is not null)
            {
                yield return (person, await enrolments.SeekAsync(person[0].Id).ConfigureAwait(false));
            }
        }
    }

    /// <summary>A forward-only cursor over a policy's enrolments in key order.</summary>
    private sealed class LedgerCursor(IAsyncEnumerator<LedgerEntry> enrolments) : IAsyncDisposable
    {
        private bool _started;
        private bool _more;

        public async Task<LedgerEntry?> SeekAsync(ResidentId id)
        {
            var idNumber = id.ToString();
            if (!_started)
            {
                _more = await enrolments.MoveNextAsync().ConfigureAwait(false);
                _started = true;
            }

            while (_more)
            {
                var order = Compare(enrolments.Current.IdNumber, idNumber);
                if (order == 0)
                {
                    return enrolments.Current;
                }

                if (order > 0)
                {
                    return null;
                }

                _more = await enrolments.MoveNextAsync().ConfigureAwait(false);
            }

            return null;
        }

        public ValueTask DisposeAsync() => enrolments.DisposeAsync();

        /// <summary>Table order: bucket (the partition), then ID number.</summary>
        private static int Compare(string a, string b)
        {
            var bucket = LedgerKeys.Bucket(a).CompareTo(LedgerKeys.Bucket(b));
            return bucket != 0 ? bucket : string.CompareOrdinal(a, b);
        }
    }
}
