using Collection.Functions.Assessments;
using Collection.Functions.Policies;
using Collection.Functions.Refunds;
using Collection.Runtime.Functions;

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
        functions.RefundFunctions();
    }
}
