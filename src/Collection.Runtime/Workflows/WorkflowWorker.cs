using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Collection.Runtime.Workflows;

/// <summary>
/// The engine's background loops: the work-item queue (instance starts), the activity queue
/// (competing consumers, visibility renewed while running, poison after MaxDequeueCount), the
/// due-timer scan, and the outbox sweep (at start-up and periodically).
/// </summary>
internal sealed class WorkflowWorker : BackgroundService
{
    private readonly WorkflowEngine _engine;
    private readonly WorkflowStore _store;
    private readonly WorkflowOptions _options;
    private readonly ILogger<WorkflowWorker> _logger;

    public WorkflowWorker(WorkflowEngine engine, ILogger<WorkflowWorker> logger)
    {
        _engine = engine;
        _store = engine.Store;
        _options = engine.Store.Options;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await _store.EnsureCreatedAsync().ConfigureAwait(false);
        _engine.EnableLocalExecution();
        await Guard("outbox sweep", () => _engine.SweepOutboxAsync(stoppingToken), stoppingToken).ConfigureAwait(false);

        using var activitySlots = new SemaphoreSlim(Math.Max(1, _options.MaxConcurrentActivities));
        using var workItemSlots = new SemaphoreSlim(Math.Max(1, _options.QueueBatchSize));
        await Task.WhenAll(
            PollQueueAsync(_store.WorkItems, _store.WorkItemsPoison, workItemSlots, HandleWorkItemAsync, stoppingToken),
            PollQueueAsync(_store.Activities, _store.ActivitiesPoison, activitySlots, HandleActivityAsync, stoppingToken),
            RepeatAsync("timers", _options.TimerPollInterval, async ct => await _engine.FireDueTimersAsync(ct).ConfigureAwait(false) >= 100, stoppingToken),
            RepeatAsync("outbox sweep", _options.OutboxSweepInterval, async ct => { await _engine.SweepOutboxAsync(ct).ConfigureAwait(false); return false; }, stoppingToken)).ConfigureAwait(false);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await _engine.DisposeAsync().ConfigureAwait(false);
    }

