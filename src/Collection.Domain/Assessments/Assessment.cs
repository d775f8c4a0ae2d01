using Collection.Domain.Codes;

namespace Collection.Domain.Assessments;

/// <summary>Facts about a newborn's registration (新生儿参保).</summary>
public readonly record struct NewbornFacts(bool? RegisteredBeforeBirth, bool ParentInsured, DateOnly? RegistrationDate);

/// <summary>
/// Who is assessed, and on which day. Either <see cref="Id"/> or <see cref="BirthDate"/> (a child with no
/// number yet); when both are given they must agree.
/// </summary>
public sealed record AssessmentRequest
{
    public ResidentId? Id { get; init; }

    public DateOnly? BirthDate { get; init; }

    public Population Population { get; init; }

    public SubsidyIdentitySet Identities { get; init; }

    public AllowanceClass? AllowanceClass { get; init; }

    public bool LocalHukou { get; init; } = true;

    public bool ResidencePermit { get; init; }

    public bool InEmployeeInsurance { get; init; }

    /// <summary>
    /// The person lives with a parent who works here and is insured here (luyang-2023 二（四）
    /// “随在本市就业参保人员共同生活的未成年子女”): a minor needs no residence permit where the policy says so.
    /// </summary>
    public bool LivesWithLocallyInsuredParent { get; init; }

    public NewbornFacts? Newborn { get; init; }

    public bool MigrantWorkerWithProof { get; init; }

    public UniversityPaymentMode? PaymentMode { get; init; }

    /// <summary>
    /// 是否新生 of a university student: true new, false returning; null not said, taken as new (a university's
    /// roster is its new-student list, luyang-2023 五(四) “高校应及时将新入学大学生名单……报送”).
    /// </summary>
    public bool? NewStudent { get; init; }

    /// <summary>The day of enrolment or payment; none = the assessment day.</summary>
    public DateOnly? Date { get; init; }
}

/// <summary>Why a request cannot be assessed: malformed (400) or missing a fact the policy needs (422).</summary>
public enum AssessmentError
{
    None,
    MissingBirthDate,
    BirthDateMismatch,
    BirthDateInFuture,
    MissingAllowanceClass,
    MissingPaymentMode,
}

public static class AssessmentErrors
{
    public static string Code(this AssessmentError error) => error switch
    {
        AssessmentError.MissingBirthDate => "missing-birth-date",
        AssessmentError.BirthDateMismatch => "birth-date-mismatch",
        AssessmentError.BirthDateInFuture => "birth-date-in-future",
        AssessmentError.MissingAllowanceClass => "missing-allowance-class",
        AssessmentError.MissingPaymentMode => "missing-payment-mode",
        _ => "none",
    };

    /// <summary>True for a fact the policy needs but was not given (HTTP 422), false for malformed input (400).</summary>
    public static bool IsMissingFact(this AssessmentError error) =>
        error is AssessmentError.MissingBirthDate or AssessmentError.MissingAllowanceClass or AssessmentError.MissingPaymentMode;

    /// <summary>The request field the error is about.</summary>
    public static string Field(this AssessmentError error) => error switch
    {
        AssessmentError.MissingAllowanceClass => "allowanceClass",
        AssessmentError.MissingPaymentMode => "paymentMode",
        _ => "birthDate",
    };
}

/// <summary>
/// What a person owes under a policy on a day, what government pays, and when coverage runs; or why
/// they cannot enrol (<see cref="Reasons"/>), or why the request cannot be assessed (<see cref="Error"/>).
/// A struct: the engine returns it without allocating.
/// </summary>
public readonly record struct Assessment
{
    public AssessmentError Error { get; init; }

    public bool Eligible { get; init; }

    public IneligibilityReasons Reasons { get; init; }

    /// <summary>The personal contribution before subsidies.</summary>
    public decimal StandardContribution { get; init; }

    public decimal Subsidy { get; init; }

    public SubsidyMode SubsidyMode { get; init; }

    /// <summary>The identity whose subsidy applied (the highest one), if any.</summary>
    public SubsidyIdentity? SubsidyIdentity { get; init; }

    /// <summary>Paid at collection.</summary>
    public decimal Payable { get; init; }

    /// <summary>Paid back to the person later (先缴后补).</summary>
    public decimal Rebate { get; init; }

    public decimal NetCost => Payable - Rebate;

    public DateOnly? CoverageStart { get; init; }

    public DateOnly? CoverageEnd { get; init; }

    /// <summary>The birth date used (from the ID number or as given).</summary>
    public DateOnly BirthDate { get; init; }

    /// <summary>
    /// Cover starts on the payment (or collection) day itself, even before the day of enrolment: a new university
    /// student's unified collection or WeChat payment (luyang-2023 五(四) “自代收费用之日起可享受居民医保待遇”).
    /// </summary>
    public bool CoverageFromPaymentDay { get; init; }

    /// <summary>One of the policy's newborn rules decided the answer (what a registration before birth needs).</summary>
    public bool NewbornRuleApplied { get; init; }

    public bool Failed => Error != AssessmentError.None;
}
