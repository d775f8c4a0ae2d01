using System.Text.Json;
using System.Text.Json.Serialization;
using Collection.Functions.Files;

namespace Collection.Functions.Subsidies;

/// <summary>
/// The result of one subsidy list version: <c>subsidy-lists-results/{blob name}.json</c>, the same shape as a
/// roster's (status, counts with counts by reason, the first rejected rows with line, masked ID number, code and
/// Chinese message, warnings). ID numbers are masked: the result goes back to the department. Of fixed size
/// whatever the list's length: every rejected row is in <see cref="RejectedCsv"/>.
/// </summary>
public sealed class SubsidyListResult
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = true,
    };

    public string Container { get; set; } = SubsidyListsFunction.Container;

    public string BlobName { get; set; } = string.Empty;

    /// <summary>The version (blob ETag, unquoted) this result is about.</summary>
    public string? ETag { get; set; }

    public string? Policy { get; set; }

    /// <summary>Glossary code of the department (civil-affairs, …).</summary>
    public string? Department { get; set; }

    /// <summary>The list's date from the file name (yyyy-MM-dd): 新增 starts from it, 减少 ends the day before.</summary>
    public string? ListDate { get; set; }

    /// <summary><c>completed</c> or <c>failed</c> (the file could not be read, or only partly).</summary>
    public string Status { get; set; } = "completed";

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>csv or xlsx, once the file is open.</summary>
    public string? Format { get; set; }

    /// <summary>utf-8, utf-8-bom, gb18030, ascii (CSV) or xlsx.</summary>
    public string? Encoding { get; set; }

    public FileError? Error { get; set; }

    public SubsidyListCounts Counts { get; set; } = new();

    /// <summary>
    /// What the list did at once to the people it put on, by outcome (enrolledDirectly, reassessed, mobilised, …):
    /// lists dated within the collection period act when they arrive. Null when the list did not act now (dated after
    /// the period, or arriving before it opens: the monthly run acts then).
    /// </summary>
    public SortedDictionary<string, int>? Enrolments { get; set; }

    /// <summary>The first <see cref="FirstLines.Listed"/> rejected rows by line (<see cref="SubsidyListCounts.Rejected"/> says how many in all).</summary>
    public List<RejectedRow> Rejected { get; set; } = [];

    public List<FileWarning> Warnings { get; set; } = [];

    /// <summary>The blob holding the rejected rows as CSV (UTF-8 with BOM, the file's own columns plus 行号, 原因代码, 原因说明).</summary>
    public string? RejectedCsv { get; set; }

    public static SubsidyListResult? Parse(ReadOnlySpan<byte> json) => JsonSerializer.Deserialize<SubsidyListResult>(json, Json);

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    internal void Fail(string code, string message, int? line = null)
    {
        Status = "failed";
        Error = new FileError(code, message, line);
    }

    internal void Reject(int line, string maskedId, string code, string message)
    {
        FirstLines.Add(Rejected, new RejectedRow(line, maskedId, code, message), r => r.Line);
        Counts.Rejected++;
        Counts.ByReason[code] = Counts.ByReason.GetValueOrDefault(code) + 1;
    }
}

public sealed class SubsidyListCounts
{
    /// <summary>Data rows read (blank lines not counted).</summary>
    public int Total { get; set; }

    /// <summary>Rows applied to the identity book: opened + updated + ended + unchanged.</summary>
    public int Accepted { get; set; }

    /// <summary>新增 rows that put a person on the register from the list's date.</summary>
    public int Opened { get; set; }

    /// <summary>新增 rows that changed an open spell's town, name or 低保类别.</summary>
    public int Updated { get; set; }

    /// <summary>减少 rows that ended a spell (the day before the list's date).</summary>
    public int Ended { get; set; }

    /// <summary>Rows that said what was already known (a re-dropped file, a person listed again).</summary>
    public int Unchanged { get; set; }

    public int Rejected { get; set; }

    public SortedDictionary<string, int> ByReason { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>The reason codes a list row can be rejected with (Chinese messages are built where the row is checked).</summary>
public static class SubsidyListReasons
{
    public const string InvalidIdNumber = "invalid-id-number";
    public const string MissingName = "missing-name";
    public const string UnknownIdentity = "unknown-identity";
    public const string UnknownAllowanceClass = "unknown-allowance-class";
    public const string UnknownChange = "unknown-change";
    public const string DuplicateInFile = "duplicate-in-file";
    public const string NotInList = "not-in-list";

    /// <summary>The department does not confirm that identity under the policy (dalate-2022 五; a 民委 list cannot make someone 特困).</summary>
    public const string NotDepartmentsIdentity = "identity-not-of-department";

    /// <summary>The person is in employee insurance, and the department's lists must not include such people (dalate-2022 五, 残联).</summary>
    public const string InEmployeeInsurance = "in-employee-insurance";
}
