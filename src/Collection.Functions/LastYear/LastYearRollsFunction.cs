using System.Text.Json;
using System.Text.RegularExpressions;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Collection.Domain.Codes;
using Collection.Domain.Policies;
using Collection.Domain.Rosters;
using Collection.Functions.Assessments;
using Collection.Functions.Files;
using Collection.Functions.Hosting;
using Collection.Functions.Ledger;
using Collection.Functions.Policies;
using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.LastYear;

/// <summary>
/// 上年度参保缴费人员名单: the bureau's export of last year's enrolled payers, dropped in <c>last-year-rolls</c> as
/// <c>{policy}/{anything}.csv|.xlsx</c> (the policy is this year's) or put through <c>PUT /api/last-year/{policy}/roll</c>.
/// Rows are streamed and written in chunks of <see cref="ChunkRows"/> (one row per person: a later file's row replaces
/// an earlier one); the result goes to <c>last-year-rolls-results/{same name}.json</c> with <c>.rejected.csv</c> (line,
/// reason code, Chinese message per rejected row). The same version of a file run again loads nothing twice: its
/// recorded result is written again.
/// </summary>
public sealed partial class LastYearRollsFunction(LastYearRollStore store, PolicyCatalog catalog, BlobServiceClient blobs, FileLimits limits, ChinaClock clock, ILogger<LastYearRollsFunction> logger)
{
    public const string Container = "last-year-rolls";
    public const string ResultsContainer = "last-year-rolls-results";
    public const int ChunkRows = 2000;

