using Collection.Functions;
using Collection.Functions.Assessments;
using Collection.Functions.Ledger;
using Collection.Functions.Refunds;
using Collection.Functions.Rosters;
using Collection.Functions.Subsidies;
using Collection.Functions.Supplementary;
using Collection.Runtime.Hosting;

// Offline roster check (no storage, no host): see RosterCheckCommand.
if (RosterCheckCommand.Handles(args))
{
    return await RosterCheckCommand.RunAsync(args, Console.Out, Console.Error, ChinaClock.ForConsole(TimeProvider.System));
}

// The one composition root: the runtime, the app's services, and the function table.
var builder = WebApplication.CreateBuilder(args);
builder.AddFunctionsHost(AppFunctions.Register);
builder.Services.AddChinaClock(builder.Configuration);
builder.Services.AddAssessments();
builder.Services.AddLedger();
builder.Services.AddRefunds();
builder.Services.AddRosters();
builder.Services.AddSubsidies();
builder.Services.AddSupplementaryEnrolment();

var app = builder.Build();
app.MapFunctionsHost();
await app.RunAsync();
return 0;

/// <summary>Entry point, visible to integration tests (WebApplicationFactory).</summary>
public partial class Program;
