using Collection.Domain;
using Collection.Domain.Assessments;
using Collection.Domain.Codes;
using Collection.Domain.Enrolments;
using Collection.Domain.Policies;
using Collection.Functions.Policies;

namespace Collection.Functions.Ledger;

/// <summary>
/// The rules every writer of enrolments applies, and the ledger errors they answer: one enrolment per person and
/// policy (again only after a cancellation, while the policy allows), and employee insurance refuses. No I/O.
/// </summary>
public static class EnrolmentRules
{
    /// <summary>
    /// Whether <paramref name="existing"/> stops a new enrolment on <paramref name="day"/>: it stands, or it was cancelled
    /// and the policy's day to enrol again has passed (wuhai-2022 五(四) "需重新缴费的,要在2022年4月30日前完成").
    /// </summary>
    public static bool StopsNewEnrolment(Policy policy, EnrolmentEntity existing, DateOnly day)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(existing);
        return existing.Status != LedgerCodes.Status(EnrolmentStatus.Cancelled) || (policy.RepaymentDeadline is { } closes && day > closes);
    }

    /// <summary>Why <paramref name="existing"/> stops a new enrolment: it stands, or it was cancelled and the day to enrol again has passed.</summary>
    public static LedgerError Refusal(Policy policy, EnrolmentEntity existing, DateOnly day)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var first = EnrolmentRows.ToEntry(existing).Enrolment;
        if (first.Status != EnrolmentStatus.Cancelled || policy.RepaymentDeadline is not { } deadline || day <= deadline)
        {
            return AlreadyEnrolled(first);
        }

        return new LedgerError(LedgerErrorKind.Refused, "re-enrolment-closed", "Re-enrolment after a cancelled enrolment is closed.",
            $"The enrolment of {IsoDate.Text(first.EnrolledOn)} was cancelled ({first.CancellationReason}); under {policy.Code} a new enrolment and payment had to be made by {IsoDate.Text(deadline)}.", "date")
        {
            Extensions = new Dictionary<string, object?> { ["deadline"] = IsoDate.Text(deadline) },
        };
    }

    /// <summary>A roster's row for a person enrolled by another source is refused as already enrolled; one of its own source is its update.</summary>
    public static bool EnrolledByAnotherSource(EnrolmentEntity stored, string source)
    {
        ArgumentNullException.ThrowIfNull(stored);
        return !string.Equals(stored.Source, source, StringComparison.Ordinal);
    }

    public static LedgerError AlreadyEnrolled(Enrolment first)
    {
        ArgumentNullException.ThrowIfNull(first);
        return new(LedgerErrorKind.Conflict, "already-enrolled", "Already enrolled under this policy.",
            $"Enrolled on {IsoDate.Text(first.EnrolledOn)} from {first.Source}; one enrolment per person per policy.", "idNumber")
        {
            Extensions = new Dictionary<string, object?>
            {
                ["firstSource"] = first.Source,
                ["firstEnrolledOn"] = IsoDate.Text(first.EnrolledOn),
            },
        };
    }

    /// <summary>A person marked in employee insurance (参加职工医保) is not enrolled in resident insurance, under any policy.</summary>
    public static LedgerError? InEmployeeInsurance(EmployeeInsuranceEntity? mark) => mark is null ? null :
        new(LedgerErrorKind.Refused, "in-employee-insurance", "The person is in employee insurance.",
            $"Marked in employee insurance since {mark.Since} ({mark.Source}); resident insurance cannot enrol them.", "idNumber");

    /// <summary>The same rule over a file's marks read at once (<see cref="EnrolmentStore.EmployeeInsuranceMarksAsync"/>).</summary>
    public static bool InEmployeeInsurance(IReadOnlySet<string> marked, ResidentId id)
    {
        ArgumentNullException.ThrowIfNull(marked);
        return marked.Contains(id.ToString());
    }

    public static LedgerError NotEligible(IneligibilityReasons reasons, string what)
    {
        var codes = reasons.Codes();
        return new LedgerError(LedgerErrorKind.Refused, codes[0], $"The policy does not allow this {what}.",
            $"Not eligible: {string.Join(", ", codes)} ({string.Join("；", reasons.Labels())}).")
        {
            Extensions = new Dictionary<string, object?> { ["reasons"] = codes },
        };
    }

    public static LedgerError Unreadable(string idNumber) =>
        new(LedgerErrorKind.Refused, "ledger-record-unreadable", "The person's ledger record cannot be read.",
            $"The enrolment row of {(ResidentId.TryParse(idNumber, out var masked) ? masked.Masked : "?")} cannot be read; the payment is not posted (other payments are not affected). Staff: check the enrolment.", "idNumber");

    public static LedgerError WriteRefused(int status) =>
        new(LedgerErrorKind.Refused, "ledger-write-refused", "Storage refused the ledger write.",
            $"Azure Tables answered {status} for this person's ledger rows; the payment is not posted (other payments are not affected). Staff: check the enrolment.", "idNumber");
}
