using Collection.Domain.Assessments;
using Collection.Domain.Codes;
using Collection.Domain.Enrolments;
using Collection.Domain.Policies;
using Collection.Functions.Assessments;
using Collection.Functions.Ledger;
using Collection.Functions.Subsidies;

namespace Collection.Functions.Supplementary;

/// <summary>What the monthly supplementary run does for one person on the subsidy lists.</summary>
public enum SupplementaryOutcome
{
    /// <summary>Not enrolled, fully subsidised: enrolled directly (source <c>subsidy-list</c>), paid by the assistance fund.</summary>
    EnrolledDirectly,

    /// <summary>Not enrolled, partly subsidised: on the month's mobilisation list of their town/street.</summary>
    Mobilised,

    /// <summary>Enrolled, and the identity now gives more subsidy than was applied: a top-up credit (补差).</summary>
    ToppedUp,

    /// <summary>Enrolled under a pay-first-rebate-later subsidy (先缴后补) and paid in full: the department owes the rebate.</summary>
    RebateDue,

    /// <summary>Enrolled and nothing paid yet: a list confirmed an identity, so the amount due is assessed again, lower (or waived).</summary>
    Reassessed,

    /// <summary>Enrolled; nothing is owed either way (equal, smaller or ended subsidies are never clawed back).</summary>
    Unchanged,

    /// <summary>Enrolled under a rebate subsidy but not yet paid in full: the rebate waits for the payment.</summary>
    AwaitingPayment,

    /// <summary>Not enrolled, and the policy does not let them enrol on the run date (e.g. collection closed).</summary>
    NotEligible,

    /// <summary>The lists lack a fact the policy needs to assess (e.g. the 低保 class in baiyin-2023).</summary>
    NotAssessable,

    /// <summary>Enrolled, but the enrolment was cancelled (refunded or removed): left alone.</summary>
    Cancelled,

    /// <summary>On a list, but no identity is in force on the run date.</summary>
    NotInForce,

    /// <summary>Writing the outcome failed (logged); the next month's run tries again.</summary>
    Failed,
}

/// <summary>
/// The decision for one person, no I/O: <see cref="Level"/> is the subsidy (top-up) or rebate the identity in
/// force now gives; <see cref="Spell"/> the spell whose identity gives it (department, town, name).
/// </summary>
public sealed record SupplementaryCase(
    SupplementaryOutcome Outcome,
    IdentitySpell Spell,
    LedgerEntry? Entry,
    Assessment Assessment,
    AssessmentRequest? Request,
    decimal Level,
    string? Reason = null);

