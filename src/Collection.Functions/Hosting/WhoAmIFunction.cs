using System.Globalization;
using System.Security.Claims;
using Collection.Functions.Rosters;
using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.Hosting;

/// <summary>
/// What a key is: its name, role, (school keys) the school codes with the policies each may use, and (a community
/// key tied to one, <c>Keys:community:&lt;unit&gt;</c>) the town or community whose data alone it sees.
/// </summary>
public sealed record WhoAmIBody(string Name, string Role, IReadOnlyList<WhoAmISchool> Schools, string? Unit);

/// <summary>A school a school key acts for; <c>Policies</c> empty when the school is not limited (<c>Schools:{code}:Policies</c>).</summary>
public sealed record WhoAmISchool(string Code, IReadOnlyList<string> Policies);

/// <summary>
/// <c>GET /api/me</c>: who the presented key stands for, so the web console shows only the pages its role may
/// use. Any valid key may ask (every role is listed; admin may call everything); no key or a wrong one answers
/// 401 <c>missing-or-invalid-key</c> from the access middleware, as for every other function.
/// </summary>
public sealed class WhoAmIFunction(IConfiguration configuration)
{
    [Function("WhoAmI")]
    [Roles(FunctionRoles.Staff, FunctionRoles.Approver, FunctionRoles.Tax, FunctionRoles.Community, FunctionRoles.School)]
    public IResult Run([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "me")] HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var user = request.HttpContext.User;
        var role = user.FindFirst(ClaimTypes.Role)?.Value ?? "";
        var schools = user.FindAll(FunctionRoles.SchoolClaim)
            .Select(c => RosterBlobs.SchoolCode(c.Value))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Select(code => new WhoAmISchool(code, Policies(code)))
            .ToList();
        return Results.Ok(new WhoAmIBody(user.Actor(), role, schools, user.OwnUnit()));
    }

    private string[] Policies(string school) =>
        (configuration[string.Format(CultureInfo.InvariantCulture, RostersApi.PoliciesSettingFormat, school)] ?? "")
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
}
