using Collection.Domain.Policies;
using Collection.Functions.Hosting;
using Collection.Functions.Ledger;
using Collection.Functions.Policies;
using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.Rosters;

/// <summary>
/// <c>GET /api/schools/{school}/enrolments?policy=…</c>: the enrolments a school's rosters made (source
/// <c>roster:{school}</c>) with their status and what is paid, paged as <c>GET /api/enrolments</c> (status
/// filter, pageSize, continuation). A school key reads its own school codes only; staff any school.
/// </summary>
public sealed class SchoolEnrolmentsFunction(EnrolmentLedger ledger, PolicyCatalog policies)
{
    [Function("ListSchoolEnrolments")]
    [Roles(FunctionRoles.School, FunctionRoles.Staff)]
    public async Task<IResult> List(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "schools/{school}/enrolments")] HttpRequest request, string school, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var user = request.HttpContext.User;
        if (!RosterBlobs.IsSegment(school, 64))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "invalid-roster-name", "Invalid school code.", "The school code must be one path segment.", "school");
        }

        if (!user.IsInRole(FunctionRoles.Staff) && !user.MayActForSchool(school))
        {
            return Problems.Problem(StatusCodes.Status403Forbidden, "forbidden-school", "This key may not act for this school.",
                $"The key of {user.Actor()} may only read the enrolments of its own school codes, not '{LogText.Of(school)}'.", "school");
        }

        if (!Query.TryInt(request, "pageSize", out var pageSize, out var problem))
        {
            return problem!;
        }

        return await EnrolmentsApi.ListAsync(Query.Text(request, "policy"), Query.Text(request, "status"), town: null, RosterIngestion.SourceOf(school),
            pageSize, Query.Text(request, "continuation"), ledger, policies, cancellationToken, maskIds: !user.IsInRole(FunctionRoles.Staff) && !user.IsInRole(FunctionRoles.Admin)).ConfigureAwait(false);
    }
}
