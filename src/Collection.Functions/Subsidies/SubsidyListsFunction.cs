using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Collection.Domain;
using Collection.Domain.Codes;
using Collection.Domain.Policies;
using Collection.Domain.Rosters;
using Collection.Domain.Subsidies;
using Collection.Functions.Files;
using Collection.Functions.Policies;
using Collection.Functions.Hosting;
using Collection.Functions.Ledger;
using Collection.Functions.Supplementary;
using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.Subsidies;

/// <summary>
/// 资助对象名单: a department drops <c>subsidy-lists/{policy}/{department}/{yyyyMMdd}-{anything}.csv|.xlsx</c>;
/// each row sets (新增) or ends (减少) a person's subsidy identity from the list's date in the identity book.
/// The file is streamed and applied in chunks; the result goes to <c>subsidy-lists-results/{same name}.json</c>
/// with <c>.rejected.csv</c> beside it. A file that cannot be read ends as a failed result (retrying would not
/// help); a re-dropped file changes nothing (every row comes back unchanged).
/// </summary>
public sealed partial class SubsidyListsFunction(SubsidyIdentityBook book, PolicyCatalog policies, BlobServiceClient blobs, TimeProvider time, FileLimits limits, EnrolmentLedger ledger, SupplementaryRun enrolments, ILogger<SubsidyListsFunction> logger)
{
    public const string Container = "subsidy-lists";
    public const string ResultsContainer = "subsidy-lists-results";
    public const int ChunkRows = 2000;

