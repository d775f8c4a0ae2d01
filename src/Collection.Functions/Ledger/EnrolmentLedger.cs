using System.Runtime.CompilerServices;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Collection.Domain;
using Collection.Domain.Assessments;
using Collection.Domain.Codes;
using Collection.Domain.Enrolments;
using Collection.Domain.Policies;
using Collection.Functions.Assessments;
using Collection.Functions.Policies;
using Collection.Functions.Subsidies;

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
/// The book of record (参保登记 → 应征 → 到账划账 → 享受待遇) on Azure Tables. Enrolments, payments, the
/// calendar and cancellations all go through here; rosters, refunds, timers and subsidy lists call it.
/// Every update is an optimistic write (ETag) retried from a fresh read; the rules live in the domain
/// (<see cref="Enrolment"/>, <see cref="AssessmentEngine"/>), this class only loads, applies and saves.
/// </summary>
public sealed class EnrolmentLedger
{
    private const int MaxAttempts = 20;
    private const int TransactionLimit = 100;

    private readonly TableClient _enrolments;
    private readonly TableClient _transactions;
    private readonly TableClient _employeeInsurance;
    private readonly PolicyCatalog _catalog;
    private readonly ChinaClock _clock;
    private readonly ILogger<EnrolmentLedger> _logger;
    private readonly SubsidyIdentityBook _identities;
    private readonly People.PersonFacts _people;
    private readonly Lock _gate = new();
    private Task? _created;

    public EnrolmentLedger(TableServiceClient tables, LedgerTables names, PolicyCatalog catalog, ChinaClock clock, SubsidyIdentityBook identities, ILogger<EnrolmentLedger> logger, People.PersonFacts people)
    {
        _people = people;
        ArgumentNullException.ThrowIfNull(identities);
        _identities = identities;
        ArgumentNullException.ThrowIfNull(tables);
        ArgumentNullException.ThrowIfNull(names);
        _enrolments = tables.GetTableClient(names.Enrolments);
        _transactions = tables.GetTableClient(names.Transactions);
        _employeeInsurance = tables.GetTableClient(names.EmployeeInsurance);
        _catalog = catalog;
        _clock = clock;
        _logger = logger;
    }

    public PolicyCatalog Policies => _catalog;

    /// <summary>The identity book every assessment takes a person's subsidy identities from.</summary>
    public SubsidyIdentityBook Identities => _identities;

    /// <summary>Today's date in China (the business date when one is set), from the injected clock.</summary>
    public DateOnly Today => _clock.Today;

    private DateTimeOffset Now => _clock.Now;

