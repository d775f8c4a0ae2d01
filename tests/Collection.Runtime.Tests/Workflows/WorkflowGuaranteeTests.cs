using Azure.Data.Tables;
using Collection.Runtime.Workflows;
using Collection.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Collection.Runtime.Tests.Workflows;

/// <summary>Each guarantee of the durable workflow engine, against a real Azurite.</summary>
public class WorkflowGuaranteeTests
{
    private static async Task<(AzuriteInstance Azurite, string Hub)> HubAsync() =>
        (await AzuriteInstance.SharedAsync(), AzuriteInstance.UniqueName("wf"));

    [Fact]
    public async Task Sequence_RunsEveryActivityAndCompletes()
    {
        var (azurite, hub) = await HubAsync();
        await using var host = await EngineHost.StartAsync(azurite.ConnectionString, hub);

        var id = await host.Client.StartAsync("Sequence", new SequenceWorkflow.Input(5), actor: "staff");
        var status = await host.WaitForAsync(id, WorkflowRuntimeStatus.Completed, showHistory: true);

        Assert.Equal(15, status.Output!.Value.GetInt32());
        Assert.Equal(5, status.History!.Count(h => h.Event == "ActivityCompleted"));
        Assert.Equal("staff", status.History!.Single(h => h.Event == "Started").Actor);
    }

    [Fact]
    public async Task ConcurrentWriters_StaleETagLoses_AndEveryEventIsAppliedOnce()
    {
        var (azurite, hub) = await HubAsync();
        await using var a = await EngineHost.StartAsync(azurite.ConnectionString, hub, runWorkers: false);
        await using var b = await EngineHost.StartAsync(azurite.ConnectionString, hub, runWorkers: false);
        var id = await a.Client.StartAsync("Counter", instanceId: AzuriteInstance.UniqueName("counter"));
        await a.Engine.ApplyAsync(id, new Delivery.Start(), null, CancellationToken.None);

        // A writer holding a stale state row loses with a conflict.
        var stale = (await a.Engine.Store.ReadAsync(id, CancellationToken.None))!;
        await b.Client.RaiseEventAsync(id, "inc", null, "b");
        var lost = await a.Engine.Store.CommitAsync(stale.Record, stale.ETag, [], [], DateTimeOffset.UtcNow, null, CancellationToken.None);
        Assert.Equal(CommitStatus.Conflict, lost.Status);

        // Two hosts raising at once: each event lands exactly once.
        await Task.WhenAll(Enumerable.Range(0, 20).Select(i => (i % 2 == 0 ? a : b).Client.RaiseEventAsync(id, "inc", i, i % 2 == 0 ? "a" : "b")));

        var status = (await a.Client.GetStatusAsync(id, showHistory: true))!;
        Assert.Equal(21, status.CustomStatus!.Value.GetInt32());
        Assert.Equal(21, status.History!.Count(h => h.Event == "EventRaised"));
        Assert.Equal(Enumerable.Range(0, 20).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Order(), status.History!
            .Where(h => h.Event == "EventRaised" && h.Detail!.StartsWith("inc: ", StringComparison.Ordinal) && h.Detail != "inc: null")
            .Select(h => h.Detail!["inc: ".Length..]).Order());
    }

    [Fact]
    public async Task ActivityResultDeliveredTwice_IsAppliedOnce()
    {
        var (azurite, hub) = await HubAsync();
        await using var host = await EngineHost.StartAsync(azurite.ConnectionString, hub, runWorkers: false);
        var id = await host.Client.StartAsync("Sequence", new SequenceWorkflow.Input(2));
        await host.Engine.ApplyAsync(id, new Delivery.Start(), null, CancellationToken.None);
        var seq = (await host.Engine.Store.ReadAsync(id, CancellationToken.None))!.Record.Activities["step-1"].Seq;
        var result = new Delivery.ActivityResult("step-1", seq, true, WorkflowJson.ToElement(1), null);

        var first = await host.Engine.ApplyAsync(id, result, null, CancellationToken.None);
        var second = await host.Engine.ApplyAsync(id, result, null, CancellationToken.None);

        Assert.Equal(ApplyStatus.Applied, first.Status);
        Assert.Equal(ApplyStatus.Dropped, second.Status);
        var status = (await host.Client.GetStatusAsync(id, showHistory: true))!;
        Assert.Single(status.History!, h => h.Event == "ActivityCompleted");
        Assert.Equal(1, status.CustomStatus!.Value.GetProperty("done").GetInt32());
    }

