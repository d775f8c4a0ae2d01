using Azure.Storage.Blobs;
using Collection.Domain.Codes;
using Collection.Domain.Policies;
using Collection.Functions.Assessments;
using Collection.Functions.Files;
using Collection.Functions.Hosting;
using Collection.Functions.Ledger;
using Collection.Functions.Policies;
using Collection.Functions.Reports;
using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.LastYear;

/// <summary>The loaded roll of a policy: its files and how many people it holds.</summary>
public sealed record RollSummary(string Policy, int People, decimal Amount, string? FirstLoadedOn, IReadOnlyList<RollFileBody> Files);

public sealed record RollFileBody(string Name, string LoadedOn, int Rows, int Loaded, int Rejected);

/// <summary>One person the roll-over did not enrol, and why.</summary>
public sealed record RollOverRefusal(string IdNumber, string Name, string Code, string Message);

/// <summary>What a roll-over did: enrolled now, enrolled before (by any path), refused with a code.</summary>
public sealed record RollOverResult(
    string Policy, string AsOf, string? Unit, int Roll, int Created, int AlreadyEnrolled, int Refused,
    IReadOnlyDictionary<string, int> RefusedByCode, IReadOnlyList<RollOverRefusal> Refusals);

/// <summary>
/// Last year's roll (上年度参保缴费人员) over HTTP. <c>PUT /api/last-year/{policy}/roll?fileName=…</c> (staff) writes the
/// body as <c>last-year-rolls/{policy}/{fileName}</c>, where <see cref="LastYearRollsFunction"/> loads it; 202 with the
/// status URL (<c>GET …/roll/{fileName}</c>, <c>…/rejected</c>). <c>GET /api/last-year/{policy}/roll</c>: what is
/// loaded. <c>POST /api/last-year/{policy}/roll-over</c>: this year's registrations (应征) from the roll, where the
/// policy says so. <c>GET /api/last-year/{policy}/details</c>: last year's payer details for agents and tax.
/// </summary>
public sealed class LastYearApi(LastYearRollStore store, EnrolmentLedger ledger, PolicyCatalog policies, ChinaClock clock, BlobServiceClient blobs, FileLimits limits)
{
    public const string RollOverSource = "last-year-roll";
    public const string DetailsDeadline = "last-year-details";
    public const int RollOverParallelism = 8;

    private static readonly string[] DetailHeaders =
        ["乡镇街道", "社区（村）", "学校", "姓名", "证件类型", "证件号码", "参保身份", "上年度缴费金额", "缴费日期", "联系电话", "地址"];

