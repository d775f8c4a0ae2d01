using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Microsoft.Azure.Functions.Worker;

namespace Collection.LocalHost.TestApp;

/// <summary>
/// Each trigger function leaves traces in container <c>testapp-out</c>: a record of every run under
/// <c>runs/&lt;function&gt;/&lt;blob or message&gt;/</c> (so a test counts tries, across hosts too) and, when it
/// succeeds, what it received. The blob or message name steers it: <c>fail…</c> always throws, <c>flaky…</c>
/// throws on its first try, <c>hold…</c> waits until the test writes <c>release/&lt;name&gt;</c>,
/// <c>hang-once…</c> waits for that on its first try while ignoring cancellation (a function past
/// functionTimeout that does not stop).
/// </summary>
public sealed class TriggerFunctions(BlobServiceClient blobs)
{
    public const string Output = "testapp-out";

    private static readonly TimeSpan LongestHold = TimeSpan.FromSeconds(60);

    [Function("OnUpload")]
    public async Task OnUpload([BlobTrigger("testapp-in/{name}", Source = BlobTriggerSource.EventGrid)] BlobClient blob, string name, FunctionContext context)
    {
        var attempt = (context.RetryContext?.RetryCount ?? 0) + 1;
        await RecordRunAsync("OnUpload", name, new { attempt, properties = Binding(context, "Properties") }, context);
        var properties = await blob.GetPropertiesAsync(cancellationToken: context.CancellationToken);
        await BehaveAsync(name, attempt, context);

        // Properties and Metadata as the app gets them: JSON text in the binding data.
        await WriteAsync(
            $"blob-{name}.json",
            new
            {
                name,
                length = properties.Value.ContentLength,
                attempt,
                properties = Binding(context, "Properties"),
                metadata = Binding(context, "Metadata"),
            },
            context.CancellationToken);
    }

    /// <summary>A container from a setting, a literal folder and extension around the path values.</summary>
    [Function("OnNestedUpload")]
    public async Task OnNestedUpload(
        [BlobTrigger("%NestedContainer%/rosters/{policy}/{school}/{name}.csv", Source = BlobTriggerSource.EventGrid)] BlobClient blob,
        string policy,
        string school,
        string name,
        FunctionContext context)
    {
        var blobTrigger = Binding(context, "BlobTrigger");
        await RecordRunAsync("OnNestedUpload", blob.Name, new { policy, school, name, blobTrigger }, context);
        await WriteAsync($"nested-{policy}-{school}-{name}.json", new { policy, school, name, blobTrigger }, context.CancellationToken);
    }

    [Function("OnMessage")]
    public async Task OnMessage([QueueTrigger("%TestQueue%")] string message, FunctionContext context)
    {
        var dequeueCount = int.Parse(Binding(context, "DequeueCount") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        await RecordRunAsync("OnMessage", message, new { dequeueCount }, context);
        await BehaveAsync(message, dequeueCount, context);
        await WriteAsync($"queue-{message}.json", new { message, dequeueCount = dequeueCount.ToString(System.Globalization.CultureInfo.InvariantCulture) }, context.CancellationToken);
    }

    [Function("Tick")]
    public Task Tick([TimerTrigger("%TickSchedule%")] TimerInfo timer, FunctionContext context) =>
        WriteAsync($"tick-{Guid.NewGuid():N}.json", new { isPastDue = timer.IsPastDue, next = timer.ScheduleStatus?.Next, last = timer.ScheduleStatus?.Last }, context.CancellationToken);

    private static string? Binding(FunctionContext context, string name) => context.BindingContext.BindingData.GetValueOrDefault(name)?.ToString();

    private async Task BehaveAsync(string name, int attempt, FunctionContext context)
    {
        if (name.StartsWith("fail", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{name} always fails.");
        }

        if (name.StartsWith("flaky", StringComparison.Ordinal) && attempt == 1)
        {
            throw new InvalidOperationException($"{name} fails on its first try.");
        }

        if (name.StartsWith("hold", StringComparison.Ordinal))
        {
            await WaitForReleaseAsync(name, context.CancellationToken);
        }
        else if (name.StartsWith("hang-once", StringComparison.Ordinal) && attempt == 1)
        {
            await WaitForReleaseAsync(name, CancellationToken.None);
        }
    }

    private async Task WaitForReleaseAsync(string name, CancellationToken cancellationToken)
    {
        var release = blobs.GetBlobContainerClient(Output).GetBlobClient($"release/{name}");
        var deadline = DateTimeOffset.UtcNow + LongestHold;
        while (!(await release.ExistsAsync(cancellationToken)).Value)
        {
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"{name} was never released.");
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    private Task RecordRunAsync(string function, string name, object run, FunctionContext context) =>
        WriteAsync($"runs/{function}/{name}/{context.InvocationId}.json", new { run, worker = Environment.ProcessId }, context.CancellationToken);

    private async Task WriteAsync(string name, object content, CancellationToken cancellationToken)
    {
        var container = blobs.GetBlobContainerClient(Output);
        try
        {
            await container.GetBlobClient(name).UploadAsync(BinaryData.FromString(JsonSerializer.Serialize(content)), overwrite: true, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // First write, or storage came back empty.
            await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
            await container.GetBlobClient(name).UploadAsync(BinaryData.FromString(JsonSerializer.Serialize(content)), overwrite: true, cancellationToken);
        }
    }
}
