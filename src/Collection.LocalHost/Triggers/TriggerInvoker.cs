using System.Globalization;
using System.Text.Json;
using Azure.Storage.Blobs.Models;
using Collection.LocalHost.Rpc;
using Collection.LocalHost.Settings;
using Collection.LocalHost.Worker;
using Google.Protobuf;

namespace Collection.LocalHost.Triggers;

/// <summary>How one run of a function ended.</summary>
internal sealed record FunctionOutcome(bool Succeeded, string? ErrorSummary, TimeSpan Duration);

/// <summary>
/// What the trigger listeners share: the functions of one trigger type (once the worker has loaded them),
/// <c>%Setting%</c> resolution, and running a function in the worker with its trigger input built the way
/// the Functions host builds it (blobs as SDK binding data, queue messages as text, timers as TimerInfo JSON).
/// </summary>
internal sealed partial class TriggerInvoker(FunctionInvoker invoker, ScriptRoot app, TimeProvider time, ILogger<TriggerInvoker> logger)
{
    public const string DefaultConnection = "AzureWebJobsStorage";

    /// <summary>The functions whose trigger is <paramref name="triggerType"/>, waiting for the worker's first load.</summary>
    public async Task<IReadOnlyList<HostedFunction>> FunctionsAsync(string triggerType, CancellationToken cancellationToken)
    {
        var worker = await invoker.WorkerAsync(Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
        return worker.Functions.Where(f => string.Equals(f.Trigger.Type, triggerType, StringComparison.OrdinalIgnoreCase)).ToList();
    }

    /// <summary>The app, whose settings resolve the triggers' <c>%Setting%</c> arguments (<see cref="TriggerArguments"/>).</summary>
    public ScriptRoot App => app;

    /// <summary>
    /// A blob, passed as the blob extension's binding data (the worker binds it to BlobClient, Stream, string…),
    /// with the trigger metadata the Functions host gives: <c>BlobTrigger</c>, <c>Uri</c>, the path's values,
    /// and <c>Properties</c> and <c>Metadata</c> of <paramref name="blob"/> as listed, that is, of the version this
    /// run is for (the blob may have been replaced since; its <c>ETag</c> tells the function which it got).
    /// </summary>
    public Task<FunctionOutcome> InvokeBlobAsync(HostedFunction function, string container, BlobItem blob, Uri blobUri, IReadOnlyDictionary<string, string> pathValues, int attempt, int maxAttempts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        var connection = function.Trigger.Property("connection") is { Length: > 0 } name ? name : DefaultConnection;
        var content = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["Connection"] = connection, ["ContainerName"] = container, ["BlobName"] = blob.Name });
        var data = new TypedData
        {
            ModelBindingData = new ModelBindingData { Version = "1.0", Source = "AzureStorageBlobs", ContentType = "application/json", Content = ByteString.CopyFrom(content) },
        };
        var metadata = pathValues.ToDictionary(v => v.Key, v => Text(v.Value), StringComparer.OrdinalIgnoreCase);
        metadata["BlobTrigger"] = Text($"{container}/{blob.Name}");
        metadata["Uri"] = new TypedData { Json = JsonSerializer.Serialize(blobUri.AbsoluteUri) };
        metadata["Properties"] = new TypedData { Json = JsonSerializer.Serialize(BlobPropertiesJson(blob.Properties)) };
        metadata["Metadata"] = new TypedData { Json = JsonSerializer.Serialize(blob.Metadata ?? new Dictionary<string, string>()) };
        return RunAsync(function, $"blob {container}/{blob.Name}", data, metadata, new RetryContext { RetryCount = attempt - 1, MaxRetryCount = maxAttempts }, cancellationToken);
    }

    /// <summary>
    /// The members of the SDK's BlobProperties a function needs to know which version it runs for. The ETag is
    /// quoted, as storage's ETag header and BlobProperties.ETag.ToString() give it (listings give it bare).
    /// </summary>
    private static Dictionary<string, object?> BlobPropertiesJson(BlobItemProperties properties) => new()
    {
        ["ETag"] = properties.ETag is { } etag ? $"\"{BlobReceipt.ETagText(etag)}\"" : null,
        ["ContentLength"] = properties.ContentLength,
        ["LastModified"] = properties.LastModified,
        ["ContentType"] = properties.ContentType,
    };

    /// <summary>A queue message, as text with the queue trigger's metadata.</summary>
    public Task<FunctionOutcome> InvokeQueueAsync(HostedFunction function, string queueName, Azure.Storage.Queues.Models.QueueMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var metadata = new Dictionary<string, TypedData>(StringComparer.OrdinalIgnoreCase)
        {
            ["QueueTrigger"] = Text(message.Body.ToString()),
            ["Id"] = Text(message.MessageId),
            ["DequeueCount"] = new TypedData { Json = message.DequeueCount.ToString(CultureInfo.InvariantCulture) },
            ["PopReceipt"] = Text(message.PopReceipt),
        };
        if (message.InsertedOn is { } inserted)
        {
            metadata["InsertionTime"] = new TypedData { Json = JsonSerializer.Serialize(inserted) };
        }

        return RunAsync(function, $"message {message.MessageId} of queue {queueName}", Text(message.Body.ToString()), metadata, null, cancellationToken);
    }

    /// <summary>A timer occurrence, as the TimerInfo JSON the worker deserialises.</summary>
    public Task<FunctionOutcome> InvokeTimerAsync(HostedFunction function, string trigger, bool isPastDue, DateTimeOffset? last, DateTimeOffset? next, CancellationToken cancellationToken)
    {
        var timerInfo = new Dictionary<string, object?>
        {
            ["ScheduleStatus"] = new Dictionary<string, object?> { ["Last"] = last ?? DateTimeOffset.MinValue, ["Next"] = next, ["LastUpdated"] = time.GetUtcNow() },
            ["IsPastDue"] = isPastDue,
        };
        return RunAsync(function, trigger, new TypedData { Json = JsonSerializer.Serialize(timerInfo) }, new Dictionary<string, TypedData>(), null, cancellationToken);
    }

    private async Task<FunctionOutcome> RunAsync(HostedFunction function, string trigger, TypedData input, Dictionary<string, TypedData> metadata, RetryContext? retry, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var worker = await invoker.WorkerAsync(Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
        // The function as the running worker knows it (a restarted worker may number its functions anew).
        var current = worker.Find(function.Name) ?? function;
        var result = await invoker.InvokeAsync(
            worker,
            current,
            Guid.NewGuid().ToString(),
            [new ParameterBinding { Name = current.Trigger.Name, Data = input }],
            metadata,
            cancellationToken,
            retry).ConfigureAwait(false);
        var elapsed = time.GetElapsedTime(started);
        if (result.Succeeded)
        {
            LogSucceeded(function.Name, trigger, elapsed.TotalMilliseconds);
        }
        else
        {
            LogFailed(function.Name, trigger, result.Failure);
        }

        return new FunctionOutcome(result.Succeeded, result.Failure, elapsed);
    }

    private static TypedData Text(string value) => new() { String = value };

    [LoggerMessage(Level = LogLevel.Information, Message = "Function {Function} succeeded for {Trigger} in {Milliseconds:0} ms")]
    private partial void LogSucceeded(string function, string trigger, double milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Function {Function} failed for {Trigger}: {Error}")]
    private partial void LogFailed(string function, string trigger, string? error);
}
