namespace Collection.Domain.Codes;

/// <summary>Who the person is, for the rate (glossary.md "Population").</summary>
public enum Population
{
    Resident,
    Preschool,
    Student,
    UniversityStudent,
    Newborn,
}

/// <summary>Subsidised identities (资助身份). A person may hold several; see <see cref="SubsidyIdentitySet"/>.</summary>
public enum SubsidyIdentity
{
    ExtremePoverty,
    Orphan,
    MinimumLivingAllowance,
    LowIncomeMargin,
    LowIncomeMarginElderly,
    PovertyLifted,
    PovertyUnstable,
    ReturnedToPoverty,
    AtRiskOfReturning,
    SuddenHardship,
    DisabledGrade1,
    DisabledGrade2,
    DisabledUnableToWork,
    Sanmin,
    EthnicMinority,
    FamilyPlanningSpecial,

    /// <summary>困境儿童: subsidised only where a notice names them (wuhai-2022 "孤儿(含困境儿童)"); not an orphan.</summary>
    ChildrenInDifficulty,

    /// <summary>低保边缘家庭 (民政): not the same as 边缘易致贫户 (乡村振兴, <see cref="LowIncomeMargin"/>).</summary>
    LowIncomeFamily,
}

/// <summary>
/// What staff record about a person's other insurance (one person, one insurance a year: dalate-2022 一
/// “不得同时参加……不得重复享受医疗保险待遇”; luyang-2023 二 “已参加职工医保或在外市参加下年度居民医保的，不允许重复参保”).
/// </summary>
public enum InsuranceFact
{
    /// <summary>已在外地参加居民医保 for a coverage year: enrolment here for that year is refused.</summary>
    InsuredElsewhere,

    /// <summary>已参加职工医保: enrolment under any policy is refused.</summary>
    EmployeeInsurance,

    /// <summary>承诺未在其他地区参加基本医疗保险 (dalate-2022 一) for a coverage year.</summary>
    Commitment,
}

/// <summary>Minimum-living-allowance classes (低保类别), as baiyin-2023 grades them.</summary>
public enum AllowanceClass
{
    Rural1,
    Rural2,
    Rural3,
    Rural4,
    UrbanFull,
    UrbanDifferential,
}

/// <summary>How a subsidy reaches the person.</summary>
public enum SubsidyMode
{
    /// <summary>No subsidy applies.</summary>
    None,

    /// <summary>The person pays nothing; government pays the personal share.</summary>
    Waived,

    /// <summary>The person pays the standard amount minus the subsidy.</summary>
    Deducted,

    /// <summary>The person pays in full and the subsidy is paid back later (先缴后补).</summary>
    Rebate,
}

/// <summary>The seven refund reasons (退费情形, bagongshan-2022 §六(九)1).</summary>
public enum RefundReason
{
    DuplicatePayment,
    JoinedEmployeeInsurance,
    Deceased,
    DuplicateEnrolment,
    MovedPoolingRegion,
    GaveUpBeforeDeadline,
    SubsidisedPaidFull,

    /// <summary>Fees wrongly collected from someone outside the scope (wuhai-2022 五(四) "误收参保范围以外人员费款").</summary>
    WronglyCollected,
}

/// <summary>Payment channels (缴费渠道).</summary>
public enum PaymentChannel
{
    WeChatScan,
    Online,
    Cash,
    BankCounter,
    TaxClient,
    Unified,
    AssistanceFund,
}

/// <summary>Refund handling by payment channel (退费处理, bagongshan-2022 §六(九)2).</summary>
public enum RefundChannel
{
    WeChatScan,
    Online,
    CashNotInTreasury,
    CashInTreasury,
}

/// <summary>How a university student pays (luyang-2023 §五(四)): with tuition, or on their own by WeChat.</summary>
public enum UniversityPaymentMode
{
    Unified,
    WeChat,
}

/// <summary>Why a person cannot enrol under a policy on a day. Several may hold at once.</summary>
[Flags]
public enum IneligibilityReasons
{
    None = 0,
    CollectionNotOpen = 1,
    CollectionClosed = 2,
    InEmployeeInsurance = 4,
    NoResidencePermit = 8,
    NoCoverageLeft = 16,
}

