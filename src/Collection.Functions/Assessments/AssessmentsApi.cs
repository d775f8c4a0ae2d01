using Collection.Domain.Assessments;
using Collection.Domain.Codes;
using Collection.Domain.Policies;
using Collection.Functions.Policies;
using Collection.Functions.Hosting;
using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.Assessments;

/// <summary><c>POST /api/assessments</c> (staff, admin): what a person owes under a policy on a day.</summary>
public sealed class AssessmentsApi(PolicyCatalog catalog, ChinaClock clock)
{
    /// <summary>Assess a person under a policy: contribution, subsidy, coverage, or why they cannot enrol.</summary>
    [Function("Assess")]
    [Roles(FunctionRoles.Staff)]
    public Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "assessments")] HttpRequest request, CancellationToken cancellationToken) =>
        AssessAsync(request, catalog, clock, cancellationToken);

    internal static async Task<IResult> AssessAsync(HttpRequest http, PolicyCatalog catalog, ChinaClock clock, CancellationToken cancellationToken)
    {
        var (body, error) = await JsonRequests.ReadAsync<AssessmentRequestBody>(http, "assessment request", cancellationToken).ConfigureAwait(false);
        return body is null ? error!.ToResult() : Assess(body, catalog, clock.Today);
    }

    internal static IResult Assess(AssessmentRequestBody body, PolicyCatalog catalog, DateOnly today)
    {
        if (!AssessmentRequestParser.TryParse(body, catalog, today, out var policy, out var request, out var error))
        {
            return error.ToResult();
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
            assessment.CoverageStart is { } start ? Problems.Date(start) : null,
            assessment.CoverageEnd is { } end ? Problems.Date(end) : null));
    }
}

public static class AssessmentServices
{
    /// <summary>The policy catalog (checked at start-up) and what the assessment API needs.</summary>
    public static IServiceCollection AddAssessments(this IServiceCollection services) => services.AddPolicies();
}
