using System.Globalization;
using System.Security.Claims;
using System.Text;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Collection.Domain.Policies;
using Collection.Domain.Rosters;
using Collection.Functions.Assessments;
using Collection.Functions.Policies;
using Collection.Functions.Hosting;
using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.Rosters;

/// <summary>The answer to an upload: where the roster went and where to watch it.</summary>
public sealed record RosterAccepted(string Container, string BlobName, string ETag, string StatusQueryGetUri, string RejectedCsvUri);

/// <summary>
/// <c>PUT /api/rosters/{school|university}/{policy}/{schoolCode}/{fileName}</c> uploads a roster (the
/// body is the file) into its container, where the blob trigger ingests it; 202 with the status URL.
/// <c>GET</c> on the same path answers the result JSON (rows so far while it runs), and
/// <c>GET …/rejected</c> the rejected rows as CSV. A school key acts only for its own school codes.
/// </summary>
public sealed class RostersApi(BlobServiceClient blobs, RosterResultStore results, PolicyCatalog catalog, IConfiguration configuration, ChinaClock clock)
{
    private const string Route = "rosters/{kind}/{policy}/{school}/{fileName}";

    /// <summary>Upload a school or university roster (CSV in UTF-8 or GB18030, or XLSX); ingested by the blob trigger.</summary>
    [Function("UploadRoster")]
    [Roles(FunctionRoles.School, FunctionRoles.Staff)]
    public Task<IResult> Upload(
        [HttpTrigger(AuthorizationLevel.Anonymous, "put", Route = Route)] HttpRequest request, string kind, string policy, string school, string fileName, CancellationToken cancellationToken) =>
        UploadAsync(kind, policy, school, fileName, Query.Text(request, "date"), request, request.HttpContext.User, blobs, catalog, configuration, clock, cancellationToken);