/// <summary>The glossary tables. Every parser accepts the code or a Chinese label.</summary>
public static class Glossary
{
    public static readonly CodeBook<Population> Populations = new(
        "population",
        Entry(Population.Resident, "resident", "城乡居民（非在校）", "城乡居民", "非在校居民", "居民"),
        Entry(Population.Preschool, "preschool", "学龄前儿童 / 在园幼儿", "学龄前儿童", "在园幼儿", "幼儿"),
        Entry(Population.Student, "student", "在校学生（中小学、职高、中专、技校）", "在校学生", "中小学生", "学生"),
        Entry(Population.UniversityStudent, "university-student", "大学生（大中专院校、含全日制研究生）", "大学生", "大中专学生", "研究生"),
        Entry(Population.Newborn, "newborn", "新生儿"));

    public static readonly CodeBook<SubsidyIdentity> SubsidyIdentities = new(
        "subsidy identity",
        Entry(SubsidyIdentity.ExtremePoverty, "extreme-poverty", "特困人员", "特困供养人员", "特困人员（含五保）", "特困供养人员（含五保）", "五保", "五保户"),
        Entry(SubsidyIdentity.Orphan, "orphan", "孤儿", "孤儿（含社会散居孤儿、事实无人抚养儿童）", "事实无人抚养儿童", "社会散居孤儿"),
        Entry(SubsidyIdentity.MinimumLivingAllowance, "minimum-living-allowance", "低保对象", "低保", "城乡低保对象", "最低生活保障对象", "最低生活保障家庭成员"),
        Entry(SubsidyIdentity.LowIncomeMargin, "low-income-margin", "边缘易致贫户", "边缘易致贫人口"),
        Entry(SubsidyIdentity.LowIncomeMarginElderly, "low-income-margin-elderly", "低保边缘家庭老年人"),
        Entry(SubsidyIdentity.PovertyLifted, "poverty-lifted", "脱贫人口", "已脱贫人口", "稳定脱贫人口"),
        Entry(SubsidyIdentity.PovertyUnstable, "poverty-unstable", "脱贫不稳定户（纳入监测）", "脱贫不稳定户", "脱贫不稳定人员"),
        Entry(SubsidyIdentity.ReturnedToPoverty, "returned-to-poverty", "返贫致贫人口", "返贫致贫人员", "农村返贫致贫人口"),
        Entry(SubsidyIdentity.AtRiskOfReturning, "at-risk-of-returning", "易返贫致贫人口", "农村易返贫致贫人口"),
        Entry(SubsidyIdentity.SuddenHardship, "sudden-hardship", "突发严重困难户"),
        Entry(SubsidyIdentity.DisabledGrade1, "disabled-grade-1", "一级残疾人"),
        Entry(SubsidyIdentity.DisabledGrade2, "disabled-grade-2", "二级残疾人"),
        Entry(SubsidyIdentity.DisabledUnableToWork, "disabled-unable-to-work", "丧失劳动能力的残疾人"),
        Entry(SubsidyIdentity.Sanmin, "sanmin", "享受生活补贴的“三民”人员", "三民人员", "“三民”人员"),
        Entry(SubsidyIdentity.EthnicMinority, "ethnic-minority", "少数民族", "少数民族（蒙古族、达斡尔族、鄂伦春族、鄂温克族等）", "蒙古族", "达斡尔族", "鄂伦春族", "鄂温克族"),
        Entry(SubsidyIdentity.FamilyPlanningSpecial, "family-planning-special", "计划生育特殊家庭父母", "计划生育特殊家庭"),
        Entry(SubsidyIdentity.ChildrenInDifficulty, "children-in-difficulty", "困境儿童"),
        Entry(SubsidyIdentity.LowIncomeFamily, "low-income-family", "低保边缘家庭", "低保边缘"));

    // Labels from baiyin-2023 §三2: "农村一、二类低保和城市低保全额保障对象……农村三、四类低保和城市低保差额保障对象".
    public static readonly CodeBook<AllowanceClass> AllowanceClasses = new(
        "allowance class",
        Entry(AllowanceClass.Rural1, "rural-1", "农村一类低保", "农村一类", "一类"),
        Entry(AllowanceClass.Rural2, "rural-2", "农村二类低保", "农村二类", "二类"),
        Entry(AllowanceClass.Rural3, "rural-3", "农村三类低保", "农村三类", "三类"),
        Entry(AllowanceClass.Rural4, "rural-4", "农村四类低保", "农村四类", "四类"),
        Entry(AllowanceClass.UrbanFull, "urban-full", "城市低保全额保障对象", "城市低保全额保障", "全额保障"),
        Entry(AllowanceClass.UrbanDifferential, "urban-differential", "城市低保差额保障对象", "城市低保差额保障", "差额保障"));

