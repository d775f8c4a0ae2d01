using System.Globalization;
using Collection.Domain.Policies;
using Collection.Domain.Rosters;
using Collection.Functions.Files;
using Collection.Functions.Policies;

namespace Collection.Functions.Rosters;

/// <summary>
/// <c>roster check &lt;file&gt; --policy &lt;code&gt; [--kind school|university] [--date yyyy-MM-dd] [--policies dir]</c>:
/// the ingestion's checks without storage, so a school can check its file before sending it. Prints
/// the counts and the first rejected rows, writes <c>&lt;file&gt;.rejected.csv</c> beside the file when rows
/// are rejected. Exit code 0 when every row passes, 1 when rows are rejected, 2 when the file cannot
/// be read or the command is wrong. Whether a person is enrolled elsewhere needs the ledger and is
/// only checked on upload. The checks are <see cref="RosterOfflineCheck"/>'s, which the console runs through
/// <c>POST /api/roster-checks/…</c> too.
/// </summary>
public static class RosterCheckCommand
{
    public const int AllRowsPass = 0;
    public const int RowsRejected = 1;
    public const int CannotCheck = 2;

    private const string Usage = "usage: dotnet run --project src/Collection.RosterCheck -- <file.csv|file.xlsx> --policy <code> [--kind school|university] [--date yyyy-MM-dd] [--policies <folder>]";

    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter output, TextWriter error, ChinaClock clock, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(clock);
        if (!TryReadOptions(args, out var options, out var problem))
        {
            await error.WriteLineAsync(problem).ConfigureAwait(false);
            await error.WriteLineAsync(Usage).ConfigureAwait(false);
            return CannotCheck;
        }

        PolicyCatalog catalog;
        try
        {
            catalog = PolicyFiles.Load(options.PoliciesDirectory ?? PolicyFiles.DefaultDirectory);
        }
        catch (PolicyValidationException e)
        {
            await error.WriteLineAsync(e.Message).ConfigureAwait(false);
            return CannotCheck;
        }

        if (!catalog.TryGet(options.Policy, out var policy))
        {
            await error.WriteLineAsync($"unknown-policy: 没有政策“{options.Policy}”（可用：{string.Join(", ", catalog.Policies.Select(p => p.Code))}）").ConfigureAwait(false);
            return CannotCheck;
        }

        if (!File.Exists(options.File))
        {
            await error.WriteLineAsync($"file-not-found: 找不到文件 {options.File}").ConfigureAwait(false);
            return CannotCheck;
        }

        var assessOn = options.Date ?? clock.Today;
        var rejectedPath = RejectedPathFor(options.File);
        var rejectedTemp = rejectedPath + ".tmp";
        RosterResult result;
        try
        {
            await using var input = File.OpenRead(options.File);
            await using var rejectedStream = File.Create(rejectedTemp);
            result = await RosterOfflineCheck.RunAsync(input, options.File, policy, options.Kind, assessOn, FileLimits.Default, rejectedStream, cancellationToken).ConfigureAwait(false);
        }
        catch (TabularFileException e)
        {
            File.Delete(rejectedTemp);
            await error.WriteLineAsync($"{e.Code}: {e.ChineseMessage}").ConfigureAwait(false);
            return CannotCheck;
        }

        var rejectedRows = result.Counts.Rejected;
        if (rejectedRows > 0)
        {
            File.Move(rejectedTemp, rejectedPath, overwrite: true);
        }
        else
        {
            File.Delete(rejectedTemp);
        }

