using System.Globalization;
using Collection.Domain.Assessments;
using Collection.Domain.Codes;
using Collection.Domain.Policies;

namespace Collection.Domain.Rosters;

/// <summary>A row that passed every check: who the person is and what the policy assesses.</summary>
public sealed record RosterPerson(
    int LineNumber,
    ResidentId Id,
    string Name,
    Population Population,
    SubsidyIdentitySet Identities,
    AllowanceClass? AllowanceClass,
    UniversityPaymentMode? PaymentMode,
    Assessment Assessment,
    string StudentNumber,
    string Grade,
    string ClassName)
{
    /// <summary>是否新生 as the row gave it (university rosters): null when the row did not say.</summary>
    public bool? NewStudent { get; init; }

    /// <summary>院系 as the row gave it (university rosters); null when blank.</summary>
    public string? Faculty { get; init; }
}

/// <summary>The outcome of one row: a person to enrol, or a rejection.</summary>
public readonly record struct RosterRowResult(RosterPerson? Person, RosterRejection? Rejection)
{
    public bool Accepted => Person is not null;

    public static RosterRowResult Accept(RosterPerson person) => new(person, null);

    public static RosterRowResult Reject(RosterRejection rejection) => new(null, rejection);

    public static RosterRowResult Reject(string code, string message) => new(null, new RosterRejection(code, message));
}

/// <summary>
/// Checks the rows of one roster file in file order, pure and in memory: ID number, name, gender and
/// birth date against the ID number, duplicates within the file, identities, payment mode, and the
/// assessment under the policy on <c>assessOn</c> (the day of enrolment). What needs the ledger —
/// whether the person is enrolled elsewhere — is the caller's, with <see cref="RosterReasons.Enrolled"/>.
/// One instance per file: it remembers the ID numbers seen (a few bytes each; 100,000 rows fit easily).
/// </summary>
public sealed class RosterChecker
{
    /// <summary>Children below this age on the first day of cover are preschool when the grade does not say.</summary>
    private const int SchoolStartAge = 6;

    private static readonly char[] IdentitySeparators = ['、', ',', '，', ';', '；', '/', '|', ' ', '\t', '\u3000', '+'];
    private static readonly string[] NoIdentityWords = ["无", "否", "-", "—", "普通", "一般", "非资助", "非资助对象", "none"];
    private static readonly string[] DateFormats = ["yyyy-M-d", "yyyy/M/d", "yyyy.M.d", "yyyyMMdd", "yyyy年M月d日"];

    private readonly Dictionary<ResidentId, int> _firstLineById = [];

    public RosterChecker(Policy policy, RosterKind kind, DateOnly assessOn)
    {
        ArgumentNullException.ThrowIfNull(policy);
        Policy = policy;
        Kind = kind;
        AssessOn = assessOn;
    }

    public Policy Policy { get; }

    public RosterKind Kind { get; }

    public DateOnly AssessOn { get; }

