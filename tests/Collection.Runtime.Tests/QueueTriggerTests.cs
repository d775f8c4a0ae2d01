using Azure.Storage.Queues;
using Collection.Runtime.Functions;
using Collection.Runtime.Hosting;
using Collection.Runtime.Queues;
using Collection.Runtime.Tests.Support;
using Collection.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Collection.Runtime.Tests;

public class QueueTriggerTests
{
    private static Task<TestFunctionsHost> StartHostAsync(AzuriteInstance azurite, string function, string queue, RunLog log, Action<Dictionary<string, string?>>? tweak = null)
    {
        var settings = TestFunctionsHost.FastSettings(azurite.ConnectionString);
        tweak?.Invoke(settings);
        return TestFunctionsHost.StartAsync(f => f.Queue<QueueRecorder>(function, queue), settings, s => s.AddSingleton(log));
    }

    private static async Task<QueueClient> CreateQueueAsync(AzuriteInstance azurite, string name)
    {
        var queue = azurite.CreateQueueServiceClient().GetQueueClient(name);
        await queue.CreateAsync();
        return queue;
    }

    [Fact]
    public async Task TwoHosts_CompetingConsumers_EachMessageRunsOnceAndIsDeleted()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var queueName = AzuriteInstance.UniqueName("work");
        var function = AzuriteInstance.UniqueName("fn");
        var queue = await CreateQueueAsync(azurite, queueName);
        var log = new RunLog { Behaviour = (_, ct) => Task.Delay(10, ct) };
        await using var one = await StartHostAsync(azurite, function, queueName, log, s => s[HostJson.QueuesSection + ":batchSize"] = "4");
        await using var two = await StartHostAsync(azurite, function, queueName, log, s => s[HostJson.QueuesSection + ":batchSize"] = "4");

        var bodies = Enumerable.Range(1, 30).Select(i => $"job-{i:00}").ToList();
        await Task.WhenAll(bodies.Select(b => queue.SendMessageAsync(b)));
        await log.WaitForAsync<QueueTrigger>(runs => runs.Count >= bodies.Count, 30);
        await Eventually.TrueAsync(async () => (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount == 0, "the queue to empty");

        Assert.Equal(bodies, log.Runs<QueueTrigger>().Select(r => r.Body.ToString()).Order(StringComparer.Ordinal));
        Assert.All(log.Runs<QueueTrigger>(), r => Assert.Equal(1, r.DequeueCount));
    }

    [Fact]
    public async Task FailingMessage_AfterMaxDequeueCount_MovesToPoisonQueue()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var queueName = AzuriteInstance.UniqueName("fail");
        var function = AzuriteInstance.UniqueName("fn");
        var queue = await CreateQueueAsync(azurite, queueName);
        var log = new RunLog { Behaviour = (m, _) => ((QueueTrigger)m).Body.ToString() == "bad" ? throw new FormatException("not a payment") : Task.CompletedTask };
        await using var host = await StartHostAsync(azurite, function, queueName, log);

        await queue.SendMessageAsync("bad");
        await queue.SendMessageAsync("good");
        var poison = azurite.CreateQueueServiceClient().GetQueueClient(StorageLayout.PoisonQueueName(queueName));
        await Eventually.TrueAsync(async () => (await poison.ExistsAsync()).Value && (await poison.PeekMessagesAsync()).Value.Length == 1, "the poison message");

