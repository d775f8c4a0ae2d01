using System.Globalization;
using Collection.Domain.Codes;
using Collection.Domain.Policies;
using Collection.Functions.Hosting;
using Collection.Functions.Ledger;
using Collection.Functions.Policies;
using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.Supplementary;

/// <summary>
/// What one department's lists did under a policy as of a day (issue 17; bagongshan-2022 七9 "医保协同财政、民政、残联、
/// 乡村振兴等相关部门继续按原模式、原渠道完成特殊群体财政资助款项汇缴入库事宜"; luyang-2023 五(五) "区医保局按照上报的资助参保人数和标准，
/// 将资助参保缴费金额从医疗救助资金帐户划转"). A person counts once, under the department whose identity gives them the highest
/// subsidy on the day (就高不重复).
/// </summary>
/// <param name="Listed">People with an identity in force from the department's lists.</param>
/// <param name="Enrolled">Of them, enrolled (not cancelled) under the policy.</param>
/// <param name="EnrolledByLists">Of those, enrolled by the lists themselves (source <c>subsidy-list</c>).</param>
/// <param name="AwaitingEnrolment">Listed and not enrolled.</param>
/// <param name="Subsidised">Enrolled with a subsidy in the amount due (waived or deducted).</param>
/// <param name="Subsidy">The subsidies in those amounts due (the personal shares government pays).</param>
/// <param name="TopUps">Top-ups (补差) recorded for the department's people.</param>
/// <param name="Rebates">Rebates due (先缴后补) recorded for the department's people.</param>
/// <param name="Owed">Subsidy + top-ups + rebates: what the department or fund owes into the treasury.</param>
public sealed record DepartmentTotals(
    string Department,
    string DepartmentLabel,
    int Listed,
    int Enrolled,
    int EnrolledByLists,
    int AwaitingEnrolment,
    int Subsidised,
    decimal Subsidy,
    decimal TopUps,
    decimal Rebates,
    decimal Owed);

/// <summary>The answer of the totals report.</summary>
public sealed record SubsidyListTotals(string Policy, string AsOf, IReadOnlyList<DepartmentTotals> Departments, DepartmentTotals Total);

/// <summary><c>GET /api/reports/subsidy-list-totals?policy=&amp;asOf=yyyy-MM-dd</c> (staff, admin): per department, what the lists enrolled and subsidised, and what is owed.</summary>
public sealed class SubsidyListTotalsApi(PolicyCatalog policies, ChinaClock clock, SupplementaryRun run)
{
    [Function("SubsidyListTotals")]
    [Roles(FunctionRoles.Staff)]
    public Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "reports/subsidy-list-totals")] HttpRequest request, CancellationToken cancellationToken) =>
        GetAsync(Query.Text(request, "policy"), Query.Text(request, "asOf"), policies, clock.Today, run, cancellationToken);

    internal static async Task<IResult> GetAsync(string? policy, string? asOf, PolicyCatalog policies, DateOnly today, SupplementaryRun run, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(policy) || !policies.TryGet(policy, out var known))
        {
            return Problems.UnknownPolicy(policy, StatusCodes.Status400BadRequest);
        }

        var day = today;
        if (!string.IsNullOrEmpty(asOf) && !IsoDate.TryParse(asOf, out day))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "invalid-date", "asOf must be yyyy-MM-dd.", $"Got '{asOf}'.", "asOf");
        }

        var departments = await run.TotalsAsync(known, day, cancellationToken).ConfigureAwait(false);
        var total = new DepartmentTotals("total", "合计", departments.Sum(d => d.Listed), departments.Sum(d => d.Enrolled), departments.Sum(d => d.EnrolledByLists),
            departments.Sum(d => d.AwaitingEnrolment), departments.Sum(d => d.Subsidised), departments.Sum(d => d.Subsidy), departments.Sum(d => d.TopUps),
            departments.Sum(d => d.Rebates), departments.Sum(d => d.Owed));
        return TypedResults.Ok(new SubsidyListTotals(known.Code, IsoDate.Text(day), departments, total));
    }

    internal static string Label(string department) => Glossary.Departments.TryParse(department, out var d) ? Glossary.Departments.Label(d) : department;
}
