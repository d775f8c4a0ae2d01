using System.Globalization;
using Azure.Storage.Queues;
using Collection.Runtime.Blobs;
using Collection.Runtime.Functions;
using Collection.Runtime.Http;
using Collection.Runtime.Timers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Collection.Runtime.Hosting;

/// <summary>
/// <c>GET /admin/functions</c> (the whole app in one list, with status), <c>POST /admin/functions/{name}</c> (run a timer now)
/// and <c>GET /admin/functions/{name}/runs</c> (a timer's run history).
/// </summary>
internal static class AdminEndpoints
{
    private static readonly TimeSpan StatusTimeout = TimeSpan.FromSeconds(3);

    public static void MapAdminFunctions(RouteGroupBuilder admin)
    {
        admin.MapGet("/functions", ListAsync).WithName("ListFunctions");
        admin.MapPost("/functions/{name}", RunAsync).WithName("RunFunction");
        admin.MapGet("/functions/{name}/runs", RunsAsync).WithName("ListTimerRuns")
            .WithSummary("Recent runs of a timer function, newest first: scheduled time, asOf, start, finish, outcome and the summary the function reported.");
    }

    private static async Task<IResult> ListAsync(
        FunctionCatalog catalog, FunctionBindings bindings, TimerTriggerListener timers, BlobTriggerListener blobs, QueueServiceClient queues, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StatusTimeout);
        var list = new List<object>();
        foreach (var function in catalog.Functions)
        {
            list.Add(new
            {
                name = function.Name,
                trigger = function.Trigger.ToString().ToLowerInvariant(),
                binding = function.Binding,
                resolvedBinding = bindings.Resolve(function),
                implementation = function.Implementation.FullName,
                status = await StatusAsync(function, bindings, timers, blobs, queues, timeout.Token).ConfigureAwait(false),
            });
        }

        return Results.Ok(list);
    }

    /// <summary>What is cheap to know per function; storage being away shows as an error, not a failed list.</summary>
    private static async Task<object?> StatusAsync(
        FunctionDescriptor function, FunctionBindings bindings, TimerTriggerListener timers, BlobTriggerListener blobs, QueueServiceClient queues, CancellationToken cancellationToken)
    {
        try
        {
            switch (function.Trigger)
            {
                case TriggerKind.Timer:
                    var status = await timers.GetStatusAsync(function.Name, cancellationToken).ConfigureAwait(false);
                    return new { nextRun = status.Next, lastScheduled = status.LastScheduled, lastRun = status.LastRunAt, lastOutcome = status.LastOutcome, lastManualRun = status.LastManualRunAt };
                case TriggerKind.Blob:
                    return new { poisonCount = await blobs.CountPoisonAsync(function, cancellationToken).ConfigureAwait(false) };
                case TriggerKind.Queue:
                    var queueName = bindings.Resolve(function);
                    return new
                    {
                        approximateMessages = await CountAsync(queues.GetQueueClient(queueName), cancellationToken).ConfigureAwait(false),
                        poisonQueue = StorageLayout.PoisonQueueName(queueName),
                        poisonCount = await CountAsync(queues.GetQueueClient(StorageLayout.PoisonQueueName(queueName)), cancellationToken).ConfigureAwait(false),
                    };
                default:
                    return null;
            }
        }
        catch (Exception e) when (e is Azure.RequestFailedException or OperationCanceledException or AggregateException or HttpRequestException)
        {
            return new { error = "storage unreachable: " + e.Message };
        }
    }

    private static async Task<int> CountAsync(QueueClient queue, CancellationToken cancellationToken)
    {
        try
        {
            return (await queue.GetPropertiesAsync(cancellationToken).ConfigureAwait(false)).Value.ApproximateMessagesCount;
        }
        catch (Azure.RequestFailedException e) when (e.Status == 404)
        {
            return 0;
        }
    }

    private const int DefaultRuns = 20;
    private const int MaxRuns = 500;

    private static async Task<IResult> RunsAsync(string name, string? top, FunctionCatalog catalog, TimerTriggerListener timers, CancellationToken cancellationToken)
    {
        if (TimerFunction(name, catalog) is { } problem)
        {
            return problem;
        }

        var count = DefaultRuns;
        if (!string.IsNullOrEmpty(top) && (!int.TryParse(top, NumberStyles.None, CultureInfo.InvariantCulture, out count) || count is < 1 or > MaxRuns))
        {
            return HttpErrors.Problem(StatusCodes.Status400BadRequest, "invalid-top", $"top must be a whole number from 1 to {MaxRuns}.", $"Got '{top}'.");
        }

        var runs = await timers.GetRunsAsync(catalog.Find(name)!.Name, count, cancellationToken).ConfigureAwait(false);
        return Results.Ok(runs.Select(r => new
        {
            runId = r.RunId,
            function = r.Function,
            scheduledTime = r.ScheduledTime,
            asOf = r.AsOf?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            isPastDue = r.IsPastDue,
            isManual = r.IsManual,
            startedAt = r.StartedAt,
            finishedAt = r.FinishedAt,
            durationMs = Math.Round(r.DurationMs, 1),
            outcome = r.Outcome,
            error = r.Error,
            summary = r.Summary,
        }));
    }

    /// <summary>Null when <paramref name="name"/> is a timer function; otherwise the problem to answer.</summary>
    private static IResult? TimerFunction(string name, FunctionCatalog catalog)
    {
        var function = catalog.Find(name);
        if (function is null)
        {
            return HttpErrors.Problem(StatusCodes.Status404NotFound, "function-not-found", "No such function.", $"There is no function named '{name}'; GET /admin/functions lists them.");
        }

        return function.Trigger != TriggerKind.Timer
            ? HttpErrors.Problem(StatusCodes.Status400BadRequest, "not-a-timer-function", "Only timer functions can be run from here.",
                $"'{function.Name}' has a {function.Trigger.ToString().ToLowerInvariant()} trigger; trigger it the way it listens ({function.Binding}).")
            : null;
    }

    private static async Task<IResult> RunAsync(string name, string? asOf, FunctionCatalog catalog, TimerTriggerListener timers, CancellationToken cancellationToken)
    {
        if (TimerFunction(name, catalog) is { } problem)
        {
            return problem;
        }

        var function = catalog.Find(name)!;

        DateOnly? asOfDate = null;
        if (!string.IsNullOrEmpty(asOf))
        {
            if (!DateOnly.TryParseExact(asOf, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
            {
                return HttpErrors.Problem(StatusCodes.Status400BadRequest, "invalid-as-of", "asOf must be a date as yyyy-MM-dd.", $"Got '{asOf}'.");
            }

            asOfDate = parsed;
        }

        var result = await timers.RunNowAsync(function.Name, asOfDate, cancellationToken).ConfigureAwait(false);
        if (result.Outcome == TimerRunResult.BusyOutcome)
        {
            return HttpErrors.Problem(StatusCodes.Status409Conflict, "function-busy", "The function is running elsewhere.", result.Error);
        }

        return Results.Ok(new
        {
            runId = result.RunId,
            function = result.Function,
            outcome = result.Outcome,
            asOf = asOfDate?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            startedAt = result.StartedAt,
            durationMs = Math.Round(result.DurationMs, 1),
            error = result.Error,
            summary = result.Summary,
        });
    }
}