        var badRuns = log.Runs<QueueTrigger>().Where(r => r.Body.ToString() == "bad").ToList();
        Assert.Equal([1L, 2L, 3L, 4L, 5L], badRuns.Select(r => r.DequeueCount));
        Assert.Single(log.Runs<QueueTrigger>(), r => r.Body.ToString() == "good");
        Assert.Equal("bad", (await poison.PeekMessagesAsync()).Value[0].Body.ToString());
        Assert.Equal(0, (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
        Assert.True(host.Logs.Contains(LogLevel.Error, $"moved to {queueName}-poison after 5 tries"));
    }

    [Fact]
    public async Task LongRun_VisibilityRenewed_NoOtherConsumerSeesTheMessage()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var queueName = AzuriteInstance.UniqueName("long");
        var function = AzuriteInstance.UniqueName("fn");
        var queue = await CreateQueueAsync(azurite, queueName);
        var release = new TaskCompletionSource();
        var log = new RunLog { Behaviour = (_, ct) => release.Task.WaitAsync(ct) };
        await using var host = await StartHostAsync(azurite, function, queueName, log, s => s[HostJson.QueuesSection + ":visibilityTimeout"] = "00:00:03");

        await queue.SendMessageAsync("slow");
        await log.WaitForAsync<QueueTrigger>(runs => runs.Count == 1);
        // Over two visibility timeouts: without renewal the message would come back to a competing receiver.
        var stolen = 0;
        var until = DateTime.UtcNow.AddSeconds(7);
        while (DateTime.UtcNow < until)
        {
            stolen += (await queue.ReceiveMessagesAsync(1, TimeSpan.FromSeconds(1))).Value.Length;
            await Task.Delay(250);
        }

        release.SetResult();
        await Eventually.TrueAsync(async () => (await queue.PeekMessagesAsync()).Value.Length == 0 && (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount == 0, "the message to be deleted");

        Assert.Equal(0, stolen);
        Assert.Single(log.Runs<QueueTrigger>());
    }

    [Fact]
    public async Task SlowMessage_DoesNotHoldUpTheRestOfTheQueue()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var queueName = AzuriteInstance.UniqueName("mixed");
        var function = AzuriteInstance.UniqueName("fn");
        var queue = await CreateQueueAsync(azurite, queueName);
        var release = new TaskCompletionSource();
        var log = new RunLog { Behaviour = (m, ct) => ((QueueTrigger)m).Body.ToString() == "slow" ? release.Task.WaitAsync(ct) : Task.CompletedTask };
        await using var host = await StartHostAsync(azurite, function, queueName, log, s => s[HostJson.QueuesSection + ":batchSize"] = "2");

        await queue.SendMessageAsync("slow");
        await log.WaitForAsync<QueueTrigger>(runs => runs.Count == 1);
        foreach (var body in new[] { "a", "b", "c" })
        {
            await queue.SendMessageAsync(body);
        }

        await log.WaitForAsync<QueueTrigger>(runs => runs.Count == 4);
        release.SetResult();
        await Eventually.TrueAsync(async () => (await queue.PeekMessagesAsync()).Value.Length == 0 && (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount == 0, "the queue to empty");

        Assert.Equal(["a", "b", "c", "slow"], log.Runs<QueueTrigger>().Select(r => r.Body.ToString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task FunctionIgnoringItsToken_PastFunctionTimeout_CountsAsFailure()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var queueName = AzuriteInstance.UniqueName("hang");
        var function = AzuriteInstance.UniqueName("fn");
        var queue = await CreateQueueAsync(azurite, queueName);
        var log = new RunLog { Behaviour = (_, _) => Task.Delay(Timeout.Infinite, CancellationToken.None) };
        await using var host = await StartHostAsync(azurite, function, queueName, log, s =>
        {
            s[HostJson.Section + ":functionTimeout"] = "00:00:00.500";
            s[HostJson.QueuesSection + ":maxDequeueCount"] = "1";
        });

        await queue.SendMessageAsync("stuck");
        var poison = azurite.CreateQueueServiceClient().GetQueueClient(StorageLayout.PoisonQueueName(queueName));
        await Eventually.TrueAsync(async () => (await poison.ExistsAsync()).Value && (await poison.PeekMessagesAsync()).Value.Length == 1, "the timed-out message in the poison queue");

        Assert.Single(log.Runs<QueueTrigger>());
        Assert.True(host.Logs.Contains(LogLevel.Warning, "did not finish within functionTimeout"));
    }

    [Fact]
    public void NextBackoff_IdleQueue_DoublesFromMinimumUpToMaxPollingInterval()
    {
        var options = new QueueTriggerOptions { MinPollingInterval = TimeSpan.FromMilliseconds(100), MaxPollingInterval = TimeSpan.FromMilliseconds(500) };
        var delays = new List<TimeSpan>();
        var delay = TimeSpan.Zero;
        for (var i = 0; i < 5; i++)
        {
            delay = QueueTriggerListener.NextBackoff(delay, options);
            delays.Add(delay);
        }

        Assert.Equal([100, 200, 400, 500, 500], delays.Select(d => d.TotalMilliseconds));
    }
}