    /// <summary>Checks a row; rows must come in file order (the first of two equal ID numbers is the one kept).</summary>
    public RosterRowResult Check(RosterRowFacts row)
    {
        ArgumentNullException.ThrowIfNull(row);
        if (!TryIdentify(row, AssessOn, out var id, out var idError))
        {
            return idError is { } error
                ? RosterRowResult.Reject(RosterReasons.InvalidIdNumber, IdNumberMessage(row.IdNumber, error))
                : RosterRowResult.Reject(RosterReasons.UnknownIdType, $"证件类型“{row.IdType.Trim()}”无法识别，请填写“居民身份证”“外国人永久居留身份证”或“护照”");
        }

        if (_firstLineById.TryGetValue(id, out var firstLine))
        {
            return RosterRowResult.Reject(RosterReasons.Duplicate(row.LineNumber, firstLine));
        }

        _firstLineById.Add(id, row.LineNumber);
        if (string.IsNullOrWhiteSpace(row.Name))
        {
            return RosterRowResult.Reject(RosterReasons.MissingName, "姓名为空，请填写学生姓名");
        }

        if (!string.IsNullOrWhiteSpace(row.Gender))
        {
            if (ParseSex(row.Gender) is not { } sex)
            {
                return RosterRowResult.Reject(RosterReasons.GenderMismatch, $"性别“{row.Gender.Trim()}”无法识别，请填写“男”或“女”");
            }

            if (id.EncodesBirthDate && sex != id.Sex)
            {
                return RosterRowResult.Reject(RosterReasons.GenderMismatch,
                    $"性别填写为“{SexLabel(sex)}”，但公民身份号码第 17 位表示“{SexLabel(id.Sex)}”，请核对性别或身份证号");
            }
        }

        DateOnly? givenBirthDate = null;
        if (!string.IsNullOrWhiteSpace(row.BirthDate))
        {
            if (ParseDate(row.BirthDate) is not { } birthDate)
            {
                return RosterRowResult.Reject(RosterReasons.InvalidDate, $"出生日期“{row.BirthDate.Trim()}”无法识别，请按 2015-04-10 的格式填写");
            }

            givenBirthDate = birthDate;
            if (!id.EncodesBirthDate)
            {
                if (birthDate > AssessOn)
                {
                    return RosterRowResult.Reject(RosterReasons.InvalidDate, string.Create(CultureInfo.InvariantCulture,
                        $"出生日期 {birthDate:yyyy-MM-dd} 晚于核定日期 {AssessOn:yyyy-MM-dd}，请核对"));
                }
            }
            else if (birthDate != id.BirthDate)
            {
                return RosterRowResult.Reject(RosterReasons.BirthDateMismatch, string.Create(CultureInfo.InvariantCulture,
                    $"出生日期填写为 {birthDate:yyyy-MM-dd}，但公民身份号码中的出生日期是 {id.BirthDate:yyyy-MM-dd}，请核对"));
            }
        }

        // An older foreign card or a passport encodes no birth date: the row must give it.
        if (!id.EncodesBirthDate && givenBirthDate is null)
        {
            return RosterRowResult.Reject(RosterReasons.MissingBirthDate,
                $"{Glossary.DocumentTypes.Label(id.DocumentType)}号码中没有出生日期，请在“出生日期”列填写（如 2015-04-10）");
        }

        var birth = givenBirthDate ?? id.BirthDate;
        if (!TryParseIdentities(row.Identities, out var identities, out var unknown))
        {
            return RosterRowResult.Reject(RosterReasons.UnknownIdentity,
                $"资助身份“{unknown}”无法识别，请填写规定的资助身份（如 特困人员、孤儿、低保对象、低保边缘、脱贫人口、防止返贫监测对象）或留空");
        }

        AllowanceClass? allowanceClass = null;
        if (!string.IsNullOrWhiteSpace(row.AllowanceClass))
        {
            if (!Glossary.AllowanceClasses.TryParse(row.AllowanceClass, out var parsedClass))
            {
                return RosterRowResult.Reject(RosterReasons.MissingAllowanceClass, $"低保类别“{row.AllowanceClass.Trim()}”无法识别，请填写如“农村一类低保”或“城市低保全额保障对象”");
            }

            allowanceClass = parsedClass;
        }

        UniversityPaymentMode? paymentMode = null;
        if (!string.IsNullOrWhiteSpace(row.PaymentMode))
        {
            if (!Glossary.UniversityPaymentModes.TryParse(row.PaymentMode, out var parsedMode))
            {
                return RosterRowResult.Reject(RosterReasons.UnknownPaymentMode, $"缴费方式“{row.PaymentMode.Trim()}”无法识别，请填写“统一代收”或“微信”");
            }

            paymentMode = parsedMode;
        }

        bool? newStudent = null;
        if (!string.IsNullOrWhiteSpace(row.NewStudent))
        {
            if (ParseYesNo(row.NewStudent) is not { } isNew)
            {
                return RosterRowResult.Reject(RosterReasons.InvalidYesNo, $"是否新生“{row.NewStudent.Trim()}”无法识别，请填写“是”或“否”");
            }

            newStudent = isNew;
        }

        var population = PopulationOf(Kind, row.Grade, birth, Policy.CoverageStart);
        if (Policy.PlausibleAge(population) is { } limits && AgeRange.AgeOn(birth, AssessOn) is var age && !limits.Contains(age))
        {
            return RosterRowResult.Reject(RosterReasons.Implausible(age, Glossary.Populations.Label(population), limits));
        }

        var assessment = AssessmentEngine.Assess(Policy, new AssessmentRequest
        {
            Id = id,
            BirthDate = id.EncodesBirthDate ? null : birth,
            Population = population,
            Identities = identities,
            AllowanceClass = allowanceClass,
            PaymentMode = paymentMode,
            NewStudent = newStudent,
            Date = AssessOn,
        }, AssessOn);

        if (assessment.Failed)
        {
            return assessment.Error switch
            {
                AssessmentError.MissingPaymentMode => RosterRowResult.Reject(RosterReasons.MissingPaymentMode,
                    $"{Policy.Code} 的大学生须填写缴费方式：请在“缴费方式”列填写“统一代收”或“微信”"),
                AssessmentError.MissingAllowanceClass => RosterRowResult.Reject(RosterReasons.MissingAllowanceClass,
                    $"{Policy.Code} 按低保类别确定资助金额：请在“低保类别”列填写（如“农村一类低保”）"),
                _ => RosterRowResult.Reject(RosterReasons.InvalidIdNumber, $"无法按公民身份号码核定（{assessment.Error.Code()}）"),
            };
        }

        if (!assessment.Eligible)
        {
            var codes = assessment.Reasons.Codes();
            var labels = assessment.Reasons.Labels();
            var why = string.Join("；", labels.Select((label, i) => $"{label}（{codes[i]}）"));
            return RosterRowResult.Reject(RosterReasons.NotEligible, string.Create(CultureInfo.InvariantCulture,
                $"不符合 {Policy.Code} 的参保条件（按 {AssessOn:yyyy-MM-dd} 核定）：{why}"));
        }

        return RosterRowResult.Accept(new RosterPerson(
            row.LineNumber, id, row.Name.Trim(), population, identities, allowanceClass, paymentMode, assessment,
            row.StudentNumber, row.Grade, row.ClassName)
        {
            NewStudent = newStudent,
            Faculty = string.IsNullOrWhiteSpace(row.Faculty) ? null : row.Faculty.Trim(),
        });
    }

