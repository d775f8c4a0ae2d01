using Azure.Storage.Queues;
using Collection.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Collection.LocalHost.Tests;

/// <summary>
/// Two local hosts, each with its own worker, on one storage account (as several instances of an app in
/// Azure): each blob version runs once, each message once, each timer occurrence once.
/// </summary>
public sealed class TwoHostsTests(TwoHostsTests.TwoHosts hosts) : IClassFixture<TwoHostsTests.TwoHosts>
{
    [Fact]
    public async Task Blobs_SeenByBothHosts_EachRunsExactlyOnce()
    {
        var input = hosts.One.Azurite.CreateBlobServiceClient().GetBlobContainerClient("testapp-in");
        await input.CreateIfNotExistsAsync();
        var names = Enumerable.Range(1, 20).Select(i => $"both-hosts-{i:00}.csv").ToList();

        await Task.WhenAll(names.Select(n => input.UploadBlobAsync(n, BinaryData.FromString(n))));
        foreach (var name in names)
        {
            await hosts.One.WaitForOutputAsync($"blob-{name}.json");
        }

        await Task.WhenAll(hosts.One.WaitForBlobScansAsync(), hosts.Two.WaitForBlobScansAsync());

        foreach (var name in names)
        {
            Assert.Single(await hosts.One.RunsAsync("OnUpload", name));
        }
    }

    [Fact]
    public async Task Messages_ReceivedByCompetingHosts_EachRunsOnce_AndIsDeleted()
    {
        var queue = new QueueClient(hosts.One.Azurite.ConnectionString, hosts.One.QueueName);
        await queue.CreateIfNotExistsAsync();
        var bodies = Enumerable.Range(1, 20).Select(i => $"both-hosts-job-{i:00}").ToList();

        await Task.WhenAll(bodies.Select(b => queue.SendMessageAsync(b)));
        foreach (var body in bodies)
        {
            await hosts.One.WaitForOutputAsync($"queue-{body}.json");
        }

        await Eventually.TrueAsync(async () => (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount == 0, () => "the queue to empty");

        foreach (var body in bodies)
        {
            Assert.Equal(1, Assert.Single(await hosts.One.RunsAsync("OnMessage", body)).GetProperty("dequeueCount").GetInt32());
        }
    }

    [Fact]
    public async Task TimerOccurrence_DueOnBothHosts_RunsOnce()
    {
        var due = await TimerTriggerTests.ScheduledAsync(hosts.One);
        Assert.Equal(due, await TimerTriggerTests.ScheduledAsync(hosts.Two));
        var before = await TimerTriggerTests.TicksAsync(hosts.One);

        hosts.Time.SetUtcNow(due);
        // Both hosts have passed the occurrence once each waits for the next one.
        await TimerTriggerTests.ScheduledAsync(hosts.One, after: due);
        await TimerTriggerTests.ScheduledAsync(hosts.Two, after: due);

        Assert.Single(await TimerTriggerTests.TicksAsync(hosts.One), t => !before.ContainsKey(t.Key));
    }

    /// <summary>Two hosts on one Azurite and one queue, their timers on one fake clock.</summary>
    public sealed class TwoHosts : IAsyncLifetime
    {
        private AzuriteInstance? _azurite;

        public FakeTimeProvider Time { get; } = new(TimerTriggerTests.Start);

        public LocalHostFixture One { get; } = new();

        public LocalHostFixture Two { get; } = new();

        public async Task InitializeAsync()
        {
            _azurite = await AzuriteInstance.StartAsync();
            Two.QueueName = One.QueueName;
            foreach (var host in new[] { One, Two })
            {
                host.UseStorage(_azurite);
                host.Time = Time;
                host.Values["TickSchedule"] = TimerTriggerTests.DailyAtOneAm;
                // A message runs on the other host too if its visibility lapses (a busy machine can delay the
                // renewal at half of it): far longer than the test app's 10 s, as in Azure (10 minutes).
                host.Values["AzureFunctionsJobHost__extensions__queues__visibilityTimeout"] = "00:01:00";
            }

            await Task.WhenAll(One.InitializeAsync(), Two.InitializeAsync());
        }

        public async Task DisposeAsync()
        {
            await Task.WhenAll(One.DisposeAsync(), Two.DisposeAsync());
            if (_azurite is not null)
            {
                await _azurite.DisposeAsync();
            }
        }
    }
}