    [Function("SubsidyLists")]
    public async Task OnBlob(
        [BlobTrigger(Container + "/{name}", Source = BlobTriggerSource.EventGrid)] BlobClient blob, FunctionContext context, CancellationToken cancellationToken) =>
        await RunAsync(await TriggeredBlob.FromAsync(blob, context, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

    public async Task RunAsync(TriggeredBlob blob, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        var stopwatch = Stopwatch.StartNew();
        var result = new SubsidyListResult { BlobName = blob.Name, ETag = blob.ETag.ToString().Trim('"'), StartedAt = time.GetUtcNow() };
        var rejected = new RejectedRows();
        await using (rejected.ConfigureAwait(false))
        {
            if (Target(blob.Name, result) is { } target && !await ReadAsync(blob, target, result, rejected, cancellationToken).ConfigureAwait(false))
            {
                return;
            }

            result.CompletedAt = time.GetUtcNow();
            result.RejectedCsv = FileDropResults.RejectedCsv(ResultsContainer, result.BlobName);
            await FileDropResults.WriteAsync(blobs, ResultsContainer, result.BlobName, await rejected.FinishAsync(cancellationToken).ConfigureAwait(false),
                new BinaryData(result.ToJson()), cancellationToken).ConfigureAwait(false);
        }

        if (logger.IsEnabled(LogLevel.Information))
        {
            var name = LogText.Of(blob.Name);
            LogListRead(name, result.Status, result.Counts.Total, result.Counts.Opened, result.Counts.Updated, result.Counts.Ended, result.Counts.Unchanged, result.Counts.Rejected,
                stopwatch.Elapsed.TotalSeconds, result.Error is { } error ? $" ({error.Code})" : "");
        }
    }

    /// <summary>The policy, department and date the blob name gives, or null with the result failed.</summary>
    private ListTarget? Target(string name, SubsidyListResult result)
    {
        var match = BlobName().Match(name);
        if (!match.Success)
        {
            result.Fail("invalid-file-name", "名单应放在 {政策}/{部门}/{yyyyMMdd}-{名称}.csv 或 .xlsx 下，例如 luyang-2023/civil-affairs/20220831-低保对象.csv");
            return null;
        }

        var (policyText, departmentText, dateText) = (match.Groups["policy"].Value, match.Groups["department"].Value, match.Groups["date"].Value);
        if (!policies.TryGet(policyText, out var policy))
        {
            result.Fail("unknown-policy", $"政策（年度）“{policyText}”不存在");
            return null;
        }

        result.Policy = policy.Code;
        if (!Glossary.Departments.TryParse(departmentText, out var department))
        {
            result.Fail("unknown-department", $"部门“{departmentText}”无法识别，应为 {string.Join("、", Glossary.Departments.Codes)}（民政、残联、乡村振兴、民委、卫健）");
            return null;
        }

        result.Department = Glossary.Departments.Code(department);
        if (!DateOnly.TryParseExact(dateText, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
        {
            result.Fail("invalid-file-name", $"文件名开头的名单日期“{dateText}”不是有效日期（yyyyMMdd）");
            return null;
        }

        result.ListDate = IsoDate.Text(date);
        return new ListTarget(policy, department, date);
    }

    /// <summary>Reads and applies the file; false when the blob is gone or replaced (the newer version has a run of its own).</summary>
    private async Task<bool> ReadAsync(TriggeredBlob blob, ListTarget target, SubsidyListResult result, RejectedRows rejected, CancellationToken cancellationToken)
    {
        TabularFile file;
        try
        {
            var options = new BlobOpenReadOptions(allowModifications: false) { Conditions = new BlobRequestConditions { IfMatch = blob.ETag }, BufferSize = 1024 * 1024 };
            var stream = await blob.Client.OpenReadAsync(options, cancellationToken).ConfigureAwait(false);
            file = await TabularFile.OpenAsync(stream, blob.Name, FileLayout.SubsidyList, limits, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            if (logger.IsEnabled(LogLevel.Information))
            {
                var name = LogText.Of(blob.Name);
                LogGoneOrReplaced(name, blob.ETag);
            }

            return false;
        }
        catch (TabularFileException e)
        {
            result.Fail(e.Code, e.ChineseMessage, e.LineNumber);
            return true;
        }

        await using (file.ConfigureAwait(false))
        {
            result.Format = file.Format.ToString().ToLowerInvariant();
            rejected.Start(file.Header.Header);
            var run = new Run(book, ledger, target, result, rejected);
            try
            {
                await foreach (var row in file.ReadRowsAsync(cancellationToken).ConfigureAwait(false))
                {
                    await run.AddAsync(row, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (TabularFileException e)
            {
                // The file broke part-way (corrupt XLSX, bad bytes): the rows read are applied and reported with the error.
                result.Fail(e.Code, FileDrop.PartWayMessage(e), e.LineNumber);
            }

            await run.FlushAsync(cancellationToken).ConfigureAwait(false);

            // Lists act when they arrive (issue 17): the people this list put on or changed are enrolled or assessed now.
            var acted = await enrolments.ActForListedAsync(target.Policy, run.Listed, target.Date, $"subsidy-list:{blob.Name}", cancellationToken).ConfigureAwait(false);
            if (acted.Count > 0)
            {
                result.Enrolments = new SortedDictionary<string, int>(acted.ToDictionary(), StringComparer.Ordinal);
            }

            result.Encoding = file.EncodingName;
            result.Warnings = [.. file.Warnings];
            if (result.Counts.Total == 0 && result.Error is null)
            {
                result.Fail(FileErrorCodes.EmptyFile, FileDrop.EmptyFileMessage);
            }

            return true;
        }
    }

    /// <summary>新增 (also blank) or 减少, as departments write them.</summary>
    internal static bool TryParseChange(string text, out ListChange change)
    {
        change = ListChange.Add;
        switch (CodeText(text))
        {
            case "" or "新增" or "增加" or "增" or "新增人员" or "纳入" or "add" or "added" or "new" or "+":
                return true;
            case "减少" or "减" or "删除" or "减员" or "退出" or "取消" or "remove" or "removed" or "delete" or "-":
                change = ListChange.Remove;
                return true;
            default:
                return false;
        }
    }

    private static string CodeText(string text) => CellText.Clean(text).ToLowerInvariant();

    private static string IdNumberMessage(string text, ResidentIdError error) => error switch
    {
        ResidentIdError.Empty => "身份证号为空",
        ResidentIdError.WrongLength => string.Create(CultureInfo.InvariantCulture, $"身份证号应为 18 位，填写的是 {text.Length} 位"),
        ResidentIdError.InvalidCharacter => "身份证号只能由数字组成，最后一位可以是 X",
        ResidentIdError.UnknownProvince => "身份证号前两位不是有效的省级行政区划代码",
        ResidentIdError.InvalidBirthDate => "身份证号中的出生日期不是有效日期",
        ResidentIdError.BirthDateInFuture => "身份证号中的出生日期晚于名单日期",
        ResidentIdError.WrongCheckDigit => "身份证号校验位（最后一位）不正确，请核对是否抄错",
        _ => "身份证号无效",
    };

    [GeneratedRegex(@"^(?<policy>[^/]+)/(?<department>[^/]+)/(?<date>\d{8})-[^/]*\.(csv|xlsx)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex BlobName();

    [LoggerMessage(Level = LogLevel.Information, Message = "Subsidy list {Name}: {Status}, {Total} rows, {Opened} opened, {Updated} updated, {Ended} ended, {Unchanged} unchanged, {Rejected} rejected in {Seconds:0.0} s{Error}")]
    private partial void LogListRead(string name, string status, int total, int opened, int updated, int ended, int unchanged, int rejected, double seconds, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Subsidy list {Name} {ETag} is gone or replaced; skipped")]
    private partial void LogGoneOrReplaced(string name, ETag eTag);

    private sealed record ListTarget(Policy Policy, Department Department, DateOnly Date);

    private sealed record Accepted(SubsidyListRow Row, TabularRow Line);

    /// <summary>One run: checks rows, applies them a chunk at a time, tallies outcomes, streams rejected rows.</summary>
    private sealed class Run(SubsidyIdentityBook book, EnrolmentLedger ledger, ListTarget target, SubsidyListResult result, RejectedRows rejected)
    {
        private readonly Dictionary<(ResidentId, SubsidyIdentity), int> _firstLine = [];
        private readonly List<Accepted> _chunk = new(ChunkRows);
        private readonly HashSet<ResidentId> _listed = [];

        /// <summary>The people a 新增 row put on the register or changed (opened or updated).</summary>
        public IReadOnlyCollection<ResidentId> Listed => _listed;

        public async Task AddAsync(TabularRow row, CancellationToken cancellationToken)
        {
            result.Counts.Total++;
            if (Check(row, out var listRow, out var code, out var message))
            {
                _chunk.Add(new Accepted(listRow, row));
                if (_chunk.Count == ChunkRows)
                {
                    await FlushAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            else
            {
                await RejectAsync(row, code, message, cancellationToken).ConfigureAwait(false);
            }
        }

        public async Task FlushAsync(CancellationToken cancellationToken)
        {
            if (_chunk.Count == 0)
            {
                return;
            }

            if (target.Policy.ExcludesEmployeeInsured(target.Department))
            {
                await RejectEmployeeInsuredAsync(cancellationToken).ConfigureAwait(false);
            }

            var outcomes = await book.ApplyAsync([.. _chunk.Select(c => c.Row)], cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < _chunk.Count; i++)
            {
                var counts = result.Counts;
                if (outcomes[i] is ListEntryOutcome.Opened or ListEntryOutcome.Updated && _chunk[i].Row.Entry.Change == ListChange.Add)
                {
                    _listed.Add(_chunk[i].Row.Id);
                }

                switch (outcomes[i])
                {
                    case ListEntryOutcome.Opened: counts.Opened++; counts.Accepted++; break;
                    case ListEntryOutcome.Updated: counts.Updated++; counts.Accepted++; break;
                    case ListEntryOutcome.Ended: counts.Ended++; counts.Accepted++; break;
                    case ListEntryOutcome.Unchanged: counts.Unchanged++; counts.Accepted++; break;
                    default:
                        var identity = Glossary.SubsidyIdentities.Label(_chunk[i].Row.Identity);
                        await RejectAsync(_chunk[i].Line, SubsidyListReasons.NotInList,
                            $"此人在{target.Date:yyyy-MM-dd}前不在{Glossary.Departments.Label(target.Department)}的“{identity}”名单中，无法减少", cancellationToken).ConfigureAwait(false);
                        break;
                }
            }

            _chunk.Clear();
        }

        /// <summary>dalate-2022 五 "采集信息时不得采集已参加职工基本医疗保险的人员的信息": such 新增 rows are refused.</summary>
        private async Task RejectEmployeeInsuredAsync(CancellationToken cancellationToken)
        {
            var marked = await Task.WhenAll(_chunk.Select(c => c.Row.Entry.Change == ListChange.Add
                ? ledger.InEmployeeInsuranceAsync(c.Row.Id, cancellationToken)
                : Task.FromResult(false))).ConfigureAwait(false);
            var kept = new List<Accepted>(_chunk.Count);
            for (var i = 0; i < _chunk.Count; i++)
            {
                if (marked[i])
                {
                    await RejectAsync(_chunk[i].Line, SubsidyListReasons.InEmployeeInsurance,
                        $"此人已参加职工基本医疗保险，{Glossary.Departments.Label(target.Department)}名单不得报送已参加职工医保的人员", cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    kept.Add(_chunk[i]);
                }
            }

            _chunk.Clear();
            _chunk.AddRange(kept);
        }

        private async Task RejectAsync(TabularRow row, string code, string message, CancellationToken cancellationToken)
        {
            var masked = RosterChecker.Mask(row.IdNumber());
            result.Reject(row.LineNumber, masked, code, message);
            await rejected.AddAsync(row, masked, code, message, cancellationToken).ConfigureAwait(false);
        }

        private bool Check(TabularRow row, out SubsidyListRow listRow, out string code, out string message)
        {
            listRow = null!;
            (code, message) = ("", "");
            if (row.IdNumberProblem() is { } problem)
            {
                (code, message) = (SubsidyListReasons.InvalidIdNumber, problem.Message);
                return false;
            }

            var idText = row.IdNumber();
            if (!ResidentId.TryParse(idText, target.Date, out var id, out var idError))
            {
                (code, message) = (SubsidyListReasons.InvalidIdNumber, IdNumberMessage(idText, idError));
                return false;
            }

            var name = row.Text(FileFields.Name);
            if (name.Length == 0)
            {
                (code, message) = (SubsidyListReasons.MissingName, "姓名为空，请填写姓名");
                return false;
            }

            // Bounded cells before anything stores or echoes them: the name and town go into the identity book.
            if ((TextLimits.Check(FileFields.Name.Label, name, TextLimits.Name)
                ?? TextLimits.Check(FileFields.Town.Label, row.Has(FileFields.Town) ? row.Text(FileFields.Town) : null, TextLimits.Town)
                ?? TextLimits.Check(FileFields.SubsidyIdentity.Label, row.Text(FileFields.SubsidyIdentity), TextLimits.Cell)
                ?? TextLimits.Check(FileFields.AllowanceClass.Label, row.Has(FileFields.AllowanceClass) ? row.Text(FileFields.AllowanceClass) : null, TextLimits.Cell)
                ?? TextLimits.Check(FileFields.Change.Label, row.Has(FileFields.Change) ? row.Text(FileFields.Change) : null, TextLimits.Cell)) is { } tooLong)
            {
                (code, message) = (tooLong.Code, (string)tooLong.Extensions!["detailZh"]!);
                return false;
            }

            var identityText = row.Text(FileFields.SubsidyIdentity);
            if (!target.Policy.TryParseIdentity(identityText, out var identity))
            {
                (code, message) = (SubsidyListReasons.UnknownIdentity, identityText.Length == 0
                    ? "资助身份为空，请填写资助身份（如 特困人员、孤儿、低保对象、返贫致贫人口、防止返贫监测对象）"
                    : $"资助身份“{identityText}”无法识别，请填写规定的资助身份（如 特困人员、孤儿、低保对象、返贫致贫人口、防止返贫监测对象）");
                return false;
            }

            if (!target.Policy.Confirms(target.Department, identity))
            {
                var own = target.Policy.IdentitiesOf(target.Department) is { IsEmpty: false } set
                    ? $"，该部门确认的资助身份为：{string.Join("、", set.Identities().Select(Glossary.SubsidyIdentities.Label))}"
                    : "，该部门在本政策下不报送资助名单";
                (code, message) = (SubsidyListReasons.NotDepartmentsIdentity,
                    $"“{Glossary.SubsidyIdentities.Label(identity)}”不由{Glossary.Departments.Label(target.Department)}确认{own}");
                return false;
            }

            AllowanceClass? allowanceClass = null;
            var classText = row.Text(FileFields.AllowanceClass);
            if (identity == SubsidyIdentity.MinimumLivingAllowance && classText.Length > 0)
            {
                if (!Glossary.AllowanceClasses.TryParse(classText, out var parsed))
                {
                    (code, message) = (SubsidyListReasons.UnknownAllowanceClass, $"低保类别“{classText}”无法识别，请填写如“农村一类低保”或“城市低保全额保障对象”");
                    return false;
                }

                allowanceClass = parsed;
            }

            var changeText = row.Text(FileFields.Change);
            if (!TryParseChange(changeText, out var change))
            {
                (code, message) = (SubsidyListReasons.UnknownChange, $"变动“{changeText}”无法识别，请填写“新增”或“减少”（留空即新增）");
                return false;
            }

            if (_firstLine.TryGetValue((id, identity), out var first))
            {
                (code, message) = (SubsidyListReasons.DuplicateInFile,
                    string.Create(CultureInfo.InvariantCulture, $"第 {row.LineNumber} 行与第 {first} 行是同一人的同一资助身份，只能填写一次"));
                return false;
            }

            _firstLine[(id, identity)] = row.LineNumber;
            var town = row.Text(FileFields.Town);
            listRow = new SubsidyListRow(target.Policy.Code, id, identity, target.Department,
                new ListEntry(target.Date, change, name, town.Length == 0 ? null : town, allowanceClass, $"{Container}/{result.BlobName}"));
            return true;
        }
    }
}
