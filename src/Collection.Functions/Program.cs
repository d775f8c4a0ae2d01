using Collection.Functions;
using Collection.Functions.Hosting;
using Microsoft.Azure.Functions.Worker.Builder;

// The one composition root (AddCollectionApp lists the app's services). The functions themselves are the
// [Function] methods of each area; the build lists them in functions.metadata, and GET /admin/functions
// (local host) or the portal shows that list.
var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.UseMiddleware<FunctionAccessMiddleware>();
// The storage SDK logs every non-success answer (expected 404s of point reads, 409s of create-if-not-exists) as
// a multi-line dump with the request URI, whose table keys hold resident ID numbers: errors only (every Azure SDK
// category, and System.ClientModel's, through which newer clients log).
builder.Logging.AddFilter("Azure", LogLevel.Error);
builder.Logging.AddFilter("System.ClientModel", LogLevel.Error);
builder.Services.AddCollectionApp(builder.Configuration);

await builder.Build().RunAsync();
