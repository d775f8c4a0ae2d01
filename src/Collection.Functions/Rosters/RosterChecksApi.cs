using Collection.Domain.Policies;
using Collection.Functions.Assessments;
using Collection.Functions.Files;
using Collection.Functions.Hosting;
using Collection.Functions.Policies;
using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.Rosters;

/// <summary>
/// <c>POST /api/roster-checks/{school|university}/{policy}/{fileName}?date=yyyy-MM-dd[&amp;format=csv]</c> (school,
/// staff): the body is a roster file, checked as <c>roster check</c> checks it (<see cref="RosterOfflineCheck"/>) and
/// not kept — nothing is uploaded, enrolled or stored. 200 with the result as the roster status answers it
/// (counts, rejected by reason, the first rejected rows; status <c>completed</c>); <c>format=csv</c> answers the
/// rejected rows as the <c>.rejected.csv</c> instead. A file that cannot be read is 400 with its code and
/// Chinese message. Whether a person is already enrolled elsewhere is checked only on upload.
/// </summary>
public sealed class RosterChecksApi(PolicyCatalog catalog, FileLimits limits, ChinaClock clock)
{
    [Function("CheckRoster")]
    [Roles(FunctionRoles.School, FunctionRoles.Staff)]
    public async Task<IResult> Check(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "roster-checks/{kind}/{policy}/{fileName}")] HttpRequest request, string kind, string policy, string fileName,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!RosterBlobs.TryParseKind(kind, out var rosterKind))
        {
            return Problems.Problem(StatusCodes.Status404NotFound, "unknown-roster-kind", "Unknown roster kind.", $"'{LogText.Of(kind)}': rosters are 'school' or 'university'.", "kind");
        }

        if (!catalog.TryGet(policy, out var known))
        {
            return Problems.UnknownPolicy(LogText.Of(policy), StatusCodes.Status404NotFound);
        }

        if (!RosterBlobs.IsSegment(fileName))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "invalid-roster-name", "Invalid file name.", "The file name must be a single path segment.", "fileName");
        }

        if (!AssessmentRequestParser.TryDate(Query.Text(request, "date"), "date", out var date, out var error)
            || !AssessmentRequestParser.TryInPolicyYears(date, "date", catalog, out error))
        {
            return error.ToResult();
        }

        var format = Query.Text(request, "format");
        if (format is not (null or "json" or "csv"))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "unknown-format", "Unknown format.", "format: json (default) or csv (the rejected rows).", "format");
        }

        var rejected = format == "csv"
            ? new FileStream(Path.GetTempFileName(), FileMode.Open, FileAccess.ReadWrite, FileShare.None, 64 * 1024, FileOptions.DeleteOnClose | FileOptions.Asynchronous)
            : null;
        try
        {
            var result = await RosterOfflineCheck.RunAsync(request.Body, fileName, known, rosterKind, date ?? clock.Today, limits, rejected, cancellationToken).ConfigureAwait(false);
            if (rejected is null)
            {
                return Results.Bytes(result.ToJson(), "application/json; charset=utf-8");
            }

            rejected.Position = 0;
            return Results.Stream(rejected, "text/csv; charset=utf-8", Path.GetFileNameWithoutExtension(fileName) + ".rejected.csv");
        }
        catch (TabularFileException e)
        {
            if (rejected is not null)
            {
                await rejected.DisposeAsync().ConfigureAwait(false);
            }

            return Problems.Problem(StatusCodes.Status400BadRequest, e.Code, "The file cannot be read.", e.Code, "body",
                new Dictionary<string, object?> { ["detailZh"] = e.ChineseMessage });
        }
        catch
        {
            if (rejected is not null)
            {
                await rejected.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }
}
