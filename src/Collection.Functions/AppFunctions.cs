using Collection.Functions.Assessments;
using Collection.Functions.Ledger;
using Collection.Functions.Policies;
using Collection.Functions.Refunds;
using Collection.Functions.Reports;
using Collection.Functions.Rosters;
using Collection.Functions.Subsidies;
using Collection.Functions.Supplementary;
using Collection.Functions.TaxReturns;
using Collection.Functions.Timers;
using Collection.Runtime.Functions;
using Collection.Runtime.Workflows;

namespace Collection.Functions;

/// <summary>
/// Every function of the app, in one place (what a function.json per function is in Azure Functions).
/// Each entry names one class; <c>GET /admin/functions</c> shows this list at run time.
/// </summary>
public static class AppFunctions
{
    public static void Register(FunctionCatalog functions)
    {
        ArgumentNullException.ThrowIfNull(functions);
        functions.Http<PoliciesApi>("Policies", "/policies");
        functions.Http<AssessmentsApi>("Assessments", "/assessments");
        functions.Http<EnrolmentsApi>("Enrolments", "/enrolments");
        functions.Http<PaymentsApi>("Payments", "/payments");
        functions.Http<ReconciliationApi>("Reconciliation", "/reports/reconciliation");
        functions.Http<RostersApi>("Rosters", "/rosters");
        // Any blob of the container, so one in the wrong folder gets a result saying where rosters go.
        functions.Blob<SchoolRosterFunction>("SchoolRosters", RosterBlobs.SchoolContainer + "/{name}");
        functions.Blob<UniversityRosterFunction>("UniversityRosters", RosterBlobs.UniversityContainer + "/{name}");
        functions.Blob<TaxReturnsFunction>("TaxReturns", TaxReturnsFunction.Container + "/{name}");
        functions.Blob<SubsidyListsFunction>("SubsidyLists", SubsidyListsFunction.Container + "/{name}");
        functions.Http<PeopleApi>("People", "/people");
        functions.Timer<ActivateCoverageFunction>(ActivateCoverageFunction.Name, ActivateCoverageFunction.Schedule);
        functions.Timer<SupplementaryEnrolmentFunction>(SupplementaryEnrolmentFunction.Name, SupplementaryEnrolmentFunction.Schedule);
        functions.Http<SubsidySettlementsApi>("SubsidySettlements", "/reports/subsidy-settlements");
        functions.Http<RefundsApi>("Refunds", "/refunds");
        functions.Workflow<RefundCaseWorkflow>(RefundCaseWorkflow.Name)
            .Activity<CheckRefund>(RefundCaseWorkflow.CheckActivity)
            .Activity<IssueRefund>(RefundCaseWorkflow.IssueActivity)
            .Activity<CorrectEnrolment>(RefundCaseWorkflow.CorrectActivity);
    }
}
