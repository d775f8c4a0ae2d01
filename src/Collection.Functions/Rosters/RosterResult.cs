using System.Text.Json;
using System.Text.Json.Serialization;
using Collection.Domain.Rosters;
using Collection.Functions.Files;

namespace Collection.Functions.Rosters;

/// <summary>The states of a roster's result, as the JSON says them.</summary>
public static class RosterStatus
{
    public const string Processing = "processing";
    public const string Completed = "completed";
    public const string Failed = "failed";
}

/// <summary>
/// The result of one uploaded roster version: <c>roster-results/{container}/{blob name}.json</c>, and
/// what <c>GET</c> on the status URL answers. Written when ingestion starts, every few seconds while it
/// runs (counts so far) and when it ends. ID numbers are masked: the result goes back to the school.
/// Its size does not grow with the file: counts, counts by reason, the first <see cref="FirstLines.Listed"/>
/// rejected and vanished rows and at most <see cref="RosterTally.MaxSchoolNames"/> school totals; every
/// rejected row is in <see cref="RejectedCsv"/>, every vanished person in <see cref="VanishedCsv"/>.
/// </summary>
public sealed class RosterResult
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = true,
    };

    public string Container { get; set; } = string.Empty;

    public string BlobName { get; set; } = string.Empty;

    /// <summary>The version (blob ETag) this result is about.</summary>
    public string? ETag { get; set; }

    public string Policy { get; set; } = string.Empty;

    public string School { get; set; } = string.Empty;

    public string FileName { get; set; } = string.Empty;

    /// <summary><c>school</c> or <c>university</c>.</summary>
    public string Kind { get; set; } = string.Empty;

    public string Status { get; set; } = RosterStatus.Processing;

    /// <summary>The day rows were assessed on (the day of enrolment), yyyy-MM-dd.</summary>
    public string? AssessedOn { get; set; }

    public DateTimeOffset StartedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>csv or xlsx, once the file is open.</summary>
    public string? Format { get; set; }

    /// <summary>utf-8, utf-8-bom, gb18030, ascii (CSV) or xlsx.</summary>
    public string? Encoding { get; set; }

    /// <summary>Why a file could not be read at all (status failed).</summary>
    public FileError? Error { get; set; }

    public RosterCounts Counts { get; set; } = new();

    /// <summary>What each school owes for its accepted rows (the blob's school; per 学校名称 when the file has that column).</summary>
    public List<RosterSchoolTotal> Schools { get; set; } = [];

    /// <summary>The first rejected rows by line (<see cref="RosterCounts.Rejected"/> says how many in all; <see cref="RejectedCsv"/> has each one).</summary>
    public List<RejectedRow> Rejected { get; set; } = [];

    /// <summary>
    /// The first people (by their line in the earlier version) enrolled through an earlier version of this file who
    /// are not in this one. They stay enrolled. <see cref="RosterCounts.Vanished"/> says how many, <see cref="VanishedCsv"/> lists each.
    /// </summary>
    public List<RosterVanishedRow> Vanished { get; set; } = [];

    /// <summary>Unknown columns, cells under no header, title rows skipped.</summary>
    public List<FileWarning> Warnings { get; set; } = [];

    /// <summary>The blob (in <c>roster-results</c>) or file holding the rejected rows as CSV, when there are any.</summary>
    public string? RejectedCsv { get; set; }

    /// <summary>The blob (in <c>roster-results</c>) listing the vanished people as CSV (masked ID number, name, earlier line), when there are any.</summary>
    public string? VanishedCsv { get; set; }

    public static RosterResult? Parse(ReadOnlySpan<byte> json) => JsonSerializer.Deserialize<RosterResult>(json, Json);

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Json);
}

public sealed class RosterCounts
{
    /// <summary>Data rows read so far (blank lines not counted).</summary>
    public int Total { get; set; }

    public int Accepted { get; set; }

    /// <summary>Of the accepted: people not enrolled before.</summary>
    public int Enrolled { get; set; }

    /// <summary>Of the accepted: people this school had enrolled already (a re-upload), updated in place.</summary>
    public int Updated { get; set; }

    public int Rejected { get; set; }

    public int Vanished { get; set; }

    public SortedDictionary<string, int> ByReason { get; set; } = new(StringComparer.Ordinal);
}

public sealed class RosterSchoolTotal
{
    public string School { get; set; } = string.Empty;

    public string? SchoolName { get; set; }

    public int Accepted { get; set; }

    /// <summary>Sum of what the accepted people pay at collection (yuan).</summary>
    public decimal AmountDue { get; set; }

    /// <summary>Sum of the government subsidies of the accepted people (yuan).</summary>
    public decimal Subsidy { get; set; }

    /// <summary>True on the one total that sums the rows of every 学校名称 beyond the first <see cref="RosterTally.MaxSchoolNames"/>.</summary>
    public bool? Combined { get; set; }
}

