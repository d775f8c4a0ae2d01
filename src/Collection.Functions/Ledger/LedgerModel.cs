using Collection.Domain;
using Collection.Domain.Assessments;
using Collection.Domain.Codes;
using Collection.Domain.Enrolments;
using Collection.Domain.Policies;
using Collection.Functions.Assessments;

namespace Collection.Functions.Ledger;

/// <summary>Contact details kept with an enrolment (staff only).</summary>
/// <param name="Faculty">院系 of a university student, from the roster (luyang-2023 五(四)); null for everyone else.</param>
public sealed record PersonDetails(string? Name = null, string? Phone = null, string? Address = null, string? Town = null, string? Faculty = null);

/// <summary>What <see cref="EnrolmentLedger.EnrolAsync"/> needs: the assessment request (with an ID number), the person and where it came from.</summary>
/// <param name="IdentitiesFromBook">
/// The request's identities were read from the identity book already (the subsidy lists' own enrolments); otherwise
/// they are claims, and the ledger takes the subsidy from the book (issue 17).
/// </param>
/// <param name="BeforeBirth">
/// A child registered before birth under its reference (<see cref="ResidentId.IsNewbornReference"/>): what is kept of the
/// registration (reference, expected birth date, parent). Only such an application may be keyed by a reference.
/// </param>
public sealed record EnrolmentApplication(Policy Policy, AssessmentRequest Request, PersonDetails Person, string Source, bool IdentitiesFromBook = false, NewbornBody? BeforeBirth = null);

/// <summary>The answer of <see cref="EnrolmentLedger.AttachIdAsync"/>: the enrolment under the child's ID, or why not.</summary>
/// <param name="Repeated">The ID was attached before (the same request again): nothing changed.</param>
public sealed record AttachResult(LedgerEntry? Entry, LedgerError? Error, bool Repeated = false);

/// <summary>One payment to post (到账划账), from the API or a tax return row.</summary>
public sealed record PaymentPosting(
    string Policy,
    ResidentId Id,
    decimal Amount,
    DateOnly PaidOn,
    PaymentChannel Channel,
    string TransactionId,
    bool InTreasury)
{
    /// <summary>The government paying the subsidised share (a department through the tax client; the assistance fund always).</summary>
    public PaymentPayer Payer { get; init; } = Channel == PaymentChannel.AssistanceFund ? PaymentPayer.Government : PaymentPayer.Person;

    /// <summary>代收单位 that took the money (<c>community:…</c>, <c>school:…</c>, <c>township:…</c>, <c>window</c>); null when paid to tax directly.</summary>
    public string? Collector { get; init; }
}

/// <summary>Who paid, as files and requests spell it: the person (default), or the government paying the subsidised share.</summary>
public static class PaymentPayers
{
    private static readonly string[] Government = ["government", "资助代缴", "资助", "政府代缴", "部门代缴", "财政代缴", "代缴", "医疗救助资金代缴"];
    private static readonly string[] Person = ["person", "个人缴费", "个人", "本人缴费", "自缴"];

    /// <summary>Blank is the person, except for the assistance-fund channel, which is always the government.</summary>
    public static bool TryParse(string? text, PaymentChannel channel, out PaymentPayer payer)
    {
        var value = text?.Trim() ?? "";
        payer = channel == PaymentChannel.AssistanceFund ? PaymentPayer.Government : PaymentPayer.Person;
        if (value.Length == 0)
        {
            return true;
        }

        if (Government.Contains(value, StringComparer.OrdinalIgnoreCase))
        {
            payer = PaymentPayer.Government;
            return true;
        }

        return Person.Contains(value, StringComparer.OrdinalIgnoreCase) && channel != PaymentChannel.AssistanceFund;
    }
}

/// <summary>A refund in a person's book, with the enrolment (generation) it was paid from.</summary>
public sealed record RefundRecord(int Generation, RefundEntry Refund);

/// <summary>An enrolment as the ledger holds it: the domain lifecycle plus the person and the request it was assessed from.</summary>
public sealed record LedgerEntry(Enrolment Enrolment, PersonDetails Person, AssessmentRequestBody Request)
{
    public string Policy => Enrolment.Policy;

    public string IdNumber => Enrolment.IdNumber;
}

public sealed record EnrolResult(LedgerEntry? Entry, LedgerError? Error)
{
    public bool Succeeded => Error is null;
}

public enum PostingOutcome
{
    /// <summary>Recorded now.</summary>
    Posted,

