using Azure.Data.Tables;
using Collection.Domain;
using Collection.Domain.Assessments;
using Collection.Domain.Enrolments;
using Collection.Domain.Policies;
using Collection.Functions.Assessments;
using Collection.Functions.Hosting;
using Collection.Functions.Policies;

namespace Collection.Functions.Ledger;

/// <summary>
/// Attaches a child's ID number to its registration before birth: the enrolment with its payments, refunds and history
/// moves from the reference's partition to the ID's, and the reference keeps pointing at it.
/// </summary>
public sealed partial class NewbornAttachment(
    EnrolmentStore store, TransactionClaims claims, PolicyCatalog catalog, ChinaClock clock, People.PersonFacts people, Resilience resilience, ILogger<NewbornAttachment> logger)
{
    /// <summary>
    /// Attaches a child's ID number to its registration before birth (<paramref name="reference"/>): the enrolment keeps its
    /// assessment, payments, refunds and history, now under <paramref name="child"/>, with cover from the actual birth; the
    /// reference keeps pointing at it. Refused: an ID enrolled under the policy already (<c>already-enrolled</c>, or
    /// elsewhere: the one-insurance check), a birth date that does not fit the registration, a reference attached to
    /// another ID (<c>reference-attached</c>). The same ID again answers the enrolment as it is.
    /// The rows move partition (the key is the ID's): they are copied first, then the reference's rows give way to
    /// a marker; a run cut short in between is finished by the next attach of the same ID.
    /// </summary>
    public async Task<AttachResult> AttachIdAsync(Policy policy, ResidentId reference, ResidentId child, string actor, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(policy);
        await store.EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var (refKey, idNumber) = (reference.ToString(), child.ToString());
        if (!reference.IsNewbornReference || child.IsNewbornReference || !child.EncodesBirthDate)
        {
            return new AttachResult(null, new LedgerError(LedgerErrorKind.Invalid, ResidentId.ErrorCode, "Invalid resident ID number.",
                "idNumber: the child's resident ID number (18 characters, with its birth date), attached to a registration reference NB-….", "idNumber"));
        }

        // Each try reads both keys afresh; a lost race (another attach or enrolment of this ID, or a payment that
        // reached the reference in between) starts over and sees whose the ID is now.
        return await resilience.OptimisticWrite.ExecuteAsync(async token =>
        {
            var source = await store.ReadAsync(policy.Code, refKey, token).ConfigureAwait(false);
            var target = await store.ReadAsync(policy.Code, idNumber, token).ConfigureAwait(false);
            var targetEntry = target is null ? null : store.TryToEntry(target);
            var ours = targetEntry?.Request.Newborn?.RegistrationReference == refKey;
            if (source is null)
            {
                var attached = await store.AttachedToAsync(policy.Code, reference, token).ConfigureAwait(false);
                if (attached is null && !ours)
                {
                    return new AttachResult(null, new LedgerError(LedgerErrorKind.NotFound, "not-enrolled", "Not enrolled.", $"{refKey} is no registration under {policy.Code}.", "reference"));
                }

                if ((attached ?? child) != child)
                {
                    return new AttachResult(null, ReferenceAttached(refKey, attached!.Value));
                }

                await store.RemovePersonRowsAsync(policy.Code, refKey, token).ConfigureAwait(false);
                return new AttachResult(targetEntry, targetEntry is null ? EnrolmentRules.Unreadable(idNumber) : null, Repeated: true);
            }

            if (store.TryToEntry(source) is not { } entry)
            {
                return new AttachResult(null, EnrolmentRules.Unreadable(refKey));
            }

            if (target is not null && !ours)
            {
                return new AttachResult(null, targetEntry is null ? EnrolmentRules.Unreadable(idNumber) : EnrolmentRules.AlreadyEnrolled(targetEntry.Enrolment));
            }

            if (!ours)
            {
                if (await people.RefusalAsync(policy, child, token).ConfigureAwait(false) is { } refusal)
                {
                    return new AttachResult(null, refusal.ToLedgerError()); // the child enrolled under another policy for the year
                }

                if (Decline(policy, entry, child) is { } declined)
                {
                    return new AttachResult(null, declined);
                }
            }

            // Copied from the reference's rows as they are now: a retry after a payment reached the reference in between
            // copies again and replaces what the earlier attempt wrote under the ID.
            var (next, body) = Attached(policy, entry, child, actor);
            foreach (var transaction in await store.CopyPersonRowsAsync(policy.Code, refKey, idNumber, token).ConfigureAwait(false))
            {
                // The transaction's claim follows the payment, so a repeat of it under the child's ID is a duplicate.
                await claims.MoveAsync(transaction, idNumber, token).ConfigureAwait(false);
            }

            var updated = EnrolmentRows.ToEntity(next, entry.Person, body, source.ChangeCount);
            var write = ours ? TableTransactionActionType.UpsertReplace : TableTransactionActionType.Add;
            List<TableTransactionAction> actions = [new(write, updated)];
            actions.AddRange(EnrolmentRows.ChangeRows(updated, next.Changes).Select(a => new TableTransactionAction(write, a.Entity)));
            await store.SubmitAsync(actions, token).ConfigureAwait(false);
            targetEntry = entry with { Enrolment = next, Request = body };

            // The enrolment stands under the ID: the reference's enrolment row becomes the marker, its other rows go.
            // A marker row gone (404) or changed (412) lost the same race as a changed one: start over.
            try
            {
                await store.SubmitAsync(
                [
                    new TableTransactionAction(TableTransactionActionType.Delete, source, source.ETag),
                    new TableTransactionAction(TableTransactionActionType.UpsertReplace, new AttachedReferenceEntity
                    {
                        PartitionKey = source.PartitionKey,
                        RowKey = LedgerKeys.AttachedRow(refKey),
                        Policy = policy.Code,
                        AttachedTo = idNumber,
                        At = clock.Now,
                        Actor = actor,
                    }),
                ], token).ConfigureAwait(false);
            }
            catch (TableTransactionFailedException e) when (e.Status == StatusCodes.Status404NotFound)
            {
                throw new Azure.RequestFailedException(StatusCodes.Status412PreconditionFailed, "The reference's row was gone: another attach moved it.", e);
            }

            await store.RemovePersonRowsAsync(policy.Code, refKey, token).ConfigureAwait(false);
            LogNewbornAttached(refKey, policy.Code, child.Masked);
            return new AttachResult(targetEntry, null);
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Why the child's birth does not fit the registration, or null: the dates, then the assessment with the actual birth.</summary>
    private LedgerError? Decline(Policy policy, LedgerEntry entry, ResidentId child)
    {
        var facts = entry.Request.Newborn;
        var registeredOn = entry.Enrolment.EnrolledOn;
        if (!IsoDate.TryParse(facts?.ExpectedBirthDate, out var expected))
        {
            return EnrolmentRules.Unreadable(entry.IdNumber);
        }

        var born = child.BirthDate;
        var today = clock.Today;
        if (born > today)
        {
            return new LedgerError(LedgerErrorKind.Invalid, ResidentId.ErrorCode, "Invalid resident ID number.",
                $"idNumber: the birth date {IsoDate.Text(born)} in the number is after today ({IsoDate.Text(today)}).", "idNumber");
        }

        var check = NewbornRegistration.CheckBirth(expected, registeredOn, born);
        if (check != NewbornRegistrationError.None)
        {
            return new LedgerError(LedgerErrorKind.Refused, NewbornRegistration.Code(check), "The ID number does not fit the registration before birth.",
                $"Born {IsoDate.Text(born)}; registered {IsoDate.Text(registeredOn)} expecting {IsoDate.Text(expected)} (from {NewbornRegistration.EarliestDaysBeforeExpected} days before to {NewbornRegistration.LatestDaysAfterExpected} days after, and after the registration).", "idNumber")
            {
                Extensions = new Dictionary<string, object?>
                {
                    ["detailZh"] = NewbornRegistration.Message(check, expected, registeredOn, born),
                    ["expectedBirthDate"] = IsoDate.Text(expected),
                    ["registeredOn"] = IsoDate.Text(registeredOn),
                },
            };
        }

        // The enrolment keeps its assessment: an actual birth that changes the amount (born in another year than the
        // rule's) is no longer the registration that was assessed.
        var assessment = Reassess(policy, entry, born);
        if (!assessment.Eligible || !assessment.NewbornRuleApplied || assessment.Payable != entry.Enrolment.Terms.Payable || assessment.StandardContribution != entry.Enrolment.Terms.StandardContribution)
        {
            return new LedgerError(LedgerErrorKind.Refused, "newborn-assessment-changed", "The actual birth changes the assessment.",
                $"Born {IsoDate.Text(born)}, the child would be assessed differently from the registration of {IsoDate.Text(registeredOn)} (payable {entry.Enrolment.Terms.Payable:0.00}); cancel the registration and enrol the child with its ID number.", "idNumber");
        }

        return null;
    }

    private (Enrolment Next, AssessmentRequestBody Body) Attached(Policy policy, LedgerEntry entry, ResidentId child, string actor)
    {
        var assessment = Reassess(policy, entry, child.BirthDate);
        var reference = entry.IdNumber;
        var next = entry.Enrolment.AttachId(child.ToString(), assessment.CoverageStart!.Value, clock.Today, clock.Now, actor,
            $"registered before birth as {reference}; born {IsoDate.Text(child.BirthDate)}; cover from {IsoDate.Text(assessment.CoverageStart.Value)}");
        return (next, entry.Request with { IdNumber = child.ToString(), IdType = null, Nationality = null, BirthDate = null });
    }

    /// <summary>The registration as assessed on its day, with the actual birth date in place of the expected one.</summary>
    private Assessment Reassess(Policy policy, LedgerEntry entry, DateOnly born)
    {
        var today = clock.Today;
        if (!AssessmentRequestParser.TryParse(entry.Request, catalog, today, out _, out var request, out _))
        {
            return default;
        }

        return AssessmentEngine.Assess(policy, request with { Id = null, BirthDate = born }, today);
    }

    private static LedgerError ReferenceAttached(string reference, ResidentId other) =>
        new(LedgerErrorKind.Conflict, "reference-attached", "The registration has another ID number.",
            $"{reference} was attached to {other.Masked}; an attached registration is not moved again.", "idNumber");

    [LoggerMessage(Level = LogLevel.Information, Message = "Newborn registration {Reference} under {Policy} now under {Id}")]
    private partial void LogNewbornAttached(string reference, string policy, string id);
}
