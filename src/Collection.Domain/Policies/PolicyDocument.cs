using System.Text.Json;
using System.Text.Json.Serialization;

namespace Collection.Domain.Policies;

// The policy file schema (policies/*.json). Everything a jurisdiction decides is a field here; the
// engine reads only the compiled form (Policy). Any object may carry "$comment" (a string or a list
// of strings) citing the seed's sentence behind a decision.

/// <summary>Anything in a policy file may carry a <c>$comment</c>.</summary>
public abstract class PolicyNode
{
    [JsonPropertyName("$comment")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public JsonElement? Comment { get; set; }
}

public sealed class PolicyDocument : PolicyNode
{
    /// <summary>Policy code, keyed by the coverage year it finances (<c>wuhai-2022</c>).</summary>
    public string? Code { get; set; }

    public string? Name { get; set; }

    /// <summary>Administrative region code (GB/T 2260) of the jurisdiction.</summary>
    public string? Region { get; set; }

    /// <summary>The original notice: issuer, document number, date.</summary>
    public string? Source { get; set; }

    /// <summary>The collection period (集中参保期 / 征缴期).</summary>
    public DatePeriod? Collection { get; set; }

    /// <summary>The coverage year (待遇享受期).</summary>
    public DatePeriod? Coverage { get; set; }

    /// <summary>Personal contribution by population and birth date; the first matching rule applies.</summary>
    public List<RateRule>? Rates { get; set; }

    public EligibilityRules? Eligibility { get; set; }

    /// <summary>Subsidised identities; several identities give the single highest subsidy (就高不重复).</summary>
    public List<SubsidyRule>? Subsidies { get; set; }

    /// <summary>How several identities combine. Only <c>highest-single</c> (就高不重复) occurs in the seeds.</summary>
    public string? SubsidyCombination { get; set; }

    public SubsidyChangeRules? SubsidyChanges { get; set; }

    /// <summary>How the departments' subsidy lists act: who confirms which identity, labels, unconfirmed claims (issue 17).</summary>
    public SubsidyListRules? SubsidyLists { get; set; }

    /// <summary>Who may still enrol after the collection period, and from when they are covered; first match applies.</summary>
    public List<LateEnrolmentRule>? LateEnrolment { get; set; }

    /// <summary>Newborn rules, not bound to the collection period unless they say so; first match applies.</summary>
    public List<NewbornRule>? Newborns { get; set; }

    public UniversityRules? UniversityStudents { get; set; }

    /// <summary>Ages a roster row may plausibly have per population (a data check, not eligibility); none = no check.</summary>
    public List<PlausibleAge>? PlausibleAges { get; set; }

    public FiscalSubsidy? FiscalSubsidy { get; set; }

    public EnrolmentTargets? Targets { get; set; }

    public RefundRules? Refunds { get; set; }

    /// <summary>What the notice does with last year's roll (the roll-over of this year's 应征 records).</summary>
    public LastYearRules? LastYear { get; set; }

    /// <summary>Other dated duties of the notice (subsidy lists, rosters, remittance), for timers and reports.</summary>
    public List<Deadline>? Deadlines { get; set; }
}

public sealed class DatePeriod : PolicyNode
{
    public string? Start { get; set; }

    public string? End { get; set; }
}

public sealed class RateRule : PolicyNode
{
    public List<string>? Populations { get; set; }

    public string? BornOnOrAfter { get; set; }

    public string? BornBefore { get; set; }

    public decimal? Amount { get; set; }
}

public sealed class EligibilityRules : PolicyNode
{
    /// <summary>A person without local hukou needs a local residence permit…</summary>
    public bool NonLocalNeedsResidencePermit { get; set; }

    /// <summary>…unless of one of these populations (students of local schools).</summary>
    public List<string>? NonLocalExemptPopulations { get; set; }

    /// <summary>…or a newborn whose parent is insured here.</summary>
    public bool NewbornWithInsuredParentExempt { get; set; }

    /// <summary>
    /// …or a minor (under 18 on the day) living with a parent employed and insured here (luyang-2023 二（四）
    /// “非本市户籍，随在本市就业参保人员共同生活的未成年子女”), as the request's <c>livesWithLocallyInsuredParent</c> says.
    /// </summary>
    public bool MinorWithLocallyInsuredParentExempt { get; set; }
}

public sealed class SubsidyRule : PolicyNode
{
    public List<string>? Identities { get; set; }

    /// <summary>When given, the rule applies only to these minimum-living-allowance classes, and a missing class is an error.</summary>
    public List<string>? AllowanceClasses { get; set; }

    /// <summary><c>waived</c>, <c>deducted</c> or <c>rebate</c>.</summary>
    public string? Mode { get; set; }

    /// <summary>Fixed yuan amount (capped at the standard contribution).</summary>
    public decimal? Amount { get; set; }

