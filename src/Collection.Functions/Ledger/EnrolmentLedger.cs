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

        if (!assessment.Eligible)
        {
            return Failed(NotEligible(assessment.Reasons, "enrol"));
        }

        var terms = new EnrolmentTerms(assessment.StandardContribution, assessment.Subsidy, assessment.Payable, assessment.Rebate,
            assessment.CoverageStart!.Value, assessment.CoverageEnd!.Value, assessment.SubsidyMode);
        var enrolment = Enrolment.Register(policy.Code, idNumber, application.Source, terms, today, Now, actor, day);
        var body = AssessmentRequestParser.ToBody(policy.Code, request with { Date = day }) with
        {
            UnconfirmedIdentities = claims.Unconfirmed.IsEmpty ? null : [.. claims.Unconfirmed.Identities().Select(Glossary.SubsidyIdentities.Code)],
        };
        var entity = ToEntity(enrolment, application.Person, body);
        try
        {
            await _enrolments.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == StatusCodes.Status409Conflict)
        {
            var first = await GetAsync(policy.Code, id, cancellationToken).ConfigureAwait(false);
            return Failed(new RequestError(StatusCodes.Status409Conflict, "already-enrolled", "Already enrolled under this policy.",
                $"Enrolled on {(first is null ? "?" : Problems.Date(first.Enrolment.EnrolledOn))} from {first?.Enrolment.Source ?? "?"}; one enrolment per person per policy.", "idNumber")
            {
                Extensions = new Dictionary<string, object?>
                {
                    ["firstSource"] = first?.Enrolment.Source,
                    ["firstEnrolledOn"] = first is null ? null : Problems.Date(first.Enrolment.EnrolledOn),
                },
            });
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
        var claim = await ClaimAsync(posting, cancellationToken).ConfigureAwait(false);
        if (claim.Error is { } conflict)
        {
            return PostingResult.Reject(conflict);
        }

        var result = await PostClaimedAsync(posting, actor, cancellationToken).ConfigureAwait(false);
        await SettleClaimAsync(posting, claim.Entity, result, cancellationToken).ConfigureAwait(false);
        return result;
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
            await PostPartitionAsync(postings, indexes, results, actor, ct).ConfigureAwait(false)).ConfigureAwait(false);

        foreach (var i in repeats)
        {
            results[i] = await PostClaimedAsync(postings[i], actor, cancellationToken).ConfigureAwait(false);
        }

        await Parallel.ForEachAsync(Enumerable.Range(0, postings.Count), options, async (i, ct) =>
        {
            if (claims[i] is { } claim)
            {
                await SettleClaimAsync(postings[i], claim, results[i]!, ct).ConfigureAwait(false);
            }
        }).ConfigureAwait(false);

        return results!;
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

    /// <summary>The posting after the claim: read, decide in the domain, write payment + enrolment in one transaction; retry on a lost race.</summary>
    private async Task<PostingResult> PostClaimedAsync(PaymentPosting posting, string actor, CancellationToken cancellationToken)
    {
        var idNumber = posting.Id.ToString();
        for (var attempt = 1; ; attempt++)
        {
            var entity = await ReadAsync(posting.Policy, idNumber, cancellationToken).ConfigureAwait(false);
            var decision = Decide(posting, entity, actor);
            if (decision.Result is { } decided)
            {
                return decided;
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
        }
    }

    // Keeps an OR-filtered query's URL short (each clause ~40 characters).
    private const int ReadBatchSize = 40;

    private async Task PostPartitionAsync(IReadOnlyList<PaymentPosting> postings, List<int> indexes, PostingResult?[] results, string actor, CancellationToken cancellationToken)
    {
        // Read each person once, then apply their payments in file order.
        var people = indexes.Select(i => postings[i].Id.ToString()).Distinct(StringComparer.Ordinal).ToList();
        var policy = postings[indexes[0]].Policy;
        var entities = await ReadManyAsync(policy, people, cancellationToken).ConfigureAwait(false);

        var pending = new List<(int Index, Decision Decision)>();
        var operations = new List<TableTransactionAction>();
        var touched = new Dictionary<string, EnrolmentEntity>(StringComparer.Ordinal);
        foreach (var i in indexes)
        {
            var idNumber = postings[i].Id.ToString();
            var current = touched.TryGetValue(idNumber, out var updated) ? updated : entities[idNumber];
            var decision = Decide(postings[i], current, actor);
            if (decision.Result is { } decided)
            {
                results[i] = decided;
                continue;
            }

            // A transaction holds at most 100 rows: each person needs their payments plus one enrolment row.
            if (operations.Count + touched.Count + 2 > TransactionLimit)
            {
                await SubmitAsync(postings, pending, operations, touched, entities, results, actor, cancellationToken).ConfigureAwait(false);
                current = entities[idNumber];
                decision = Decide(postings[i], current, actor);
                if (decision.Result is { } again)
                {
                    results[i] = again;
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
        catch (RequestFailedException e) when (e.Status is StatusCodes.Status409Conflict or StatusCodes.Status412PreconditionFailed)
        {
            // Lost a race with another writer: post these one by one, each with its own retries.
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

    private sealed record Decision(PostingResult? Result, PaymentEntity? Payment, EnrolmentEntity? Updated, LedgerEntry? Entry, PostedPayment? Posted);

    private static PostingResult Posted(Decision decision) => new(PostingOutcome.Posted, decision.Entry, decision.Posted, null);

    /// <summary>What posting <paramref name="posting"/> onto <paramref name="entity"/> means; no I/O.</summary>
    private Decision Decide(PaymentPosting posting, EnrolmentEntity? entity, string actor)
    {
        if (entity is null)
        {
            return Reject(new RequestError(StatusCodes.Status422UnprocessableEntity, "no-assessment", "No enrolment to post against.",
                $"{posting.Id.Masked} is not enrolled under {posting.Policy}: enrol (assess) the person first; the payment is not posted.", "idNumber"));
        }

        var entry = ToEntry(entity);
        if (entry.Enrolment.FindPayment(posting.TransactionId) is { } first)
        {
            return new Decision(new PostingResult(PostingOutcome.Duplicate, entry, first, null), null, null, null, null);
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

        var payment = new PostedPayment(posting.TransactionId, posting.Amount, posting.PaidOn, Glossary.PaymentChannels.Code(posting.Channel), posting.InTreasury, Now, actor);
        var next = entry.Enrolment.Post(payment, assessment.CoverageStart!.Value, Today, assessment.CoverageFromPaymentDay);
        var updated = ToEntity(next, entry.Person, entry.Request);
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
            PostedAt = payment.PostedAt,
            Actor = actor,
        };
        return new Decision(null, paymentRow, updated, entry with { Enrolment = next }, payment);

        static Decision Reject(RequestError error) => new(PostingResult.Reject(error), null, null, null, null);
    }

    private async Task<LedgerEntry?> UpdateAsync(string policy, string idNumber, Func<Enrolment, Enrolment> change, CancellationToken cancellationToken, EnrolmentEntity? known = null, AssessmentRequestBody? request = null)
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

            try
            {
                var stored = request ?? entry.Request;
                await _enrolments.UpdateEntityAsync(ToEntity(next, entry.Person, stored), entity.ETag, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
                return entry with { Enrolment = next, Request = stored };
            }
            catch (RequestFailedException e) when (e.Status == StatusCodes.Status412PreconditionFailed && attempt < MaxAttempts)
            {
                await Task.Delay(Backoff(attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }

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
        new PersonDetails(entity.Name, entity.Phone, entity.Address, entity.Town),
        JsonSerializer.Deserialize<AssessmentRequestBody>(entity.Request, EnrolmentState.Json) ?? new AssessmentRequestBody());

    internal static EnrolmentEntity ToEntity(Enrolment enrolment, PersonDetails person, AssessmentRequestBody request) => new()
    {
        PartitionKey = LedgerKeys.Partition(enrolment.Policy, enrolment.IdNumber),
        RowKey = LedgerKeys.EnrolmentRow(enrolment.IdNumber),
        Policy = enrolment.Policy,
        IdNumber = enrolment.IdNumber,
        Name = person.Name,
        Phone = person.Phone,
        Address = person.Address,
        Town = person.Town,
        Source = enrolment.Source,
        Status = LedgerCodes.Status(enrolment.Status),
        EnrolledOn = Problems.Date(enrolment.EnrolledOn),
        SubsidyMode = Glossary.SubsidyModes.Code(enrolment.Terms.SubsidyMode),
        Payable = Money.Text(enrolment.Terms.Payable),
        Subsidy = Money.Text(enrolment.Terms.Subsidy),
        Paid = Money.Text(enrolment.Paid),
        Balance = Money.Text(enrolment.Balance),
        Overpayment = Money.Text(enrolment.Overpayment),
        Request = JsonSerializer.Serialize(request, EnrolmentState.Json),
        State = EnrolmentState.Serialize(enrolment),
    };
}