    /// <summary>
    /// Registers a person for a policy and stores the assessment with it. Refused: a second enrolment
    /// (409 <c>already-enrolled</c>, naming the first one's source and date), a person marked in employee
    /// insurance (422 <c>in-employee-insurance</c>), an ineligible person (422, the assessment's reason code).
    /// </summary>
    /// <param name="asOf">The day the enrolment is made as of (a timer run replayed for a past date); the host's China date when null.</param>
    public async Task<EnrolResult> EnrolAsync(EnrolmentApplication application, string actor, DateOnly? asOf = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(application);
        var (policy, request) = (application.Policy, application.Request);
        if (request.Id is not { } id)
        {
            return Failed(new RequestError(StatusCodes.Status400BadRequest, "missing-id-number", "An enrolment needs an ID number.",
                "idNumber: required to enrol (a child without a number can be assessed, not enrolled).", "idNumber"));
        }

        // A registration reference keys only a child registered before birth (RegisterNewborn), never a typed-in number.
        if (id.IsNewbornReference != (application.BeforeBirth is not null))
        {
            return Failed(new RequestError(StatusCodes.Status400BadRequest, ResidentId.ErrorCode, "Invalid resident ID number.",
                "idNumber: a newborn registration reference (NB-…) is made by POST /api/enrolments/newborns, not given.", "idNumber"));
        }

        if (string.IsNullOrWhiteSpace(application.Source))
        {
            return Failed(new RequestError(StatusCodes.Status400BadRequest, "missing-source", "An enrolment needs a source.",
                "source: window, roster:<school>, subsidy-list, ….", "source"));
        }

        var today = asOf ?? Today;
        var day = request.Date ?? today;
        if (day > today)
        {
            return Failed(new RequestError(StatusCodes.Status400BadRequest, "date-in-future", "The enrolment day is after today.",
                $"date: {Problems.Date(day)} is after today ({Problems.Date(today)}) in China.", "date"));
        }

        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var idNumber = id.ToString();
        var mark = await _employeeInsurance.GetEntityIfExistsAsync<EmployeeInsuranceEntity>(LedgerKeys.Bucket(idNumber).ToString("D2", System.Globalization.CultureInfo.InvariantCulture), idNumber, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (mark.HasValue)
        {
            return Failed(new RequestError(StatusCodes.Status422UnprocessableEntity, "in-employee-insurance", "The person is in employee insurance.",
                $"Marked in employee insurance since {mark.Value!.Since} ({mark.Value.Source}); resident insurance cannot enrol them.", "idNumber"));
        }

        // A person enrolled already, or past the policy's day for enrolling again after a cancellation, is told so
        // before anything is assessed (the write below checks again, against a concurrent enrolment).
        if (await ReadAsync(policy.Code, idNumber, cancellationToken).ConfigureAwait(false) is { } existing
            && (existing.Status != LedgerCodes.Status(EnrolmentStatus.Cancelled) || (policy.RepaymentDeadline is { } closes && day > closes)))
        {
            return Failed(Refusal(policy, existing, day));
        }

        if (await _people.RefusalAsync(policy, id, cancellationToken).ConfigureAwait(false) is { } refusal)
        {
            return Failed(refusal); // one insurance a year: under another policy here, or recorded elsewhere (#19)
        }

        // The identity book is the source of subsidies: what the lists confirm for the person on the day; what was
        // typed and no list confirms is kept as claimed (unconfirmed), and subsidises only where the policy says so.
        // The subsidy lists' own enrolments come from the book already.
        var claims = application.IdentitiesFromBook
            ? new Domain.Subsidies.ClaimedIdentities(request.Identities, request.AllowanceClass, request.Identities, default)
            : await _identities.ResolveAsync(policy, id, day, request.Identities, request.AllowanceClass, cancellationToken).ConfigureAwait(false);
        request = request with { Identities = claims.Applied, AllowanceClass = claims.AllowanceClass };
        var assessment = AssessmentEngine.Assess(policy, request with { Date = day }, today);
        if (AssessmentRequestParser.Failure(policy, assessment) is { } failure)
        {
            return Failed(failure);
        }

        // Before birth there is nothing to enrol but what a newborn rule of the policy offers (wuhai-2022 三(三), dalate-2022 三(三)).
        if (application.BeforeBirth is not null && !assessment.NewbornRuleApplied)
        {
            return Failed(new RequestError(StatusCodes.Status422UnprocessableEntity, "no-newborn-rule", "The policy has no rule for this registration before birth.",
                $"No newborn rule of {policy.Code} applies to a child expected on {Problems.Date(assessment.BirthDate)} registered on {Problems.Date(day)} (parentInsured and the birth year matter); register the child after birth with its ID number.", "expectedBirthDate"));
        }

        if (!assessment.Eligible)
        {
            return Failed(NotEligible(assessment.Reasons, "enrol"));
        }

        var terms = new EnrolmentTerms(assessment.StandardContribution, assessment.Subsidy, assessment.Payable, assessment.Rebate,
            assessment.CoverageStart!.Value, assessment.CoverageEnd!.Value, assessment.SubsidyMode);
        var body = AssessmentRequestParser.ToBody(policy.Code, request with { Date = day }) with
        {
            UnconfirmedIdentities = claims.Unconfirmed.IsEmpty ? null : [.. claims.Unconfirmed.Identities().Select(Glossary.SubsidyIdentities.Code)],
        };
        if (application.BeforeBirth is { } kept && body.Newborn is { } facts)
        {
            body = body with { Newborn = facts with { RegistrationReference = kept.RegistrationReference, ExpectedBirthDate = kept.ExpectedBirthDate, Parent = kept.Parent } };
        }

        Enrolment enrolment;
        for (var attempt = 1; ; attempt++)
        {
            // One enrolment per person and policy at a time; after a cancelled one (a refund that cancelled it) the
            // person may enrol again while the policy allows (wuhai-2022 五(四) "需重新缴费的,要在2022年4月30日前完成"),
            // and the cancelled enrolment is kept as it was, beside the new one.
            var previous = await ReadAsync(policy.Code, idNumber, cancellationToken).ConfigureAwait(false);
            if (previous is not null && (previous.Status != LedgerCodes.Status(EnrolmentStatus.Cancelled) || (policy.RepaymentDeadline is { } deadline && day > deadline)))
            {
                return Failed(Refusal(policy, previous, day));
            }

            var generation = previous is null ? 1 : previous.Generation + 1;
            enrolment = Enrolment.Register(policy.Code, idNumber, application.Source, terms, today, Now, actor, day, generation);
            var entity = ToEntity(enrolment, application.Person, body);
            var actions = new List<TableTransactionAction>();
            if (previous is null)
            {
                actions.Add(new TableTransactionAction(TableTransactionActionType.Add, entity));
            }
            else
            {
                var archived = Copy(previous, LedgerKeys.ArchivedRow(idNumber, previous.Generation));
                actions.Add(new TableTransactionAction(TableTransactionActionType.Add, archived));
                actions.Add(new TableTransactionAction(TableTransactionActionType.UpdateReplace, entity, previous.ETag));
            }

            // The registration entry travels in the enrolment row itself (roster batches write nothing else).
            try
            {
                await _enrolments.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
                break;
            }
            catch (TableTransactionFailedException e) when (e.Status is StatusCodes.Status409Conflict or StatusCodes.Status412PreconditionFailed && attempt < MaxAttempts)
            {
                // Another enrolment of the same person won the race: read again (it is then already enrolled).
                await Task.Delay(Backoff(attempt), cancellationToken).ConfigureAwait(false);
            }
        }

        _logger.LogInformation("Enrolled {Id} under {Policy} from {Source}: payable {Payable}", id.Masked, policy.Code, LogText.Of(application.Source), terms.Payable);
        return new EnrolResult(new LedgerEntry(enrolment, application.Person, body), null);

        static EnrolResult Failed(RequestError error) => new(null, error);
    }

    /// <summary>
    /// A list confirmed an identity for an enrolled person who has paid nothing yet: the amount due becomes
    /// <paramref name="terms"/> (lower only; see <see cref="Enrolment.Reassess"/>) and the stored request the identities applied.
    /// Null when there is no enrolment; the entry unchanged when the enrolment cannot be reassessed.
    /// </summary>
    public async Task<LedgerEntry?> ReassessAsync(string policy, ResidentId id, EnrolmentTerms terms, AssessmentRequestBody request, string detail, string actor, DateOnly today, CancellationToken cancellationToken = default) =>
        await UpdateAsync(policy, id.ToString(), enrolment => enrolment.Reassess(terms, today, Now, actor, detail), cancellationToken, request: request).ConfigureAwait(false);

    public async Task<LedgerEntry?> GetAsync(string policy, ResidentId id, CancellationToken cancellationToken = default) =>
        (await ReadAsync(policy, id.ToString(), cancellationToken).ConfigureAwait(false)) is { } entity ? ToEntry(entity) : null;

    /// <summary>The payments of the person's enrolment (the current one, or <paramref name="generation"/>), in posting order.</summary>
    public async Task<IReadOnlyList<PostedPayment>> GetPaymentsAsync(string policy, ResidentId id, int? generation = null, CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var idNumber = id.ToString();
        generation ??= (await ReadAsync(policy, idNumber, cancellationToken).ConfigureAwait(false))?.Generation ?? 1;
        var payments = new List<PostedPayment>();
        await foreach (var row in _enrolments.QueryAsync<PaymentEntity>(LedgerKeys.PersonRowsFilter(policy, idNumber, 'p'), 1000, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (row.Generation == generation)
            {
                payments.Add(ToPayment(row));
            }
        }

        return [.. payments.OrderBy(p => p.PostedAt).ThenBy(p => p.TransactionId, StringComparer.Ordinal)];
    }

    /// <summary>The refunds written to the person's book under the policy (every enrolment of theirs), in order.</summary>
    public async Task<IReadOnlyList<RefundRecord>> GetRefundsAsync(string policy, ResidentId id, CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var refunds = new List<RefundRecord>();
        await foreach (var row in _enrolments.QueryAsync<RefundEntity>(LedgerKeys.PersonRowsFilter(policy, id.ToString(), 'r'), 1000, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            refunds.Add(new RefundRecord(row.Generation, new RefundEntry(row.CaseId, Money.Parse(row.Amount), row.Subsidy, row.Reason, row.Channel, row.At.ToOffset(ChinaClock.Offset), row.Actor)));
        }

        return [.. refunds.OrderBy(r => r.Refund.At)];
    }

    /// <summary>
    /// The history of the person's enrolment (the current one, or <paramref name="generation"/>): its change rows and
    /// its payments (each payment row is the entry of its posting), in time order.
    /// </summary>
    public async Task<IReadOnlyList<EnrolmentChange>> GetHistoryAsync(string policy, ResidentId id, int? generation = null, CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var idNumber = id.ToString();
        generation ??= (await ReadAsync(policy, idNumber, cancellationToken).ConfigureAwait(false))?.Generation ?? 1;
        var history = new List<(EnrolmentChange Change, int Order)>();
        var current = await ReadAsync(policy, idNumber, cancellationToken).ConfigureAwait(false);
        var owner = current?.Generation == generation ? current
            : (await _enrolments.GetEntityIfExistsAsync<EnrolmentEntity>(LedgerKeys.Partition(policy, idNumber), LedgerKeys.ArchivedRow(idNumber, generation.Value), cancellationToken: cancellationToken).ConfigureAwait(false)) is { HasValue: true } archived ? archived.Value : null;
        if (owner is not null && TryToEntry(owner)?.Enrolment.Registration is { } registration)
        {
            history.Add((registration with { At = registration.At.ToOffset(ChinaClock.Offset) }, -1));
        }

        await foreach (var row in _enrolments.QueryAsync<ChangeEntity>(LedgerKeys.PersonRowsFilter(policy, idNumber, 'h'), 1000, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (row.Generation == generation && LedgerCodes.TryParseStatus(row.Status, out var status))
            {
                history.Add((new EnrolmentChange(row.At.ToOffset(ChinaClock.Offset), row.Actor, row.Cause, status, row.Detail), history.Count));
            }
        }

        await foreach (var row in _enrolments.QueryAsync<PaymentEntity>(LedgerKeys.PersonRowsFilter(policy, idNumber, 'p'), 1000, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (row.Generation == generation && LedgerCodes.TryParseStatus(row.StatusAfter, out var status))
            {
                history.Add((new EnrolmentChange(row.PostedAt.ToOffset(ChinaClock.Offset), row.Actor, "payment-posted", status, row.Detail), history.Count));
            }
        }

        return [.. history.OrderBy(h => h.Change.At).ThenBy(h => h.Order).Select(h => h.Change)];
    }

    /// <summary>
    /// Writes a refund into the person's book: a refund row beside the enrolment, whose paid, balance and overpayment
    /// are net of it from then on, and an entry in its history. Idempotent by case id. Null when there is no enrolment.
    /// The refund is dated by the ledger's clock (the business date, where one is set), as payments are.
    /// </summary>
    public async Task<LedgerEntry?> RecordRefundAsync(string policy, ResidentId id, RefundEntry refund, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(refund);
        refund = refund with { At = Now };
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var idNumber = id.ToString();
        for (var attempt = 1; ; attempt++)
        {
            var entity = await ReadAsync(policy, idNumber, cancellationToken).ConfigureAwait(false);
            if (entity is null)
            {
                return null;
            }

            var entry = ToEntry(entity);
            var written = await _enrolments.GetEntityIfExistsAsync<RefundEntity>(entity.PartitionKey, LedgerKeys.RefundRow(idNumber, refund.CaseId), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (written.HasValue)
            {
                return entry;
            }

            var next = entry.Enrolment.RecordRefund(refund, Today);
            var updated = ToEntity(next, entry.Person, entry.Request, entity.ChangeCount);
            List<TableTransactionAction> actions =
            [
                new(TableTransactionActionType.UpdateReplace, updated, entity.ETag),
                new(TableTransactionActionType.Add, new RefundEntity
                {
                    PartitionKey = entity.PartitionKey,
                    RowKey = LedgerKeys.RefundRow(idNumber, refund.CaseId),
                    Policy = policy,
                    IdNumber = idNumber,
                    Generation = next.Generation,
                    CaseId = refund.CaseId,
                    Amount = Money.Text(refund.Amount),
                    Subsidy = refund.Subsidy,
                    Reason = refund.Reason,
                    Channel = refund.Channel,
                    At = refund.At,
                    Actor = refund.Actor,
                }),
            ];
            actions.AddRange(ChangeRows(updated, next.Changes));
            try
            {
                await _enrolments.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
                _logger.LogInformation("Refund {Case} of {Amount} written to the book of {Id} under {Policy}", LogText.Of(refund.CaseId), refund.Amount, id.Masked, policy);
                return entry with { Enrolment = next };
            }
            catch (TableTransactionFailedException e) when (e.Status is StatusCodes.Status409Conflict or StatusCodes.Status412PreconditionFailed && attempt < MaxAttempts)
            {
                // Another writer changed the enrolment, or a second run of the case wrote the refund: read again.
                await Task.Delay(Backoff(attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Posts one payment. Idempotent by transaction id (a repeat answers <see cref="PostingOutcome.Duplicate"/> with
    /// the first posting); <c>no-assessment</c> when the person is not enrolled; a day the policy does not allow
    /// is rejected with the assessment's reason code; coverage start is re-assessed as of the payment day.
    /// </summary>
    public async Task<PostingResult> PostPaymentAsync(PaymentPosting posting, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(posting);
        if (Validate(posting) is { } invalid)
        {
            return PostingResult.Reject(invalid);
        }

        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        posting = await FollowReferenceAsync(posting, cancellationToken).ConfigureAwait(false);
        var claim = await ClaimAsync(posting, cancellationToken).ConfigureAwait(false);
        if (claim.Error is { } conflict)
        {
            return PostingResult.Reject(conflict);
        }

        var result = await PostClaimedAsync(posting, actor, cancellationToken).ConfigureAwait(false);
        if (IsUnenrolled(result) && await EnrolMobilisedAsync(posting, actor, cancellationToken).ConfigureAwait(false))
        {
            result = await PostClaimedAsync(posting, actor, cancellationToken).ConfigureAwait(false);
        }

        await SettleClaimAsync(posting, claim.Entity, result, cancellationToken).ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// A payment under a newborn's registration reference whose ID was attached since goes to the child's ID (where the
    /// enrolment and the claims of its earlier payments now are): a file sent again is then a duplicate, never lost.
    /// </summary>
    private async Task<PaymentPosting> FollowReferenceAsync(PaymentPosting posting, CancellationToken cancellationToken) =>
        posting.Id.IsNewbornReference && _catalog.TryGet(posting.Policy, out _)
            && await AttachedToAsync(posting.Policy, posting.Id, cancellationToken).ConfigureAwait(false) is { } child
            ? posting with { Id = child }
            : posting;

    /// <summary>The source of an enrolment made by a mobilised person's payment (luyang-2023 五(五)).</summary>
    public const string MobilisedPaymentSource = "mobilised-payment";

    private static bool IsUnenrolled(PostingResult? result) => result is { Outcome: PostingOutcome.Rejected, Error.Code: "no-assessment" };

    /// <summary>
    /// Where the policy says so (<see cref="Policy.MobilisedPaymentEnrols"/>, luyang-2023 五(五) “经动员自愿参保缴费的，个人完成缴费的同时
    /// 医保信息系统自动调整参保状态信息”), a payment from a person the mobilisation list names — a partly subsidised identity in
    /// force on the payment day and no enrolment — enrols them as the monthly run would (<see cref="Supplementary.SupplementaryDecision"/>),
    /// so that the payment posts. True when the person is enrolled now (by this or a concurrent call). Only when the
    /// policy allows the payment's day: otherwise nothing is enrolled and the payment stays refused.
    /// </summary>
    private async Task<bool> EnrolMobilisedAsync(PaymentPosting posting, string actor, CancellationToken cancellationToken)
    {
        if (!_catalog.TryGet(posting.Policy, out var policy) || !policy.MobilisedPaymentEnrols)
        {
            return false;
        }

        var spells = (await _identities.ForPersonAsync(posting.Id, cancellationToken).ConfigureAwait(false)).Where(s => s.Policy == policy.Code).ToList();
        if (spells.Count == 0)
        {
            return false;
        }

        var mobilised = Supplementary.SupplementaryDecision.Decide(policy, _catalog, posting.PaidOn, spells, null);
        if (mobilised.Outcome != Supplementary.SupplementaryOutcome.Mobilised || mobilised.Request is not { } request
            || !AssessmentEngine.Assess(policy, request with { Date = posting.PaidOn }, Today).Eligible)
        {
            return false;
        }

        var spell = mobilised.Spell;
        var person = new PersonDetails(spell.Name, null, null, string.IsNullOrWhiteSpace(spell.Town) ? null : spell.Town);
        var result = await EnrolAsync(new EnrolmentApplication(policy, request, person, MobilisedPaymentSource, IdentitiesFromBook: true), actor, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (result.Error is { Code: not "already-enrolled" } error)
        {
            _logger.LogWarning("Payment {Transaction}: mobilised {Id} could not be enrolled under {Policy}: {Code}", LogText.Of(posting.TransactionId), posting.Id.Masked, policy.Code, error.Code);
            return false;
        }

        return true;
    }

    /// <summary>
    /// Posts many payments (a tax return chunk): claims in parallel, then one entity-group transaction per
    /// partition of up to 100 rows; a transaction that loses a race falls back to <see cref="PostPaymentAsync"/>
    /// per payment. Results come back in the order given.
    /// </summary>
    public async Task<IReadOnlyList<PostingResult>> PostPaymentsAsync(IReadOnlyList<PaymentPosting> postings, string actor, int parallelism = 16, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(postings);
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        if (postings.Any(p => p.Id.IsNewbornReference))
        {
            var followed = new PaymentPosting[postings.Count];
            for (var i = 0; i < postings.Count; i++)
            {
                followed[i] = await FollowReferenceAsync(postings[i], cancellationToken).ConfigureAwait(false);
            }

            postings = followed;
        }

        var results = new PostingResult?[postings.Count];
        var claims = new TransactionClaimEntity?[postings.Count];
        var options = new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken };

        var valid = new List<int>(postings.Count);
        for (var i = 0; i < postings.Count; i++)
        {
            if (Validate(postings[i]) is { } invalid)
            {
                results[i] = PostingResult.Reject(invalid);
            }
            else
            {
                valid.Add(i);
            }
        }

        await ClaimManyAsync(postings, valid, results, claims, options).ConfigureAwait(false);
        var repeated = claims.Select(IsRepeat).ToArray();

        // The same transaction twice in one chunk: the later rows wait for the first and come out duplicates.
        var firstByTransaction = new Dictionary<string, int>(StringComparer.Ordinal);
        var repeats = new List<int>();
        var byPartition = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < postings.Count; i++)
        {
            if (results[i] is not null)
            {
                continue;
            }

            if (!firstByTransaction.TryAdd(postings[i].TransactionId, i))
            {
                repeats.Add(i);
                continue;
            }

            var partition = LedgerKeys.Partition(postings[i].Policy, postings[i].Id.ToString());
            if (!byPartition.TryGetValue(partition, out var list))
            {
                byPartition[partition] = list = [];
            }

            list.Add(i);
        }

        await Parallel.ForEachAsync(byPartition.Values, options, async (indexes, ct) =>
            await PostPartitionAsync(postings, indexes, results, repeated, actor, ct).ConfigureAwait(false)).ConfigureAwait(false);

        foreach (var i in repeats)
        {
            results[i] = await PostClaimedAsync(postings[i], actor, cancellationToken).ConfigureAwait(false);
        }

        // A mobilised person's payment enrols them where the policy says so; then it posts as any other (once: the claim holds).
        await Parallel.ForEachAsync(Enumerable.Range(0, postings.Count), options, async (i, ct) =>
        {
            if (claims[i] is not null && IsUnenrolled(results[i]) && await EnrolMobilisedAsync(postings[i], actor, ct).ConfigureAwait(false))
            {
                results[i] = await PostClaimedAsync(postings[i], actor, ct).ConfigureAwait(false);
            }
        }).ConfigureAwait(false);

        await Parallel.ForEachAsync(Enumerable.Range(0, postings.Count), options, async (i, ct) =>
        {
            if (claims[i] is { } claim)
            {
                await SettleClaimAsync(postings[i], claim, results[i]!, ct).ConfigureAwait(false);
            }
        }).ConfigureAwait(false);

        return results!;
    }

    /// <summary>Where a newborn's registration reference went: the child's ID number once attached, else null.</summary>
    public async Task<ResidentId?> AttachedToAsync(string policy, ResidentId reference, CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var key = reference.ToString();
        var marker = await _enrolments.GetEntityIfExistsAsync<AttachedReferenceEntity>(LedgerKeys.Partition(policy, key), LedgerKeys.AttachedRow(key), cancellationToken: cancellationToken).ConfigureAwait(false);
        return marker.HasValue && ResidentId.TryParse(marker.Value!.AttachedTo, out var child) ? child : null;
    }

    /// <summary>
    /// Attaches a child's ID number to its registration before birth (<paramref name="reference"/>): the enrolment keeps its
    /// assessment, payments, refunds and history, now under <paramref name="child"/>, with cover from the actual birth; the
    /// reference keeps pointing at it. Refused: an ID enrolled under the policy already (409 <c>already-enrolled</c>, or
    /// elsewhere: the one-insurance check), a birth date that does not fit the registration (422), a reference attached to
    /// another ID (409 <c>reference-attached</c>). The same ID again answers the enrolment as it is.
    /// The rows move partition (the key is the ID's): they are copied first, then the reference's rows give way to
    /// a marker; a run cut short in between is finished by the next attach of the same ID.
    /// </summary>
    public async Task<AttachResult> AttachIdAsync(Policy policy, ResidentId reference, ResidentId child, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var (refKey, idNumber) = (reference.ToString(), child.ToString());
        if (!reference.IsNewbornReference || child.IsNewbornReference || !child.EncodesBirthDate)
        {
            return new AttachResult(null, new RequestError(StatusCodes.Status400BadRequest, ResidentId.ErrorCode, "Invalid resident ID number.",
                "idNumber: the child's resident ID number (18 characters, with its birth date), attached to a registration reference NB-….", "idNumber"));
        }

        for (var attempt = 1; ; attempt++)
        {
            var source = await ReadAsync(policy.Code, refKey, cancellationToken).ConfigureAwait(false);
            var target = await ReadAsync(policy.Code, idNumber, cancellationToken).ConfigureAwait(false);
            var targetEntry = target is null ? null : TryToEntry(target);
            var ours = targetEntry?.Request.Newborn?.RegistrationReference == refKey;
            if (source is null)
            {
                var attached = await AttachedToAsync(policy.Code, reference, cancellationToken).ConfigureAwait(false);
                if (attached is null && !ours)
                {
                    return new AttachResult(null, new RequestError(StatusCodes.Status404NotFound, "not-enrolled", "Not enrolled.", $"{refKey} is no registration under {policy.Code}.", "reference"));
                }

                if ((attached ?? child) != child)
                {
                    return new AttachResult(null, ReferenceAttached(refKey, attached!.Value));
                }

                await RemoveReferenceRowsAsync(policy.Code, refKey, cancellationToken).ConfigureAwait(false);
                return new AttachResult(targetEntry, targetEntry is null ? Unreadable(idNumber) : null, Repeated: true);
            }

            if (TryToEntry(source) is not { } entry)
            {
                return new AttachResult(null, Unreadable(refKey));
            }

            if (target is not null && !ours)
            {
                return new AttachResult(null, targetEntry is null ? Unreadable(idNumber) : AlreadyEnrolled(targetEntry.Enrolment));
            }

            if (!ours)
            {
                if (await _people.RefusalAsync(policy, child, cancellationToken).ConfigureAwait(false) is { } refusal)
                {
                    return new AttachResult(null, refusal); // the child enrolled under another policy for the year
                }

                if (Decline(policy, entry, child) is { } declined)
                {
                    return new AttachResult(null, declined);
                }
            }

            // Copied from the reference's rows as they are now: a retry after a payment reached the reference in between
            // copies again and replaces what the earlier attempt wrote under the ID.
            var (next, body) = Attached(policy, entry, child, actor);
            try
            {
                await CopyPersonRowsAsync(policy.Code, refKey, idNumber, cancellationToken).ConfigureAwait(false);
                var updated = ToEntity(next, entry.Person, body, source.ChangeCount);
                var write = ours ? TableTransactionActionType.UpsertReplace : TableTransactionActionType.Add;
                List<TableTransactionAction> actions = [new(write, updated)];
                actions.AddRange(ChangeRows(updated, next.Changes).Select(a => new TableTransactionAction(write, a.Entity)));
                await _enrolments.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
                targetEntry = entry with { Enrolment = next, Request = body };
            }
            catch (TableTransactionFailedException e) when (e.Status is StatusCodes.Status409Conflict && attempt < MaxAttempts)
            {
                // Another attach (or enrolment) of this ID came first: read again and see whose it is.
                await Task.Delay(Backoff(attempt), cancellationToken).ConfigureAwait(false);
                continue;
            }

            // The enrolment stands under the ID: the reference's enrolment row becomes the marker, its other rows go.
            try
            {
                await _enrolments.SubmitTransactionAsync(
                [
                    new TableTransactionAction(TableTransactionActionType.Delete, source, source.ETag),
                    new TableTransactionAction(TableTransactionActionType.UpsertReplace, new AttachedReferenceEntity
                    {
                        PartitionKey = source.PartitionKey,
                        RowKey = LedgerKeys.AttachedRow(refKey),
                        Policy = policy.Code,
                        AttachedTo = idNumber,
                        At = Now,
                        Actor = actor,
                    }),
                ], cancellationToken).ConfigureAwait(false);
            }
            catch (TableTransactionFailedException e) when (e.Status is StatusCodes.Status404NotFound or StatusCodes.Status412PreconditionFailed && attempt < MaxAttempts)
            {
                await Task.Delay(Backoff(attempt), cancellationToken).ConfigureAwait(false);
                continue;
            }

            await RemoveReferenceRowsAsync(policy.Code, refKey, cancellationToken).ConfigureAwait(false);
            _logger.LogInformation("Newborn registration {Reference} under {Policy} now under {Id}", refKey, policy.Code, child.Masked);
            return new AttachResult(targetEntry, null);
        }
    }

    /// <summary>Why the child's birth does not fit the registration, or null: the dates, then the assessment with the actual birth.</summary>
    private RequestError? Decline(Policy policy, LedgerEntry entry, ResidentId child)
    {
        var facts = entry.Request.Newborn;
        var registeredOn = entry.Enrolment.EnrolledOn;
        if (!DateOnly.TryParseExact(facts?.ExpectedBirthDate, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var expected))
        {
            return Unreadable(entry.IdNumber);
        }

        var born = child.BirthDate;
        if (born > Today)
        {
            return new RequestError(StatusCodes.Status400BadRequest, ResidentId.ErrorCode, "Invalid resident ID number.",
                $"idNumber: the birth date {Problems.Date(born)} in the number is after today ({Problems.Date(Today)}).", "idNumber");
        }

        var check = NewbornRegistration.CheckBirth(expected, registeredOn, born);
        if (check != NewbornRegistrationError.None)
        {
            return new RequestError(StatusCodes.Status422UnprocessableEntity, NewbornRegistration.Code(check), "The ID number does not fit the registration before birth.",
                $"Born {Problems.Date(born)}; registered {Problems.Date(registeredOn)} expecting {Problems.Date(expected)} (from {NewbornRegistration.EarliestDaysBeforeExpected} days before to {NewbornRegistration.LatestDaysAfterExpected} days after, and after the registration).", "idNumber")
            {
                Extensions = new Dictionary<string, object?>
                {
                    ["detailZh"] = NewbornRegistration.Message(check, expected, registeredOn, born),
                    ["expectedBirthDate"] = Problems.Date(expected),
                    ["registeredOn"] = Problems.Date(registeredOn),
                },
            };
        }

        // The enrolment keeps its assessment: an actual birth that changes the amount (born in another year than the
        // rule's) is no longer the registration that was assessed.
        var assessment = Reassess(policy, entry, born);
        if (!assessment.Eligible || !assessment.NewbornRuleApplied || assessment.Payable != entry.Enrolment.Terms.Payable || assessment.StandardContribution != entry.Enrolment.Terms.StandardContribution)
        {
            return new RequestError(StatusCodes.Status422UnprocessableEntity, "newborn-assessment-changed", "The actual birth changes the assessment.",
                $"Born {Problems.Date(born)}, the child would be assessed differently from the registration of {Problems.Date(registeredOn)} (payable {entry.Enrolment.Terms.Payable:0.00}); cancel the registration and enrol the child with its ID number.", "idNumber");
        }

        return null;
    }

    private (Enrolment Next, AssessmentRequestBody Body) Attached(Policy policy, LedgerEntry entry, ResidentId child, string actor)
    {
        var assessment = Reassess(policy, entry, child.BirthDate);
        var reference = entry.IdNumber;
        var next = entry.Enrolment.AttachId(child.ToString(), assessment.CoverageStart!.Value, Today, Now, actor,
            $"registered before birth as {reference}; born {Problems.Date(child.BirthDate)}; cover from {Problems.Date(assessment.CoverageStart.Value)}");
        return (next, entry.Request with { IdNumber = child.ToString(), IdType = null, Nationality = null, BirthDate = null });
    }

    /// <summary>The registration as assessed on its day, with the actual birth date in place of the expected one.</summary>
    private Assessment Reassess(Policy policy, LedgerEntry entry, DateOnly born)
    {
        if (!AssessmentRequestParser.TryParse(entry.Request, _catalog, Today, out _, out var request, out _))
        {
            return default;
        }

        return AssessmentEngine.Assess(policy, request with { Id = null, BirthDate = born }, Today);
    }

    private static RequestError ReferenceAttached(string reference, ResidentId other) =>
        new(StatusCodes.Status409Conflict, "reference-attached", "The registration has another ID number.",
            $"{reference} was attached to {other.Masked}; an attached registration is not moved again.", "idNumber");

    /// <summary>Copies a person's payment, change, refund and archived rows to another key (idempotent: upserts).</summary>
    private async Task CopyPersonRowsAsync(string policy, string fromKey, string toKey, CancellationToken cancellationToken)
    {
        var partition = LedgerKeys.Partition(policy, toKey);
        var copies = new List<TableTransactionAction>();
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
                    // The transaction's claim follows the payment, so a repeat of it under the child's ID is a duplicate.
                    await _transactions.UpsertEntityAsync(new TableEntity(LedgerKeys.ClaimPartition(transaction), transaction) { ["IdNumber"] = toKey }, TableUpdateMode.Merge, cancellationToken).ConfigureAwait(false);
                }
            }
        }

        foreach (var batch in copies.Chunk(TransactionLimit))
        {
            await _enrolments.SubmitTransactionAsync(batch, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Deletes a moved reference's payment, change, refund and archived rows (the enrolment row is the marker's).</summary>
    private async Task RemoveReferenceRowsAsync(string policy, string reference, CancellationToken cancellationToken)
    {
        var deletes = new List<TableTransactionAction>();
        foreach (var kind in "phrx")
        {
            await foreach (var row in _enrolments.QueryAsync<TableEntity>(LedgerKeys.PersonRowsFilter(policy, reference, kind), 1000, select: ["PartitionKey", "RowKey"], cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                deletes.Add(new TableTransactionAction(TableTransactionActionType.Delete, row, ETag.All));
            }
        }

        foreach (var batch in deletes.Chunk(TransactionLimit))
        {
            await _enrolments.SubmitTransactionAsync(batch, cancellationToken).ConfigureAwait(false);
        }

    }

    /// <summary>Cancels an enrolment (refunded or removed) with the reason; null when there is no enrolment.</summary>
    public async Task<LedgerEntry?> CancelAsync(string policy, ResidentId id, string reason, string actor, CancellationToken cancellationToken = default) =>
        await UpdateAsync(policy, id.ToString(), enrolment => enrolment.Cancel(reason, Now, actor), cancellationToken).ConfigureAwait(false);

    /// <summary>Whether the person is marked in employee insurance (see <see cref="MarkEmployeeInsuranceAsync"/>).</summary>
    public async Task<bool> InEmployeeInsuranceAsync(ResidentId id, CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var idNumber = id.ToString();
        var mark = await _employeeInsurance.GetEntityIfExistsAsync<EmployeeInsuranceEntity>(LedgerKeys.Bucket(idNumber).ToString("D2", System.Globalization.CultureInfo.InvariantCulture), idNumber, cancellationToken: cancellationToken).ConfigureAwait(false);
        return mark.HasValue;
    }

    /// <summary>Marks a person as in employee insurance: later enrolments under any policy are refused.</summary>
    public async Task MarkEmployeeInsuranceAsync(ResidentId id, DateOnly since, string source, string actor, CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var idNumber = id.ToString();
        await _employeeInsurance.UpsertEntityAsync(new EmployeeInsuranceEntity
        {
            PartitionKey = LedgerKeys.Bucket(idNumber).ToString("D2", System.Globalization.CultureInfo.InvariantCulture),
            RowKey = idNumber,
            Since = Problems.Date(since),
            Source = source,
            Actor = actor,
        }, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Moves paid and active enrolments with the calendar (paid → active on coverage start, → expired after
    /// coverage end) as of <paramref name="today"/>; every policy when <paramref name="policy"/> is null. Each
    /// change is an entry in the enrolment's history with <paramref name="actor"/> (the run that made it).
    /// Streams: one policy range scan, filtered on status server-side, with at most
    /// <see cref="AdvanceParallelism"/> updates in flight; a policy's enrolments are never held whole.
    /// </summary>
    public async Task<AdvanceSummary> AdvanceAsync(DateOnly today, string actor, string? policy = null, CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var codes = policy is null ? _catalog.Policies.Select(p => p.Code).ToArray() : [policy];
        var counts = new AdvanceCounts();
        var options = new ParallelOptions { MaxDegreeOfParallelism = AdvanceParallelism, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(ChangesDueAsync(codes, today, counts, cancellationToken), options, async (entity, ct) =>
        {
            var cause = entity.Next == EnrolmentStatus.Active ? "coverage-started" : "coverage-ended";
            var updated = await UpdateAsync(entity.Row.Policy, entity.Row.IdNumber, e => e.AdvanceTo(today, Now, actor, cause), ct, entity.Row).ConfigureAwait(false);
            if (updated?.Enrolment.Status == EnrolmentStatus.Active)
            {
                Interlocked.Increment(ref counts.Activated);
            }
            else if (updated?.Enrolment.Status == EnrolmentStatus.Expired)
            {
                Interlocked.Increment(ref counts.Expired);
            }
        }).ConfigureAwait(false);

        return new AdvanceSummary(counts.Examined, counts.Activated, counts.Expired);
    }

    /// <summary>Updates in flight during <see cref="AdvanceAsync"/>: enough to hide round trips, few enough for one partition's write rate.</summary>
    public const int AdvanceParallelism = 16;

    private sealed class AdvanceCounts
    {
        public int Examined;
        public int Activated;
        public int Expired;
    }

    /// <summary>The paid and active enrolments whose status the calendar changes on <paramref name="today"/>.</summary>
    private async IAsyncEnumerable<(EnrolmentEntity Row, EnrolmentStatus Next)> ChangesDueAsync(
        IReadOnlyList<string> policies, DateOnly today, AdvanceCounts counts, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var code in policies)
        {
            var filter = $"{LedgerKeys.PolicyFilter(code)} and ({LedgerKeys.EnrolmentRowsFilter}) and (Status eq 'paid' or Status eq 'active')";
            await foreach (var entity in _enrolments.QueryAsync<EnrolmentEntity>(filter, 1000, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                // Only this enumerator counts, and Parallel.ForEachAsync pulls it one item at a time.
                counts.Examined++;
                var current = EnrolmentState.Deserialize(entity);
                var next = current.StatusOn(today);
                if (next != current.Status)
                {
                    yield return (entity, next);
                }
            }
        }
    }

    /// <summary>One page of a policy's enrolments, filtered; pass <see cref="LedgerPage.Continuation"/> back for the next.</summary>
    public async Task<LedgerPage> ListAsync(ListQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var filter = $"{LedgerKeys.PolicyFilter(query.Policy)} and {LedgerKeys.EnrolmentRowsFilter}";
        if (query.Status is { } status)
        {
            filter += " and " + TableClient.CreateQueryFilter($"Status eq {LedgerCodes.Status(status)}");
        }

        if (!string.IsNullOrEmpty(query.Town))
        {
            filter += " and " + TableClient.CreateQueryFilter($"Town eq {query.Town}");
        }

        if (!string.IsNullOrEmpty(query.Source))
        {
            filter += " and " + TableClient.CreateQueryFilter($"Source eq {query.Source}");
        }

        var size = Math.Clamp(query.PageSize, 1, 1000);
        var items = new List<LedgerEntry>(size);
        var continuation = query.Continuation;

        // A filtered page may come back empty with a continuation (the scan moved on): read until one has rows.
        await foreach (var page in _enrolments.QueryAsync<EnrolmentEntity>(filter, size, cancellationToken: cancellationToken)
            .AsPages(continuation, size).ConfigureAwait(false))
        {
            items.AddRange(page.Values.Select(ToEntry));
            continuation = page.ContinuationToken;
            if (items.Count > 0 || continuation is null)
            {
                break;
            }
        }

        return new LedgerPage(items, continuation);
    }

    /// <summary>Every enrolment of a policy (reports, rosters, mobilisation lists).</summary>
    public async IAsyncEnumerable<LedgerEntry> ScanAsync(string policy, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var entity in _enrolments.QueryAsync<EnrolmentEntity>($"{LedgerKeys.PolicyFilter(policy)} and {LedgerKeys.EnrolmentRowsFilter}", 1000, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return ToEntry(entity);
        }
    }

    /// <summary>Every posted payment of a policy (every person, every enrolment of theirs), with the ID number; streamed.</summary>
    public async IAsyncEnumerable<(string IdNumber, int Generation, PostedPayment Payment)> ScanPaymentsAsync(string policy, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var row in _enrolments.QueryAsync<PaymentEntity>($"{LedgerKeys.PolicyFilter(policy)} and ({LedgerKeys.PaymentRowsFilter})", 1000, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return (row.IdNumber, row.Generation, ToPayment(row));
        }
    }

    /// <summary>
    /// The government's payments of people's shares under a policy (缴费类型 资助代缴, the assistance fund), per person: what
    /// the settlements of the supplementary run are matched with. One query, filtered by storage.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, (decimal Amount, DateOnly LastPaidOn)>> GovernmentPaymentsAsync(string policy, CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var paid = new Dictionary<string, (decimal Amount, DateOnly LastPaidOn)>(StringComparer.Ordinal);
        var filter = $"{LedgerKeys.PolicyFilter(policy)} and ({LedgerKeys.PaymentRowsFilter}) and Payer eq '{LedgerCodes.Payer(PaymentPayer.Government)}'";
        await foreach (var row in _enrolments.QueryAsync<PaymentEntity>(filter, 1000, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var payment = ToPayment(row);
            var (amount, last) = paid.GetValueOrDefault(row.IdNumber);
            paid[row.IdNumber] = (amount + payment.Amount, last > payment.PaidOn ? last : payment.PaidOn);
        }

        return paid;
    }

    /// <summary>Every refund written to the books of a policy, with the ID number; streamed.</summary>
    public async IAsyncEnumerable<(string IdNumber, int Generation, RefundEntry Refund)> ScanRefundsAsync(string policy, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var row in _enrolments.QueryAsync<RefundEntity>($"{LedgerKeys.PolicyFilter(policy)} and ({LedgerKeys.RefundRowsFilter})", 1000, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            yield return (row.IdNumber, row.Generation, new RefundEntry(row.CaseId, Money.Parse(row.Amount), row.Subsidy, row.Reason, row.Channel, row.At, row.Actor));
        }
    }

    /// <summary>Postings that stand rejected for a policy (their claims keep the reason).</summary>
    public async IAsyncEnumerable<UnmatchedPayment> ScanUnmatchedAsync(string policy, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter($"Policy eq {policy}") + " and Rejection ne ''";
        await foreach (var claim in _transactions.QueryAsync<TransactionClaimEntity>(filter, 1000, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (string.IsNullOrEmpty(claim.Rejection))
            {
                continue;
            }

            yield return new UnmatchedPayment(claim.RowKey, claim.IdNumber, Money.Parse(claim.Amount), DateOnly.ParseExact(claim.PaidOn, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                claim.Channel, claim.InTreasury, claim.Rejection);
        }
    }

    /// <summary>Creates the tables once; a failed attempt (storage down) is tried again by the next call.</summary>
    private Task EnsureTablesAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_created is null || _created.IsFaulted || _created.IsCanceled)
            {
                _created = Task.WhenAll(
                    _enrolments.CreateIfNotExistsAsync(CancellationToken.None),
                    _transactions.CreateIfNotExistsAsync(CancellationToken.None),
                    _employeeInsurance.CreateIfNotExistsAsync(CancellationToken.None));
            }

            return _created.WaitAsync(cancellationToken);
        }
    }

    private RequestError? Validate(PaymentPosting posting)
    {
        if (!_catalog.TryGet(posting.Policy, out _))
        {
            return AssessmentRequestParser.UnknownPolicy(posting.Policy);
        }

        if (posting.Id.IsEmpty)
        {
            return new RequestError(StatusCodes.Status400BadRequest, ResidentId.ErrorCode, "Invalid resident ID number.", "idNumber: empty.", "idNumber");
        }

        if (posting.Amount <= 0 || posting.Amount != decimal.Round(posting.Amount, 2))
        {
            return new RequestError(StatusCodes.Status400BadRequest, "invalid-amount", "Invalid amount.",
                $"amount: {posting.Amount} must be positive yuan with at most two decimals.", "amount");
        }

        if (posting.Amount > LedgerCodes.LargestPayment)
        {
            return new RequestError(StatusCodes.Status400BadRequest, "amount-over-limit", "Amount over the limit.",
                $"amount: {posting.Amount} is over the limit of {LedgerCodes.LargestPayment:0} yuan for one payment.", "amount")
            {
                Extensions = new Dictionary<string, object?> { ["limit"] = LedgerCodes.LargestPayment },
            };
        }

        if (posting.PaidOn > Today)
        {
            return new RequestError(StatusCodes.Status400BadRequest, "paid-on-in-future", "The payment day is after today.",
                $"paidOn: {Problems.Date(posting.PaidOn)} is after today ({Problems.Date(Today)}) in China.", "paidOn");
        }

        return LedgerKeys.IsValidTransactionId(posting.TransactionId)
            ? null
            : new RequestError(StatusCodes.Status400BadRequest, "invalid-transaction-id", "Invalid transaction id.",
                "transactionId: 1–100 characters, no / \\ # ? | or control characters, no surrounding spaces.", "transactionId");
    }

    private static RequestError NotEligible(IneligibilityReasons reasons, string what)
    {
        var codes = reasons.Codes();
        return new RequestError(StatusCodes.Status422UnprocessableEntity, codes[0], $"The policy does not allow this {what}.",
            $"Not eligible: {string.Join(", ", codes)} ({string.Join("；", reasons.Labels())}).")
        {
            Extensions = new Dictionary<string, object?> { ["reasons"] = codes },
        };
    }

    private async Task<(TransactionClaimEntity? Entity, RequestError? Error)> ClaimAsync(PaymentPosting posting, CancellationToken cancellationToken)
    {
        var claim = NewClaim(posting);
        try
        {
            var response = await _transactions.AddEntityAsync(claim, cancellationToken).ConfigureAwait(false);
            claim.ETag = response.Headers.ETag ?? ETag.All;
            return (claim, null);
        }
        catch (RequestFailedException e) when (e.Status == StatusCodes.Status409Conflict)
        {
            var existing = (await _transactions.GetEntityAsync<TransactionClaimEntity>(claim.PartitionKey, claim.RowKey, cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
            return MatchExisting(posting, claim, existing);
        }
    }

    /// <summary>
    /// Claims a chunk's transaction ids with few round trips: existing claims are read with OR-filtered
    /// queries per claim partition, new ones inserted in batches of up to 100; a batch that loses a race
    /// with another host falls back to claiming its rows one by one.
    /// </summary>
    private async Task ClaimManyAsync(IReadOnlyList<PaymentPosting> postings, List<int> indexes, PostingResult?[] results, TransactionClaimEntity?[] claims, ParallelOptions options)
    {
        var byPartition = indexes.GroupBy(i => LedgerKeys.ClaimPartition(postings[i].TransactionId)).ToList();
        await Parallel.ForEachAsync(byPartition, options, async (group, ct) =>
        {
            var transactionIds = group.Select(i => postings[i].TransactionId).Distinct(StringComparer.Ordinal).ToList();
            var existing = new Dictionary<string, TransactionClaimEntity>(StringComparer.Ordinal);
            foreach (var ids in transactionIds.Chunk(ReadBatchSize))
            {
                var rows = string.Join(" or ", ids.Select(id => TableClient.CreateQueryFilter($"RowKey eq {id}")));
                var filter = TableClient.CreateQueryFilter($"PartitionKey eq {group.Key}") + $" and ({rows})";
                await foreach (var found in _transactions.QueryAsync<TransactionClaimEntity>(filter, cancellationToken: ct).ConfigureAwait(false))
                {
                    existing[found.RowKey] = found;
                }
            }

            var fresh = new List<(int Index, TransactionClaimEntity Claim)>();
            foreach (var i in group)
            {
                var claim = NewClaim(postings[i]);
                if (existing.TryGetValue(claim.RowKey, out var known))
                {
                    (claims[i], var conflict) = MatchExisting(postings[i], claim, known);
                    results[i] = conflict is null ? null : PostingResult.Reject(conflict);
                    continue;
                }

                // Known from here on: a later row of this chunk with the same id shares this claim or conflicts with it.
                existing[claim.RowKey] = claim;
                claims[i] = claim;
                fresh.Add((i, claim));
            }

            foreach (var batch in fresh.Chunk(TransactionLimit))
            {
                try
                {
                    await _transactions.SubmitTransactionAsync(batch.Select(b => new TableTransactionAction(TableTransactionActionType.Add, b.Claim)), ct).ConfigureAwait(false);
                }
                catch (TableTransactionFailedException)
                {
                    foreach (var (index, _) in batch)
                    {
                        var claim = await ClaimAsync(postings[index], ct).ConfigureAwait(false);
                        claims[index] = claim.Entity;
                        results[index] = claim.Error is { } conflict ? PostingResult.Reject(conflict) : null;
                    }
                }
            }
        }).ConfigureAwait(false);
    }

    private static (TransactionClaimEntity? Entity, RequestError? Error) MatchExisting(PaymentPosting posting, TransactionClaimEntity claim, TransactionClaimEntity existing)
    {
        if (existing.Policy != claim.Policy || existing.IdNumber != claim.IdNumber || existing.Amount != claim.Amount)
        {
            return (null, new RequestError(StatusCodes.Status409Conflict, "transaction-id-conflict", "The transaction id was used for another payment.",
                $"transactionId {posting.TransactionId} was claimed for {ResidentId.Parse(existing.IdNumber).Masked} under {existing.Policy}, {existing.Amount} yuan.", "transactionId"));
        }

        // Same payment: a repeat, or a claim left by a crash before posting. Posting is idempotent.
        return (existing, null);
    }

    private TransactionClaimEntity NewClaim(PaymentPosting posting) => new()
    {
        PartitionKey = LedgerKeys.ClaimPartition(posting.TransactionId),
        RowKey = posting.TransactionId,
        Policy = posting.Policy,
        IdNumber = posting.Id.ToString(),
        Amount = Money.Text(posting.Amount),
        PaidOn = Problems.Date(posting.PaidOn),
        Channel = Glossary.PaymentChannels.Code(posting.Channel),
        InTreasury = posting.InTreasury,
        ClaimedAt = Now,
    };

    /// <summary>Records the claim's outcome: a rejection reason (for reconciliation), or clears one once posted.</summary>
    private async Task SettleClaimAsync(PaymentPosting posting, TransactionClaimEntity? claim, PostingResult result, CancellationToken cancellationToken)
    {
        if (claim is null)
        {
            return;
        }

        var rejection = result.Outcome == PostingOutcome.Rejected ? result.Error?.Code : null;
        if (string.Equals(claim.Rejection ?? "", rejection ?? "", StringComparison.Ordinal))
        {
            return;
        }

        claim.Rejection = rejection ?? "";
        try
        {
            await _transactions.UpdateEntityAsync(claim, ETag.All, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e)
        {
            // The payment itself stands; only the unmatched-payment list would miss this one until the next try.
            _logger.LogWarning(e, "Could not record the outcome of transaction {Transaction} for {Id}", LogText.Of(posting.TransactionId), posting.Id.Masked);
        }
    }

    /// <summary>A claim read back from the table (it has a server timestamp) was made by an earlier attempt: the payment may be posted already.</summary>
    private static bool IsRepeat(TransactionClaimEntity? claim) => claim?.Timestamp is not null;

    /// <summary>The posting after the claim: read, decide in the domain, write payment + enrolment in one transaction; retry on a lost race.</summary>
    private async Task<PostingResult> PostClaimedAsync(PaymentPosting posting, string actor, CancellationToken cancellationToken)
    {
        var idNumber = posting.Id.ToString();
        for (var attempt = 1; ; attempt++)
        {
            var read = ReadAsync(posting.Policy, idNumber, cancellationToken);
            var posted = ReadPaymentAsync(posting.Policy, idNumber, posting.TransactionId, cancellationToken);
            var entity = await read.ConfigureAwait(false);
            var decision = Decide(posting, entity, await posted.ConfigureAwait(false), actor);
            if (decision.Result is { } decided)
            {
                return await MarkInTreasuryAsync(decision, posting, actor, cancellationToken).ConfigureAwait(false);
            }

            try
            {
                await _enrolments.SubmitTransactionAsync(
                    [new TableTransactionAction(TableTransactionActionType.Add, decision.Payment!), new TableTransactionAction(TableTransactionActionType.UpdateReplace, decision.Updated!, entity!.ETag)],
                    cancellationToken).ConfigureAwait(false);
                return Posted(decision);
            }
            catch (RequestFailedException e) when (e.Status is StatusCodes.Status409Conflict or StatusCodes.Status412PreconditionFailed && attempt < MaxAttempts)
            {
                // Another writer changed the enrolment (or posted this very payment): read again.
                await Task.Delay(Backoff(attempt), cancellationToken).ConfigureAwait(false);
            }
            catch (RequestFailedException e) when (e.Status is >= 400 and < 500 and not (StatusCodes.Status409Conflict or StatusCodes.Status412PreconditionFailed))
            {
                // Storage refused this person's write: this payment is rejected with a code, no other is held up.
                _logger.LogError(e, "Storage refused posting {Transaction} for {Id}", LogText.Of(posting.TransactionId), posting.Id.Masked);
                return PostingResult.Reject(WriteRefused(e.Status));
            }
        }
    }

    /// <summary>
    /// A posting already on file that this one reports in the treasury (是否入库 = 是), while the book still has it
    /// outside: the payment moves into the treasury (the cash a community collected and later remitted).
    /// </summary>
    private async Task<PostingResult> MarkInTreasuryAsync(Decision decision, PaymentPosting posting, string actor, CancellationToken cancellationToken)
    {
        var result = decision.Result!;
        if (result.Outcome != PostingOutcome.Duplicate || !posting.InTreasury || decision.Existing is not { InTreasury: false } existing)
        {
            return result;
        }

        existing.InTreasury = true;
        existing.InTreasuryOn = Problems.Date(Today);
        existing.InTreasuryBy = actor;
        try
        {
            await _enrolments.UpdateEntityAsync(existing, existing.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == StatusCodes.Status412PreconditionFailed)
        {
            // Marked by another writer (a remittance) at the same moment: the payment is in the treasury either way.
        }

        return result with { Payment = ToPayment(existing), MarkedInTreasury = true };
    }

    private static RequestError WriteRefused(int status) =>
        new(StatusCodes.Status422UnprocessableEntity, "ledger-write-refused", "Storage refused the ledger write.",
            $"Azure Tables answered {status} for this person's ledger rows; the payment is not posted (other payments are not affected). Staff: check the enrolment.", "idNumber");

    private static RequestError Unreadable(string idNumber) =>
        new(StatusCodes.Status422UnprocessableEntity, "ledger-record-unreadable", "The person's ledger record cannot be read.",
            $"The enrolment row of {(ResidentId.TryParse(idNumber, out var masked) ? masked.Masked : "?")} cannot be read; the payment is not posted (other payments are not affected). Staff: check the enrolment.", "idNumber");

    // Keeps an OR-filtered query's URL short (each clause ~40 characters).
    private const int ReadBatchSize = 40;

    private async Task PostPartitionAsync(IReadOnlyList<PaymentPosting> postings, List<int> indexes, PostingResult?[] results, bool[] repeats, string actor, CancellationToken cancellationToken)
    {
        // Read each person once, then apply their payments in file order. Payments that may be on file already
        // (their claim is from an earlier attempt) are read too: a repeat is a duplicate, never a second posting.
        // A re-dropped file is all repeats: its payments are found on file and their people need not be read.
        var policy = postings[indexes[0]].Policy;
        var onFile = await ReadPaymentsAsync(policy, [.. indexes.Where(i => repeats[i]).Select(i => (postings[i].Id.ToString(), postings[i].TransactionId))], cancellationToken).ConfigureAwait(false);
        var people = indexes.Where(i => !onFile.ContainsKey(postings[i].TransactionId)).Select(i => postings[i].Id.ToString()).Distinct(StringComparer.Ordinal).ToList();
        var entities = await ReadManyAsync(policy, people, cancellationToken).ConfigureAwait(false);

        var pending = new List<(int Index, Decision Decision)>();
        var operations = new List<TableTransactionAction>();
        var touched = new Dictionary<string, EnrolmentEntity>(StringComparer.Ordinal);
        foreach (var i in indexes)
        {
            var idNumber = postings[i].Id.ToString();
            var current = touched.TryGetValue(idNumber, out var updated) ? updated : entities.GetValueOrDefault(idNumber);
            var decision = Decide(postings[i], current, onFile.GetValueOrDefault(postings[i].TransactionId), actor);
            if (decision.Result is not null)
            {
                results[i] = await MarkInTreasuryAsync(decision, postings[i], actor, cancellationToken).ConfigureAwait(false);
                continue;
            }

            // A transaction holds at most 100 rows: each person needs their payments plus one enrolment row.
            if (operations.Count + touched.Count + (touched.ContainsKey(idNumber) ? 1 : 2) > TransactionLimit)
            {
                await SubmitAsync(postings, pending, operations, touched, entities, results, actor, cancellationToken).ConfigureAwait(false);
                current = entities[idNumber];
                decision = Decide(postings[i], current, null, actor);
                if (decision.Result is not null)
                {
                    results[i] = await MarkInTreasuryAsync(decision, postings[i], actor, cancellationToken).ConfigureAwait(false);
                    continue;
                }
            }

            decision.Updated!.ETag = entities[idNumber]?.ETag ?? default;
            operations.Add(new TableTransactionAction(TableTransactionActionType.Add, decision.Payment!));
            touched[idNumber] = decision.Updated;
            pending.Add((i, decision));
        }

        await SubmitAsync(postings, pending, operations, touched, entities, results, actor, cancellationToken).ConfigureAwait(false);
    }

    private async Task SubmitAsync(
        IReadOnlyList<PaymentPosting> postings,
        List<(int Index, Decision Decision)> pending,
        List<TableTransactionAction> operations,
        Dictionary<string, EnrolmentEntity> touched,
        Dictionary<string, EnrolmentEntity?> entities,
        PostingResult?[] results,
        string actor,
        CancellationToken cancellationToken)
    {
        if (pending.Count == 0)
        {
            return;
        }

        var actions = operations.Concat(touched.Values.Select(e => new TableTransactionAction(TableTransactionActionType.UpdateReplace, e, e.ETag))).ToList();
        try
        {
            var response = await _enrolments.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
            for (var k = 0; k < pending.Count; k++)
            {
                results[pending[k].Index] = Posted(pending[k].Decision);
            }

            // The next group in this partition starts from what was just written (fresh ETags).
            for (var k = 0; k < actions.Count; k++)
            {
                if (actions[k].Entity is EnrolmentEntity written)
                {
                    if (response.Value.Count > k && response.Value[k].Headers.ETag is { } etag)
                    {
                        written.ETag = etag;
                        entities[written.IdNumber] = written;
                    }
                    else
                    {
                        entities[written.IdNumber] = await ReadAsync(written.Policy, written.IdNumber, cancellationToken).ConfigureAwait(false);
                    }
                }
            }
        }
        catch (RequestFailedException)
        {
            // Lost a race with another writer, or storage refused one row of the group: post these one by one, each
            // with its own retries and its own outcome, so one person's trouble never holds up or drops another's.
            foreach (var (index, _) in pending)
            {
                results[index] = await PostClaimedAsync(postings[index], actor, cancellationToken).ConfigureAwait(false);
            }

            foreach (var idNumber in touched.Keys)
            {
                entities[idNumber] = await ReadAsync(postings[pending[0].Index].Policy, idNumber, cancellationToken).ConfigureAwait(false);
            }
        }

        pending.Clear();
        operations.Clear();
        touched.Clear();
    }

    private sealed record Decision(PostingResult? Result, PaymentEntity? Payment, EnrolmentEntity? Updated, LedgerEntry? Entry, PostedPayment? Posted, PaymentEntity? Existing = null);

    private static PostingResult Posted(Decision decision) => new(PostingOutcome.Posted, decision.Entry, decision.Posted, null);

    /// <summary>What posting <paramref name="posting"/> onto <paramref name="entity"/> means; no I/O.</summary>
    /// <param name="existing">The payment row of this transaction when it is on file already.</param>
    private Decision Decide(PaymentPosting posting, EnrolmentEntity? entity, PaymentEntity? existing, string actor)
    {
        if (existing is not null)
        {
            return new Decision(new PostingResult(PostingOutcome.Duplicate, entity is null ? null : TryToEntry(entity), ToPayment(existing), null), null, null, null, null, existing);
        }

        if (entity is null)
        {
            return Reject(new RequestError(StatusCodes.Status422UnprocessableEntity, "no-assessment", "No enrolment to post against.",
                $"{posting.Id.Masked} is not enrolled under {posting.Policy}: enrol (assess) the person first; the payment is not posted.", "idNumber"));
        }

        if (TryToEntry(entity) is not { } entry)
        {
            return Reject(Unreadable(entity.IdNumber));
        }

        // Re-assess as of the payment day: the policy decides whether that day is allowed, and when cover starts.
        if (!AssessmentRequestParser.TryParse(entry.Request with { Date = Problems.Date(posting.PaidOn) }, _catalog, Today, out var policy, out var request, out var error))
        {
            return Reject(error);
        }

        var assessment = AssessmentEngine.Assess(policy, request, Today);
        if (AssessmentRequestParser.Failure(policy, assessment) is { } failure)
        {
            return Reject(failure);
        }

        if (!assessment.Eligible)
        {
            return Reject(NotEligible(assessment.Reasons, "payment day"));
        }

        var channel = Glossary.PaymentChannels.Code(posting.Channel);
        var payment = new PostedPayment(posting.TransactionId, posting.Amount, posting.PaidOn, channel, posting.InTreasury, Now, actor)
        {
            Payer = posting.Payer,
            Collector = posting.Collector,
            InTreasuryOn = posting.InTreasury ? Today : null,
            InTreasuryBy = posting.InTreasury ? actor : null,
        };
        var next = entry.Enrolment.Post(payment, assessment.CoverageStart!.Value, Today, assessment.CoverageFromPaymentDay);
        var change = next.Changes[^1];
        var updated = ToEntity(next, entry.Person, entry.Request, entity.ChangeCount);
        var paymentRow = new PaymentEntity
        {
            PartitionKey = entity.PartitionKey,
            RowKey = LedgerKeys.PaymentRow(entity.IdNumber, posting.TransactionId),
            Policy = posting.Policy,
            IdNumber = entity.IdNumber,
            TransactionId = posting.TransactionId,
            Amount = Money.Text(posting.Amount),
            PaidOn = Problems.Date(posting.PaidOn),
            Channel = payment.Channel,
            InTreasury = posting.InTreasury,
            InTreasuryOn = payment.InTreasuryOn is { } on ? Problems.Date(on) : "",
            InTreasuryBy = payment.InTreasuryBy ?? "",
            PostedAt = payment.PostedAt,
            Actor = actor,
            Generation = next.Generation,
            Payer = LedgerCodes.Payer(payment.Payer),
            Collector = payment.Collector ?? "",
            StatusAfter = LedgerCodes.Status(change.Status),
            Detail = change.Detail ?? "",
        };
        return new Decision(null, paymentRow, updated, entry with { Enrolment = next }, payment);

        static Decision Reject(RequestError error) => new(PostingResult.Reject(error), null, null, null, null);
    }

    private async Task<LedgerEntry?> UpdateAsync(string policy, string idNumber, Func<Enrolment, Enrolment> change, CancellationToken cancellationToken, EnrolmentEntity? known = null, AssessmentRequestBody? request = null, Func<EnrolmentEntity, Enrolment, TableTransactionAction?>? alongside = null)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            var entity = known ?? await ReadAsync(policy, idNumber, cancellationToken).ConfigureAwait(false);
            known = null;
            if (entity is null)
            {
                return null;
            }

            var entry = ToEntry(entity);
            var next = change(entry.Enrolment);
            if (ReferenceEquals(next, entry.Enrolment))
            {
                return entry;
            }

            var stored = request ?? entry.Request;
            var updated = ToEntity(next, entry.Person, stored, entity.ChangeCount);
            List<TableTransactionAction> actions = [new(TableTransactionActionType.UpdateReplace, updated, entity.ETag)];
            if (alongside?.Invoke(entity, next) is { } extra)
            {
                actions.Add(extra);
            }

            actions.AddRange(ChangeRows(updated, next.Changes));
            try
            {
                await _enrolments.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
                return entry with { Enrolment = next, Request = stored };
            }
            catch (TableTransactionFailedException e) when (e.Status == StatusCodes.Status412PreconditionFailed && attempt < MaxAttempts)
            {
                await Task.Delay(Backoff(attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>The change rows of <paramref name="changes"/>, numbered after those stored; counts them into <paramref name="updated"/>.</summary>
    internal static IEnumerable<TableTransactionAction> ChangeRows(EnrolmentEntity updated, IReadOnlyList<EnrolmentChange> changes)
    {
        var first = updated.ChangeCount;
        updated.ChangeCount += changes.Count;
        return changes.Select((c, k) => new TableTransactionAction(TableTransactionActionType.Add, new ChangeEntity
        {
            PartitionKey = updated.PartitionKey,
            RowKey = LedgerKeys.ChangeRow(updated.IdNumber, updated.Generation, first + k),
            Generation = updated.Generation,
            At = c.At,
            Actor = c.Actor,
            Cause = c.Cause,
            Status = LedgerCodes.Status(c.Status),
            Detail = c.Detail,
        })).ToList();
    }

    private static EnrolmentEntity Copy(EnrolmentEntity entity, string rowKey) => new()
    {
        PartitionKey = entity.PartitionKey,
        RowKey = rowKey,
        Policy = entity.Policy,
        IdNumber = entity.IdNumber,
        Name = entity.Name,
        Phone = entity.Phone,
        Address = entity.Address,
        Town = entity.Town,
        Faculty = entity.Faculty,
        Source = entity.Source,
        Status = entity.Status,
        EnrolledOn = entity.EnrolledOn,
        SubsidyMode = entity.SubsidyMode,
        Payable = entity.Payable,
        Subsidy = entity.Subsidy,
        Paid = entity.Paid,
        Balance = entity.Balance,
        Overpayment = entity.Overpayment,
        Generation = entity.Generation,
        PaymentCount = entity.PaymentCount,
        PersonPaid = entity.PersonPaid,
        GovernmentPaid = entity.GovernmentPaid,
        RefundCount = entity.RefundCount,
        Refunded = entity.Refunded,
        SubsidyRefunded = entity.SubsidyRefunded,
        ChangeCount = entity.ChangeCount,
        Request = entity.Request,
        State = entity.State,
    };

    /// <summary>Why <paramref name="existing"/> stops a new enrolment: it stands, or it was cancelled and the day to enrol again has passed.</summary>
    private static RequestError Refusal(Policy policy, EnrolmentEntity existing, DateOnly day)
    {
        var first = ToEntry(existing).Enrolment;
        if (first.Status != EnrolmentStatus.Cancelled || policy.RepaymentDeadline is not { } deadline || day <= deadline)
        {
            return AlreadyEnrolled(first);
        }

        return new RequestError(StatusCodes.Status422UnprocessableEntity, "re-enrolment-closed", "Re-enrolment after a cancelled enrolment is closed.",
            $"The enrolment of {Problems.Date(first.EnrolledOn)} was cancelled ({first.CancellationReason}); under {policy.Code} a new enrolment and payment had to be made by {Problems.Date(deadline)}.", "date")
        {
            Extensions = new Dictionary<string, object?> { ["deadline"] = Problems.Date(deadline) },
        };
    }

    private static RequestError AlreadyEnrolled(Enrolment first) =>
        new(StatusCodes.Status409Conflict, "already-enrolled", "Already enrolled under this policy.",
            $"Enrolled on {Problems.Date(first.EnrolledOn)} from {first.Source}; one enrolment per person per policy.", "idNumber")
        {
            Extensions = new Dictionary<string, object?>
            {
                ["firstSource"] = first.Source,
                ["firstEnrolledOn"] = Problems.Date(first.EnrolledOn),
            },
        };

    private async Task<EnrolmentEntity?> ReadAsync(string policy, string idNumber, CancellationToken cancellationToken)
    {
        await EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var response = await _enrolments.GetEntityIfExistsAsync<EnrolmentEntity>(LedgerKeys.Partition(policy, idNumber), LedgerKeys.EnrolmentRow(idNumber), cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? response.Value : null;
    }

    /// <summary>
    /// Reads the enrolments of people in one partition with a few OR-filtered queries instead of one read
    /// each: a tax return chunk touches dozens of people per partition, and round trips dominate its cost.
    /// </summary>
    private async Task<Dictionary<string, EnrolmentEntity?>> ReadManyAsync(string policy, IReadOnlyList<string> idNumbers, CancellationToken cancellationToken)
    {
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

    private static TimeSpan Backoff(int attempt) => TimeSpan.FromMilliseconds(Random.Shared.Next(5, 20 * Math.Min(attempt, 10)));

    private static LedgerEntry ToEntry(EnrolmentEntity entity) => new(
        EnrolmentState.Deserialize(entity),
        new PersonDetails(entity.Name, entity.Phone, entity.Address, entity.Town, entity.Faculty),
        JsonSerializer.Deserialize<AssessmentRequestBody>(entity.Request, EnrolmentState.Json) ?? new AssessmentRequestBody());

    /// <summary>The entry, or null when the stored row cannot be read (a damaged row must not stop the rows around it).</summary>
    private LedgerEntry? TryToEntry(EnrolmentEntity entity)
    {
        try
        {
            return ToEntry(entity);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or ArgumentException or OverflowException)
        {
            _logger.LogError(e, "The enrolment row of {Id} under {Policy} cannot be read", ResidentId.TryParse(entity.IdNumber, out var id) ? id.Masked : "?", LogText.Of(entity.Policy));
            return null;
        }
    }

    internal static PostedPayment ToPayment(PaymentEntity row) =>
        new(row.TransactionId, Money.Parse(row.Amount), ParseDate(row.PaidOn), row.Channel, row.InTreasury, row.PostedAt.ToOffset(ChinaClock.Offset), row.Actor)
        {
            Payer = row.Payer == LedgerCodes.Payer(PaymentPayer.Government) ? PaymentPayer.Government : PaymentPayer.Person,
            Collector = string.IsNullOrEmpty(row.Collector) ? null : row.Collector,
            InTreasuryOn = string.IsNullOrEmpty(row.InTreasuryOn) ? null : ParseDate(row.InTreasuryOn),
            InTreasuryBy = string.IsNullOrEmpty(row.InTreasuryBy) ? null : row.InTreasuryBy,
        };

    private static DateOnly ParseDate(string text) => DateOnly.ParseExact(text, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    /// <param name="storedChanges">Change rows stored for this generation so far (<see cref="ChangeRows"/> counts new ones in).</param>
    internal static EnrolmentEntity ToEntity(Enrolment enrolment, PersonDetails person, AssessmentRequestBody request, int storedChanges = 0) => new()
    {
        PartitionKey = LedgerKeys.Partition(enrolment.Policy, enrolment.IdNumber),
        RowKey = LedgerKeys.EnrolmentRow(enrolment.IdNumber),
        Policy = enrolment.Policy,
        IdNumber = enrolment.IdNumber,
        Name = person.Name,
        Phone = person.Phone,
        Address = person.Address,
        Town = person.Town,
        Faculty = person.Faculty,
        Source = enrolment.Source,
        Status = LedgerCodes.Status(enrolment.Status),
        EnrolledOn = Problems.Date(enrolment.EnrolledOn),
        SubsidyMode = Glossary.SubsidyModes.Code(enrolment.Terms.SubsidyMode),
        Payable = Money.Text(enrolment.Terms.Payable),
        Subsidy = Money.Text(enrolment.Terms.Subsidy),
        Paid = Money.Text(enrolment.Paid),
        Balance = Money.Text(enrolment.Balance),
        Overpayment = Money.Text(enrolment.Overpayment),
        Generation = enrolment.Generation,
        PaymentCount = enrolment.Money.PaymentCount,
        PersonPaid = Money.Text(enrolment.Money.PersonPaid),
        GovernmentPaid = Money.Text(enrolment.Money.GovernmentPaid),
        RefundCount = enrolment.Money.RefundCount,
        Refunded = Money.Text(enrolment.Money.Refunded),
        SubsidyRefunded = Money.Text(enrolment.Money.SubsidyRefunded),
        ChangeCount = storedChanges,
        Request = JsonSerializer.Serialize(request, EnrolmentState.Json),
        State = EnrolmentState.Serialize(enrolment),
    };

    private async Task<PaymentEntity?> ReadPaymentAsync(string policy, string idNumber, string transactionId, CancellationToken cancellationToken)
    {
        var response = await _enrolments.GetEntityIfExistsAsync<PaymentEntity>(LedgerKeys.Partition(policy, idNumber), LedgerKeys.PaymentRow(idNumber, transactionId), cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? response.Value : null;
    }

    /// <summary>The payment rows on file among (person, transaction) pairs of one partition, by transaction id; few OR-filtered queries.</summary>
    private async Task<Dictionary<string, PaymentEntity>> ReadPaymentsAsync(string policy, IReadOnlyList<(string IdNumber, string TransactionId)> wanted, CancellationToken cancellationToken)
    {
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
}
