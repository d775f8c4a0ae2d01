using System.Globalization;
using Collection.Domain.Policies;

namespace Collection.Domain.Rosters;

/// <summary>
/// The reason codes a roster row can be rejected with, and their Chinese messages (what the school
/// reads). The first eight are the list; the next four name a fact a row gives badly
/// (a date or 是/否 that cannot be read, a 缴费方式 or 低保类别 the policy needs); then an age the
/// row's population cannot plausibly have (the policy's <c>plausibleAges</c>); the last two, a 证件类型 that
/// cannot be read and a document without a birth date in its number (older foreign card, passport) whose
/// row gives no 出生日期; a 是否新生 that is neither 是 nor 否.
/// </summary>
public static class RosterReasons
{
    public const string InvalidIdNumber = "invalid-id-number";
    public const string MissingName = "missing-name";
    public const string GenderMismatch = "gender-mismatch";
    public const string BirthDateMismatch = "birth-date-mismatch";
    public const string DuplicateInFile = "duplicate-in-file";
    public const string AlreadyEnrolled = "already-enrolled";
    public const string NotEligible = "not-eligible";
    public const string UnknownIdentity = "unknown-identity";
    public const string InvalidDate = "invalid-date";
    public const string MissingPaymentMode = "missing-payment-mode";
    public const string UnknownPaymentMode = "unknown-payment-mode";
    public const string MissingAllowanceClass = "missing-allowance-class";
    public const string ImplausibleAge = "implausible-age";
    public const string UnknownIdType = "unknown-id-type";
    public const string MissingBirthDate = "missing-birth-date";
    public const string InvalidYesNo = "invalid-yes-no";

    public static IReadOnlyList<string> All { get; } =
    [
        InvalidIdNumber, MissingName, GenderMismatch, BirthDateMismatch, DuplicateInFile, AlreadyEnrolled, NotEligible,
        UnknownIdentity, InvalidDate, MissingPaymentMode, UnknownPaymentMode, MissingAllowanceClass, ImplausibleAge,
        UnknownIdType, MissingBirthDate, InvalidYesNo,
    ];

    /// <summary>The row's age does not fit its population: the message names the age, the population and the limits.</summary>
    public static RosterRejection Implausible(int age, string populationLabel, AgeRange limits) =>
        new(ImplausibleAge, string.Create(CultureInfo.InvariantCulture,
            $"按公民身份号码计算年龄为 {age} 岁，不符合“{populationLabel}”的合理年龄（{limits.Min}–{limits.Max} 岁），请核对身份证号、年级或名册类别"));

    /// <summary>The row's ID number was already on an earlier line: the message names both lines.</summary>
    public static RosterRejection Duplicate(int line, int firstLine) =>
        new(DuplicateInFile, string.Create(CultureInfo.InvariantCulture, $"第 {line} 行与第 {firstLine} 行的公民身份号码相同，同一人只能登记一次（第 {firstLine} 行已登记）"));

    /// <summary>
    /// The person is enrolled for this policy through another school or channel.
    /// <paramref name="sourceLabel"/> says which (学校 SCH002 的名册, 窗口登记, …).
    /// </summary>
    public static RosterRejection Enrolled(string policy, string sourceLabel, DateOnly? since) =>
        new(AlreadyEnrolled, since is { } date
            ? string.Create(CultureInfo.InvariantCulture, $"此人已于 {date:yyyy-MM-dd} 通过{sourceLabel}参保登记（{policy}），不能重复参保")
            : $"此人已通过{sourceLabel}参保登记（{policy}），不能重复参保");

    /// <summary>How a ledger source reads to a school: <c>roster:SCH002</c> → 学校 SCH002 的名册.</summary>
    public static string DescribeSource(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var colon = source.IndexOf(':', StringComparison.Ordinal);
        var kind = colon < 0 ? source : source[..colon];
        var detail = colon < 0 ? string.Empty : source[(colon + 1)..];
        return kind switch
        {
            "roster" when detail.Length > 0 => $"学校 {detail} 的名册",
            "window" => "窗口登记",
            "subsidy-list" => "资助对象名单",
            "online" => "线上登记",
            _ => $"“{source}”",
        };
    }
}

/// <summary>Why a row was not enrolled: a code from <see cref="RosterReasons"/> and a Chinese message.</summary>
public sealed record RosterRejection(string Code, string Message);
