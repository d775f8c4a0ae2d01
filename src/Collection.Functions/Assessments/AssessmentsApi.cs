using Collection.Domain.Assessments;
using Collection.Domain.Codes;
using Collection.Domain.Policies;
using Collection.Functions.Policies;
using Collection.Functions.Hosting;
using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.Assessments;

/// <summary><c>POST /api/assessments</c> (staff, community, admin): what a person owes under a policy on a day.</summary>
public sealed class AssessmentsApi(PolicyCatalog catalog, ChinaClock clock, Subsidies.SubsidyIdentityBook identities)
{
    /// <summary>Assess a person under a policy: contribution, subsidy, coverage, or why they cannot enrol.</summary>
    [Function("Assess")]
    [Roles(FunctionRoles.Staff, FunctionRoles.Community)]
    public Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "assessments")] HttpRequest request, CancellationToken cancellationToken) =>
        AssessAsync(request, catalog, clock, identities, cancellationToken);

    internal static async Task<IResult> AssessAsync(HttpRequest http, PolicyCatalog catalog, ChinaClock clock, Subsidies.SubsidyIdentityBook identities, CancellationToken cancellationToken)
    {
        var (body, error) = await JsonRequests.ReadAsync<AssessmentRequestBody>(http, "assessment request", cancellationToken).ConfigureAwait(false);
        return body is null ? error!.ToResult() : await AssessAsync(body, catalog, clock.Today, identities, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// With an ID number the identities come from the identity book (issue 17): those the lists confirm on the day
    /// apply; one typed that no list confirms is answered as unconfirmed and subsidises only where the policy says so.
    /// Without an ID number (a child not yet registered) the typed identities are assessed as typed.
    /// </summary>
    internal static async Task<IResult> AssessAsync(AssessmentRequestBody body, PolicyCatalog catalog, DateOnly today, Subsidies.SubsidyIdentityBook identities, CancellationToken cancellationToken)
    {
        if (!AssessmentRequestParser.TryParse(body, catalog, today, out var policy, out var request, out var error))
        {
            return error.ToResult();
        }

        IReadOnlyList<string> unconfirmed = [];
        if (request.Id is { } id)
        {
            var claims = await identities.ResolveAsync(policy, id, request.Date ?? today, request.Identities, request.AllowanceClass, cancellationToken).ConfigureAwait(false);
            request = request with { Identities = claims.Applied, AllowanceClass = claims.AllowanceClass };
            unconfirmed = [.. claims.Unconfirmed.Identities().Select(Glossary.SubsidyIdentities.Code)];
        }

        var assessment = AssessmentEngine.Assess(policy, request, today);
        if (AssessmentRequestParser.Failure(policy, assessment) is { } failure)
        {
            return failure.ToResult();
        }

        return TypedResults.Ok(new AssessmentResponse(
            policy.Code,
            assessment.Eligible,
            assessment.Reasons.Codes(),
            assessment.StandardContribution,
            assessment.Subsidy,
            Glossary.SubsidyModes.Code(assessment.SubsidyMode),
            assessment.SubsidyIdentity is { } applied ? Glossary.SubsidyIdentities.Code(applied) : null,
            assessment.Payable,
            assessment.Rebate,
            assessment.NetCost,
            assessment.CoverageStart is { } start ? IsoDate.Text(start) : null,
            assessment.CoverageEnd is { } end ? IsoDate.Text(end) : null)
        {
            UnconfirmedIdentities = unconfirmed,
        });
    }
}

public static class AssessmentServices
{
    /// <summary>The policy catalog (checked at start-up) and what the assessment API needs.</summary>
    public static IServiceCollection AddAssessments(this IServiceCollection services) => services.AddPolicies();
}
