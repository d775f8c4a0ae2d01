using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Microsoft.AspNetCore.Routing;

namespace Collection.Runtime.Functions;

/// <summary>An HTTP API area; maps its endpoints on the <c>/api</c> group.</summary>
public interface IHttpFunction
{
    static abstract void Map(IEndpointRouteBuilder api);
}

/// <summary>A function run once per (blob name, ETag) that appears or changes under its path.</summary>
public interface IBlobFunction
{
    Task RunAsync(BlobTrigger blob, CancellationToken cancellationToken);
}

/// <summary>A function run for each message of its queue (at least once; poison after maxDequeueCount).</summary>
public interface IQueueFunction
{
    Task RunAsync(QueueTrigger message, CancellationToken cancellationToken);
}

/// <summary>A function run on its schedule, one instance at a time.</summary>
public interface ITimerFunction
{
    Task RunAsync(TimerTrigger timer, CancellationToken cancellationToken);
}

/// <summary>The blob that triggered a run. <see cref="PathValues"/> holds the values of <c>{name}</c>-style path parts.</summary>
public sealed record BlobTrigger(
    string Container,
    string Name,
    ETag ETag,
    long Length,
    int Attempt,
    BlobClient Client,
    IReadOnlyDictionary<string, string> PathValues);

/// <summary>The message that triggered a run.</summary>
public sealed record QueueTrigger(
    string QueueName,
    string MessageId,
    BinaryData Body,
    long DequeueCount,
    DateTimeOffset? InsertedOn);

/// <summary>
/// What a timer run knows: when it was due, whether it is a catch-up of a run missed while the
/// host was down, and, for a manual run, the day it should act as of (replaying a calendar).
/// </summary>
public sealed record TimerTrigger(
    DateTimeOffset ScheduledTime,
    bool IsPastDue,
    DateTimeOffset? LastRun,
    DateTimeOffset? NextRun,
    DateOnly? AsOf,
    string RunId,
    bool IsManual)
{
    private JsonElement? _summary;

    /// <summary>What the run reported with <see cref="RecordSummary{T}"/>, as JSON (camelCase); null when nothing was reported.</summary>
    public JsonElement? Summary => _summary;

    /// <summary>
    /// Reports what this run did (counts per outcome, say): the runtime logs it and keeps it with the run,
    /// shown at <c>GET /admin/functions/{name}/runs</c>. A later call replaces an earlier one.
    /// </summary>
    public void RecordSummary<T>(T summary) => _summary = JsonSerializer.SerializeToElement(summary, JsonSerializerOptions.Web);
}
