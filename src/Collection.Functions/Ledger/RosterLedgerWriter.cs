using System.Collections.Concurrent;
using Azure;
using Azure.Data.Tables;
using Collection.Domain;
using Collection.Domain.Assessments;
using Collection.Domain.Enrolments;
using Collection.Domain.Policies;
using Collection.Domain.Rosters;
using Collection.Functions.Assessments;
using Collection.Functions.Rosters;
using Collection.Functions.Hosting;
using Collection.Functions.Subsidies;

namespace Collection.Functions.Ledger;

/// <summary>
/// The ledger operation rosters need and <see cref="EnrolmentLedger"/> does not have: "enrol or update
/// the rows of this source", in batches, through the ledger's <see cref="EnrolmentStore"/> (same rows, same
/// <see cref="EnrolmentRules"/>). A batch holds people of one ledger partition and goes in as one entity-group
/// transaction of inserts (the common case: nobody enrolled yet), written by the store's fast path
/// (<see cref="TableBatchInserter"/>: a tenth of the SDK transaction's CPU per row). When the
/// transaction finds rows already there, the batch is read back and sorted out: a row of the same
/// source (a re-upload, or a rerun after a crash) is updated in place keeping its payments and history;
/// a row of another source is refused as already-enrolled, naming that source and its day.
/// </summary>
public sealed class RosterLedgerWriter(EnrolmentStore store, ChinaClock clock, SubsidyIdentityBook identities, Resilience resilience) : IRosterLedger
{
    private readonly EnrolmentStore _store = store;
    private readonly ChinaClock _clock = clock;
    private readonly SubsidyIdentityBook _identities = identities;
    private readonly Resilience _resilience = resilience;

    public int MaxBatch => TableBatchInserter.MaxBatch;

    public async Task<IRosterLedgerBatches> BeginAsync(Policy policy, string source, DateOnly enrolledOn, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(policy);
        await _store.EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var marked = await _store.EmployeeInsuranceMarksAsync(cancellationToken).ConfigureAwait(false);
        return new Batches(this, policy, source, enrolledOn, actor, marked);
    }

    private sealed class Batches(RosterLedgerWriter owner, Policy policy, string source, DateOnly enrolledOn, string actor, HashSet<string> marked) : IRosterLedgerBatches
    {
        public string BatchKey(ResidentId id) => LedgerKeys.Partition(policy.Code, id.ToString());

        public async Task<IReadOnlyList<RosterEnrolOutcome>> EnrolAsync(IReadOnlyList<RosterEnrolment> batch, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(batch);
            var outcomes = new RosterEnrolOutcome?[batch.Count];
            var now = owner._clock.Now;
            var today = DateOnly.FromDateTime(now.DateTime);
            var fresh = new List<(int Index, EnrolmentEntity Entity)>(batch.Count);
            var (confirmed, changed) = await ConfirmedAsync(batch, cancellationToken).ConfigureAwait(false);
            batch = confirmed;
            for (var i = 0; i < batch.Count; i++)
            {
                var person = batch[i].Person;
                if (EnrolmentRules.InEmployeeInsurance(marked, person.Id))
                {
                    outcomes[i] = new RosterEnrolOutcome(RosterEnrolOutcomeKind.InEmployeeInsurance);
                    continue;
                }

                fresh.Add((i, NewEntity(batch[i], today, now)));
            }

            if (fresh.Count > 0 && await TryInsertAllAsync(fresh, cancellationToken).ConfigureAwait(false))
            {
                foreach (var (index, _) in fresh)
                {
                    outcomes[index] = new RosterEnrolOutcome(RosterEnrolOutcomeKind.Enrolled);
                }
            }
            else if (fresh.Count > 0)
            {
                await SortOutAsync(batch, fresh, outcomes, today, now, cancellationToken).ConfigureAwait(false);
            }

            return [.. outcomes.Select((o, i) => changed[i] ? o! with { Assessed = batch[i].Person } : o!)];
        }