    /// <summary>The result of a roster: processing (rows so far), completed or failed, with its rejected rows.</summary>
    [Function("RosterStatus")]
    [Roles(FunctionRoles.School, FunctionRoles.Staff)]
    public Task<IResult> Status(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Route)] HttpRequest request, string kind, string policy, string school, string fileName, CancellationToken cancellationToken) =>
        StatusAsync(kind, policy, school, fileName, request.HttpContext.User, blobs, results, catalog, configuration, cancellationToken);

    /// <summary>The rejected rows as CSV (UTF-8 with BOM, the file's own columns plus 行号, 原因代码, 原因说明).</summary>
    [Function("RosterRejectedRows")]
    [Roles(FunctionRoles.School, FunctionRoles.Staff)]
    public Task<IResult> Rejected(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Route + "/rejected")] HttpRequest request, string kind, string policy, string school, string fileName, CancellationToken cancellationToken) =>
        RejectedAsync(kind, policy, school, fileName, request.HttpContext.User, results, catalog, configuration, cancellationToken);

    internal static async Task<IResult> UploadAsync(
        string kind, string policy, string school, string fileName, string? date,
        HttpRequest http, ClaimsPrincipal user, BlobServiceClient blobs, PolicyCatalog catalog, IConfiguration configuration, ChinaClock clock, CancellationToken cancellationToken)
    {
        if (Check(kind, policy, school, fileName, user, catalog, configuration) is { } problem)
        {
            return problem;
        }

        var extension = Path.GetExtension(fileName).ToUpperInvariant();
        if (extension is not (".CSV" or ".TXT" or ".XLSX" or ".XLSM"))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "unsupported-file-type", "Unsupported file type.",
                $"'{fileName}': a roster is a .csv or .xlsx file (不支持的文件类型，请上传 .csv 或 .xlsx 文件).", "fileName");
        }

        var metadata = new Dictionary<string, string> { [RosterBlobs.UploadedByMetadata] = user.Actor() };
        if (date is not null)
        {
            if (!IsoDate.TryParse(date, out var day))
            {
                return Problems.Problem(StatusCodes.Status400BadRequest, "invalid-date", "Invalid date.", $"date: '{date}' is not a date (yyyy-MM-dd).", "date");
            }

            if (!AssessmentRequestParser.TryInPolicyYears(day, "date", catalog, out var outside))
            {
                return outside.ToResult();
            }

            if (day > clock.Today)
            {
                return Problems.Problem(StatusCodes.Status400BadRequest, "date-in-future", "The enrolment day is after today.", $"date: {date} is after today in China.", "date");
            }

            metadata[RosterBlobs.AssessOnMetadata] = date;
        }

        var rosterKind = RosterBlobs.KindOf(kind);
        var container = blobs.GetBlobContainerClient(RosterBlobs.ContainerOf(rosterKind));
        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var blobName = RosterBlobs.BlobName(policy, school, fileName);
        var uploaded = await container.GetBlobClient(blobName).UploadAsync(http.Body, new BlobUploadOptions
        {
            Metadata = metadata,
            HttpHeaders = new BlobHttpHeaders { ContentType = extension is ".XLSX" or ".XLSM" ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" : "text/csv" },
        }, cancellationToken).ConfigureAwait(false);

        // Start the ingestion now rather than at the blob trigger's next polling tick.
        var statusUri = $"{http.Scheme}://{http.Host}{http.PathBase}{http.Path}";
        return TypedResults.Accepted(statusUri, new RosterAccepted(container.Name, blobName, RosterBlobs.ETagText(uploaded.Value.ETag), statusUri, statusUri + "/rejected"));
    }

    internal static async Task<IResult> StatusAsync(
        string kind, string policy, string school, string fileName,
        ClaimsPrincipal user, BlobServiceClient blobs, RosterResultStore results, PolicyCatalog catalog, IConfiguration configuration, CancellationToken cancellationToken)
    {
        if (Check(kind, policy, school, fileName, user, catalog, configuration) is { } problem)
        {
            return problem;
        }

        var rosterKind = RosterBlobs.KindOf(kind);
        var containerName = RosterBlobs.ContainerOf(rosterKind);
        var blobName = RosterBlobs.BlobName(policy, school, fileName);
        ETag? current = null;
        try
        {
            var properties = await blobs.GetBlobContainerClient(containerName).GetBlobClient(blobName).GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            current = properties.Value.ETag;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // Deleted since (or never uploaded): the last result, if any, still stands.
        }

        var result = await results.ReadAsync(containerName, blobName, cancellationToken).ConfigureAwait(false);
        if (result is null && current is null)
        {
            return NotFound(containerName, blobName);
        }

        if (current is { } etag && (result is null || result.ETag != RosterBlobs.ETagText(etag)))
        {
            // Uploaded, not picked up yet (the trigger sees new blobs within seconds).
            result = new RosterResult
            {
                Container = containerName,
                BlobName = blobName,
                ETag = RosterBlobs.ETagText(etag),
                Policy = policy,
                School = RosterBlobs.SchoolCode(school),
                FileName = fileName,
                Kind = kind,
                Status = RosterStatus.Processing,
            };
        }

        return Results.Bytes(result!.ToJson(), "application/json; charset=utf-8");
    }

    internal static async Task<IResult> RejectedAsync(
        string kind, string policy, string school, string fileName,
        ClaimsPrincipal user, RosterResultStore results, PolicyCatalog catalog, IConfiguration configuration, CancellationToken cancellationToken)
    {
        if (Check(kind, policy, school, fileName, user, catalog, configuration) is { } problem)
        {
            return problem;
        }

        var rosterKind = RosterBlobs.KindOf(kind);
        var containerName = RosterBlobs.ContainerOf(rosterKind);
        var blobName = RosterBlobs.BlobName(policy, school, fileName);
        try
        {
            var stream = await results.RejectedCsv(containerName, blobName).OpenReadAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            return Results.Stream(stream, "text/csv; charset=utf-8", Path.GetFileNameWithoutExtension(fileName) + ".rejected.csv");
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return NotFound(containerName, blobName + " (rejected rows)");
        }
    }

    /// <summary>
    /// <c>Schools:&lt;schoolCode&gt;:Policies</c>: the policies (comma-separated) a school's key may upload
    /// under, which also fixes its region; none configured means any policy.
    /// </summary>
    public const string PoliciesSetting = "Schools:{0}:Policies";

    /// <summary><see cref="PoliciesSetting"/> parsed once: it is formatted on every roster and who-am-I request.</summary>
    internal static readonly CompositeFormat PoliciesSettingFormat = CompositeFormat.Parse(PoliciesSetting);

    private static IResult? Check(string kind, string policy, string school, string fileName, ClaimsPrincipal user, PolicyCatalog catalog, IConfiguration configuration)
    {
        if (!RosterBlobs.TryParseKind(kind, out _))
        {
            return Problems.Problem(StatusCodes.Status404NotFound, "unknown-roster-kind", "Unknown roster kind.", $"'{kind}': rosters are 'school' or 'university'.", "kind");
        }

        if (!catalog.TryGet(policy, out _))
        {
            return Problems.UnknownPolicy(policy, StatusCodes.Status400BadRequest);
        }

        if (!RosterBlobs.IsSegment(school, 64) || !RosterBlobs.IsSegment(fileName))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "invalid-roster-name", "Invalid school code or file name.",
                "The school code and file name must be single path segments (no '/', '\\', control characters).", "fileName");
        }

        if (!user.IsInRole(FunctionRoles.Staff) && !user.MayActForSchool(school))
        {
            return Problems.Problem(StatusCodes.Status403Forbidden, "forbidden-school", "This key may not act for this school.",
                $"The key of {user.Actor()} may only upload and read the rosters of its own school codes, not '{school}'.", "school");
        }

        var scope = configuration[string.Format(CultureInfo.InvariantCulture, PoliciesSettingFormat, RosterBlobs.SchoolCode(school))];
        if (!user.IsInRole(FunctionRoles.Staff) && !user.IsInRole(FunctionRoles.Admin) && !string.IsNullOrWhiteSpace(scope)
            && !scope.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Contains(policy, StringComparer.OrdinalIgnoreCase))
        {
            return Problems.Problem(StatusCodes.Status403Forbidden, "forbidden-policy", "This school may not enrol under that policy.",
                $"School '{school}' is configured for {scope}, not {policy}.", "policy");
        }

        return null;
    }

    private static IResult NotFound(string container, string blobName) =>
        Problems.Problem(StatusCodes.Status404NotFound, "roster-not-found", "No such roster.", $"Nothing was uploaded to {container}/{blobName}.");
}