    /// <summary>Share of the standard contribution, 0..1 (rounded to the fen).</summary>
    public decimal? Ratio { get; set; }

    public bool RequiresLocalHukou { get; set; }

    /// <summary>Who pays it (information for reports).</summary>
    public string? PaidBy { get; set; }
}

public sealed class SubsidyChangeRules : PolicyNode
{
    /// <summary>An identity change that raises the subsidy is topped up (补差).</summary>
    public bool TopUpOnIncrease { get; set; }

    /// <summary>An identity change that lowers or ends the subsidy is clawed back.</summary>
    public bool ClawBackOnDecrease { get; set; }

    /// <summary>People who paid in full and are later recognised as subsidised get the subsidy.</summary>
    public bool SubsidyAfterFullPayment { get; set; }
}

public sealed class SubsidyListRules : PolicyNode
{
    /// <summary>
    /// Whether an identity typed at a window or in a roster, that no list confirms, subsidises before a list
    /// confirms it. Default false: it is recorded as claimed and shown as unconfirmed.
    /// </summary>
    public bool UnconfirmedClaimsSubsidise { get; set; }

    /// <summary>
    /// A payment from a person the lists name who is not enrolled (the mobilisation list's people: a partly subsidised
    /// identity in force, nothing enrolled) enrols them and posts in one step (luyang-2023 五(五)
    /// “经动员自愿参保缴费的，个人完成缴费的同时医保信息系统自动调整参保状态信息”). Default false: such a payment is refused
    /// <c>no-assessment</c> until the person is enrolled.
    /// </summary>
    public bool MobilisedPaymentEnrols { get; set; }

    /// <summary>Which identities each department may confirm; none given = any department any identity.</summary>
    public List<DepartmentIdentities>? Departments { get; set; }

    /// <summary>Chinese labels that mean an identity under this policy (beside the glossary's codes and labels).</summary>
    public List<IdentityLabel>? Labels { get; set; }
}

public sealed class DepartmentIdentities : PolicyNode
{
    /// <summary>Glossary department code (civil-affairs, …).</summary>
    public string? Department { get; set; }

    /// <summary>The identities that department's lists may confirm (glossary codes).</summary>
    public List<string>? Identities { get; set; }

    /// <summary>The department's lists must not include people in employee insurance (dalate-2022 五, 残联).</summary>
    public bool ExcludesEmployeeInsured { get; set; }
}

public sealed class IdentityLabel : PolicyNode
{
    public string? Label { get; set; }

    /// <summary>Glossary identity code the label means under this policy.</summary>
    public string? Identity { get; set; }
}

public sealed class LateEnrolmentRule : PolicyNode
{
    /// <summary>Last day of this exception; none = until the coverage year ends.</summary>
    public string? Until { get; set; }

    public bool RequiresMigrantWorkerProof { get; set; }

    /// <summary>Only people whose subsidy has one of these modes.</summary>
    public List<string>? RequiresSubsidyModes { get; set; }

    /// <summary><c>payment-date</c> or <c>day-after-payment</c>.</summary>
    public string? CoverageFrom { get; set; }

    /// <summary>Calendar months between coverage-from and the first covered day (待遇等待期).</summary>
    public int WaitingMonths { get; set; }
}

public sealed class NewbornRule : PolicyNode
{
    public bool RequiresParentInsured { get; set; }

    /// <summary>When set, the rule applies only if registration before birth is (true) or is not (false) the case.</summary>
    public bool? RegisteredBeforeBirth { get; set; }

    public bool BornInCoverageYear { get; set; }

    public bool RegisteredInBirthYear { get; set; }

    /// <summary>Registered no later than this many calendar months after birth.</summary>
    public int? RegisteredWithinMonthsOfBirth { get; set; }

    /// <summary>Pays nothing for the year (免缴).</summary>
    public bool Free { get; set; }

    /// <summary>When false, the collection period and its exceptions still apply.</summary>
    public bool IgnoresCollectionPeriod { get; set; } = true;

    /// <summary><c>birth</c>, <c>payment-date</c>, <c>day-after-payment</c> or <c>coverage-start</c>.</summary>
    public string? CoverageFrom { get; set; }
}

public sealed class PlausibleAge : PolicyNode
{
    public List<string>? Populations { get; set; }

    /// <summary>Youngest plausible age, in completed years on the day the row is assessed.</summary>
    public int? Min { get; set; }

    /// <summary>Oldest plausible age, in completed years on the day the row is assessed.</summary>
    public int? Max { get; set; }
}

public sealed class UniversityRules : PolicyNode
{
    public List<UniversityPaymentRule>? PaymentModes { get; set; }