    [Function("LastYearRolls")]
    public async Task OnBlob(
        [BlobTrigger(Container + "/{name}", Source = BlobTriggerSource.EventGrid)] BlobClient blob, FunctionContext context, CancellationToken cancellationToken) =>
        await RunAsync(await TriggeredBlob.FromAsync(blob, context, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    public async Task RunAsync(TriggeredBlob blob, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        var etag = blob.ETag.ToString().Trim('"');
        var result = new RollLoadResult { File = blob.Name, ETag = etag };
        var rejected = new RejectedRows();
        await using (rejected.ConfigureAwait(false))
        {
            var match = BlobName().Match(blob.Name);
            if (!match.Success)
            {
                result.Fail("invalid-file-name", "文件名应为 {政策}/{名称}.csv 或 .xlsx，例如 wuhai-2022/2021年度参保缴费人员.xlsx");
            }
            else if (!catalog.TryGet(match.Groups["policy"].Value, out var policy))
            {
                result.Fail("unknown-policy", $"政策（年度）“{LogText.Of(match.Groups["policy"].Value)}”不存在");
            }
            else
            {
                result.Policy = policy.Code;
                if (await store.GetFileAsync(policy.Code, blob.Name, cancellationToken).ConfigureAwait(false) is { } done && done.ETag == etag)
                {
                    // This version was loaded before (a retried or replayed trigger): nothing is written twice, and
                    // the result already written for it (with its rejected rows) stands.
                    if (await blobs.GetBlobContainerClient(ResultsContainer).GetBlobClient(blob.Name + ".json").ExistsAsync(cancellationToken).ConfigureAwait(false))
                    {
                        if (logger.IsEnabled(LogLevel.Information))
                        {
                            var name = LogText.Of(blob.Name);
                            LogLoadedBefore(name);
                        }

                        return;
                    }

                    result.Rows = done.Rows;
                    result.Loaded = done.Loaded;
                    result.Rejected = done.Rejected;
                    result.AlreadyLoaded = true;
                }
                else
                {
                    await LoadAsync(blob, policy.Code, result, rejected, cancellationToken).ConfigureAwait(false);
                    if (result.Error is null)
                    {
                        await store.RecordFileAsync(policy.Code, new RollFile(blob.Name, etag, clock.Today, result.Rows, result.Loaded, result.Rejected), cancellationToken).ConfigureAwait(false);
                    }
                }
            }

            result.RejectedRows = rejected.First;
            result.RejectedCsv = FileDropResults.RejectedCsv(ResultsContainer, blob.Name);
            await FileDropResults.WriteAsync(blobs, ResultsContainer, blob.Name, await rejected.FinishAsync(cancellationToken).ConfigureAwait(false),
                new BinaryData(JsonSerializer.SerializeToUtf8Bytes(result, ResultJson)), cancellationToken).ConfigureAwait(false);
        }

        if (logger.IsEnabled(LogLevel.Information))
        {
            var name = LogText.Of(blob.Name);
            LogLoaded(name, result.Rows, result.Loaded, result.Rejected, result.AlreadyLoaded ? " (loaded before)" : "", result.Error is null ? "" : $" (file: {result.Error})");
        }
    }

    private async Task LoadAsync(TriggeredBlob blob, string policy, RollLoadResult result, RejectedRows rejected, CancellationToken cancellationToken)
    {
        TabularFile file;
        try
        {
            var stream = await blob.Client.OpenReadAsync(new BlobOpenReadOptions(allowModifications: false), cancellationToken).ConfigureAwait(false);
            file = await TabularFile.OpenAsync(stream, blob.Name, FileLayout.LastYearRoll, limits, cancellationToken).ConfigureAwait(false);
        }
        catch (TabularFileException e)
        {
            result.Fail(e.Code, e.ChineseMessage);
            return;
        }

        rejected.Start(file.Header.Header);
        await using (file.ConfigureAwait(false))
        {
            var chunk = new List<RollPerson>(ChunkRows);
            try
            {
                await foreach (var row in file.ReadRowsAsync(cancellationToken).ConfigureAwait(false))
                {
                    result.Rows++;
                    if (TryPerson(row, blob.Name, out var person, out var code, out var message))
                    {
                        chunk.Add(person);
                        if (chunk.Count == ChunkRows)
                        {
                            await FlushAsync(policy, chunk, result, cancellationToken).ConfigureAwait(false);
                        }
                    }
                    else
                    {
                        await rejected.AddAsync(row, RosterChecker.Mask(row.IdNumber()), code, message, cancellationToken).ConfigureAwait(false);
                        result.Rejected = rejected.Count;
                    }
                }
            }
            catch (TabularFileException e)
            {
                // The file broke part-way: what was read is loaded, and the result says where it broke.
                result.Fail(e.Code, FileDrop.PartWayMessage(e));
            }

            await FlushAsync(policy, chunk, result, cancellationToken).ConfigureAwait(false);
            result.Warnings = [.. file.Warnings.Select(w => w.Message)];
            if (result.Rows == 0 && result.Error is null)
            {
                result.Fail(FileErrorCodes.EmptyFile, FileDrop.EmptyFileMessage);
            }
        }
    }

    private async Task FlushAsync(string policy, List<RollPerson> chunk, RollLoadResult result, CancellationToken cancellationToken)
    {
        if (chunk.Count == 0)
        {
            return;
        }

        await store.UpsertAsync(policy, chunk, cancellationToken).ConfigureAwait(false);
        result.Loaded += chunk.Count;
        chunk.Clear();
    }

    /// <summary>A roll row as a person, or the reason code and Chinese message it is rejected with.</summary>
    internal static bool TryPerson(TabularRow row, string file, out RollPerson person, out string code, out string message)
    {
        person = null!;
        string? Missing(FileField field) => row.IsBlank(field) ? $"“{field.Label}”为空" : null;
        if ((Missing(FileFields.Name) ?? Missing(FileFields.IdNumber)) is { } blank)
        {
            (code, message) = ("missing-value", blank);
            return false;
        }

        string? Optional(FileField field) => row.Has(field) && !row.IsBlank(field) ? row.Text(field) : null;
        if (TextLimits.First(
                TextLimits.Check(FileFields.Name.Label, row.Text(FileFields.Name), TextLimits.Name),
                TextLimits.Check(FileFields.IdNumber.Label, row.Text(FileFields.IdNumber), TextLimits.Cell),
                TextLimits.Check(FileFields.IdType.Label, Optional(FileFields.IdType), TextLimits.Cell),
                TextLimits.Check(FileFields.Category.Label, Optional(FileFields.Category), TextLimits.Cell),
                TextLimits.Check(FileFields.Amount.Label, Optional(FileFields.Amount), TextLimits.Cell),
                TextLimits.Check(FileFields.PaidOn.Label, Optional(FileFields.PaidOn), TextLimits.Cell),
                TextLimits.Check(FileFields.Town.Label, Optional(FileFields.Town), TextLimits.Town),
                TextLimits.Check(FileFields.Community.Label, Optional(FileFields.Community), TextLimits.Town),
                TextLimits.Check(FileFields.SchoolName.Label, Optional(FileFields.SchoolName), TextLimits.Source),
                TextLimits.Check(FileFields.Phone.Label, Optional(FileFields.Phone), TextLimits.Phone),
                TextLimits.Check(FileFields.Address.Label, Optional(FileFields.Address), TextLimits.Address)) is { } tooLong)
        {
            (code, message) = (tooLong.Code, tooLong.Extensions?.GetValueOrDefault("detailZh") as string ?? ProblemText.Chinese(tooLong.Code));
            return false;
        }

        if (row.IdNumberProblem() is { } idProblem)
        {
            (code, message) = (idProblem.Code, idProblem.Message);
            return false;
        }

        if (!AssessmentRequestParser.TryCode(Glossary.DocumentTypes, Optional(FileFields.IdType), "idType", "unknown-id-type", out var idType, out var error)
            || !AssessmentRequestParser.TryIdNumber(row.IdNumber(), null, out var id, out error, type: idType))
        {
            (code, message) = (error.Code, ProblemText.Chinese(error.Code));
            return false;
        }

        decimal? amount = null;
        if (Optional(FileFields.Amount) is not null)
        {
            var parsed = row.Amount(FileFields.Amount);
            if (!parsed.IsValid || parsed.Value < 0)
            {
                (code, message) = ("invalid-amount", parsed.ErrorMessage ?? LedgerCodes.Message("invalid-amount"));
                return false;
            }

            amount = parsed.Value;
        }

        DateOnly? paidOn = null;
        if (Optional(FileFields.PaidOn) is not null)
        {
            var parsed = row.Date(FileFields.PaidOn);
            if (!parsed.IsValid)
            {
                (code, message) = ("invalid-date", parsed.ErrorMessage ?? LedgerCodes.Message("invalid-date"));
                return false;
            }

            paidOn = parsed.Value;
        }

        person = new RollPerson(id.ToString(), row.Text(FileFields.Name), idType is { } type ? Glossary.DocumentTypes.Code(type) : null, Optional(FileFields.Category),
            amount, paidOn, Optional(FileFields.Town), Optional(FileFields.Community), Optional(FileFields.SchoolName), Optional(FileFields.Phone), Optional(FileFields.Address), file);
        (code, message) = ("", "");
        return true;
    }

    private static readonly JsonSerializerOptions ResultJson = new(JsonSerializerDefaults.Web)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    [GeneratedRegex(@"^(?<policy>[a-z0-9-]+)/[^/]+\.(csv|xlsx)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex BlobName();

    [LoggerMessage(Level = LogLevel.Information, Message = "Last year's roll {Name}: this version was loaded before")]
    private partial void LogLoadedBefore(string name);

    [LoggerMessage(Level = LogLevel.Information, Message = "Last year's roll {Name}: {Rows} rows, {Loaded} loaded, {Rejected} rejected{Again}{Error}")]
    private partial void LogLoaded(string name, int rows, int loaded, int rejected, string again, string error);
}

/// <summary>The result of one roll file (the rejected rows are all in the .rejected.csv beside it; the first 100 here).</summary>
public sealed class RollLoadResult
{
    public string File { get; set; } = "";

    /// <summary>The version (blob ETag) this result is about.</summary>
    public string ETag { get; set; } = "";

    public string? Policy { get; set; }

    public string Status => Error is null ? "completed" : "failed";

    /// <summary>A file-level error code (<c>unknown-policy</c>, <c>missing-columns</c>, <c>empty-file</c>, …), if any.</summary>
    public string? Error { get; private set; }

    public string? ErrorMessage { get; private set; }

    public int Rows { get; set; }

    public int Loaded { get; set; }

    public int Rejected { get; set; }

    /// <summary>This version of the file was loaded before; nothing was written again.</summary>
    public bool AlreadyLoaded { get; set; }

    public IReadOnlyList<string> Warnings { get; set; } = [];

    public string? RejectedCsv { get; set; }

    /// <summary>The first rejected rows by line (<see cref="Rejected"/> says how many in all).</summary>
    public IReadOnlyList<RejectedRow> RejectedRows { get; set; } = [];

    public void Fail(string code, string message)
    {
        Error = code;
        ErrorMessage = message;
    }
}
