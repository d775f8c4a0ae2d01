using Collection.Domain.Codes;

namespace Collection.Domain.Policies;

/// <summary>Where coverage starts, relative to a day of the case.</summary>
public enum CoverageFrom
{
    CoverageStart,
    Birth,
    PaymentDate,
    DayAfterPayment,
}

/// <summary>
/// A policy compiled for the engine: dates as <see cref="DateOnly"/>, codes as enums, subsidy amounts
/// precomputed per rate, so an assessment walks small arrays and allocates nothing. Built only by
/// <see cref="PolicyReader"/>, which validates the document first.
/// </summary>
public sealed class Policy
{
    internal Policy(PolicyDocument document)
    {
        Document = document;
    }

    public string Code { get; internal init; } = "";

    public string Name { get; internal init; } = "";

    public string Region { get; internal init; } = "";

    public DateOnly CollectionStart { get; internal init; }

    public DateOnly CollectionEnd { get; internal init; }

    public DateOnly CoverageStart { get; internal init; }

    public DateOnly CoverageEnd { get; internal init; }

    /// <summary>Days a refund may wait on a step before staff are reminded.</summary>
    public int RefundReminderDays { get; internal init; }

    public DateOnly? RepaymentDeadline { get; internal init; }

    /// <summary>
    /// Cash an agent (community, school, township) collected must be remitted to the treasury within this many days
    /// (deadline <c>cash-remittance</c>, luyang-2023 五(一) "现金应于30天内或金额达到20万元时……汇缴入库"); null = no such duty.
    /// </summary>
    public int? CashRemittanceDays { get; internal init; }

    /// <summary>…or once the cash held reaches this many yuan (the same deadline's <c>amountLimit</c>).</summary>
    public decimal? CashRemittanceAmount { get; internal init; }

    /// <summary>Universities' unified collections must be in the treasury by this day (deadline <c>university-remittance</c>, luyang-2023 五(四)).</summary>
    public DateOnly? UniversityRemittanceBy { get; internal init; }

    /// <summary>
    /// Universities send their new students' list by this day (deadline <c>university-list</c>, luyang-2023 五(四)
    /// "新入学大学生名单于9月30日前报送"): a roster of new students later is still taken, and flagged.
    /// </summary>
    public DateOnly? UniversityListBy { get; internal init; }

    /// <summary>
    /// The bureau moves the subsidies of the year's subsidised people from the assistance-fund account to the fiscal
    /// account by this day (deadline <c>subsidy-transfer</c>, luyang-2023 五(五) "12月31日前，区医保局按照上报的资助参保人数和标准，
    /// 将资助参保缴费金额从医疗救助资金帐户划转到市居民医保财政专户"); null = the policy sets no day.
    /// </summary>
    public DateOnly? SubsidyTransferBy { get; internal init; }

    public IReadOnlyList<RefundReason> RefundReasons { get; internal init; } = [];

    public IReadOnlyList<RefundReason> RefundReasonsBeforeCollectionEnd { get; internal init; } = [];

    public IReadOnlyList<RefundChannel> RefundChannels { get; internal init; } = [];

    public bool TopUpOnIncrease { get; internal init; }

    public bool ClawBackOnDecrease { get; internal init; }

    /// <summary>An identity claimed at a window or in a roster that no list confirms subsidises (default false).</summary>
    public bool UnconfirmedClaimsSubsidise { get; internal init; }

    /// <summary>Per department (indexed by the enum): the identities its lists may confirm; null = not restricted.</summary>
    internal SubsidyIdentitySet?[] DepartmentIdentities { get; init; } = [];

    internal uint DepartmentsExcludingEmployeeInsured { get; init; }

    internal IReadOnlyDictionary<string, SubsidyIdentity> IdentityLabels { get; init; } = new Dictionary<string, SubsidyIdentity>();

    /// <summary>Whether a list of <paramref name="department"/> may confirm <paramref name="identity"/> under this policy.</summary>
    public bool Confirms(Department department, SubsidyIdentity identity) =>
        (int)department >= DepartmentIdentities.Length || DepartmentIdentities[(int)department] is not { } own || own.Contains(identity);

    /// <summary>The identities a department confirms under this policy; null when the policy does not restrict it.</summary>
    public SubsidyIdentitySet? IdentitiesOf(Department department) =>
        (int)department < DepartmentIdentities.Length ? DepartmentIdentities[(int)department] : null;

    /// <summary>Whether the department's lists must not include people in employee insurance.</summary>
    public bool ExcludesEmployeeInsured(Department department) => (DepartmentsExcludingEmployeeInsured & (1u << (int)department)) != 0;