    /// <summary>
    /// The person's document from the row's 证件类型, number and 国籍: without a type, whatever the number shows
    /// (a citizen's or a foreigner's card); a passport needs the type. False with a null error: the type is unknown.
    /// </summary>
    public static bool TryIdentify(RosterRowFacts row, DateOnly assessOn, out ResidentId id, out ResidentIdError? error)
    {
        ArgumentNullException.ThrowIfNull(row);
        ResidentIdError reason;
        if (string.IsNullOrWhiteSpace(row.IdType))
        {
            _ = ResidentId.TryParse(row.IdNumber, assessOn, out id, out reason);
        }
        else if (Glossary.DocumentTypes.TryParse(row.IdType, out var type))
        {
            _ = ResidentId.TryParse(type, row.IdNumber, row.Nationality, assessOn, out id, out reason);
        }
        else
        {
            id = default;
            error = null;
            return false;
        }

        // A newborn's registration reference is the ledger's key, not a document a school or a file can give.
        if (reason == ResidentIdError.None && id.IsNewbornReference)
        {
            (id, reason) = (default, ResidentIdError.WrongDocumentType);
        }

        error = reason;
        return reason == ResidentIdError.None;
    }

    /// <summary>
    /// School rosters: a grade that names a kindergarten class (小班, 中班, 大班, 托班, 学前, 幼儿园…) is
    /// preschool, any other grade is student; without a grade, a child under six on the first day of
    /// cover is preschool. University rosters: university-student.
    /// </summary>
    public static Population PopulationOf(RosterKind kind, string grade, DateOnly birthDate, DateOnly coverageStart)
    {
        if (kind == RosterKind.University)
        {
            return Population.UniversityStudent;
        }

        var text = (grade ?? string.Empty).Trim();
        if (text.Length > 0)
        {
            var kindergarten = text.Contains('幼', StringComparison.Ordinal)
                || text.Contains("学前", StringComparison.Ordinal)
                || text.Contains("托班", StringComparison.Ordinal)
                || text.StartsWith("小班", StringComparison.Ordinal)
                || text.StartsWith("中班", StringComparison.Ordinal)
                || text.StartsWith("大班", StringComparison.Ordinal);
            return kindergarten ? Population.Preschool : Population.Student;
        }

        return birthDate.AddYears(SchoolStartAge) > coverageStart ? Population.Preschool : Population.Student;
    }

    /// <summary>男/女, M/F, male/female, 1/2 (the national standard GB/T 2261.1).</summary>
    public static Sex? ParseSex(string text) => (text ?? string.Empty).Trim().ToUpperInvariant() switch
    {
        "男" or "男性" or "M" or "MALE" or "1" => Sex.Male,
        "女" or "女性" or "F" or "FEMALE" or "2" => Sex.Female,
        _ => null,
    };