    /// <summary>
    /// The payment-mode rules are for new students only (luyang-2023 五(四) “新入学大学生……”): a student the request
    /// or roster says is not new (<c>newStudent: false</c>, 是否新生 否) is covered like any resident paying in the period.
    /// </summary>
    public bool NewStudentsOnly { get; set; }
}

public sealed class UniversityPaymentRule : PolicyNode
{
    /// <summary><c>unified</c> or <c>wechat</c>.</summary>
    public string? Mode { get; set; }

    /// <summary><c>payment-date</c> or <c>day-after-payment</c>; this may fall before the coverage year starts.</summary>
    public string? CoverageFrom { get; set; }
}

public sealed class FiscalSubsidy : PolicyNode
{
    public decimal? TotalPerPerson { get; set; }

    /// <summary>The whole financing per person, government's and the person's (luyang-2023 三: 960 = 610 + 350).</summary>
    public decimal? FinancingPerPerson { get; set; }

    /// <summary>The critical-illness insurance premium financed per person (baiyin-2023 二(三): 90 yuan).</summary>
    public decimal? CriticalIllnessPerPerson { get; set; }

    public List<FiscalTier>? Tiers { get; set; }
}

public sealed class FiscalTier : PolicyNode
{
    public int Tier { get; set; }

    public List<County>? Counties { get; set; }

    public decimal Central { get; set; }

    public decimal Provincial { get; set; }

    public decimal City { get; set; }

    public decimal County { get; set; }
}

public sealed class County : PolicyNode
{
    public string? Code { get; set; }

    public string? Name { get; set; }
}

public sealed class EnrolmentTargets : PolicyNode
{
    /// <summary>Minimum enrolment rate, 0..1.</summary>
    public decimal? EnrolmentRate { get; set; }

    /// <summary>
    /// When given, <see cref="EnrolmentRate"/> is the rate for the people of these identities only (baiyin-2023:
    /// 100 % of the rural low-income groups), not the whole jurisdiction's.
    /// </summary>
    public List<string>? RateIdentities { get; set; }

    /// <summary>
    /// <c>policy</c> (the units below are the task) or <c>uploaded</c>: the notice gives the tasks later
    /// ("具体任务另行通知"); the bureau uploads them (<c>PUT /api/reports/{policy}/targets</c>).
    /// </summary>
    public string? UnitsFrom { get; set; }

    public List<EnrolmentTarget>? Units { get; set; }

    /// <summary>When given, the units must add up to it.</summary>
    public int? Total { get; set; }
}

public sealed class EnrolmentTarget : PolicyNode
{
    public string? Name { get; set; }

    public int People { get; set; }

    /// <summary>
    /// Which enrolments are this unit's. A unit with none of <see cref="Sources"/>, <see cref="Populations"/> and
    /// <see cref="Identities"/> is a town or street: the enrolments whose town is its name (or one of
    /// <see cref="Towns"/>). Units with rules are matched first, in file order.
    /// </summary>
    public List<string>? Towns { get; set; }

    /// <summary>Enrolment sources starting with one of these (<c>roster:</c> = every school roster).</summary>
    public List<string>? Sources { get; set; }

    /// <summary>Populations (<c>student</c>, <c>preschool</c>…).</summary>
    public List<string>? Populations { get; set; }

    /// <summary>Confirmed subsidy identities (a department's list confirmed them).</summary>
    public List<string>? Identities { get; set; }
}

public sealed class RefundRules : PolicyNode
{
    public List<string>? Reasons { get; set; }

    /// <summary>Reasons that count only when they happened before the collection period ended.</summary>
    public List<string>? ReasonsBeforeCollectionEnd { get; set; }

    public List<string>? Channels { get; set; }

    /// <summary>A re-payment after a wrongly collected fee is refunded must be made by this day.</summary>
    public string? RepaymentDeadline { get; set; }

    /// <summary>Days a refund may wait on a step before staff are reminded (default 5).</summary>
    public int? ReminderDays { get; set; }
}

public sealed class LastYearRules : PolicyNode
{
    /// <summary>
    /// The bureau generates this year's registrations and amounts due (应征) from last year's roll (wuhai-2022 四
    /// "参照 2021 属期……批量生成 2022 属期……应征信息"); without it a roll-over is refused.
    /// </summary>
    public bool RollOver { get; set; }
}

public sealed class Deadline : PolicyNode
{
    public string? Code { get; set; }

    /// <summary>A calendar date <c>yyyy-MM-dd</c>.</summary>
    public string? Date { get; set; }

    /// <summary>A day of each month (1..31) for monthly duties.</summary>
    public int? DayOfMonth { get; set; }

    /// <summary>A duty due within this many days of its trigger (cash remitted within 30 days).</summary>
    public int? WithinDays { get; set; }

    /// <summary>A yuan amount that makes the duty due earlier (cash remitted once it reaches 200,000).</summary>
    public decimal? AmountLimit { get; set; }

    public string? Description { get; set; }
}