    [Function("UploadLastYearRoll")]
    [Roles(FunctionRoles.Staff)]
    public async Task<IResult> Upload(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "last-year/{policy}/roll")] HttpRequest request, string policy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!policies.TryGet(policy, out var known))
        {
            return Problems.UnknownPolicy(LogText.Of(policy), StatusCodes.Status404NotFound);
        }

        var xlsx = request.ContentType?.Contains("spreadsheetml", StringComparison.OrdinalIgnoreCase) == true;
        var fileName = Query.Text(request, "fileName") ?? (xlsx ? "roll.xlsx" : "roll.csv");
        if (FileNameProblem(fileName) is { } problem)
        {
            return problem;
        }

        return await FileDrops.UploadAsync(request, blobs, limits, LastYearRollsFunction.Container, LastYearRollsFunction.ResultsContainer, $"{known.Code}/{fileName}",
            $"last-year/{known.Code}/roll/{Uri.EscapeDataString(fileName)}", cancellationToken).ConfigureAwait(false);
    }

    [Function("LastYearRollStatus")]
    [Roles(FunctionRoles.Staff)]
    public async Task<IResult> Status(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "last-year/{policy}/roll/{fileName}")] HttpRequest request, string policy, string fileName, CancellationToken cancellationToken) =>
        !policies.TryGet(policy, out var known) ? Problems.UnknownPolicy(LogText.Of(policy), StatusCodes.Status404NotFound)
        : FileNameProblem(fileName)
        ?? await FileDrops.StatusAsync(blobs, LastYearRollsFunction.Container, LastYearRollsFunction.ResultsContainer, $"{known.Code}/{fileName}", cancellationToken).ConfigureAwait(false);

    [Function("LastYearRollRejectedRows")]
    [Roles(FunctionRoles.Staff)]
    public async Task<IResult> Rejected(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "last-year/{policy}/roll/{fileName}/rejected")] HttpRequest request, string policy, string fileName, CancellationToken cancellationToken) =>
        !policies.TryGet(policy, out var known) ? Problems.UnknownPolicy(LogText.Of(policy), StatusCodes.Status404NotFound)
        : FileNameProblem(fileName)
        ?? await FileDrops.RejectedAsync(blobs, LastYearRollsFunction.ResultsContainer, $"{known.Code}/{fileName}", LastYearRollsFunction.Container, cancellationToken).ConfigureAwait(false);

    [Function("LastYearRoll")]
    [Roles(FunctionRoles.Staff, FunctionRoles.Tax)]
    public async Task<IResult> Summary(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "last-year/{policy}/roll")] HttpRequest request, string policy, CancellationToken cancellationToken)
    {
        if (!policies.TryGet(policy, out var known))
        {
            return Problems.UnknownPolicy(LogText.Of(policy), StatusCodes.Status404NotFound);
        }

        var files = await store.FilesAsync(known.Code, cancellationToken).ConfigureAwait(false);
        var (people, amount) = (0, 0m);
        await foreach (var person in store.ScanAsync(known.Code, cancellationToken).ConfigureAwait(false))
        {
            people++;
            amount += person.Amount ?? 0m;
        }

        return TypedResults.Ok(new RollSummary(known.Code, people, amount, files.Count > 0 ? IsoDate.Text(files[0].LoadedOn) : null,
            [.. files.Select(f => new RollFileBody(f.Name, IsoDate.Text(f.LoadedOn), f.Rows, f.Loaded, f.Rejected))]));
    }

    /// <summary>
    /// wuhai-2022 四 "参照 2021 属期……批量生成 2022 属期……应征信息": everyone on the roll (or the roll's <c>unit</c>: town or
    /// community) not enrolled yet is enrolled through the ledger's own enrolment, as of the request's day. Idempotent: a
    /// second run finds them enrolled. Refused with 409 where the policy file has no <c>lastYear.rollOver</c>.
    /// </summary>
    [Function("LastYearRollOver")]
    [Roles(FunctionRoles.Staff)]
    public async Task<IResult> RollOver(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "last-year/{policy}/roll-over")] HttpRequest request, string policy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!policies.TryGet(policy, out var known))
        {
            return Problems.UnknownPolicy(LogText.Of(policy), StatusCodes.Status404NotFound);
        }

        if (known.Document.LastYear?.RollOver != true)
        {
            return Problems.Problem(StatusCodes.Status409Conflict, "roll-over-not-in-policy", "The policy does not roll last year's roll over.",
                $"{known.Code}'s notice does not have the bureau generate this year's registrations from last year's (policy file: lastYear.rollOver).", "policy");
        }

        var unit = Query.Text(request, "unit")?.Trim();
        if (TextLimits.Check("unit", unit, TextLimits.Town) is { } tooLong)
        {
            return tooLong.ToResult();
        }

        var roll = new List<RollPerson>();
        await foreach (var person in store.ScanAsync(known.Code, cancellationToken).ConfigureAwait(false))
        {
            if (string.IsNullOrEmpty(unit) || InUnit(person, unit))
            {
                roll.Add(person);
            }
        }

        if (roll.Count == 0)
        {
            return NoRoll(known, unit);
        }

        var today = clock.Today;
        var enrolled = await RegisteredAsync(known, today, cancellationToken).ConfigureAwait(false);
        var actor = request.HttpContext.User.Actor();
        int created = 0, already = 0;
        var refusals = new System.Collections.Concurrent.ConcurrentBag<(int Order, RollOverRefusal Refusal)>();
        await Parallel.ForEachAsync(roll.Select((p, i) => (Person: p, Order: i)), new ParallelOptions { MaxDegreeOfParallelism = RollOverParallelism, CancellationToken = cancellationToken }, async (item, token) =>
        {
            var person = item.Person;
            if (enrolled.Contains(person.IdNumber))
            {
                Interlocked.Increment(ref already);
                return;
            }

            var error = await EnrolAsync(known, person, actor, today, token).ConfigureAwait(false);
            if (error is null)
            {
                Interlocked.Increment(ref created);
            }
            else if (error.Code == "already-enrolled")
            {
                Interlocked.Increment(ref already);
            }
            else
            {
                refusals.Add((item.Order, new RollOverRefusal(person.IdNumber, person.Name, error.Code, error.Extensions?.GetValueOrDefault("detailZh") as string ?? ProblemText.Chinese(error.Code))));
            }
        }).ConfigureAwait(false);

        var ordered = refusals.OrderBy(r => r.Order).Select(r => r.Refusal).ToList();
        return TypedResults.Ok(new RollOverResult(known.Code, IsoDate.Text(today), string.IsNullOrEmpty(unit) ? null : unit, roll.Count, created, already, ordered.Count,
            ordered.GroupBy(r => r.Code, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal),
            [.. ordered.Take(FirstLines.Listed)]));
    }

    /// <summary>
    /// bagongshan-2022 六(三) "将辖区上年度参保人员缴费明细信息清册……传递给辖区代收单位，并同时提交同级税务部门"; 七(一)6 "8月28日前":
    /// the roll, for one agent (<c>collector=community:…</c>, <c>township:…</c>, <c>school:…</c>) or whole, as CSV or XLSX;
    /// <c>format=json</c> gives the counts. Every answer says the deadline and whether it was kept (<c>X-Deadline-Late</c>:
    /// produced after the deadline; <c>X-Roll-Loaded-Late</c>: no roll was loaded by it).
    /// </summary>
    [Function("LastYearDetails")]
    [Roles(FunctionRoles.Staff, FunctionRoles.Tax, FunctionRoles.Community)]
    public async Task<IResult> Details(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "last-year/{policy}/details")] HttpRequest request, string policy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!policies.TryGet(policy, out var known))
        {
            return Problems.UnknownPolicy(LogText.Of(policy), StatusCodes.Status404NotFound);
        }

        var format = Query.Text(request, "format") ?? "csv";
        if (format is not ("csv" or "xlsx" or "json"))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "unknown-format", "Unknown format.", "format: csv (default), xlsx or json (counts).", "format",
                new Dictionary<string, object?> { ["detailZh"] = "format 可取 csv（默认）、xlsx 或 json（人数和金额）" });
        }

        var collector = Query.Text(request, "collector")?.Trim();
        if (!string.IsNullOrEmpty(collector) && (collector.Length > TextLimits.Source || !Collectors.IsValid(collector)))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "invalid-collector", "Invalid collector.", "collector: community:<name>, school:<name>, township:<name> or window.", "collector");
        }

        var own = request.HttpContext.User.OwnUnit();
        if (own is not null && (string.IsNullOrEmpty(collector) || !string.Equals(collector[(collector.IndexOf(':', StringComparison.Ordinal) + 1)..], own, StringComparison.Ordinal)))
        {
            return ForbiddenUnit(own);
        }

        var today = clock.Today;
        var deadline = DeadlineOf(known, DetailsDeadline);
        var files = await store.FilesAsync(known.Code, cancellationToken).ConfigureAwait(false);
        DateOnly? firstLoaded = files.Count > 0 ? files[0].LoadedOn : null;
        var late = deadline is { } due && today > due;
        var loadedLate = deadline is { } by && (firstLoaded is not { } loaded ? today > by : loaded > by);
        var people = new List<RollPerson>();
        await foreach (var person in store.ScanAsync(known.Code, cancellationToken).ConfigureAwait(false))
        {
            if (ForCollector(person, collector))
            {
                people.Add(person);
            }
        }

        if (files.Count == 0)
        {
            return NoRoll(known, null, new Dictionary<string, object?> { ["deadline"] = deadline is { } d ? IsoDate.Text(d) : null, ["rollLoadedLate"] = loadedLate });
        }

        var headers = request.HttpContext.Response.Headers;
        headers["X-Deadline"] = deadline is { } date ? IsoDate.Text(date) : "";
        headers["X-Deadline-Late"] = late ? "true" : "false";
        headers["X-Roll-Loaded-Late"] = loadedLate ? "true" : "false";
        people.Sort((a, b) => string.CompareOrdinal($"{a.Town}|{a.Community}|{a.School}|{a.IdNumber}", $"{b.Town}|{b.Community}|{b.School}|{b.IdNumber}"));
        if (format == "json")
        {
            return TypedResults.Ok(new
            {
                policy = known.Code,
                asOf = IsoDate.Text(today),
                collector = string.IsNullOrEmpty(collector) ? null : collector,
                deadline = deadline is { } dd ? IsoDate.Text(dd) : null,
                late,
                firstLoadedOn = firstLoaded is { } f ? IsoDate.Text(f) : null,
                rollLoadedLate = loadedLate,
                people = people.Count,
                amount = people.Sum(p => p.Amount ?? 0m),
            });
        }

        return await ReportFiles.FileAsync(format, $"last-year-details-{known.Code}-{IsoDate.Text(today)}", "上年度缴费明细", DetailHeaders,
            people.Select(p => (IReadOnlyList<object?>)[p.Town, p.Community, p.School, p.Name, IdTypeLabel(p.IdType), p.IdNumber, p.Category, p.Amount,
                p.PaidOn is { } o ? CsvReportWriter.Date(o) : null, p.Phone, p.Address]), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A roll row belongs to <paramref name="unit"/> when it is its town or its community (社区、村).</summary>
    internal static bool InUnit(RollPerson person, string unit) =>
        string.Equals(person.Town, unit, StringComparison.Ordinal) || string.Equals(person.Community, unit, StringComparison.Ordinal);

    internal static DateOnly? DeadlineOf(Policy policy, string code) =>
        policy.Document.Deadlines?.FirstOrDefault(d => d.Code == code)?.Date is { } text
            ? IsoDate.Parse(text)
            : null;

    internal static IResult NoRoll(Policy policy, string? unit, IReadOnlyDictionary<string, object?>? more = null) =>
        Problems.Problem(StatusCodes.Status409Conflict, "no-last-year-roll", "No roll of last year is loaded.",
            $"{policy.Code} has no roll of last year's payers{(string.IsNullOrEmpty(unit) ? "" : $" for '{LogText.Of(unit)}'")}: PUT /api/last-year/{policy.Code}/roll loads one.", unit is null ? "policy" : "unit", more);

    internal static IResult ForbiddenUnit(string own) =>
        Problems.Problem(StatusCodes.Status403Forbidden, "forbidden-unit", "This key may see only its own unit.", $"Ask for {LogText.Of(own)} only.", "unit");

    internal static string? IdTypeLabel(string? code) =>
        code is not null && Glossary.DocumentTypes.TryParse(code, out var type) ? Glossary.DocumentTypes.Label(type) : code;

    /// <summary>ID numbers registered (not cancelled) under the policy on <paramref name="day"/>.</summary>
    private async Task<HashSet<string>> RegisteredAsync(Policy policy, DateOnly day, CancellationToken cancellationToken)
    {
        var registered = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var entry in ledger.ScanAsync(policy.Code, cancellationToken).ConfigureAwait(false))
        {
            if (!ProgressReport.CancelledBy(entry.Enrolment, day))
            {
                registered.Add(entry.IdNumber);
            }
        }

        return registered;
    }

    /// <summary>One roll person enrolled as a window enrolment would be: category as population or claimed identity, the roll's town and contact details.</summary>
    private async Task<RequestError?> EnrolAsync(Policy policy, RollPerson person, string actor, DateOnly today, CancellationToken cancellationToken)
    {
        string? population = null;
        string?[]? identities = null;
        if (person.Category is { } category)
        {
            if (Glossary.Populations.TryParse(category, out var p))
            {
                population = Glossary.Populations.Code(p);
            }
            else if (Glossary.SubsidyIdentities.TryParse(category, out var identity))
            {
                // A claim: the ledger subsidises it only as the department lists confirm (issue 17).
                identities = [Glossary.SubsidyIdentities.Code(identity)];
            }
        }

        var body = new AssessmentRequestBody { Policy = policy.Code, IdNumber = person.IdNumber, IdType = person.IdType, Population = population, Identities = identities };
        if (!AssessmentRequestParser.TryParse(body, policies, today, out var known, out var request, out var error))
        {
            return error;
        }

        var result = await ledger.EnrolAsync(new EnrolmentApplication(known, request, new PersonDetails(person.Name, person.Phone, person.Address, person.Town), RollOverSource),
            actor, cancellationToken: cancellationToken).ConfigureAwait(false);
        return result.Error;
    }

    private static bool ForCollector(RollPerson person, string? collector)
    {
        if (string.IsNullOrEmpty(collector) || collector == "window")
        {
            return true;
        }

        var colon = collector.IndexOf(':', StringComparison.Ordinal);
        var (kind, name) = (collector[..colon], collector[(colon + 1)..]);
        return kind switch
        {
            "community" => string.Equals(person.Community, name, StringComparison.Ordinal),
            "township" => string.Equals(person.Town, name, StringComparison.Ordinal),
            _ => string.Equals(person.School, name, StringComparison.Ordinal),
        };
    }

    private static IResult? FileNameProblem(string fileName)
    {
        if (!FileDrops.IsSegment(fileName))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "invalid-file-name", "Invalid file name.",
                "The file name must be one path segment (no '/', '\\', control characters).", "fileName",
                new Dictionary<string, object?> { ["detailZh"] = "文件名无效（不能含 /、\\ 或控制字符）" });
        }

        return Path.GetExtension(fileName).ToUpperInvariant() is ".CSV" or ".XLSX"
            ? null
            : Problems.Problem(StatusCodes.Status400BadRequest, "unsupported-file-type", "Unsupported file type.", $"'{LogText.Of(fileName)}': the file is a .csv or .xlsx file.", "fileName");
    }
}
