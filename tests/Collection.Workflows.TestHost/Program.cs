using Azure.Data.Tables;
using Azure.Storage.Queues;
using Collection.Runtime.Workflows;
using Collection.Workflows.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

// Usage: dotnet Collection.Workflows.TestHost.dll <storage connection> <hub> <effects table> <runs table>
if (args.Length != 4)
{
    Console.Error.WriteLine("usage: Collection.Workflows.TestHost <storage connection> <hub> <effects table> <runs table>");
    return 2;
}

var builder = Host.CreateApplicationBuilder();
builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning);
var tables = new TableServiceClient(args[0]);
builder.Services.AddSingleton(tables);
builder.Services.AddSingleton(new QueueServiceClient(args[0]));
builder.Services.AddSingleton(new EffectTables(tables.GetTableClient(args[2]), tables.GetTableClient(args[3])));
builder.Services.AddFunctionCatalog(KillTestWorkflows.Register);
builder.Services.Configure<WorkflowOptions>(o =>
{
    o.HubName = args[1];
    // Short leases so work held by a killed process is taken over within seconds.
    o.ActivityLease = TimeSpan.FromSeconds(2);
    o.OutboxSweepInterval = TimeSpan.FromMilliseconds(500);
    o.TimerPollInterval = TimeSpan.FromMilliseconds(200);
    o.MaxPollInterval = TimeSpan.FromMilliseconds(200);
});

using var host = builder.Build();
await host.StartAsync();
Console.WriteLine("ready");
await host.WaitForShutdownAsync();
return 0;
