using System.Globalization;
using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Collection.Domain.Policies;
using Collection.Functions.Files;
using Collection.Functions.Hosting;
using Collection.Functions.Ledger;
using Collection.Functions.Policies;
using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.Reports;

/// <summary>One unit's task from an uploaded task table.</summary>
public sealed record UploadedTarget(string Name, int People);

/// <summary>An uploaded task table as stored: its units, the file it came from, who uploaded it and on which day.</summary>
public sealed record UploadedTargets(string Policy, IReadOnlyList<UploadedTarget> Units, int Total, string File, string UploadedBy, string UploadedOn);

/// <summary>
/// Uploaded task tables (table <c>{prefix}reporttargets</c>): one entity per policy (PartitionKey = policy, RowKey =
/// <c>targets</c>), the units as JSON — a table has at most <see cref="MaxUnits"/> units, so it fits one property, and
/// an upload replaces the whole table at once (no reader sees half of two uploads).
/// </summary>
public sealed class TargetStore(TableServiceClient tables, LedgerTables ledgerTables)
{
    public const int MaxUnits = 300;

    private readonly TableClient _table = tables.GetTableClient(ledgerTables.Prefix + "reporttargets");
    private readonly Lock _gate = new();
    private Task? _created;

    public async Task<IReadOnlyList<UploadedTarget>?> GetAsync(string policy, CancellationToken cancellationToken) =>
        (await GetTableAsync(policy, cancellationToken).ConfigureAwait(false))?.Units;

    public async Task<UploadedTargets?> GetTableAsync(string policy, CancellationToken cancellationToken)
    {
        await EnsureAsync(cancellationToken).ConfigureAwait(false);
        var found = await _table.GetEntityIfExistsAsync<TableEntity>(policy, "targets", cancellationToken: cancellationToken).ConfigureAwait(false);
        return found.HasValue && found.Value!.GetString("Table") is { } json ? JsonSerializer.Deserialize<UploadedTargets>(json, JsonSerializerOptions.Web) : null;
    }

    public async Task PutAsync(UploadedTargets targets, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(targets);
        await EnsureAsync(cancellationToken).ConfigureAwait(false);
        await _table.UpsertEntityAsync(new TableEntity(targets.Policy, "targets") { ["Table"] = JsonSerializer.Serialize(targets, JsonSerializerOptions.Web) },
            TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    private Task EnsureAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_created is null || _created.IsFaulted || _created.IsCanceled)
            {
                _created = _table.CreateIfNotExistsAsync(CancellationToken.None);
            }

            return _created.WaitAsync(cancellationToken);
        }
    }
}

/// <summary>A row of an uploaded task table that was not taken.</summary>
public sealed record TargetRowProblem(int Line, string Code, string DetailZh);

/// <summary>
/// <c>PUT /api/reports/{policy}/targets</c> (admin): the task table where the notice gives the tasks later
/// (luyang-2023 一 "具体任务另行通知"). The body is a CSV (UTF-8 or GB18030) or XLSX file with the columns 单位 (or
/// 乡镇街道) and 任务数 (or 征缴任务数); the file name comes in <c>?file=</c>. All or nothing: any bad row and nothing is
/// stored (422 with every bad row). <c>GET</c> returns the table in force.
/// </summary>
public sealed class TargetsApi(PolicyCatalog policies, TargetStore store, ChinaClock clock)
{
    private static readonly string[] NameHeaders = ["单位", "乡镇街道", "镇街", "unit", "name"];
    private static readonly string[] PeopleHeaders = ["任务数", "征缴任务数", "参保任务数", "任务数（人）", "征缴任务数（人）", "people", "target"];