public sealed record RosterVanishedRow(string IdNumber, string Name, int? PreviousLine);

/// <summary>
/// Counts and lists for one run, built row by row; <see cref="Snapshot"/> copies them into a result.
/// Of size fixed whatever the rows (see <see cref="RosterResult"/>). Not thread-safe: one ingestion loop owns it.
/// </summary>
public sealed class RosterTally
{
    /// <summary>
    /// School totals listed by 学校名称: a roster sent for several schools names a few, a county's tens. Names beyond
    /// these are summed in one total (<see cref="RosterSchoolTotal.Combined"/>), so a name per row cannot
    /// make the result as long as the file.
    /// </summary>
    public const int MaxSchoolNames = 200;

    /// <summary>What the combined total is called.</summary>
    public const string CombinedSchoolName = "（其他学校名称合计）";

    private readonly Dictionary<string, RosterSchoolTotal> _schools = new(StringComparer.Ordinal);
    private readonly List<RejectedRow> _rejected = [];
    private readonly List<RosterVanishedRow> _vanished = [];
    private readonly SortedDictionary<string, int> _byReason = new(StringComparer.Ordinal);
    private RosterSchoolTotal? _combined;

    public RosterTally(string school) => School = school;

    public string School { get; }

    public int Total { get; private set; }

    public int Accepted { get; private set; }

    public int Enrolled { get; private set; }

    public int Updated { get; private set; }

    public int Rejected { get; private set; }

    /// <summary>The first <see cref="FirstLines.Listed"/> rejected rows by line.</summary>
    public IReadOnlyList<RejectedRow> RejectedRows => _rejected;

    public int Vanished { get; private set; }

    /// <summary>Accepted rows that said 是否新生 = 是.</summary>
    public int NewStudents { get; private set; }

    public void Read() => Total++;

    public void Accept(RosterPerson person, string? schoolName, bool updated)
    {
        ArgumentNullException.ThrowIfNull(person);
        var key = schoolName ?? string.Empty;
        if (!_schools.TryGetValue(key, out var total))
        {
            if (_schools.Count < MaxSchoolNames)
            {
                total = _schools[key] = new RosterSchoolTotal { School = School, SchoolName = string.IsNullOrEmpty(schoolName) ? null : schoolName };
            }
            else
            {
                // Not even the names are kept: they would grow with the rows.
                total = _combined ??= new RosterSchoolTotal { School = School, SchoolName = CombinedSchoolName, Combined = true };
            }
        }

        total.Accepted++;
        NewStudents += person.NewStudent == true ? 1 : 0;
        total.AmountDue += person.Assessment.Payable;
        total.Subsidy += person.Assessment.Subsidy;
        Accepted++;
        if (updated)
        {
            Updated++;
        }
        else
        {
            Enrolled++;
        }
    }

    public void Reject(int line, string idNumber, RosterRejection rejection)
    {
        ArgumentNullException.ThrowIfNull(rejection);
        Rejected++;
        _byReason[rejection.Code] = _byReason.GetValueOrDefault(rejection.Code) + 1;

        // Masked only when listed: most rows of a bad file are only counted.
        if (_rejected.Count < FirstLines.Listed || line < _rejected[^1].Line)
        {
            FirstLines.Add(_rejected, new RejectedRow(line, RosterChecker.Mask(idNumber), rejection.Code, rejection.Message), r => r.Line);
        }
    }

    /// <summary>A person of an earlier version not in this one (listed when among the first by earlier line).</summary>
    public void Vanish(RosterVanishedRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        Vanished++;
        FirstLines.Add(_vanished, row, r => r.PreviousLine ?? int.MaxValue);
    }

    /// <summary>Copies counts and lists into <paramref name="result"/> (rows in line order); copies, so the result may be written while rows go on.</summary>
    public void Snapshot(RosterResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        result.Counts = new RosterCounts
        {
            Total = Total,
            Accepted = Accepted,
            Enrolled = Enrolled,
            Updated = Updated,
            Rejected = Rejected,
            Vanished = Vanished,
            ByReason = new SortedDictionary<string, int>(_byReason, StringComparer.Ordinal),
        };
        var totals = _schools.Values.OrderBy(s => s.SchoolName, StringComparer.Ordinal).Append(_combined).OfType<RosterSchoolTotal>()
            .Select(s => new RosterSchoolTotal { School = s.School, SchoolName = s.SchoolName, Accepted = s.Accepted, AmountDue = s.AmountDue, Subsidy = s.Subsidy, Combined = s.Combined });
        result.Schools = [.. totals];
        result.Schools = result.Schools.Count == 0 ? [new RosterSchoolTotal { School = School }] : result.Schools;
        result.Rejected = [.. _rejected];
        result.Vanished = [.. _vanished];
    }
}
