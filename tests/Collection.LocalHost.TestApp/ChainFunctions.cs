using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Collection.LocalHost.TestApp;

/// <summary>For the workflows benchmark: chains of sequential activities, started and counted in bulk.</summary>
public static class ChainFunctions
{
    [Function(nameof(Chain))]
    public static async Task<int> Chain([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var steps = context.GetInput<int>();
        var value = 0;
        for (var i = 0; i < steps; i++)
        {
            value = await context.CallActivityAsync<int>(nameof(Step), value);
        }

        return value;
    }

    [Function(nameof(Step))]
    public static int Step([ActivityTrigger] int value) => value + 1;

    /// <summary><c>POST /api/chains/{prefix}?count=&amp;steps=</c>: schedules <c>count</c> chains named <c>{prefix}-{i}</c>.</summary>
    [Function(nameof(StartChains))]
    public static async Task<IResult> StartChains(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "chains/{prefix}")] HttpRequest request,
        string prefix,
        [DurableClient] DurableTaskClient client)
    {
        var count = int.Parse(request.Query["count"].ToString(), System.Globalization.CultureInfo.InvariantCulture);
        var steps = int.Parse(request.Query["steps"].ToString(), System.Globalization.CultureInfo.InvariantCulture);
        using var throttle = new SemaphoreSlim(32);
        await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            await throttle.WaitAsync();
            try
            {
                await client.ScheduleNewOrchestrationInstanceAsync(nameof(Chain), steps, new StartOrchestrationOptions($"{prefix}-{i}"));
            }
            finally
            {
                throttle.Release();
            }
        }));
        return Results.Accepted();
    }

    /// <summary><c>GET /api/chains/{prefix}</c>: how many are done, and the span from the first start to the last update.</summary>
    [Function(nameof(ChainSummary))]
    public static async Task<IResult> ChainSummary(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "chains/{prefix}")] HttpRequest request,
        string prefix,
        [DurableClient] DurableTaskClient client)
    {
        var instances = new List<OrchestrationMetadata>();
        await foreach (var instance in client.GetAllInstancesAsync(new OrchestrationQuery { InstanceIdPrefix = prefix + "-", PageSize = 500 }))
        {
            instances.Add(instance);
        }

        var completed = instances.Where(i => i.RuntimeStatus == OrchestrationRuntimeStatus.Completed).ToList();
        return Results.Ok(new
        {
            total = instances.Count,
            completed = completed.Count,
            failed = instances.Count(i => i.RuntimeStatus == OrchestrationRuntimeStatus.Failed),
            seconds = completed.Count == 0 ? 0 : (completed.Max(i => i.LastUpdatedAt) - instances.Min(i => i.CreatedAt)).TotalSeconds,
        });
    }
}