    private async Task HandleWorkItemAsync(WorkItem item, QueueMessageHandle message, CancellationToken cancellationToken)
    {
        if (item.Kind == WorkItem.StartKind)
        {
            var keeper = message.KeepInvisible(_options.ActivityLease);
            await using (keeper.ConfigureAwait(false))
            {
                await _engine.ApplyAsync(item.InstanceId, new Delivery.Start(), null, cancellationToken).ConfigureAwait(false);
            }
        }

        await message.DeleteAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task HandleActivityAsync(WorkItem item, QueueMessageHandle message, CancellationToken cancellationToken)
    {
        var keeper = message.KeepInvisible(_options.ActivityLease);
        await using (keeper.ConfigureAwait(false))
        {
            var outcome = await _engine.RunAttemptsAsync(item, cancellationToken).ConfigureAwait(false);
            if (outcome is not null)
            {
                await _engine.ApplyAsync(item.InstanceId, WorkflowEngine.ResultOf(item, outcome), null, cancellationToken).ConfigureAwait(false);
            }
        }

        await message.DeleteAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task PollQueueAsync(
        QueueClient queue, QueueClient poison, SemaphoreSlim slots,
        Func<WorkItem, QueueMessageHandle, CancellationToken, Task> handle, CancellationToken stoppingToken)
    {
        var idle = _options.MinPollInterval;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await slots.WaitAsync(stoppingToken).ConfigureAwait(false);
                var taken = 1;
                while (taken < Math.Min(32, Math.Max(1, _options.QueueBatchSize)) && slots.Wait(0))
                {
                    taken++;
                }

                QueueMessage[] messages;
                try
                {
                    messages = (await queue.ReceiveMessagesAsync(taken, _options.ActivityLease, stoppingToken).ConfigureAwait(false)).Value;
                }
                finally
                {
                    // Give back the slots no message arrived for (released after the receive, success or not).
                    slots.Release(taken);
                }

                foreach (var message in messages)
                {
                    await slots.WaitAsync(stoppingToken).ConfigureAwait(false);
                    _ = Task.Run(
                        async () =>
                        {
                            try
                            {
                                await ProcessAsync(queue, poison, message, handle, stoppingToken).ConfigureAwait(false);
                            }
                            finally
                            {
                                slots.Release();
                            }
                        },
                        CancellationToken.None);
                }

                if (messages.Length > 0)
                {
                    idle = _options.MinPollInterval;
                    continue;
                }

                await Task.Delay(idle, stoppingToken).ConfigureAwait(false);
                idle = TimeSpan.FromTicks(Math.Min(_options.MaxPollInterval.Ticks, idle.Ticks * 2));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // Storage hiccups must not end the loop.
            catch (Exception e)
#pragma warning restore CA1031
            {
                WorkflowLog.LoopError(_logger, e, queue.Name);
                await Delay(_options.MaxPollInterval, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task ProcessAsync(QueueClient queue, QueueClient poison, QueueMessage message, Func<WorkItem, QueueMessageHandle, CancellationToken, Task> handle, CancellationToken stoppingToken)
    {
        var handleMessage = new QueueMessageHandle(queue, message);
        var item = WorkItem.Parse(message.Body.ToString());
        try
        {
            if (item is null || message.DequeueCount > _options.MaxDequeueCount)
            {
                var why = item is null ? "malformed work item" : $"delivered {message.DequeueCount} times";
                await poison.SendMessageAsync(message.Body.ToString(), stoppingToken).ConfigureAwait(false);
                WorkflowLog.Poisoned(_logger, queue.Name, message.MessageId, item?.InstanceId ?? "?", why);
                if (item is { Kind: WorkItem.ActivityKind })
                {
                    // The instance learns its activity will not run again.
                    await _engine.ApplyAsync(item.InstanceId, WorkflowEngine.ResultOf(item, new ActivityOutcome(false, default, $"poisoned: {why}", true)), null, stoppingToken).ConfigureAwait(false);
                }

                await handleMessage.DeleteAsync(stoppingToken).ConfigureAwait(false);
                return;
            }

            await handle(item, handleMessage, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // The message becomes visible again and is retried; poison after MaxDequeueCount.
        catch (Exception e)
#pragma warning restore CA1031
        {
            WorkflowLog.LoopError(_logger, e, $"{queue.Name} message {message.MessageId} of {item?.InstanceId}");
        }
    }

    private async Task RepeatAsync(string what, TimeSpan interval, Func<CancellationToken, Task<bool>> pass, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var more = false;
            await Guard(what, async () => more = await pass(stoppingToken).ConfigureAwait(false), stoppingToken).ConfigureAwait(false);
            if (!more)
            {
                await Delay(interval, stoppingToken).ConfigureAwait(false);
            }
        }
    }

    private async Task Guard(string what, Func<Task> pass, CancellationToken stoppingToken)
    {
        try
        {
            await pass().ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // Storage hiccups must not end the loop.
        catch (Exception e)
#pragma warning restore CA1031
        {
            WorkflowLog.LoopError(_logger, e, what);
        }
    }

    private static async Task Delay(TimeSpan interval, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(interval, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }
}

/// <summary>A received message whose pop receipt changes as its visibility is renewed.</summary>
internal sealed class QueueMessageHandle(QueueClient queue, QueueMessage message)
{
    private readonly Lock _gate = new();
    private string _popReceipt = message.PopReceipt;

    public async Task DeleteAsync(CancellationToken cancellationToken)
    {
        string receipt;
        lock (_gate)
        {
            receipt = _popReceipt;
        }

        try
        {
            await queue.DeleteMessageAsync(message.MessageId, receipt, cancellationToken).ConfigureAwait(false);
        }
        catch (Azure.RequestFailedException e) when (e.Status is 400 or 404)
        {
            // Its lease lapsed and another worker took it (or already deleted it): that worker finishes the job,
            // and a repeated result is dropped by its sequence number.
        }
    }

    /// <summary>Renews visibility every half lease until disposed, so long activities keep their message.</summary>
    public IAsyncDisposable KeepInvisible(TimeSpan lease)
    {
        var stop = new CancellationTokenSource();
        var loop = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    await Task.Delay(lease / 2, stop.Token).ConfigureAwait(false);
                    string receipt;
                    lock (_gate)
                    {
                        receipt = _popReceipt;
                    }

                    var updated = await queue.UpdateMessageAsync(message.MessageId, receipt, visibilityTimeout: lease, cancellationToken: stop.Token).ConfigureAwait(false);
                    lock (_gate)
                    {
                        _popReceipt = updated.Value.PopReceipt;
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or Azure.RequestFailedException or ObjectDisposedException)
            {
            }
        });
        return new Stopper(stop, loop);
    }

    /// <summary>Stops renewing and waits for an update in flight, so the pop receipt used to delete is the last one.</summary>
    private sealed class Stopper(CancellationTokenSource stop, Task loop) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await stop.CancelAsync().ConfigureAwait(false);
            await loop.ConfigureAwait(false);
            stop.Dispose();
        }
    }
}