        await PrintAsync(output, options, result, assessOn, rejectedRows > 0 ? rejectedPath : null).ConfigureAwait(false);
        return rejectedRows > 0 ? RowsRejected : AllRowsPass;
    }

    /// <summary><c>roster.csv</c> → <c>roster.rejected.csv</c> in the same folder.</summary>
    public static string RejectedPathFor(string file) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file)) ?? ".", Path.GetFileNameWithoutExtension(file) + ".rejected.csv");

    private static async Task PrintAsync(TextWriter output, CheckOptions options, RosterResult result, DateOnly assessOn, string? rejectedPath)
    {
        var counts = result.Counts;
        var kind = options.Kind == RosterKind.University ? "高校名册" : "学校名册";
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"{options.File}: {kind}, {result.Format} {result.Encoding}, policy {options.Policy}, assessed on {assessOn:yyyy-MM-dd}")).ConfigureAwait(false);
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"rows {counts.Total}, accepted {counts.Accepted}, rejected {counts.Rejected}（共 {counts.Total} 行：通过 {counts.Accepted} 行，不通过 {counts.Rejected} 行）")).ConfigureAwait(false);
        foreach (var (code, count) in counts.ByReason)
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  {code}: {count}")).ConfigureAwait(false);
        }

        foreach (var school in result.Schools)
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"amount due {school.AmountDue:0.00}, subsidy {school.Subsidy:0.00}{(school.SchoolName is null ? string.Empty : $" ({school.SchoolName})")}")).ConfigureAwait(false);
        }

        foreach (var row in result.Rejected)
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  line {row.Line}  {row.IdNumber}  {row.Code}  {row.Message}")).ConfigureAwait(false);
        }

        if (counts.Rejected > result.Rejected.Count)
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                $"  ... {counts.Rejected - result.Rejected.Count} more rejected rows in the CSV（另有 {counts.Rejected - result.Rejected.Count} 行未列出，见 rejected.csv）")).ConfigureAwait(false);
        }

        foreach (var warning in result.Warnings)
        {
            await output.WriteLineAsync($"  warning {warning.Code}: {warning.Message}").ConfigureAwait(false);
        }

        if (rejectedPath is not null)
        {
            await output.WriteLineAsync($"rejected rows written to {rejectedPath}（改正后可直接重新上传）").ConfigureAwait(false);
        }

        await output.WriteLineAsync("note: already-enrolled (enrolled through another school or channel) is checked on upload, not offline.").ConfigureAwait(false);
    }

    private static bool TryReadOptions(IReadOnlyList<string> args, out CheckOptions options, out string problem)
    {
        options = new CheckOptions();
        problem = string.Empty;
        string? file = null;
        for (var i = 2; i < args.Count; i++)
        {
            var arg = args[i];
            var hasValue = i + 1 < args.Count;
            switch (arg)
            {
                case "--policy" when hasValue:
                    options = options with { Policy = args[++i] };
                    break;
                case "--kind" when hasValue:
                    var kind = args[++i];
                    if (kind is not ("school" or "university"))
                    {
                        problem = $"--kind must be school or university, not '{kind}'";
                        return false;
                    }

                    options = options with { Kind = kind == "university" ? RosterKind.University : RosterKind.School };
                    break;
                case "--date" when hasValue:
                    if (!IsoDate.TryParse(args[++i], out var date))
                    {
                        problem = $"--date must be yyyy-MM-dd, not '{args[i]}'";
                        return false;
                    }

                    options = options with { Date = date };
                    break;
                case "--policies" when hasValue:
                    options = options with { PoliciesDirectory = args[++i] };
                    break;
                default:
                    if (arg.StartsWith("--", StringComparison.Ordinal) || file is not null)
                    {
                        problem = $"unexpected argument '{arg}'";
                        return false;
                    }

                    file = arg;
                    break;
            }
        }

        if (file is null || string.IsNullOrEmpty(options.Policy))
        {
            problem = file is null ? "the file to check is missing" : "--policy is missing";
            return false;
        }

        options = options with { File = file };
        return true;
    }

    private sealed record CheckOptions
    {
        public string File { get; init; } = string.Empty;

        public string Policy { get; init; } = string.Empty;

        public RosterKind Kind { get; init; } = RosterKind.School;

        public DateOnly? Date { get; init; }

        public string? PoliciesDirectory { get; init; }
    }
}
