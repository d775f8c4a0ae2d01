using Collection.Domain.Policies;
using Collection.Functions.Assessments;
using Collection.Functions.Hosting;
using Collection.Functions.Policies;

namespace Collection.Functions.Reports;

/// <summary>What every report route starts with: the policy in the path (404 when unknown) and the optional <c>?date=</c> (today by default).</summary>
internal static class ReportRequest
{
    public static bool TryRead(HttpRequest request, string policy, PolicyCatalog policies, ChinaClock clock, out Policy known, out DateOnly day, [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out IResult? problem)
    {
        day = default;
        problem = null;
        if (!policies.TryGet(policy, out known!))
        {
            problem = Problems.UnknownPolicy(LogText.Of(policy), StatusCodes.Status404NotFound);
            return false;
        }

        if (!AssessmentRequestParser.TryDate(Query.Text(request, "date"), "date", out var date, out var error))
        {
            problem = error.ToResult();
            return false;
        }

        day = date ?? clock.Today;
        return true;
    }
}