    [Function("PutEnrolmentTargets")]
    [Roles(FunctionRoles.Admin)]
    public async Task<IResult> Put(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = "reports/{policy}/targets")] HttpRequest request, string policy, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!policies.TryGet(policy, out var known))
        {
            return Problems.UnknownPolicy(LogText.Of(policy), StatusCodes.Status404NotFound);
        }

        if (known.Document.Targets?.UnitsFrom != "uploaded")
        {
            return Problems.Problem(StatusCodes.Status409Conflict, "targets-in-policy-file", "This policy's tasks are in its policy file.",
                $"{known.Code} gives its units' tasks in policies/{known.Code}.json; only a policy with targets.unitsFrom = uploaded takes a task table.", "policy");
        }

        var file = Query.Text(request, "file") is { Length: > 0 and <= 200 } f ? f : "targets.csv";
        var units = new List<UploadedTarget>();
        var problems = new List<TargetRowProblem>();
        try
        {
            await using var reader = await TabularReader.OpenAsync(request.Body, file, FileLimits.Default, cancellationToken).ConfigureAwait(false);
            int name = -1, people = -1;
            var seen = new HashSet<string>(StringComparer.Ordinal);
            await foreach (var row in reader.ReadRowsAsync(cancellationToken).ConfigureAwait(false))
            {
                if (row.IsBlank())
                {
                    continue;
                }

                if (name < 0)
                {
                    name = IndexOf(row.Cells, NameHeaders);
                    people = IndexOf(row.Cells, PeopleHeaders);
                    if (name < 0 || people < 0)
                    {
                        return Problems.Problem(StatusCodes.Status400BadRequest, "missing-columns", "The file has no unit or task column.",
                            "The first row must name the columns 单位 (or 乡镇街道) and 任务数.", "body",
                            new Dictionary<string, object?> { ["detailZh"] = "文件第一行须有“单位”（或“乡镇街道”）和“任务数”两列" });
                    }

                    continue;
                }

                var unit = Cell(row.Cells, name);
                var count = Cell(row.Cells, people);
                if (unit.Length == 0 || unit.Length > TextLimits.Town)
                {
                    problems.Add(new TargetRowProblem(row.LineNumber, "invalid-unit", $"第{row.LineNumber}行：单位名称为空或超过{TextLimits.Town}个字符"));
                }
                else if (!int.TryParse(count, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0)
                {
                    problems.Add(new TargetRowProblem(row.LineNumber, "invalid-target", $"第{row.LineNumber}行：任务数须为正整数"));
                }
                else if (!seen.Add(unit))
                {
                    problems.Add(new TargetRowProblem(row.LineNumber, "duplicate-unit", $"第{row.LineNumber}行：单位“{unit}”重复"));
                }
                else if (units.Count >= TargetStore.MaxUnits)
                {
                    problems.Add(new TargetRowProblem(row.LineNumber, "too-many-units", $"第{row.LineNumber}行：任务表最多{TargetStore.MaxUnits}个单位"));
                    break;
                }
                else
                {
                    units.Add(new UploadedTarget(unit, n));
                }
            }
        }
        catch (TabularFileException e)
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, e.Code, "The file cannot be read.", e.Code, "body",
                new Dictionary<string, object?> { ["detailZh"] = e.ChineseMessage });
        }

        if (problems.Count > 0 || units.Count == 0)
        {
            return Problems.Problem(StatusCodes.Status422UnprocessableEntity, "invalid-targets", "The task table has rows that cannot be taken; nothing was stored.",
                $"{problems.Count} rows rejected.", "body",
                new Dictionary<string, object?> { ["rows"] = problems, ["detailZh"] = units.Count == 0 && problems.Count == 0 ? "任务表没有任何单位" : "任务表有错误行，未保存任何内容" });
        }

        var table = new UploadedTargets(known.Code, units, units.Sum(u => u.People), LogText.Of(file), request.HttpContext.User.Actor(), IsoDate.Text(clock.Today));
        await store.PutAsync(table, cancellationToken).ConfigureAwait(false);
        return TypedResults.Ok(table);
    }

    [Function("GetEnrolmentTargets")]
    [Roles(FunctionRoles.Staff)]
    public async Task<IResult> Get(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "reports/{policy}/targets")] HttpRequest request, string policy, CancellationToken cancellationToken)
    {
        if (!policies.TryGet(policy, out var known))
        {
            return Problems.UnknownPolicy(LogText.Of(policy), StatusCodes.Status404NotFound);
        }

        var targets = known.Document.Targets;
        if (targets?.UnitsFrom == "uploaded")
        {
            return await store.GetTableAsync(known.Code, cancellationToken).ConfigureAwait(false) is { } table
                ? TypedResults.Ok(table)
                : Problems.Problem(StatusCodes.Status404NotFound, "no-targets-uploaded", "No task table has been uploaded.",
                    $"PUT /api/reports/{known.Code}/targets uploads one.", "policy");
        }

        var units = (targets?.Units ?? []).Select(u => new UploadedTarget(u.Name!, u.People)).ToList();
        return TypedResults.Ok(new UploadedTargets(known.Code, units, units.Sum(u => u.People), $"policies/{known.Code}.json", "policy", ""));
    }

    private static int IndexOf(IReadOnlyList<string> cells, string[] names)
    {
        for (var i = 0; i < cells.Count; i++)
        {
            var text = CellText.Clean(cells[i]).Trim();
            if (names.Any(n => string.Equals(n, text, StringComparison.OrdinalIgnoreCase)))
            {
                return i;
            }
        }

        return -1;
    }

    private static string Cell(IReadOnlyList<string> cells, int index) => index < cells.Count ? CellText.Clean(cells[index]).Trim() : "";
}
