using Collection.Functions;
using Collection.Functions.Assessments;
using Collection.Functions.Ledger;
using Collection.Functions.Refunds;
using Collection.Runtime.Hosting;

// The one composition root: the runtime, the app's services, and the function table.
var builder = WebApplication.CreateBuilder(args);
builder.AddFunctionsHost(AppFunctions.Register);
builder.Services.AddAssessments();
builder.Services.AddLedger();
builder.Services.AddRefunds();

var app = builder.Build();
app.MapFunctionsHost();
await app.RunAsync();

/// <summary>Entry point, visible to integration tests (WebApplicationFactory).</summary>
public partial class Program;