public static class SupplementaryDecision
{
    /// <summary>
    /// Whether the run acts for <paramref name="policy"/> on <paramref name="day"/>: from the first day of its
    /// collection period (lists act when they arrive, in the period too: issue 17) to the end of its coverage year.
    /// </summary>
    public static bool Acts(Policy policy, DateOnly day)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return day >= policy.CollectionStart && day <= policy.CoverageEnd;
    }

    /// <summary>
    /// The day a person not yet enrolled is enrolled as of, on a run of <paramref name="day"/>: a person whose
    /// identity in force was on a list during the collection period is enrolled as of the day the list put them
    /// there (never before the period opens), so they are covered as anyone enrolled in the period is — from the
    /// coverage year's first day (wuhai-2022 四(四) "按照相关部门提供名单统一办理参保"; bagongshan-2022 六(三)
    /// "在导入时可直接做已参保标记"); a list that came before the period opened counts from its first day. Someone first
    /// listed after the period is enrolled as of the run day, under the policy's late rules.
    /// </summary>
    public static DateOnly EnrolmentDay(Policy policy, IEnumerable<IdentitySpell> inForce, DateOnly day)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(inForce);
        var listed = inForce.Where(s => s.From <= policy.CollectionEnd).Select(s => (DateOnly?)s.From).Min();
        var enrolOn = listed is { } from ? (from < policy.CollectionStart ? policy.CollectionStart : from) : day;
        return enrolOn <= day ? enrolOn : day;
    }

    /// <summary>
    /// Decides for one person: <paramref name="spells"/> are all their spells under <paramref name="policy"/>,
    /// <paramref name="entry"/> their enrolment (null when not enrolled). Several identities in force are
    /// assessed together, so the single highest subsidy applies (就高不重复).
    /// </summary>
    public static SupplementaryCase Decide(Policy policy, PolicyCatalog catalog, DateOnly day, IReadOnlyList<IdentitySpell> spells, LedgerEntry? entry)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(spells);
        var inForce = spells.Where(s => s.Covers(day)).ToList();
        if (inForce.Count == 0)
        {
            return new SupplementaryCase(SupplementaryOutcome.NotInForce, spells[^1], entry, default, null, 0m);
        }

        var identities = SubsidyIdentitySet.Of([.. inForce.Select(s => s.Identity)]);
        var allowanceClass = inForce.Select(s => s.AllowanceClass).FirstOrDefault(c => c is not null);
        if (entry is null)
        {
            var request = new AssessmentRequest
            {
                Id = inForce[0].Id,
                Population = Population.Resident,
                Identities = identities,
                AllowanceClass = allowanceClass,
                Date = EnrolmentDay(policy, inForce, day),
            };
            var assessment = AssessmentEngine.Assess(policy, request, day);
            var best = BestSpell(inForce, assessment);
            if (assessment.Failed)
            {
                return new SupplementaryCase(SupplementaryOutcome.NotAssessable, best, null, assessment, request, 0m, assessment.Error.Code());
            }

            if (!assessment.Eligible)
            {
                return new SupplementaryCase(SupplementaryOutcome.NotEligible, best, null, assessment, request, 0m, string.Join(",", assessment.Reasons.Codes()));
            }

            return assessment.Payable == 0m
                ? new SupplementaryCase(SupplementaryOutcome.EnrolledDirectly, best, null, assessment, request, assessment.Subsidy)
                : new SupplementaryCase(SupplementaryOutcome.Mobilised, best, null, assessment, request, assessment.Subsidy);
        }

        if (entry.Enrolment.Status == EnrolmentStatus.Cancelled)
        {
            return new SupplementaryCase(SupplementaryOutcome.Cancelled, inForce[0], entry, default, null, 0m);
        }

        // Re-assess the enrolment as it was made (same day, population, hukou), with today's identities:
        // the day keeps it eligible, so the subsidy compares like with like.
        if (!AssessmentRequestParser.TryParse(entry.Request with { Identities = null, AllowanceClass = null }, catalog, day, out _, out var stored, out var error))
        {
            return new SupplementaryCase(SupplementaryOutcome.NotAssessable, inForce[0], entry, default, null, 0m, error.Code);
        }

        var claimed = Claimed(entry);
        var resolved = SubsidyIdentityBook.Resolve(policy, inForce, claimed.Identities, claimed.AllowanceClass);
        var now = stored with { Identities = resolved.Applied, AllowanceClass = resolved.AllowanceClass };
        var reassessed = AssessmentEngine.Assess(policy, now, day);
        var spell = BestSpell(inForce, reassessed);
        if (reassessed.Failed)
        {
            return new SupplementaryCase(SupplementaryOutcome.NotAssessable, spell, entry, reassessed, now, 0m, reassessed.Error.Code());
        }

        // Nothing paid yet: the confirmed identity lowers the amount due itself (the window, the school and the
        // tax side see it), rather than a top-up or refund later.
        if (entry.Enrolment.Paid == 0m && reassessed.Eligible && reassessed.Payable < entry.Enrolment.Terms.Payable)
        {
            return new SupplementaryCase(SupplementaryOutcome.Reassessed, spell, entry, reassessed, now, reassessed.Subsidy);
        }

        if (reassessed.SubsidyMode == SubsidyMode.Rebate && reassessed.Rebate > 0m)
        {
            var paidInFull = entry.Enrolment.Balance == 0m && entry.Enrolment.Paid >= entry.Enrolment.Terms.StandardContribution;
            return new SupplementaryCase(paidInFull ? SupplementaryOutcome.RebateDue : SupplementaryOutcome.AwaitingPayment, spell, entry, reassessed, now, reassessed.Rebate);
        }

        return policy.SubsidyAdjustment(entry.Enrolment.Terms.Subsidy, reassessed.Subsidy) > 0m
            ? new SupplementaryCase(SupplementaryOutcome.ToppedUp, spell, entry, reassessed, now, reassessed.Subsidy)
            : new SupplementaryCase(SupplementaryOutcome.Unchanged, spell, entry, reassessed, now, reassessed.Subsidy);
    }

    /// <summary>What the enrolment recorded as typed at the window or in the roster (applied or unconfirmed).</summary>
    private static (SubsidyIdentitySet Identities, AllowanceClass? AllowanceClass) Claimed(LedgerEntry entry)
    {
        var set = SubsidyIdentitySet.Empty;
        foreach (var text in (entry.Request.Identities ?? []).Concat(entry.Request.UnconfirmedIdentities ?? []))
        {
            if (Glossary.SubsidyIdentities.TryParse(text, out var identity))
            {
                set = set.With(identity);
            }
        }

        return (set, Glossary.AllowanceClasses.TryParse(entry.Request.AllowanceClass, out var c) ? c : null);
    }

    /// <summary>The spell whose identity the assessment applied (department, town and name come from it).</summary>
    private static IdentitySpell BestSpell(List<IdentitySpell> inForce, Assessment assessment) =>
        inForce.FirstOrDefault(s => s.Identity == assessment.SubsidyIdentity) ?? inForce[0];
}