        /// <summary>
        /// The identity book is the source of subsidies (issue 17): each row is assessed with the identities the
        /// lists confirm for the person on the roster's day; one the school typed that no list confirms is kept as
        /// claimed and subsidises only where the policy says so. Rows whose assessment this changes come back new.
        /// </summary>
        private async Task<(IReadOnlyList<RosterEnrolment> Batch, bool[] Changed)> ConfirmedAsync(IReadOnlyList<RosterEnrolment> batch, CancellationToken cancellationToken)
        {
            var inForce = await owner._identities.InForceManyAsync(policy.Code, [.. batch.Select(b => b.Person.Id)], enrolledOn, cancellationToken).ConfigureAwait(false);
            var result = new RosterEnrolment[batch.Count];
            var changed = new bool[batch.Count];

            for (var i = 0; i < batch.Count; i++)
            {
                var person = batch[i].Person;
                var claims = SubsidyIdentityBook.Resolve(policy, inForce.TryGetValue(person.Id, out var spells) ? spells : [], person.Identities, person.AllowanceClass);
                _unconfirmed[person.Id] = claims.Unconfirmed;
                if (claims.Applied == person.Identities && claims.AllowanceClass == person.AllowanceClass)
                {
                    result[i] = batch[i];
                    continue;
                }

                var request = Request(person) with { Identities = claims.Applied, AllowanceClass = claims.AllowanceClass };
                var assessment = AssessmentEngine.Assess(policy, request, enrolledOn);
                if (assessment.Failed || !assessment.Eligible)
                {
                    // A confirmed 低保 whose class no one gave (baiyin-2023): assessed without it, never guessed.
                    request = request with { Identities = new Domain.Codes.SubsidyIdentitySet(claims.Applied.Bits & ~Domain.Codes.SubsidyIdentitySet.Of(Domain.Codes.SubsidyIdentity.MinimumLivingAllowance).Bits), AllowanceClass = null };
                    assessment = AssessmentEngine.Assess(policy, request, enrolledOn);
                }

                if (assessment.Failed || !assessment.Eligible)
                {
                    // Only a late rule that needs the subsidy (waived people after the period) can end here: the row
                    // stays as checked, and its claims stay recorded as unconfirmed.
                    result[i] = batch[i];
                    continue;
                }

                result[i] = batch[i] with { Person = person with { Identities = request.Identities, AllowanceClass = request.AllowanceClass, Assessment = assessment } };
                changed[i] = true;
            }

            return (result, changed);
        }

        private readonly ConcurrentDictionary<ResidentId, Domain.Codes.SubsidyIdentitySet> _unconfirmed = new();

        private Task<bool> TryInsertAllAsync(List<(int Index, EnrolmentEntity Entity)> rows, CancellationToken cancellationToken) =>
            owner._store.TryInsertAllAsync([.. rows.Select(r => r.Entity)], cancellationToken);

        /// <summary>
        /// Some rows exist: read the batch back, then insert, update or refuse each, in one transaction; another writer
        /// (a window enrolment, another host) getting there in between makes it look again (<see cref="Resilience.BatchWrite"/>).
        /// </summary>
        private async Task SortOutAsync(IReadOnlyList<RosterEnrolment> batch, List<(int Index, EnrolmentEntity Entity)> rows, RosterEnrolOutcome?[] outcomes, DateOnly today, DateTimeOffset now, CancellationToken cancellationToken) =>
            await owner._resilience.BatchWrite.ExecuteAsync(async token =>
            {
                var existing = new ConcurrentDictionary<int, EnrolmentEntity>();
                await Parallel.ForEachAsync(rows, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = token }, async (row, ct) =>
                {
                    if (await owner._store.ReadAsync(row.Entity.Policy, row.Entity.IdNumber, ct).ConfigureAwait(false) is { } found)
                    {
                        existing[row.Index] = found;
                    }
                }).ConfigureAwait(false);

                var actions = new List<TableTransactionAction>(rows.Count);
                var decided = new Dictionary<int, RosterEnrolOutcome>();
                foreach (var (index, entity) in rows)
                {
                    if (!existing.TryGetValue(index, out var stored))
                    {
                        actions.Add(new TableTransactionAction(TableTransactionActionType.Add, entity));
                        decided[index] = new RosterEnrolOutcome(RosterEnrolOutcomeKind.Enrolled);
                    }
                    else if (EnrolmentRules.EnrolledByAnotherSource(stored, source))
                    {
                        var first = EnrolmentState.Deserialize(stored);
                        decided[index] = new RosterEnrolOutcome(RosterEnrolOutcomeKind.AlreadyEnrolled, stored.Source, first.EnrolledOn);
                    }
                    else
                    {
                        if (Updated(stored, batch[index], today, now) is { } replacement)
                        {
                            actions.Add(new TableTransactionAction(TableTransactionActionType.UpdateReplace, replacement.Entity, stored.ETag));
                            actions.AddRange(EnrolmentRows.ChangeRows(replacement.Entity, replacement.Changes));
                        }

                        decided[index] = new RosterEnrolOutcome(RosterEnrolOutcomeKind.Updated);
                    }
                }

                if (actions.Count > 0)
                {
                    await owner._store.SubmitAsync(actions, token).ConfigureAwait(false);
                }

                foreach (var (index, outcome) in decided)
                {
                    outcomes[index] = outcome;
                }
            }, cancellationToken).ConfigureAwait(false);