    public static readonly CodeBook<SubsidyMode> SubsidyModes = new(
        "subsidy mode",
        Entry(SubsidyMode.None, "none", "无资助"),
        Entry(SubsidyMode.Waived, "waived", "全额资助（个人免缴）", "全额资助", "政府全额代缴"),
        Entry(SubsidyMode.Deducted, "deducted", "定额资助（应缴中扣减）", "定额资助", "分类资助"),
        Entry(SubsidyMode.Rebate, "rebate", "先缴后补", "先缴后补助"));

    public static readonly CodeBook<RefundReason> RefundReasons = new(
        "refund reason",
        Entry(RefundReason.DuplicatePayment, "duplicate-payment", "同一个人重复缴费多次，扣费多次，仅成功参保一次", "重复缴费"),
        Entry(RefundReason.JoinedEmployeeInsurance, "joined-employee-insurance", "集中参保期结束前参加职工医保", "参加职工医保"),
        Entry(RefundReason.Deceased, "deceased", "集中参保期结束前死亡", "死亡"),
        Entry(RefundReason.DuplicateEnrolment, "duplicate-enrolment", "集中参保期结束前发现重复参保", "重复参保"),
        Entry(RefundReason.MovedPoolingRegion, "moved-pooling-region", "参保地发生跨统筹区变更", "跨统筹区变更"),
        Entry(RefundReason.GaveUpBeforeDeadline, "gave-up-before-deadline", "集中参保期结束前放弃缴费", "集中参保期结束前放弃缴费的", "放弃缴费"),
        Entry(RefundReason.SubsidisedPaidFull, "subsidised-paid-full", "享受财政资助特殊群体错按正常全额缴费", "享受财政资助特殊群体错按正常全额缴费的", "资助对象错按全额缴费"),
        Entry(RefundReason.WronglyCollected, "wrongly-collected", "误收参保范围以外人员费款", "误收", "误收费款"));

    public static readonly CodeBook<PaymentChannel> PaymentChannels = new(
        "payment channel",
        Entry(PaymentChannel.WeChatScan, "wechat-scan", "微信扫码（代收点扫码）", "微信扫码", "代收点扫码"),
        Entry(PaymentChannel.Online, "online", "线上缴费（皖事通、微信、支付宝、税务APP、电子税务局）", "线上缴费", "线上", "皖事通", "微信", "支付宝", "税务APP", "电子税务局"),
        Entry(PaymentChannel.Cash, "cash", "现金", "现金缴费"),
        Entry(PaymentChannel.BankCounter, "bank-counter", "银行柜台", "柜台缴费"),
        Entry(PaymentChannel.TaxClient, "tax-client", "税务客户端（单位申报缴费，如学校）", "税务客户端", "单位申报缴费"),
        Entry(PaymentChannel.Unified, "unified", "统一代收（高校随学费代收）", "统一代收", "统一代收代缴"),
        Entry(PaymentChannel.AssistanceFund, "assistance-fund", "医疗救助资金代缴", "医疗救助资金"));

    public static readonly CodeBook<RefundChannel> RefundChannels = new(
        "refund channel",
        Entry(RefundChannel.WeChatScan, "wechat-scan", "代收点微信扫码缴费", "代收点微信扫码缴费退费"),
        Entry(RefundChannel.Online, "online", "皖事通或微信端缴费", "皖事通或微信端缴费退费"),
        Entry(RefundChannel.CashNotInTreasury, "cash-not-in-treasury", "现金缴费，已缴入税务账户但尚未入库", "现金未入库"),
        Entry(RefundChannel.CashInTreasury, "cash-in-treasury", "现金缴费，已缴入税务账户且已经入库", "现金已入库"));

    public static readonly CodeBook<UniversityPaymentMode> UniversityPaymentModes = new(
        "university payment mode",
        Entry(UniversityPaymentMode.Unified, "unified", "统一代收代缴", "统一代收", "高校统一代收"),
        Entry(UniversityPaymentMode.WeChat, "wechat", "微信缴费", "微信", "微信参保缴费"));

