using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

// Test-helper mode (AzuriteInstanceTests): a test process that starts an Azurite, says where it is, and waits to be killed.
if (args is ["--azurite-child"])
{
    var azurite = await Collection.Testing.AzuriteInstance.StartAsync();
    Console.WriteLine($"azurite {azurite.ServerProcessId} {azurite.BlobPort}");
    await Task.Delay(Timeout.Infinite);
}

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
// Where the trigger functions leave their traces for the tests (the app's own storage account).
builder.Services.AddSingleton(new BlobServiceClient(Environment.GetEnvironmentVariable("AzureWebJobsStorage")));
builder.Services.AddSingleton(new TableServiceClient(Environment.GetEnvironmentVariable("AzureWebJobsStorage")));
await builder.Build().RunAsync();
