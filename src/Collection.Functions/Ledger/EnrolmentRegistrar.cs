using Azure.Data.Tables;
using Collection.Domain;
using Collection.Domain.Assessments;
using Collection.Domain.Codes;
using Collection.Domain.Enrolments;
using Collection.Domain.Policies;
using Collection.Functions.Assessments;
using Collection.Functions.Hosting;
using Collection.Functions.Policies;
using Collection.Functions.Subsidies;

namespace Collection.Functions.Ledger;

/// <summary>
/// Registers people (参保登记): the checks of an application, the assessment with the subsidy the identity book
/// confirms, and the enrolment row written once per person and policy (<see cref="EnrolmentRules"/>).
/// </summary>
public sealed partial class EnrolmentRegistrar(
    EnrolmentStore store, PolicyCatalog catalog, ChinaClock clock, SubsidyIdentityBook identities, People.PersonFacts people, Resilience resilience, ILogger<EnrolmentRegistrar> logger)
{
    /// <summary>The source of an enrolment made by a mobilised person's payment (luyang-2023 五(五)).</summary>
    public const string MobilisedPaymentSource = "mobilised-payment";

    /// <summary>
    /// Registers a person for a policy and stores the assessment with it. Refused: a second enrolment
    /// (<c>already-enrolled</c>, naming the first one's source and date), a person marked in employee
    /// insurance (<c>in-employee-insurance</c>), an ineligible person (the assessment's reason code).
    /// </summary>
    /// <param name="asOf">The day the enrolment is made as of (a timer run replayed for a past date); the host's China date when null.</param>
    public async Task<EnrolResult> EnrolAsync(EnrolmentApplication application, string actor, DateOnly? asOf = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(application);
        var (policy, request) = (application.Policy, application.Request);
        if (request.Id is not { } id)
        {
            return Failed(new LedgerError(LedgerErrorKind.Invalid, "missing-id-number", "An enrolment needs an ID number.",
                "idNumber: required to enrol (a child without a number can be assessed, not enrolled).", "idNumber"));
        }

        // A registration reference keys only a child registered before birth (RegisterNewborn), never a typed-in number.
        if (id.IsNewbornReference != (application.BeforeBirth is not null))
        {
            return Failed(new LedgerError(LedgerErrorKind.Invalid, ResidentId.ErrorCode, "Invalid resident ID number.",
                "idNumber: a newborn registration reference (NB-…) is made by POST /api/enrolments/newborns, not given.", "idNumber"));
        }

        if (string.IsNullOrWhiteSpace(application.Source))
        {
            return Failed(new LedgerError(LedgerErrorKind.Invalid, "missing-source", "An enrolment needs a source.",
                "source: window, roster:<school>, subsidy-list, ….", "source"));
        }

        var today = asOf ?? clock.Today;
        var day = request.Date ?? today;
        if (day > today)
        {
            return Failed(new LedgerError(LedgerErrorKind.Invalid, "date-in-future", "The enrolment day is after today.",
                $"date: {IsoDate.Text(day)} is after today ({IsoDate.Text(today)}) in China.", "date"));
        }

        await store.EnsureTablesAsync(cancellationToken).ConfigureAwait(false);
        var idNumber = id.ToString();
        if (EnrolmentRules.InEmployeeInsurance(await store.EmployeeInsuranceMarkAsync(idNumber, cancellationToken).ConfigureAwait(false)) is { } employee)
        {
            return Failed(employee);
        }

        // A person enrolled already, or past the policy's day for enrolling again after a cancellation, is told so
        // before anything is assessed (the write below checks again, against a concurrent enrolment).
        if (await store.ReadAsync(policy.Code, idNumber, cancellationToken).ConfigureAwait(false) is { } existing && EnrolmentRules.StopsNewEnrolment(policy, existing, day))
        {
            return Failed(EnrolmentRules.Refusal(policy, existing, day));
        }

        if (await people.RefusalAsync(policy, id, cancellationToken).ConfigureAwait(false) is { } refusal)
        {
            return Failed(refusal.ToLedgerError()); // one insurance a year: under another policy here, or recorded elsewhere (#19)
        }

        // The identity book is the source of subsidies: what the lists confirm for the person on the day; what was
        // typed and no list confirms is kept as claimed (unconfirmed), and subsidises only where the policy says so.
        // The subsidy lists' own enrolments come from the book already.
        var claims = application.IdentitiesFromBook
            ? new Domain.Subsidies.ClaimedIdentities(request.Identities, request.AllowanceClass, request.Identities, default)
            : await identities.ResolveAsync(policy, id, day, request.Identities, request.AllowanceClass, cancellationToken).ConfigureAwait(false);
        request = request with { Identities = claims.Applied, AllowanceClass = claims.AllowanceClass };
        var assessment = AssessmentEngine.Assess(policy, request with { Date = day }, today);
        if (AssessmentRequestParser.Failure(policy, assessment) is { } failure)
        {
            return Failed(failure.ToLedgerError());
        }

        // Before birth there is nothing to enrol but what a newborn rule of the policy offers (wuhai-2022 三(三), dalate-2022 三(三)).
        if (application.BeforeBirth is not null && !assessment.NewbornRuleApplied)
        {
            return Failed(new LedgerError(LedgerErrorKind.Refused, "no-newborn-rule", "The policy has no rule for this registration before birth.",
                $"No newborn rule of {policy.Code} applies to a child expected on {IsoDate.Text(assessment.BirthDate)} registered on {IsoDate.Text(day)} (parentInsured and the birth year matter); register the child after birth with its ID number.", "expectedBirthDate"));
        }

        if (!assessment.Eligible)
        {
            return Failed(EnrolmentRules.NotEligible(assessment.Reasons, "enrol"));
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

        // One enrolment per person and policy at a time; after a cancelled one (a refund that cancelled it) the person
        // may enrol again while the policy allows, and the cancelled enrolment is kept as it was, beside the new one.
        // A concurrent enrolment of the same person makes the write lose (409/412): read again, it is then enrolled.
        var (enrolment, refused) = await resilience.OptimisticWrite.ExecuteAsync(async token =>
        {
            var previous = await store.ReadAsync(policy.Code, idNumber, token).ConfigureAwait(false);
            if (previous is not null && EnrolmentRules.StopsNewEnrolment(policy, previous, day))
            {
                return ((Enrolment?)null, EnrolmentRules.Refusal(policy, previous, day));
            }

            var generation = previous is null ? 1 : previous.Generation + 1;
            var registered = Enrolment.Register(policy.Code, idNumber, application.Source, terms, today, clock.Now, actor, day, generation);
            var entity = EnrolmentRows.ToEntity(registered, application.Person, body);
            var actions = new List<TableTransactionAction>();
            if (previous is null)
            {
                actions.Add(new TableTransactionAction(TableTransactionActionType.Add, entity));
            }
            else
            {
                var archived = EnrolmentRows.Copy(previous, LedgerKeys.ArchivedRow(idNumber, previous.Generation));
                actions.Add(new TableTransactionAction(TableTransactionActionType.Add, archived));
                actions.Add(new TableTransactionAction(TableTransactionActionType.UpdateReplace, entity, previous.ETag));
            }

            // The registration entry travels in the enrolment row itself (roster batches write nothing else).
            await store.SubmitAsync(actions, token).ConfigureAwait(false);
            return (registered, (LedgerError?)null);
        }, cancellationToken).ConfigureAwait(false);
        if (refused is not null)
        {
            return Failed(refused);
        }

        if (logger.IsEnabled(LogLevel.Information))
        {
            var source = LogText.Of(application.Source);
            LogEnrolled(id.Masked, policy.Code, source, terms.Payable);
        }

        return new EnrolResult(new LedgerEntry(enrolment!, application.Person, body), null);

        static EnrolResult Failed(LedgerError error) => new(null, error);
    }

    /// <summary>
    /// Where the policy says so (<see cref="Policy.MobilisedPaymentEnrols"/>, luyang-2023 五(五) “经动员自愿参保缴费的，个人完成缴费的同时
    /// 医保信息系统自动调整参保状态信息”), a payment from a person the mobilisation list names — a partly subsidised identity in
    /// force on the payment day and no enrolment — enrols them as the monthly run would (<see cref="Supplementary.SupplementaryDecision"/>),
    /// so that the payment posts. True when the person is enrolled now (by this or a concurrent call). Only when the
    /// policy allows the payment's day: otherwise nothing is enrolled and the payment stays refused.
    /// </summary>
    public async Task<bool> EnrolMobilisedAsync(PaymentPosting posting, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(posting);
        if (!catalog.TryGet(posting.Policy, out var policy) || !policy.MobilisedPaymentEnrols)
        {
            return false;
        }

        var spells = (await identities.ForPersonAsync(posting.Id, cancellationToken).ConfigureAwait(false)).Where(s => s.Policy == policy.Code).ToList();
        if (spells.Count == 0)
        {
            return false;
        }

        var mobilised = Supplementary.SupplementaryDecision.Decide(policy, catalog, posting.PaidOn, spells, null);
        if (mobilised.Outcome != Supplementary.SupplementaryOutcome.Mobilised || mobilised.Request is not { } request
            || !AssessmentEngine.Assess(policy, request with { Date = posting.PaidOn }, clock.Today).Eligible)
        {
            return false;
        }

        var spell = mobilised.Spell;
        var person = new PersonDetails(spell.Name, null, null, string.IsNullOrWhiteSpace(spell.Town) ? null : spell.Town);
        var result = await EnrolAsync(new EnrolmentApplication(policy, request, person, MobilisedPaymentSource, IdentitiesFromBook: true), actor, cancellationToken: cancellationToken).ConfigureAwait(false);
        if (result.Error is { Code: not "already-enrolled" } error)
        {
            LogMobilisedNotEnrolled(LogText.Of(posting.TransactionId), posting.Id.Masked, policy.Code, error.Code);
            return false;
        }

        return true;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Enrolled {Id} under {Policy} from {Source}: payable {Payable}")]
    private partial void LogEnrolled(string id, string policy, string source, decimal payable);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Payment {Transaction}: mobilised {Id} could not be enrolled under {Policy}: {Code}")]
    private partial void LogMobilisedNotEnrolled(string transaction, string id, string policy, string code);
}