    // Not in glossary.md: codes chosen for issue 8's blob path {policy}/{department}/…; labels as the notices write them.
    public static readonly CodeBook<Department> Departments = new(
        "department",
        Entry(Department.CivilAffairs, "civil-affairs", "民政", "民政局", "民政部门", "旗民政局", "区民政局"),
        Entry(Department.DisabledFederation, "disabled-federation", "残联", "残疾人联合会", "旗残联", "市残联"),
        Entry(Department.RuralRevitalisation, "rural-revitalisation", "乡村振兴", "乡村振兴局", "乡村振兴部门", "区乡村振兴局", "乡村振兴统筹发展中心", "rural-revitalization"),
        Entry(Department.EthnicAffairs, "ethnic-affairs", "民委", "民族事务委员会", "旗民族事务委员会", "民宗局"),
        Entry(Department.Health, "health", "卫健", "卫生健康部门", "卫健委", "卫生健康委员会"));

    // Not in glossary.md: facts about a person's other insurance (issue 19), labels as the notices say them.
    public static readonly CodeBook<InsuranceFact> InsuranceFacts = new(
        "insurance fact",
        Entry(InsuranceFact.InsuredElsewhere, "insured-elsewhere", "已在外地参加基本医疗保险", "外地参保", "在外市参保", "异地参保"),
        Entry(InsuranceFact.EmployeeInsurance, "employee-insurance", "已参加职工基本医疗保险", "职工医保", "参加职工医保"),
        Entry(InsuranceFact.Commitment, "commitment", "承诺未在其他地区参加基本医疗保险", "承诺", "参保承诺"));

    // Not in glossary.md: document types (证件类型) of issue 19, labels as the documents are called (GA/T 517 names 居民身份证 and 护照).
    public static readonly CodeBook<DocumentType> DocumentTypes = new(
        "document type",
        Entry(DocumentType.ResidentIdCard, "resident-id-card", "居民身份证", "身份证", "公民身份号码", "港澳台居民居住证", "resident-id"),
        Entry(DocumentType.ForeignPermanentResident, "foreign-permanent-resident", "外国人永久居留身份证", "外国人永久居留证", "永居证", "永久居留身份证"),
        Entry(DocumentType.Passport, "passport", "护照", "外国护照"),
        Entry(DocumentType.NewbornRegistration, "newborn-registration", "出生前参保登记号"));

    private static CodeEntry<T> Entry<T>(T value, string code, string label, params string[] aliases)
        where T : struct, Enum => new(value, code, label, aliases);
}

/// <summary>Codes and labels of the reasons a person is not eligible.</summary>
public static class IneligibilityReasonCodes
{
    private static readonly (IneligibilityReasons Reason, string Code, string Label)[] Table =
    [
        (IneligibilityReasons.InEmployeeInsurance, "in-employee-insurance", "已参加职工基本医疗保险"),
        (IneligibilityReasons.NoResidencePermit, "no-residence-permit", "非本地户籍且未持本地居住证"),
        (IneligibilityReasons.CollectionNotOpen, "collection-not-open", "征缴期尚未开始"),
        (IneligibilityReasons.CollectionClosed, "collection-closed", "征缴期已结束"),
        (IneligibilityReasons.NoCoverageLeft, "no-coverage-left", "待遇享受期内已无可享受的待遇期间"),
    ];

    public static IReadOnlyList<string> AllCodes { get; } = Array.ConvertAll(Table, r => r.Code);

    /// <summary>The codes of every reason in <paramref name="reasons"/>, in a stable order.</summary>
    public static IReadOnlyList<string> Codes(this IneligibilityReasons reasons)
    {
        var codes = new List<string>(2);
        foreach (var row in Table)
        {
            if ((reasons & row.Reason) != 0)
            {
                codes.Add(row.Code);
            }
        }

        return codes;
    }

    public static IReadOnlyList<string> Labels(this IneligibilityReasons reasons)
    {
        var labels = new List<string>(2);
        foreach (var row in Table)
        {
            if ((reasons & row.Reason) != 0)
            {
                labels.Add(row.Label);
            }
        }

        return labels;
    }
}