    /// <summary>是/否 as people write it (是 否, 新生 老生, Y N, yes no, true false, 1 0, √ ×); null when it is neither.</summary>
    public static bool? ParseYesNo(string text) => (text ?? string.Empty).Trim().ToUpperInvariant() switch
    {
        "是" or "新生" or "Y" or "YES" or "TRUE" or "1" or "对" or "√" => true,
        "否" or "老生" or "非新生" or "N" or "NO" or "FALSE" or "0" or "错" or "×" => false,
        _ => null,
    };

    /// <summary>A date as people write it; a time after it (from a date-time cell) is ignored.</summary>
    public static DateOnly? ParseDate(string text)
    {
        var value = (text ?? string.Empty).Trim();
        var cut = value.IndexOfAny([' ', 'T']);
        if (cut > 0)
        {
            value = value[..cut];
        }

        return DateOnly.TryParseExact(value, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var date) ? date : null;
    }

    /// <summary>Parses 资助身份: blank or 无 is none; several identities may be listed; the first unknown one is named.</summary>
    public static bool TryParseIdentities(string text, out SubsidyIdentitySet identities, out string unknown)
    {
        identities = SubsidyIdentitySet.Empty;
        unknown = string.Empty;
        if (string.IsNullOrWhiteSpace(text))
        {
            return true;
        }

        if (Glossary.SubsidyIdentities.TryParse(text, out var whole))
        {
            identities = identities.With(whole);
            return true;
        }

        foreach (var part in text.Split(IdentitySeparators, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (Array.Exists(NoIdentityWords, w => string.Equals(w, part, StringComparison.OrdinalIgnoreCase)))
            {
                continue;
            }

            if (!Glossary.SubsidyIdentities.TryParse(part, out var identity))
            {
                unknown = part;
                return false;
            }

            identities = identities.With(identity);
        }

        return true;
    }

    /// <summary>An ID number for a result or a log: <c>340103********0219</c>; never the birth date or sequence.</summary>
    public static string Mask(string? idNumber)
    {
        var text = (idNumber ?? string.Empty).Trim();
        if (text.Length == 0)
        {
            return string.Empty;
        }

        if (text.Length < 10)
        {
            return new string('*', text.Length);
        }

        // A foreigner's card (3 letters + 12 digits) or a passport key: what the document's own mask shows.
        if (char.IsAsciiLetter(text[0]))
        {
            return ResidentId.TryParse(text, out var document) && !document.EncodesBirthDate
                ? document.Masked
                : string.Concat(text.AsSpan(0, 3), new string('*', text.Length - 5), text.AsSpan(text.Length - 2));
        }

        return string.Concat(text.AsSpan(0, 6), new string('*', text.Length - 10), text.AsSpan(text.Length - 4));
    }

    private static string SexLabel(Sex sex) => sex == Sex.Male ? "男" : "女";

    /// <summary>Why a number is not a document's, in Chinese (a roster row's message, an HTTP answer's <c>detailZh</c>).</summary>
    public static string IdNumberMessage(string text, ResidentIdError error) => error switch
    {
        ResidentIdError.Empty => "公民身份号码为空",
        ResidentIdError.WrongLength => string.Create(CultureInfo.InvariantCulture, $"公民身份号码应为 18 位（外国人永久居留身份证旧号码 15 位，护照号码 5–17 位），填写的是 {(text ?? string.Empty).Trim().Length} 位"),
        ResidentIdError.InvalidCharacter => "公民身份号码只能由数字组成，最后一位可以是 X（外国人永久居留身份证旧号码为 3 位字母加 12 位数字；护照号码为字母和数字）",
        ResidentIdError.UnknownProvince => "公民身份号码前两位不是有效的省级行政区划代码",
        ResidentIdError.InvalidBirthDate => "公民身份号码中的出生日期不是有效日期",
        ResidentIdError.BirthDateInFuture => "公民身份号码中的出生日期晚于核定日期",
        ResidentIdError.WrongCheckDigit => "公民身份号码校验位（最后一位）不正确，请核对是否抄错",
        ResidentIdError.MissingNationality => "护照须同时填写国籍（护照上的三位字母代码，如 USA）",
        ResidentIdError.InvalidNationality => "国籍应为护照上的三位字母代码（如 USA、KOR）",
        ResidentIdError.WrongDocumentType => "证件号码与所填证件类型不符（如外国人永久居留身份证号码应以 9 开头，或为 3 位字母加 12 位数字）",
        _ => "公民身份号码无效",
    };
}