    /// <summary>
    /// Reads an identity as this policy's files may write it: a label the policy file defines first (the same
    /// words can mean different groups in two notices), then the glossary's codes and labels.
    /// </summary>
    public bool TryParseIdentity(string? text, out SubsidyIdentity identity)
    {
        identity = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        return IdentityLabels.TryGetValue(CodeBook<SubsidyIdentity>.Normalise(text), out identity)
            || Glossary.SubsidyIdentities.TryParse(text, out identity);
    }

    /// <summary>A payment from a mobilised person who is not enrolled enrols them (<see cref="SubsidyListRules.MobilisedPaymentEnrols"/>).</summary>
    public bool MobilisedPaymentEnrols => Document.SubsidyLists?.MobilisedPaymentEnrols ?? false;

    /// <summary>The validated document as written, for <c>GET /api/policies/{code}</c>.</summary>
    public PolicyDocument Document { get; }

    internal CompiledRate[] Rates { get; init; } = [];

    /// <summary>Per identity (indexed by the enum value): the rules that identity can use.</summary>
    internal CompiledSubsidy[][] SubsidiesByIdentity { get; init; } = [];

    internal bool NonLocalNeedsResidencePermit { get; init; }

    internal uint NonLocalExemptPopulations { get; init; }

    internal bool NewbornWithInsuredParentExempt { get; init; }

    internal bool MinorWithLocallyInsuredParentExempt { get; init; }

    internal CompiledLateRule[] LateRules { get; init; } = [];

    internal CompiledNewbornRule[] NewbornRules { get; init; } = [];

    /// <summary>Indexed by <see cref="UniversityPaymentMode"/>; null when the policy has no rule for it.</summary>
    internal CoverageFrom?[] UniversityCoverage { get; init; } = [];

    internal bool HasUniversityRules { get; init; }

    /// <summary>The university payment-mode rules cover new students only (see <see cref="UniversityRules.NewStudentsOnly"/>).</summary>
    internal bool UniversityNewStudentsOnly { get; init; }

    /// <summary>Indexed by <see cref="Population"/>; null when the policy sets no plausible ages for it.</summary>
    internal AgeRange?[] PlausibleAges { get; init; } = [];

    /// <summary>The ages a person of <paramref name="population"/> may plausibly have (a roster data check); null = any.</summary>
    public AgeRange? PlausibleAge(Population population) =>
        (int)population < PlausibleAges.Length ? PlausibleAges[(int)population] : null;

    /// <summary>Which subsidy identities this policy knows (the others give nothing here).</summary>
    public IEnumerable<SubsidyIdentity> SubsidisedIdentities =>
        Enum.GetValues<SubsidyIdentity>().Where(i => SubsidiesByIdentity[(int)i].Length > 0);

    /// <summary>
    /// The extra subsidy owed when a person's identity changes after they were subsidised: a rise is
    /// topped up (补差) where the policy says so; a fall is clawed back only where the policy says so.
    /// Positive = government pays more; negative = the person owes back.
    /// </summary>
    public decimal SubsidyAdjustment(decimal previousSubsidy, decimal newSubsidy)
    {
        var difference = newSubsidy - previousSubsidy;
        return difference switch
        {
            > 0 when TopUpOnIncrease => difference,
            < 0 when ClawBackOnDecrease => difference,
            _ => 0m,
        };
    }
}

/// <summary>Ages in completed years, both ends included.</summary>
public readonly record struct AgeRange(int Min, int Max)
{
    /// <summary>Completed years of a person born on <paramref name="birth"/>, on <paramref name="on"/>.</summary>
    public static int AgeOn(DateOnly birth, DateOnly on)
    {
        var age = on.Year - birth.Year;
        return birth.AddYears(age) > on ? age - 1 : age;
    }

    public bool Contains(int age) => age >= Min && age <= Max;
}

internal sealed record CompiledRate(uint Populations, DateOnly BornOnOrAfter, DateOnly BornBefore, decimal Amount, int Index);

/// <summary>One subsidy rule for one identity; <see cref="AmountByRate"/> is the subsidy for each rate index.</summary>
internal sealed record CompiledSubsidy(
    SubsidyIdentity Identity,
    SubsidyMode Mode,
    uint AllowanceClasses,
    bool RequiresLocalHukou,
    decimal[] AmountByRate);

internal sealed record CompiledLateRule(DateOnly Until, bool RequiresMigrantWorkerProof, uint SubsidyModes, CoverageFrom CoverageFrom, int WaitingMonths);

internal sealed record CompiledNewbornRule(
    bool RequiresParentInsured,
    bool? RegisteredBeforeBirth,
    bool BornInCoverageYear,
    bool RegisteredInBirthYear,
    int? RegisteredWithinMonthsOfBirth,
    bool Free,
    bool IgnoresCollectionPeriod,
    CoverageFrom CoverageFrom);
