using Collection.Domain.Codes;
using Collection.Domain.Policies;
using Collection.Domain.Rosters;
using Collection.Functions.Assessments;
using Collection.Functions.Files;
using Collection.Functions.Hosting;
using Collection.Functions.Ledger;
using Collection.Functions.Policies;
using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.Reports;

/// <summary>
/// <c>GET /api/reports/{policy}/publicity?town=&amp;date=&amp;format=csv|xlsx</c> (staff, admin): the list of financially
/// subsidised people of one town for public posting (bagongshan-2022 八(五) "特别对享受财政资助人员名单，要在各社区、村委公开公示").
/// It is meant for a notice board, so ID numbers are masked (<c>110101********4511</c>) whatever the caller's role.
/// People registered on the day, not cancelled, whose assessment carries a subsidy (waived or a part); the enrolment's
/// town is the community level the ledger knows. Written to a temporary file, not held in memory.
/// </summary>
public sealed class PublicityApi(EnrolmentLedger ledger, PolicyCatalog policies, ChinaClock clock)
{
    private static readonly string[] Headers = ["乡镇街道", "姓名", "身份证号", "资助身份", "资助方式", "财政资助金额", "个人缴费金额"];

    [Function("PublicityList")]
    [Roles(FunctionRoles.Staff)]
    public async Task<IResult> Get(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "reports/{policy}/publicity")] HttpRequest request, string policy, CancellationToken cancellationToken)
    {
        if (!ReportRequest.TryRead(request, policy, policies, clock, out var known, out var day, out var problem))
        {
            return problem;
        }

        var town = Query.Text(request, "town")?.Trim();
        if (string.IsNullOrEmpty(town) || town.Length > TextLimits.Town)
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "missing-town", "town is required.", $"The list is per town (at most {TextLimits.Town} characters).", "town",
                new Dictionary<string, object?> { ["detailZh"] = "请给出乡镇街道（town），公示名单按乡镇街道生成" });
        }

        var format = Query.Text(request, "format") ?? "csv";
        if (format is not ("csv" or "xlsx"))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "unknown-format", "Unknown format.", "format: csv (default) or xlsx.", "format");
        }

        var file = new FileStream(Path.GetTempFileName(), FileMode.Open, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        try
        {
            var csv = format == "csv" ? CsvReportWriter.Create(file, Headers, leaveOpen: true) : null;
            var xlsx = format == "xlsx" ? XlsxReportWriter.Create(file, "财政资助人员公示", Headers) : null;
            await foreach (var entry in ledger.ScanAsync(known.Code, cancellationToken).ConfigureAwait(false))
            {
                var e = entry.Enrolment;
                if (e.EnrolledOn > day || ProgressReport.CancelledBy(e, day) || e.Terms.Subsidy <= 0m
                    || !string.Equals(ReportUnits.TownOf(entry) ?? ReportUnits.UnassignedName, town, StringComparison.Ordinal))
                {
                    continue;
                }

                var identity = ReportUnits.ConfirmedIdentities(entry).FirstOrDefault() is { } code && Glossary.SubsidyIdentities.TryParse(code, out var parsed)
                    ? Glossary.SubsidyIdentities.Label(parsed) : "";
                object?[] row = [town, entry.Person.Name, RosterChecker.Mask(entry.IdNumber), identity, e.Terms.Waived ? "全额资助" : "定额资助", e.Terms.Subsidy, e.Terms.Payable];
                if (csv is not null)
                {
                    await csv.WriteRowAsync([.. row.Select(ProgressFiles.Text)], cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    xlsx!.WriteRow(row);
                }
            }

            if (csv is not null)
            {
                await csv.DisposeAsync().ConfigureAwait(false);
            }

            if (xlsx is not null)
            {
                await xlsx.DisposeAsync().ConfigureAwait(false);
            }

            file.Position = 0;
            return Results.Stream(file, format == "csv" ? "text/csv; charset=utf-8" : ProgressFiles.XlsxContentType, $"publicity-{known.Code}-{IsoDate.Text(day)}.{format}");
        }
        catch
        {
            await file.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
