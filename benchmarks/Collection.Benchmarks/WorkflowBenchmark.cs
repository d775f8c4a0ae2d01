using System.Diagnostics;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using Collection.Runtime.Workflows;
using Collection.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Collection.Benchmarks;

/// <summary>
/// Durable workflow throughput on a dedicated Azurite: a five-activity sequence, alone (sequential
/// activities/s per instance) and many at once (aggregate steps/s), beside the raw rate of queue
/// send+receive+delete round trips measured on the same Azurite in the same run; for the project's own engine
/// and for Durable Functions through the local host (tuned and with the provider's defaults).
/// Options: [instances=200] [concurrency=16]
/// </summary>
public static class WorkflowBenchmark
{
    private const int Activities = 5;

    public static async Task RunAsync(string[] args)
    {
        var instances = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 200;
        var concurrency = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 16;
        await using var azurite = await AzuriteInstance.StartAsync();

        var (sequentialRoundTrips, parallelRoundTrips) = await QueueRoundTripsAsync(azurite, concurrency);
        BenchmarkReport.Line("queue round trips/s, 1 stream (baseline)", sequentialRoundTrips, "round trips/s");
        BenchmarkReport.Line($"queue round trips/s, {concurrency} streams (baseline)", parallelRoundTrips, "round trips/s");

        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole());
        services.AddSingleton(new TableServiceClient(azurite.ConnectionString));
        services.AddSingleton(new QueueServiceClient(azurite.ConnectionString));
        services.AddFunctionCatalog(functions => functions.Workflow<FiveStepWorkflow>("FiveSteps").Activity<EchoActivity>("Echo"));
        services.Configure<WorkflowOptions>(o => o.HubName = "bench");
        await using var provider = services.BuildServiceProvider();
        var workers = provider.GetServices<IHostedService>().ToList();
        foreach (var worker in workers)
        {
            await worker.StartAsync(CancellationToken.None);
        }

        var client = provider.GetRequiredService<IWorkflowClient>();

        // Warm-up, then one instance alone: its activities run strictly one after another.
        await RunInstancesAsync(client, 5);
        var alone = await RunInstancesAsync(client, 1);
        var perInstance = Activities / alone.PerInstance.Average();
        BenchmarkReport.Line("sequential activities/s, one instance alone", perInstance, "activities/s");

        var many = await RunInstancesAsync(client, instances);
        var steps = instances * (Activities + 1);
        var aggregateSteps = steps / many.Wall.TotalSeconds;
        BenchmarkReport.Line($"sequential activities/s per instance, {instances} at once", Activities / many.PerInstance.Average(), "activities/s");
        BenchmarkReport.Line($"aggregate workflow steps/s, {instances} instances", aggregateSteps, "steps/s");
        BenchmarkReport.Line($"aggregate activities/s, {instances} instances", instances * Activities / many.Wall.TotalSeconds, "activities/s");
        BenchmarkReport.Ratio("aggregate steps/s vs parallel queue round trips", aggregateSteps, parallelRoundTrips);
        BenchmarkReport.Ratio("one instance's activities/s vs 1-stream round trips", perInstance, sequentialRoundTrips);
        BenchmarkReport.Ratio("per-instance activities/s vs target 25/s", perInstance, 25);

        foreach (var worker in workers)
        {
            await worker.StopAsync(CancellationToken.None);
        }