    /// <summary>This transaction was posted before; nothing changed. <see cref="PostingResult.Payment"/> is the first posting.</summary>
    Duplicate,

    /// <summary>Not posted; <see cref="PostingResult.Error"/> says why.</summary>
    Rejected,
}

public sealed record PostingResult(PostingOutcome Outcome, LedgerEntry? Entry, PostedPayment? Payment, LedgerError? Error)
{
    /// <summary>A duplicate that this posting reported in the treasury moved the payment there (是否入库 = 是 after 否).</summary>
    public bool MarkedInTreasury { get; init; }

    public static PostingResult Reject(LedgerError error) => new(PostingOutcome.Rejected, null, null, error);
}

public sealed record ListQuery(string Policy, EnrolmentStatus? Status = null, string? Town = null, string? Source = null, int PageSize = 100, string? Continuation = null);

public sealed record LedgerPage(IReadOnlyList<LedgerEntry> Items, string? Continuation);

/// <summary>What a calendar run changed: how many enrolments moved to each status.</summary>
public sealed record AdvanceSummary(int Examined, int Activated, int Expired)
{
    public int Changed => Activated + Expired;
}

/// <summary>A posting that stands rejected (its claim keeps the reason): what reconciliation lists as unmatched.</summary>
public sealed record UnmatchedPayment(string TransactionId, string IdNumber, decimal Amount, DateOnly PaidOn, string Channel, bool InTreasury, string Reason);

/// <summary>Codes of statuses, and the Chinese messages that file reports show beside reason codes.</summary>
public static class LedgerCodes
{
    public static string Status(EnrolmentStatus status) => status switch
    {
        EnrolmentStatus.Assessed => "assessed",
        EnrolmentStatus.Paid => "paid",
        EnrolmentStatus.Active => "active",
        EnrolmentStatus.Expired => "expired",
        _ => "cancelled",
    };

    public static string Payer(PaymentPayer payer) => payer == PaymentPayer.Government ? "government" : "person";

    public static bool TryParseStatus(string? text, out EnrolmentStatus status)
    {
        foreach (var candidate in Enum.GetValues<EnrolmentStatus>())
        {
            if (string.Equals(Status(candidate), text, StringComparison.OrdinalIgnoreCase))
            {
                status = candidate;
                return true;
            }
        }

        status = default;
        return false;
    }

    /// <summary>The most one payment may be, in yuan: far above any year's contribution, below a slip of the keyboard.</summary>
    public const decimal LargestPayment = 1_000_000m;

    private static readonly Dictionary<string, string> Messages = new(StringComparer.Ordinal)
    {
        ["invalid-id-number"] = "身份证号码无效",
        ["no-assessment"] = "未查到该人员本年度的参保登记（核定）信息",
        ["invalid-amount"] = "缴费金额无效（须为大于零的数字，最多两位小数）",
        ["amount-over-limit"] = "缴费金额超过单笔上限 1000000 元",
        ["invalid-date"] = "缴费日期无法识别（应为 yyyy-MM-dd 或 yyyyMMdd）",
        ["paid-on-in-future"] = "缴费日期晚于今天",
        ["unknown-payment-channel"] = "缴费渠道无法识别",
        ["invalid-in-treasury"] = "是否入库无法识别（应为 是/否）",
        ["invalid-transaction-id"] = "交易流水号为空或含有非法字符",
        ["transaction-id-conflict"] = "交易流水号已用于其他人员或其他金额的缴费",
        ["unknown-policy"] = "政策（年度）不存在",
        ["missing-value"] = "必填项为空",
        ["collection-not-open"] = "征缴期尚未开始",
        ["collection-closed"] = "征缴期已结束",
        ["in-employee-insurance"] = "已参加职工基本医疗保险",
        ["no-residence-permit"] = "非本地户籍且未持本地居住证",
        ["no-coverage-left"] = "待遇享受期内已无可享受的待遇期间",
        ["unreadable-row"] = "该行无法读取",
        ["ledger-record-unreadable"] = "该人员的参保记录无法读取，请联系管理员核查",
        ["ledger-write-refused"] = "存储拒绝写入该人员的账目，请联系管理员核查",
        ["re-enrolment-closed"] = "注销后重新参保缴费的截止日期已过",
        ["unknown-payer"] = "缴费类型无法识别（应为 个人缴费 或 资助代缴）",
    };

    /// <summary>The Chinese message for a reason code (the code itself when none is known).</summary>
    public static string Message(string code) => Messages.TryGetValue(code, out var message) ? message : code;
}
