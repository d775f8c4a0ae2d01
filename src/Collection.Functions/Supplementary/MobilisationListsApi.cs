using Azure;
using Azure.Storage.Blobs;
using Collection.Domain.Policies;
using Collection.Domain.Rosters;
using Collection.Functions.Files;
using Collection.Functions.Hosting;
using Collection.Functions.Ledger;
using Collection.Functions.Policies;
using Collection.Functions.Reports;
using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.Supplementary;

/// <summary>One month's mobilisation lists: the towns that have one.</summary>
public sealed record MobilisationListIndex(string Policy, IReadOnlyList<string> Months, string? Month, IReadOnlyList<string> Towns);

/// <summary>
/// 动员名单 as the monthly supplementary run wrote them (<see cref="MobilisationLists"/>), for the people who mobilise:
/// <c>GET /api/reports/{policy}/mobilisation?month=yyyy-MM</c> lists the months with lists and the month's towns (the
/// latest month when none is asked); <c>…&amp;town=X&amp;format=csv</c> is the town's list. Staff get the file as written
/// (whole ID numbers); community and township staff get it with ID numbers masked (<c>110101********4511</c>), and a
/// key tied to a town (<c>Keys:community:&lt;town&gt;</c>) only that town's list — another town answers 403
/// <c>forbidden-unit</c>.
/// </summary>
public sealed class MobilisationListsApi(PolicyCatalog policies, BlobServiceClient blobs)
{
    [Function("MobilisationLists")]
    [Roles(FunctionRoles.Staff, FunctionRoles.Community)]
    public async Task<IResult> Get(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "reports/{policy}/mobilisation")] HttpRequest request, string policy, CancellationToken cancellationToken)
    {
        if (!policies.TryGet(policy, out var known))
        {
            return Problems.UnknownPolicy(LogText.Of(policy), StatusCodes.Status404NotFound);
        }

        var month = Query.Text(request, "month")?.Trim();
        if (!string.IsNullOrEmpty(month) && !IsoDate.TryParseMonth(month, out _))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "invalid-month", "month must be yyyy-MM.", $"Got '{LogText.Of(month)}'.", "month",
                new Dictionary<string, object?> { ["detailZh"] = "月份格式应为 yyyy-MM，例如 2022-10" });
        }

        var format = Query.Text(request, "format");
        var town = Query.Text(request, "town")?.Trim();
        if (TextLimits.Check("town", town, TextLimits.Town) is { } tooLong)
        {
            return tooLong.ToResult();
        }

        var user = request.HttpContext.User;
        var own = user.OwnUnit();
        if (own is not null)
        {
            if (!string.IsNullOrEmpty(town) && !string.Equals(town, own, StringComparison.Ordinal))
            {
                return LastYear.LastYearApi.ForbiddenUnit(own);
            }

            town = own;
        }

        if (format is not (null or "json" or "csv") || (format == "csv" && string.IsNullOrEmpty(town)))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "unknown-format", "Unknown format.", "format: json (the months and towns, default) or csv with town= (the town's list).", "format",
                new Dictionary<string, object?> { ["detailZh"] = "format 可取 json（有名单的月份和乡镇街道）或 csv（须同时给出 town，下载该乡镇街道的动员名单）" });
        }

        var container = blobs.GetBlobContainerClient(MobilisationLists.Container);
        var prefix = $"{known.Code}/mobilisation/";
        var lists = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        try
        {
            await foreach (var blob in container.GetBlobsAsync(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, prefix, cancellationToken).ConfigureAwait(false))
            {
                // {policy}/mobilisation/{yyyy-MM}/{town}.csv
                var rest = blob.Name[prefix.Length..];
                var slash = rest.IndexOf('/', StringComparison.Ordinal);
                if (slash > 0 && rest.EndsWith(".csv", StringComparison.Ordinal))
                {
                    var listMonth = rest[..slash];
                    var listTown = rest[(slash + 1)..^4];
                    if (!lists.TryGetValue(listMonth, out var towns))
                    {
                        lists[listMonth] = towns = [];
                    }

                    towns.Add(listTown);
                }
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // No container yet: no supplementary run has written a list.
        }

        var chosen = !string.IsNullOrEmpty(month) ? month : lists.Keys.LastOrDefault();
        if (format != "csv")
        {
            var towns = chosen is not null && lists.TryGetValue(chosen, out var t)
                ? t.Where(name => own is null || string.Equals(name, MonthlyReports.SafeName(own), StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList()
                : [];
            return TypedResults.Ok(new MobilisationListIndex(known.Code, [.. lists.Keys], chosen, towns));
        }

        if (chosen is null || !lists.TryGetValue(chosen, out var written) || !written.Contains(MonthlyReports.SafeName(town!), StringComparer.Ordinal))
        {
            return Problems.Problem(StatusCodes.Status404NotFound, "list-not-written", "No such mobilisation list.",
                $"No mobilisation list of {known.Code} for {LogText.Of(chosen ?? "any month")} and town '{LogText.Of(town)}'; the SupplementaryEnrolment job writes them.", "town",
                new Dictionary<string, object?> { ["detailZh"] = "该月份没有此乡镇街道的动员名单（动员名单由每月的资助对象补充参保任务生成）" });
        }

        var name = $"mobilisation-{known.Code}-{chosen}-{MonthlyReports.SafeName(town!)}.csv";
        var content = await container.GetBlobClient(MobilisationLists.BlobName(known.Code, chosen, town!)).OpenReadAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        if (user.IsInRole(FunctionRoles.Admin) || user.IsInRole(FunctionRoles.Staff))
        {
            return Results.Stream(content, "text/csv; charset=utf-8", name);
        }

        var file = new FileStream(Path.GetTempFileName(), FileMode.Open, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        try
        {
            await MaskAsync(content, file, cancellationToken).ConfigureAwait(false);
            file.Position = 0;
            return Results.Stream(file, "text/csv; charset=utf-8", name);
        }
        catch
        {
            await file.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The list again with the ID number column masked; the other cells as they were (read back to plain text, written Excel-safe again).</summary>
    private static async Task MaskAsync(Stream list, Stream output, CancellationToken cancellationToken)
    {
        var idColumn = MobilisationLists.Headers.ToList().IndexOf("身份证号");
        await using var reader = await TabularReader.OpenAsync(list, "list.csv", cancellationToken).ConfigureAwait(false);
        await using var csv = CsvReportWriter.Create(output, MobilisationLists.Headers, leaveOpen: true);
        var header = true;
        await foreach (var row in reader.ReadRowsAsync(cancellationToken).ConfigureAwait(false))
        {
            if (header)
            {
                header = false;
                continue;
            }

            var cells = row.Cells.Select(CellText.Clean).ToArray();
            if (idColumn < cells.Length)
            {
                cells[idColumn] = RosterChecker.Mask(cells[idColumn]);
            }

            await csv.WriteRowAsync(cells, cancellationToken).ConfigureAwait(false);
        }
    }
}