        // Durable Functions: 50 sequential activities alone (as the spike measured), then the same 200 × 5.
        foreach (var (name, settings) in new[] { ("tuned", DurableWorkflowBenchmark.Tuned), ("defaults", DurableWorkflowBenchmark.Defaults) })
        {
            var durable = await DurableWorkflowBenchmark.MeasureAsync(azurite, $"bench{name}", settings, 50, instances, Activities);
            BenchmarkReport.Line($"durable ({name}): sequential activities/s, alone", durable.SequentialActivitiesPerSecond, "activities/s");
            BenchmarkReport.Line($"durable ({name}): aggregate steps/s, {instances} inst.", durable.AggregateStepsPerSecond, "steps/s");
            BenchmarkReport.Line($"durable ({name}): aggregate activities/s", durable.AggregateActivitiesPerSecond, "activities/s");
            BenchmarkReport.Line($"durable ({name}): wall for {instances} × {Activities}", durable.Wall.TotalSeconds, $"s ({durable.Failed} failed)");
            BenchmarkReport.Ratio($"durable ({name}): steps/s vs parallel round trips", durable.AggregateStepsPerSecond, parallelRoundTrips);
            BenchmarkReport.Ratio($"durable ({name}): alone vs 1-stream round trips", durable.SequentialActivitiesPerSecond, sequentialRoundTrips);
            BenchmarkReport.Ratio($"durable ({name}): alone vs this engine alone", durable.SequentialActivitiesPerSecond, perInstance);
            BenchmarkReport.Ratio($"durable ({name}): steps/s vs this engine's", durable.AggregateStepsPerSecond, aggregateSteps);
        }
    }

    private static async Task<(List<double> PerInstance, TimeSpan Wall)> RunInstancesAsync(IWorkflowClient client, int count)
    {
        var startedAt = DateTimeOffset.UtcNow;
        var ids = await Task.WhenAll(Enumerable.Range(0, count).Select(_ => client.StartAsync("FiveSteps", 0)));
        var pending = new HashSet<string>(ids);
        while (pending.Count > 0)
        {
            // Poll gently: the check must not eat the storage capacity being measured.
            await Task.Delay(count == 1 ? 20 : 250);
            var page = await client.ListAsync(new WorkflowQuery(Statuses: [WorkflowRuntimeStatus.Completed, WorkflowRuntimeStatus.Failed], CreatedFrom: startedAt.AddSeconds(-1), PageSize: 1000));
            pending.ExceptWith(page.Instances.Select(i => i.InstanceId));
        }

        // Per instance: Started → Completed from its history; the wall time ends at the last completion.
        var perInstance = new List<double>();
        var lastCompleted = startedAt;
        foreach (var id in ids)
        {
            var history = (await client.GetStatusAsync(id, showHistory: true))!.History!;
            var started = history.First(h => h.Event == "Started").Time;
            var completed = history.First(h => h.Event is "Completed" or "Failed").Time;
            perInstance.Add((completed - started).TotalSeconds);
            lastCompleted = completed > lastCompleted ? completed : lastCompleted;
        }

        return (perInstance, lastCompleted - startedAt);
    }

    private static async Task<(double Sequential, double Parallel)> QueueRoundTripsAsync(AzuriteInstance azurite, int concurrency)
    {
        var queue = new QueueServiceClient(azurite.ConnectionString).GetQueueClient("baseline");
        await queue.CreateIfNotExistsAsync();

        async Task<int> Stream(TimeSpan duration)
        {
            var done = 0;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < duration)
            {
                await queue.SendMessageAsync("{\"kind\":\"activity\"}");
                var received = (await queue.ReceiveMessagesAsync(1)).Value;
                foreach (var message in received)
                {
                    await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt);
                    done++;
                }
            }

            return done;
        }

        await Stream(TimeSpan.FromSeconds(1));
        var sequential = await Stream(TimeSpan.FromSeconds(3)) / 3.0;
        var parallel = (await Task.WhenAll(Enumerable.Range(0, concurrency).Select(_ => Stream(TimeSpan.FromSeconds(5))))).Sum() / 5.0;
        return (sequential, parallel);
    }

    /// <summary>Echo 1..5, one after another, then complete.</summary>
    public sealed class FiveStepWorkflow : IWorkflowDefinition<FiveStepWorkflow.State>
    {
        public sealed class State
        {
            public int Done { get; set; }
        }

        public WorkflowStep<State> Handle(State state, WorkflowEvent workflowEvent, DateTimeOffset now)
        {
            if (workflowEvent is WorkflowEvent.ActivityCompleted)
            {
                state.Done++;
            }

            return state.Done >= Activities
                ? WorkflowStep<State>.Of(state, WorkflowCommand.Done(state.Done))
                : WorkflowStep<State>.Of(state, WorkflowCommand.Activity($"echo-{state.Done + 1}", "Echo", state.Done + 1));
        }
    }

    public sealed class EchoActivity : IActivity<int, int>
    {
        public Task<int> RunAsync(int input, WorkflowActivityContext context, CancellationToken cancellationToken) => Task.FromResult(input);
    }
}
