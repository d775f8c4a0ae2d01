using System.Text.Json;
using Azure.Storage.Blobs;
using Microsoft.Azure.Functions.Worker;

namespace Collection.LocalHost.TestApp;

/// <summary>Each trigger function writes what it received to container <c>testapp-out</c>; names starting with "fail" throw.</summary>
public sealed class TriggerFunctions(BlobServiceClient blobs)
{
    public const string Output = "testapp-out";

    [Function("OnUpload")]
    public async Task OnUpload([BlobTrigger("testapp-in/{name}", Source = BlobTriggerSource.EventGrid)] BlobClient blob, string name, FunctionContext context)
    {
        var properties = await blob.GetPropertiesAsync(cancellationToken: context.CancellationToken);
        if (name.StartsWith("fail", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Blob {name} always fails.");
        }

        // Properties and Metadata as the app gets them: JSON text in the binding data.
        await WriteAsync(
            $"blob-{name}.json",
            new
            {
                name,
                length = properties.Value.ContentLength,
                attempt = context.RetryContext?.RetryCount + 1,
                properties = context.BindingContext.BindingData.GetValueOrDefault("Properties")?.ToString(),
                metadata = context.BindingContext.BindingData.GetValueOrDefault("Metadata")?.ToString(),
            },
            context.CancellationToken);
    }

    [Function("OnMessage")]
    public async Task OnMessage([QueueTrigger("%TestQueue%")] string message, FunctionContext context)
    {
        if (message.StartsWith("fail", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"Message {message} always fails.");
        }

        await WriteAsync($"queue-{message}.json", new { message, dequeueCount = context.BindingContext.BindingData["DequeueCount"]?.ToString() }, context.CancellationToken);
    }

    [Function("Tick")]
    public Task Tick([TimerTrigger("%TickSchedule%")] TimerInfo timer, FunctionContext context) =>
        WriteAsync($"tick-{Guid.NewGuid():N}.json", new { isPastDue = timer.IsPastDue, next = timer.ScheduleStatus?.Next }, context.CancellationToken);

    private async Task WriteAsync(string name, object content, CancellationToken cancellationToken)
    {
        var container = blobs.GetBlobContainerClient(Output);
        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        await container.GetBlobClient(name).UploadAsync(BinaryData.FromString(JsonSerializer.Serialize(content)), overwrite: true, cancellationToken);
    }
}
