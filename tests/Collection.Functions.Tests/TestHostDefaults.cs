using System.Runtime.CompilerServices;

namespace Collection.Functions.Tests;

/// <summary>
/// Every host these tests start shares one Azurite, and the app's blob triggers watch fixed containers:
/// left on, one test's host would ingest another test's upload into its own tables and overwrite the
/// result file; and a timer's status blob is shared too, so a host whose fake clock is past another host's
/// persisted next run would catch that run up against its own tables. So app listeners start disabled
/// (the Azure Functions <c>AzureWebJobs.&lt;name&gt;.Disabled</c> setting); a test that exercises a real trigger turns its function back on with UseSetting.
/// </summary>
internal static class TestHostDefaults
{
    public static readonly string[] ListenedFunctions = ["TaxReturns", "SchoolRosters", "UniversityRosters", "SubsidyLists", "ActivateCoverage", "SupplementaryEnrolment"];

    [ModuleInitializer]
    internal static void DisableAppListeners()
    {
        foreach (var function in ListenedFunctions)
        {
            Environment.SetEnvironmentVariable($"AzureWebJobs.{function}.Disabled", "true");
        }
    }
}
