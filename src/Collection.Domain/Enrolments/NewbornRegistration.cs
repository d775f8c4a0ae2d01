using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Collection.Domain.Enrolments;

/// <summary>Why a registration before birth, or the ID number attached to it later, is refused.</summary>
public enum NewbornRegistrationError
{
    None,

    /// <summary>The expected birth date is not after the registration day: the child is born, enrol it with its ID number.</summary>
    AlreadyBorn,

    /// <summary>The expected birth date is further ahead than a pregnancy lasts.</summary>
    ExpectedTooFar,

    /// <summary>The ID number's birth date is before the registration day: it was not a registration before birth.</summary>
    BornBeforeRegistration,

    /// <summary>The ID number's birth date is too far from the expected date to be this child.</summary>
    OutsideExpectedWindow,
}

/// <summary>
/// A child registered before birth (wuhai-2022 四(三) “新生儿在出生前办理参保登记的（在工作日随时办理，不受参保缴费档期限制），
/// 需提供新生儿父母身份证件或社会保障卡，免缴当年的参保费用”; dalate-2022 三(三) “新生儿出生年度内……办理参保登记手续”):
/// it has no ID number yet, so the registration is keyed by a reference made from the parent's ID, the expected
/// birth date and the child's order (twins), and the child's ID number is attached after birth.
/// The notices set no window for the birth; the one here is a plausibility check (a due date is an estimate).
/// </summary>
public static class NewbornRegistration
{
    /// <summary>Born up to 16 weeks before the due date: a very premature birth (24 weeks of 40) is still this child.</summary>
    public const int EarliestDaysBeforeExpected = 112;

    /// <summary>Born up to 4 weeks after it: beyond 42 weeks a birth is induced, with margin for a late entry of the date.</summary>
    public const int LatestDaysAfterExpected = 28;

    /// <summary>A registration at most 300 days (a pregnancy, and some) before the expected birth.</summary>
    public const int MostDaysAhead = 300;

    /// <summary>
    /// The stable reference of a registration: the same policy, parent, expected birth date and child give the same
    /// reference, so a registration sent twice finds the first. The parent's number is hashed, never shown in it.
    /// </summary>
    public static ResidentId Reference(string policy, ResidentId parent, DateOnly expectedBirth, int child)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(policy);
        ArgumentOutOfRangeException.ThrowIfLessThan(child, 1);
        var text = string.Create(CultureInfo.InvariantCulture, $"{policy}|{parent}|{expectedBirth:yyyy-MM-dd}|{child}");
        return ResidentId.NewbornReference(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>Whether a child expected on <paramref name="expectedBirth"/> may be registered before birth on <paramref name="day"/>.</summary>
    public static NewbornRegistrationError CheckRegistration(DateOnly day, DateOnly expectedBirth) =>
        expectedBirth <= day ? NewbornRegistrationError.AlreadyBorn
        : expectedBirth > day.AddDays(MostDaysAhead) ? NewbornRegistrationError.ExpectedTooFar
        : NewbornRegistrationError.None;

    /// <summary>Whether a child born on <paramref name="born"/> fits a registration of <paramref name="registeredOn"/> expecting <paramref name="expectedBirth"/>.</summary>
    public static NewbornRegistrationError CheckBirth(DateOnly expectedBirth, DateOnly registeredOn, DateOnly born) =>
        born <= registeredOn ? NewbornRegistrationError.BornBeforeRegistration
        : born < expectedBirth.AddDays(-EarliestDaysBeforeExpected) || born > expectedBirth.AddDays(LatestDaysAfterExpected) ? NewbornRegistrationError.OutsideExpectedWindow
        : NewbornRegistrationError.None;

    public static string Code(NewbornRegistrationError error) => error switch
    {
        NewbornRegistrationError.AlreadyBorn => "newborn-already-born",
        NewbornRegistrationError.ExpectedTooFar => "expected-birth-too-far",
        NewbornRegistrationError.BornBeforeRegistration => "born-before-registration",
        NewbornRegistrationError.OutsideExpectedWindow => "birth-date-outside-expected-window",
        _ => "none",
    };

    /// <summary>The Chinese message staff see, with the dates.</summary>
    public static string Message(NewbornRegistrationError error, DateOnly expectedBirth, DateOnly registeredOn, DateOnly? born = null) => error switch
    {
        NewbornRegistrationError.AlreadyBorn => string.Create(CultureInfo.InvariantCulture,
            $"预产期 {expectedBirth:yyyy-MM-dd} 不晚于登记日期 {registeredOn:yyyy-MM-dd}：新生儿已出生的，请持新生儿身份证号办理参保登记"),
        NewbornRegistrationError.ExpectedTooFar => string.Create(CultureInfo.InvariantCulture,
            $"预产期 {expectedBirth:yyyy-MM-dd} 距登记日期 {registeredOn:yyyy-MM-dd} 超过 {MostDaysAhead} 天，请核对预产期"),
        NewbornRegistrationError.BornBeforeRegistration => string.Create(CultureInfo.InvariantCulture,
            $"身份证号码中的出生日期 {born:yyyy-MM-dd} 不晚于出生前参保登记日期 {registeredOn:yyyy-MM-dd}，不属于出生前登记的新生儿，请核对身份证号码"),
        NewbornRegistrationError.OutsideExpectedWindow => string.Create(CultureInfo.InvariantCulture,
            $"身份证号码中的出生日期 {born:yyyy-MM-dd} 与登记的预产期 {expectedBirth:yyyy-MM-dd} 不符（应在预产期前 {EarliestDaysBeforeExpected} 天至后 {LatestDaysAfterExpected} 天之间），请核对身份证号码"),
        _ => "",
    };
}