    [Fact]
    public async Task CrashBetweenCommitAndSend_OutboxSweepDeliversTheWork()
    {
        var (azurite, hub) = await HubAsync();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 1, 0, 0, TimeSpan.Zero));
        await using var host = await EngineHost.StartAsync(azurite.ConnectionString, hub, time, configure: o => o.OutboxSweepInterval = TimeSpan.FromHours(1));
        var crashed = 0;
        host.Engine.SkipDispatchAfterCommit = _ => Interlocked.Exchange(ref crashed, 1) == 0;

        var id = await host.Client.StartAsync("Sequence", new SequenceWorkflow.Input(3));
        await host.WaitForAsync(id, WorkflowRuntimeStatus.Running);
        await Task.Delay(500);

        // Committed (step-1 scheduled, outbox row written) but never sent: nothing runs.
        var stored = (await host.Engine.Store.ReadAsync(id, CancellationToken.None))!;
        Assert.Contains("step-1", stored.Record.Activities.Keys);
        Assert.Empty(host.Log.Runs);
        Assert.Equal(0, await host.Engine.SweepOutboxAsync(CancellationToken.None));

        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await host.Engine.SweepOutboxAsync(CancellationToken.None));

        var status = await host.WaitForAsync(id, WorkflowRuntimeStatus.Completed);
        Assert.Equal(6, status.Output!.Value.GetInt32());
        Assert.All(host.Log.Runs.Values, runs => Assert.Equal(1, runs));
    }

    [Fact]
    public async Task DurableTimers_OneSecondAndThreeMonths_SurviveAHostRestart()
    {
        var (azurite, hub) = await HubAsync();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 1, 0, 0, TimeSpan.Zero));
        string shortId, longId;
        await using (var first = await EngineHost.StartAsync(azurite.ConnectionString, hub, time))
        {
            shortId = await first.Client.StartAsync("Sleep", new SleepWorkflow.Input(1));
            longId = await first.Client.StartAsync("Sleep", new SleepWorkflow.Input(TimeSpan.FromDays(92).TotalSeconds));
            await first.WaitForAsync(shortId, WorkflowRuntimeStatus.Running);
            await first.WaitForAsync(longId, WorkflowRuntimeStatus.Running);
            var stats = await first.Client.GetStatsAsync();
            Assert.Equal(time.GetUtcNow().AddSeconds(1), stats.OldestPendingTimer!.DueAt);
        }

        // Host down for three months.
        time.Advance(TimeSpan.FromDays(92));
        await using var second = await EngineHost.StartAsync(azurite.ConnectionString, hub, time);

        var woke = await second.WaitForAsync(longId, WorkflowRuntimeStatus.Completed);
        await second.WaitForAsync(shortId, WorkflowRuntimeStatus.Completed);
        Assert.Equal(new DateTimeOffset(2027, 2, 23, 1, 0, 0, TimeSpan.Zero), woke.Output!.Value.GetProperty("dueAt").GetDateTimeOffset());
        Assert.Null((await second.Client.GetStatsAsync()).OldestPendingTimer);
    }

    [Fact]
    public async Task DurableTimer_NotYetDue_DoesNotFire()
    {
        var (azurite, hub) = await HubAsync();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 1, 0, 0, TimeSpan.Zero));
        await using var host = await EngineHost.StartAsync(azurite.ConnectionString, hub, time);
        var id = await host.Client.StartAsync("Sleep", new SleepWorkflow.Input(TimeSpan.FromDays(10).TotalSeconds));
        await host.WaitForAsync(id, WorkflowRuntimeStatus.Running);

        time.Advance(TimeSpan.FromDays(9));
        await Task.Delay(500);
        Assert.Equal(WorkflowRuntimeStatus.Running, (await host.Client.GetStatusAsync(id))!.RuntimeStatus);

        time.Advance(TimeSpan.FromDays(1));
        await host.WaitForAsync(id, WorkflowRuntimeStatus.Completed);
    }

    [Fact]
    public async Task ExternalEventRaisedBeforeTheWait_IsBufferedAndDelivered()
    {
        var (azurite, hub) = await HubAsync();
        string id;
        await using (var clientOnly = await EngineHost.StartAsync(azurite.ConnectionString, hub, runWorkers: false))
        {
            id = await clientOnly.Client.StartAsync("Approval", new ApprovalWorkflow.Input(7));
            Assert.Equal(WorkflowOperationResult.Accepted, await clientOnly.Client.RaiseEventAsync(id, "Approved", "ok by phone", "approver", eventId: "call-1"));
            Assert.Equal(WorkflowOperationResult.Accepted, await clientOnly.Client.RaiseEventAsync(id, "Approved", "ok by phone", "approver", eventId: "call-1"));
            Assert.Equal(WorkflowRuntimeStatus.Pending, (await clientOnly.Client.GetStatusAsync(id))!.RuntimeStatus);
        }

        await using var host = await EngineHost.StartAsync(azurite.ConnectionString, hub);
        var status = await host.WaitForAsync(id, WorkflowRuntimeStatus.Completed, showHistory: true);

        Assert.Equal("ok by phone", status.Output!.Value.GetProperty("note").GetString());
        Assert.Single(status.History!, h => h.Event == "EventBuffered");
        Assert.Equal("approver", status.Output!.Value.GetProperty("approvedBy").GetString());
        Assert.Equal(["Scheduled", "EventBuffered", "Started", "CustomStatusSet", "WaitingForEvent", "TimerCreated", "EventRaised", "Completed"], status.History!.Select(h => h.Event));
    }

    [Fact]
    public async Task EventForUnknownInstance_IsRefusedNotSwallowed()
    {
        var (azurite, hub) = await HubAsync();
        await using var host = await EngineHost.StartAsync(azurite.ConnectionString, hub, runWorkers: false);

        Assert.Equal(WorkflowOperationResult.NotFound, await host.Client.RaiseEventAsync("no-such-case", "Approved", null, "approver"));
        Assert.Equal(WorkflowOperationResult.NotFound, await host.Client.TerminateAsync("no-such-case", "x", "admin"));
        Assert.Null(await host.Client.GetStatusAsync("no-such-case"));
    }

    [Fact]
    public async Task FailingActivity_RetriedPerPolicy_ThenFailsWithErrorKept()
    {
        var (azurite, hub) = await HubAsync();
        await using var host = await EngineHost.StartAsync(azurite.ConnectionString, hub);

        var failing = await host.Client.StartAsync("FlakyCase", new FlakyInput(99));
        var recovering = await host.Client.StartAsync("FlakyCase", new FlakyInput(2));

        var failed = await host.WaitForAsync(failing, WorkflowRuntimeStatus.Failed, showHistory: true);
        var completed = await host.WaitForAsync(recovering, WorkflowRuntimeStatus.Completed);
        Assert.Equal("flaky gave up: InvalidOperationException: tax bureau unreachable (attempt 3)", failed.Output!.Value.GetString());
        Assert.Equal(3, host.Log.Runs[$"{failing}/flaky"]);
        Assert.Single(failed.History!, h => h.Event == "ActivityFailed");
        Assert.Equal("ok on attempt 3", completed.Output!.Value.GetString());
    }

    [Fact]
    public async Task LongRetryDelay_GoesThroughTheQueue_AndStillCompletes()
    {
        var (azurite, hub) = await HubAsync();
        await using var host = await EngineHost.StartAsync(azurite.ConnectionString, hub, configure: o => o.InlineRetryLimit = TimeSpan.Zero);

        var id = await host.Client.StartAsync("FlakyCase", new FlakyInput(1));

        var status = await host.WaitForAsync(id, WorkflowRuntimeStatus.Completed);
        Assert.Equal("ok on attempt 2", status.Output!.Value.GetString());
    }

    [Fact]
    public async Task TwoHosts_ShareTheWork_WithNoTransitionAppliedTwice()
    {
        var (azurite, hub) = await HubAsync();
        var effects = azurite.CreateTableServiceClient().GetTableClient(AzuriteInstance.UniqueName("effects"));
        await effects.CreateAsync();
        void Shared(WorkflowOptions o)
        {
            o.MaxLocalActivities = 0;
            o.QueueBatchSize = 2;
            o.MaxConcurrentActivities = 2;
        }

        await using var a = await EngineHost.StartAsync(azurite.ConnectionString, hub, log: new EffectLog { HostName = "a", Effects = effects, Delay = TimeSpan.FromMilliseconds(10) }, configure: Shared);
        await using var b = await EngineHost.StartAsync(azurite.ConnectionString, hub, log: new EffectLog { HostName = "b", Effects = effects, Delay = TimeSpan.FromMilliseconds(10) }, configure: Shared);

        var ids = await Task.WhenAll(Enumerable.Range(0, 30).Select(i => (i % 2 == 0 ? a : b).Client.StartAsync("Sequence", new SequenceWorkflow.Input(3))));
        foreach (var id in ids)
        {
            var status = await a.WaitForAsync(id, WorkflowRuntimeStatus.Completed, TimeSpan.FromSeconds(60), showHistory: true);
            Assert.Equal(6, status.Output!.Value.GetInt32());
            Assert.Single(status.History!, h => h.Event == "Started");
            Assert.Single(status.History!, h => h.Event == "Completed");
            Assert.Equal(["step-1", "step-2", "step-3"], status.History!.Where(h => h.Event == "ActivityCompleted").Select(h => h.Detail!.Split(':')[0]));
        }

        Assert.True(a.Log.ByHost.GetValueOrDefault("a") > 0, "host a ran no activity");
        Assert.True(b.Log.ByHost.GetValueOrDefault("b") > 0, "host b ran no activity");
        var rows = new List<TableEntity>();
        await foreach (var row in effects.QueryAsync<TableEntity>())
        {
            rows.Add(row);
        }

        Assert.Equal(90, rows.Count);
    }

    [Fact]
    public async Task TerminateAndPurge_AreRecorded()
    {
        var (azurite, hub) = await HubAsync();
        await using var host = await EngineHost.StartAsync(azurite.ConnectionString, hub);
        var id = await host.Client.StartAsync("Approval", new ApprovalWorkflow.Input(30));
        await host.WaitForAsync(id, WorkflowRuntimeStatus.Running);

        Assert.Equal(WorkflowOperationResult.NotFinished, await host.Client.PurgeAsync(id, "admin"));
        Assert.Equal(WorkflowOperationResult.Accepted, await host.Client.TerminateAsync(id, "opened twice", "admin"));
        Assert.Equal(WorkflowOperationResult.Finished, await host.Client.TerminateAsync(id, "again", "admin"));
        Assert.Equal(WorkflowOperationResult.Finished, await host.Client.RaiseEventAsync(id, "Approved", null, "approver"));
        var terminated = (await host.Client.GetStatusAsync(id, showHistory: true))!;
        Assert.Equal(WorkflowRuntimeStatus.Terminated, terminated.RuntimeStatus);
        Assert.Contains(terminated.History!, h => h.Event == "Terminated" && h.Actor == "admin" && h.Detail == "opened twice");
        Assert.Null((await host.Client.GetStatsAsync()).OldestPendingTimer);

        Assert.Equal(WorkflowOperationResult.Accepted, await host.Client.PurgeAsync(id, "admin"));

        Assert.Null(await host.Client.GetStatusAsync(id));
        var purge = Assert.Single(host.Engine.Store.Purges.Query<TableEntity>(e => e.PartitionKey == id));
        Assert.Equal("admin", purge.GetString("PurgedBy"));
        Assert.Equal("Terminated", purge.GetString("RuntimeStatus"));
    }

    [Fact]
    public async Task List_FiltersByNameStatusAndCreatedTime_InPages()
    {
        var (azurite, hub) = await HubAsync();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero));
        await using var host = await EngineHost.StartAsync(azurite.ConnectionString, hub, time, runWorkers: false);
        for (var i = 0; i < 5; i++)
        {
            await host.Client.StartAsync("Approval", new ApprovalWorkflow.Input(1));
            await host.Client.StartAsync("Counter");
            time.Advance(TimeSpan.FromDays(1));
        }

        var seen = new List<WorkflowStatus>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await host.Client.ListAsync(new WorkflowQuery(Name: "Approval", Statuses: [WorkflowRuntimeStatus.Pending], CreatedFrom: new DateTimeOffset(2026, 11, 2, 0, 0, 0, TimeSpan.Zero), PageSize: 2, ContinuationToken: token));
            seen.AddRange(page.Instances);
            token = page.ContinuationToken;
            pages++;
        }
        while (token is not null);

        Assert.Equal(4, seen.Count);
        Assert.True(pages >= 2);
        Assert.All(seen, s => Assert.Equal("Approval", s.Name));
        Assert.Empty((await host.Client.ListAsync(new WorkflowQuery(Statuses: [WorkflowRuntimeStatus.Completed]))).Instances);
        await Assert.ThrowsAsync<WorkflowException>(() => host.Client.ListAsync(new WorkflowQuery(ContinuationToken: "%%%")));
    }

    [Fact]
    public async Task MalformedWorkItem_IsPoisonedAndCounted_WithoutBlockingOthers()
    {
        var (azurite, hub) = await HubAsync();
        await using var host = await EngineHost.StartAsync(azurite.ConnectionString, hub);

        await host.Engine.Store.Activities.SendMessageAsync("this is not a work item");
        var id = await host.Client.StartAsync("Sequence", new SequenceWorkflow.Input(2));

        await host.WaitForAsync(id, WorkflowRuntimeStatus.Completed);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        WorkflowStats stats;
        while ((stats = await host.Client.GetStatsAsync()).PoisonedWorkItems == 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.Equal(1, stats.PoisonedWorkItems);
        Assert.Equal("this is not a work item", (await host.Engine.Store.ActivitiesPoison.ReceiveMessageAsync()).Value.Body.ToString());
    }
}
