using Azure.Storage.Queues;
using Collection.LocalHost.Settings;
using Collection.LocalHost.Triggers;
using Collection.Testing;
using Microsoft.Extensions.Logging;

namespace Collection.LocalHost.Tests;

/// <summary>
/// The queue listener through the real host and worker. The host runs with app settings that override the
/// test app's host.json (maxDequeueCount 2, maxPollingInterval 1 s): batches of 2, a visibility of 4 s
/// renewed while a function runs, and a functionTimeout of 15 s.
/// </summary>
public sealed class QueueTriggerTests(QueueTriggerTests.OverriddenHost fixture) : IClassFixture<QueueTriggerTests.OverriddenHost>
{
    private readonly LocalHostFixture _host = fixture.Host;

    private QueueClient Queue => new(_host.Azurite.ConnectionString, _host.QueueName);

    [Fact]
    public void Options_FromHostJson_WithAppSettingOverrides()
    {
        var queues = _host.Service<QueueTriggerOptions>();
        var blobs = _host.Service<BlobTriggerOptions>();
        var loggers = _host.Service<ILoggerFactory>();

        Assert.Equal((2, 2, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4)), (queues.MaxDequeueCount, queues.BatchSize, queues.MaxPollingInterval, queues.VisibilityTimeout));
        Assert.Equal((2, TimeSpan.FromSeconds(1)), (blobs.MaxDequeueCount, blobs.PollingInterval));
        Assert.Equal(TimeSpan.FromSeconds(15), _host.Service<ScriptRoot>().FunctionTimeout);
        Assert.Equal("api", _host.Service<ScriptRoot>().RoutePrefix);
        // host.json logging.logLevel: the timer's function logs only from Warning, others from Information.
        Assert.False(loggers.CreateLogger("Function.Tick").IsEnabled(LogLevel.Information));
        Assert.True(loggers.CreateLogger("Function.Tick").IsEnabled(LogLevel.Warning));
        Assert.True(loggers.CreateLogger("Function.OnMessage").IsEnabled(LogLevel.Information));
    }

    [Fact]
    public async Task Message_RunsTheFunctionWithItsText()
    {
        await Queue.CreateIfNotExistsAsync();
        await Queue.SendMessageAsync("hello-queue");

        var output = await _host.WaitForOutputAsync("queue-hello-queue.json");

        Assert.Equal("hello-queue", output.GetProperty("message").GetString());
        Assert.Equal("1", output.GetProperty("dequeueCount").GetString());
    }

    [Fact]
    public async Task Message_ThatAlwaysFails_IsTriedMaxDequeueCountTimes_ThenMovesToThePoisonQueue_AndOthersRun()
    {
        var poison = new QueueClient(_host.Azurite.ConnectionString, _host.QueueName + "-poison");
        await Queue.CreateIfNotExistsAsync();
        await Queue.SendMessageAsync("fail-queue");
        await Queue.SendMessageAsync("good-beside-fail");

        await Eventually.TrueAsync(async () => (await poison.ExistsAsync()).Value && (await poison.PeekMessagesAsync(32)).Value.Length > 0, () => "the poison message");
        await _host.WaitForOutputAsync("queue-good-beside-fail.json");
        await Eventually.TrueAsync(async () => (await Queue.GetPropertiesAsync()).Value.ApproximateMessagesCount == 0, () => "the queue to empty");

        Assert.Equal("fail-queue", Assert.Single((await poison.PeekMessagesAsync(32)).Value).Body.ToString());
        Assert.Equal([1, 2], (await _host.RunsAsync("OnMessage", "fail-queue")).Select(r => r.GetProperty("dequeueCount").GetInt32()).Order());
        Assert.Single(await _host.RunsAsync("OnMessage", "good-beside-fail"));
        await _host.Logs.WaitForAsync(LogLevel.Error, $"moved to {_host.QueueName}-poison after 2 tries");
    }

    [Fact]
    public async Task Message_RunningLongerThanItsVisibility_StaysHiddenFromOtherConsumers()
    {
        await Queue.CreateIfNotExistsAsync();
        await Queue.SendMessageAsync("hold-long");
        await _host.WaitForRunsAsync("OnMessage", "hold-long", 1);

        // Over two visibility timeouts: without renewal the message would come back to a competing receiver.
        var stolen = 0;
        var until = DateTimeOffset.UtcNow.AddSeconds(9);
        while (DateTimeOffset.UtcNow < until)
        {
            stolen += (await Queue.ReceiveMessagesAsync(1, TimeSpan.FromSeconds(1))).Value.Length;
            await Task.Delay(250);
        }

        await _host.ReleaseAsync("hold-long");
        await _host.WaitForOutputAsync("queue-hold-long.json");
        await Eventually.TrueAsync(async () => (await Queue.GetPropertiesAsync()).Value.ApproximateMessagesCount == 0, () => "the message to be deleted");

        Assert.Equal(0, stolen);
        Assert.Single(await _host.RunsAsync("OnMessage", "hold-long"));
    }

    [Fact]
    public async Task Message_RunningLong_DoesNotHoldUpTheRestOfTheQueue()
    {
        await Queue.CreateIfNotExistsAsync();
        await Queue.SendMessageAsync("hold-slow");
        await _host.WaitForRunsAsync("OnMessage", "hold-slow", 1);
        foreach (var body in new[] { "after-slow-a", "after-slow-b", "after-slow-c" })
        {
            await Queue.SendMessageAsync(body);
        }

        // With batches of 2, these run beside the slow one, not after it.
        foreach (var body in new[] { "after-slow-a", "after-slow-b", "after-slow-c" })
        {
            await _host.WaitForOutputAsync($"queue-{body}.json");
        }

        var slowFinishedFirst = await _host.Output.GetBlobClient("queue-hold-slow.json").ExistsAsync();
        await _host.ReleaseAsync("hold-slow");
        await _host.WaitForOutputAsync("queue-hold-slow.json");

        Assert.False(slowFinishedFirst.Value);
    }

    [Fact]
    public async Task Message_WhoseFunctionIgnoresCancellationPastFunctionTimeout_CountsAsAFailedTry()
    {
        await Queue.CreateIfNotExistsAsync();
        await Queue.SendMessageAsync("hang-once-1");

        var output = await _host.WaitForOutputAsync("queue-hang-once-1.json");
        await _host.ReleaseAsync("hang-once-1"); // lets the abandoned first run end in the worker

        Assert.Equal("2", output.GetProperty("dequeueCount").GetString());
        Assert.True(_host.Logs.Contains(LogLevel.Warning, "did not finish within functionTimeout"));
    }

    [Fact]
    public void NextBackoff_IdleQueue_DoublesFromTheMinimumUpToMaxPollingInterval()
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

    /// <summary>The host with the overrides above, given as app settings before it starts.</summary>
    public sealed class OverriddenHost : IAsyncLifetime
    {
        public LocalHostFixture Host { get; } = new();

        public Task InitializeAsync()
        {
            Host.Values["AzureFunctionsJobHost__extensions__queues__batchSize"] = "2";
            Host.Values["AzureFunctionsJobHost__extensions__queues__visibilityTimeout"] = "00:00:04";
            Host.Values["AzureFunctionsJobHost__functionTimeout"] = "00:00:15";
            return Host.InitializeAsync();
        }

        public Task DisposeAsync() => Host.DisposeAsync();
    }
}
