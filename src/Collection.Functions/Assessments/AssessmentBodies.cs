namespace Collection.Functions.Assessments;

/// <summary>The body of <c>POST /api/assessments</c>. Codes may be given as codes or Chinese labels.</summary>
public record AssessmentRequestBody
{
    public string? Policy { get; init; }

    /// <summary>
    /// The document's number: an 18-character (or legacy 15-digit) resident ID number, a foreign permanent-resident
    /// card's number (18 digits starting with 9, or the older 3 letters + 12 digits), a passport number with
    /// <see cref="IdType"/> <c>passport</c> and <see cref="Nationality"/>, or a passport's key <c>PP-USA-E12345678</c>.
    /// </summary>
    public string? IdNumber { get; init; }

    /// <summary>证件类型: <c>resident-id-card</c>, <c>foreign-permanent-resident</c>, <c>passport</c> (or the Chinese labels); none = what the number shows.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? IdType { get; init; }

    /// <summary>国籍 of a passport: three Latin letters as printed on it (USA, KOR).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? Nationality { get; init; }

    /// <summary><c>yyyy-MM-dd</c>; needed when the person has no number yet (a child not yet born or registered).</summary>
    public string? BirthDate { get; init; }

    /// <summary><c>resident</c> (default), <c>preschool</c>, <c>student</c>, <c>university-student</c>, <c>newborn</c>.</summary>
    public string? Population { get; init; }

    public IReadOnlyList<string?>? Identities { get; init; }

    /// <summary>
    /// Set by the ledger, never read from a request: identities claimed at a window or in a roster that no
    /// department's list confirmed when the person enrolled (they subsidise only where the policy says so).
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public IReadOnlyList<string>? UnconfirmedIdentities { get; init; }

    public string? AllowanceClass { get; init; }

    public bool? LocalHukou { get; init; }

    public bool? ResidencePermit { get; init; }

    public bool? InEmployeeInsurance { get; init; }

    /// <summary>A minor living with a parent employed and insured here (luyang-2023 二（四）): no residence permit needed where the policy says so.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public bool? LivesWithLocallyInsuredParent { get; init; }

    public NewbornBody? Newborn { get; init; }

    public bool? MigrantWorkerWithProof { get; init; }

    /// <summary><c>unified</c> or <c>wechat</c> (university students).</summary>
    public string? PaymentMode { get; init; }

    /// <summary>是否新生 of a university student: false = returning (covered like any resident); none = new.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public bool? NewStudent { get; init; }

    /// <summary>The day of enrolment or payment, <c>yyyy-MM-dd</c>; default today in China.</summary>
    public string? Date { get; init; }
}

public sealed record NewbornBody
{
    public bool? RegisteredBeforeBirth { get; init; }

    public bool? ParentInsured { get; init; }

    public string? RegistrationDate { get; init; }

    /// <summary>Set by the ledger for a child registered before birth: its registration reference (<c>NB-…</c>), kept after the ID is attached.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? RegistrationReference { get; init; }

    /// <summary>Set by the ledger: the expected birth date (预产期) given at a registration before birth.</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? ExpectedBirthDate { get; init; }

    /// <summary>Set by the ledger: the parent who registered the child before birth (四(三) “需提供新生儿父母身份证件”).</summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public NewbornParentBody? Parent { get; init; }
}

/// <summary>The parent of a child registered before birth: ID number, name, relationship (<c>mother</c>, <c>father</c>, <c>guardian</c>).</summary>
public sealed record NewbornParentBody(string IdNumber, string? Name, string Relationship);

/// <summary>The answer of <c>POST /api/assessments</c>.</summary>
public sealed record AssessmentResponse(
    string Policy,
    bool Eligible,
    IReadOnlyList<string> Reasons,
    decimal StandardContribution,
    decimal Subsidy,
    string SubsidyMode,
    string? SubsidyIdentity,
    decimal Payable,
    decimal Rebate,
    decimal NetCost,
    string? CoverageStart,
    string? CoverageEnd)
{
    /// <summary>Identities typed that no department's list confirms for the person on the day (not applied unless the policy says so).</summary>
    public IReadOnlyList<string> UnconfirmedIdentities { get; init; } = [];
}
