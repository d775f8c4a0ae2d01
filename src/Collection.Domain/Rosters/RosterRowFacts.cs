namespace Collection.Domain.Rosters;

/// <summary>Which kind of roster a file is, which decides the population of its people.</summary>
public enum RosterKind
{
    /// <summary>Kindergartens, primary and secondary schools, vocational schools: <c>preschool</c> or <c>student</c>.</summary>
    School,

    /// <summary>Universities (new-student lists): <c>university-student</c>.</summary>
    University,
}

/// <summary>
/// One row of a roster as the file gives it, cells already cleaned (half-width, trimmed). Optional
/// columns the file lacks are empty. <see cref="BirthDate"/> is the 出生日期 cell: empty when absent;
/// the validator reads it (yyyy-MM-dd, yyyy/M/d, yyyyMMdd, yyyy年M月d日).
/// </summary>
public sealed record RosterRowFacts
{
    public int LineNumber { get; init; }

    public string Name { get; init; } = string.Empty;

    /// <summary>The ID number with spaces removed and the check digit upper-cased.</summary>
    public string IdNumber { get; init; } = string.Empty;

    /// <summary>证件类型: empty (a resident ID card, or a foreign card the number shows), or a code or label of <see cref="Codes.Glossary.DocumentTypes"/>.</summary>
    public string IdType { get; init; } = string.Empty;

    /// <summary>国籍 of a passport holder: three Latin letters as printed on the passport.</summary>
    public string Nationality { get; init; } = string.Empty;

    public string Gender { get; init; } = string.Empty;

    public string BirthDate { get; init; } = string.Empty;

    public string StudentNumber { get; init; } = string.Empty;

    public string Grade { get; init; } = string.Empty;

    public string ClassName { get; init; } = string.Empty;

    /// <summary>资助身份: empty, one code or label, or several separated by 、 , ; / or spaces.</summary>
    public string Identities { get; init; } = string.Empty;

    public string AllowanceClass { get; init; } = string.Empty;

    /// <summary>缴费方式 of a university roster: 统一代收 / 微信 or their codes.</summary>
    public string PaymentMode { get; init; } = string.Empty;

    /// <summary>是否新生 of a university roster: 是 / 否 (新生 / 老生, Y / N, 1 / 0); empty = new (the roster is a new-student list).</summary>
    public string NewStudent { get; init; } = string.Empty;

    /// <summary>院系 of a university roster: empty when the file has no such column or the cell is blank.</summary>
    public string Faculty { get; init; } = string.Empty;
}