        /// <summary>The stored row with this upload's terms and name (and the history entries that makes), or null when nothing changed.</summary>
        private (EnrolmentEntity Entity, IReadOnlyList<EnrolmentChange> Changes)? Updated(EnrolmentEntity stored, RosterEnrolment row, DateOnly today, DateTimeOffset now)
        {
            var enrolment = EnrolmentState.Deserialize(stored);
            var terms = Terms(row.Person.Assessment);
            var request = Body(row.Person);
            if (enrolment.Terms == terms && string.Equals(stored.Name, row.Person.Name, StringComparison.Ordinal)
                && string.Equals(stored.Faculty, row.Person.Faculty, StringComparison.Ordinal))
            {
                return null;
            }

            var next = (enrolment with { Terms = terms }).AdvanceTo(today, now, actor, "roster-updated");
            var person = new PersonDetails(row.Person.Name, stored.Phone, stored.Address, stored.Town, row.Person.Faculty);
            return (EnrolmentRows.ToEntity(next, person, request, stored.ChangeCount), next.Changes);
        }

        private EnrolmentEntity NewEntity(RosterEnrolment row, DateOnly today, DateTimeOffset now)
        {
            var person = row.Person;
            var enrolment = Enrolment.Register(policy.Code, person.Id.ToString(), source, Terms(person.Assessment), today, now, actor, enrolledOn);
            return EnrolmentRows.ToEntity(enrolment, new PersonDetails(person.Name, Faculty: person.Faculty), Body(person));
        }

        /// <summary>The stored request: the identities applied, and those claimed that no list confirms.</summary>
        private AssessmentRequestBody Body(RosterPerson person) =>
            AssessmentRequestParser.ToBody(policy.Code, Request(person)) with
            {
                UnconfirmedIdentities = _unconfirmed.TryGetValue(person.Id, out var claims) && !claims.IsEmpty
                    ? [.. claims.Identities().Select(Domain.Codes.Glossary.SubsidyIdentities.Code)]
                    : null,
            };

        private AssessmentRequest Request(RosterPerson person) => new()
        {
            Id = person.Id,
            BirthDate = person.Id.EncodesBirthDate ? null : person.Assessment.BirthDate, // an older foreign card or a passport: from the roster row (#19)
            Population = person.Population,
            Identities = person.Identities,
            AllowanceClass = person.AllowanceClass,
            PaymentMode = person.PaymentMode,
            NewStudent = person.NewStudent, // 是否新生 (#19)
            Date = enrolledOn,
        };

        private static EnrolmentTerms Terms(Assessment assessment) => new(
            assessment.StandardContribution, assessment.Subsidy, assessment.Payable, assessment.Rebate,
            assessment.CoverageStart!.Value, assessment.CoverageEnd!.Value, assessment.SubsidyMode);
    }
}
