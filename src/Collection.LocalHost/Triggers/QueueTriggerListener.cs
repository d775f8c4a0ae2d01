using System.Collections.Concurrent;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Collection.LocalHost.Worker;

namespace Collection.LocalHost.Triggers;

/// <summary>
/// Runs every queue function as a competing consumer: each host receives up to <c>batchSize</c>
/// messages at a time (hidden for <c>visibilityTimeout</c>, renewed at half of it while the function
/// runs; a new batch is fetched once half of the last one is done), deletes a message when its function succeeds and releases it at once when it fails; after
/// <c>maxDequeueCount</c> tries it moves to <c>&lt;queue&gt;-poison</c>. An empty queue is polled with
/// exponential backoff up to <c>maxPollingInterval</c>; storage errors back off the same way.
/// </summary>
internal sealed partial class QueueTriggerListener : BackgroundService
{
    private readonly TriggerInvoker _triggers;
    private readonly QueueServiceClient _queues;
    private readonly QueueTriggerOptions _options;
    private readonly ILogger<QueueTriggerListener> _logger;

    public QueueTriggerListener(
        TriggerInvoker triggers,
        QueueServiceClient queues,
        QueueTriggerOptions options,
        ILogger<QueueTriggerListener> logger)
    {
        _triggers = triggers;
        _queues = queues;
        _options = options;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var functions = await _triggers.FunctionsAsync("queueTrigger", stoppingToken).ConfigureAwait(false);
        await Task.WhenAll(functions.Select(f => ListenAsync(f, TriggerArguments.QueueName(_triggers.App, f), stoppingToken))).ConfigureAwait(false);
    }

    /// <summary>The next idle delay: doubled from the minimum, capped at <c>maxPollingInterval</c>.</summary>
    internal static TimeSpan NextBackoff(TimeSpan current, QueueTriggerOptions options) =>
        current <= TimeSpan.Zero ? options.MinPollingInterval
        : TimeSpan.FromTicks(Math.Min(current.Ticks * 2, options.MaxPollingInterval.Ticks));

    private async Task ListenAsync(HostedFunction function, string queueName, CancellationToken stoppingToken)
    {
        await Task.Yield();
        var running = new ConcurrentDictionary<Task, byte>();
        try
        {
            await PollAsync(function, queueName, running, stoppingToken).ConfigureAwait(false);
        }
        finally
        {
            // Runs cut short by the stop settle (or leave their message to reappear) before the host exits.
            await Task.WhenAll(running.Keys).ConfigureAwait(false);
        }
    }

    private async Task PollAsync(HostedFunction function, string queueName, ConcurrentDictionary<Task, byte> running, CancellationToken stoppingToken)
    {
        var queue = _queues.GetQueueClient(queueName);
        var poison = _queues.GetQueueClient(StorageLayout.PoisonQueueName(queueName));
        var batchSize = Math.Clamp(_options.BatchSize, 1, 32);
        // As Functions' newBatchThreshold: fetch more once half of the batch is done, so one slow
        // message does not hold up the rest of the queue.
        var newBatchThreshold = batchSize / 2;
        var ready = false;
        var idle = TimeSpan.Zero;
        while (!stoppingToken.IsCancellationRequested)
        {
            if (running.Count > newBatchThreshold)
            {
                await Task.WhenAny(running.Keys).ConfigureAwait(false);
                continue;
            }

            try
            {
                if (!ready)
                {
                    await queue.CreateIfNotExistsAsync(cancellationToken: stoppingToken).ConfigureAwait(false);
                    await poison.CreateIfNotExistsAsync(cancellationToken: stoppingToken).ConfigureAwait(false);
                    ready = true;
                }

                var messages = (await queue.ReceiveMessagesAsync(batchSize - running.Count, _options.VisibilityTimeout, stoppingToken).ConfigureAwait(false)).Value;
                if (messages.Length > 0)
                {
                    idle = TimeSpan.Zero;
                    foreach (var message in messages)
                    {
                        var run = ProcessAsync(function, queue, poison, message, stoppingToken);
                        running[run] = 0;
                        _ = run.ContinueWith(t => running.TryRemove(t, out _), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                    }

                    continue;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // Storage away or emptied (emulator restart): log, back off, create the queues again.
                ready = false;
                LogPollFailed(e, function.Name, queueName, e.Message);
            }

            idle = NextBackoff(idle, _options);
            try
            {
                // Polling runs on real time even when the host's clock is fake (tests driving timers).
                await Task.Delay(idle, TimeProvider.System, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task ProcessAsync(HostedFunction function, QueueClient queue, QueueClient poison, QueueMessage message, CancellationToken stoppingToken)
    {
        await Task.Yield();
        try
        {
            if (message.DequeueCount > _options.MaxDequeueCount)
            {
                // Tried often enough already (hosts that stopped mid-run): do not run it again.
                await MoveToPoisonAsync(function, queue, poison, message.MessageId, message.PopReceipt, message.Body, message.DequeueCount, "dequeued more than maxDequeueCount times", stoppingToken).ConfigureAwait(false);
                return;
            }

            var popReceipt = new PopReceiptHolder(message.PopReceipt);
            FunctionOutcome outcome;
            using (var renewal = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken))
            {
                var renewing = KeepInvisibleAsync(queue, message.MessageId, popReceipt, renewal.Token);
                try
                {
                    outcome = await _triggers.InvokeQueueAsync(function, queue.Name, message, stoppingToken).ConfigureAwait(false);
                }
                finally
                {
                    await renewal.CancelAsync().ConfigureAwait(false);
                    await renewing.ConfigureAwait(false);
                }
            }

            if (outcome.Succeeded)
            {
                await queue.DeleteMessageAsync(message.MessageId, popReceipt.Value, stoppingToken).ConfigureAwait(false);
            }
            else if (message.DequeueCount >= _options.MaxDequeueCount)
            {
                await MoveToPoisonAsync(function, queue, poison, message.MessageId, popReceipt.Value, message.Body, message.DequeueCount, outcome.ErrorSummary, stoppingToken).ConfigureAwait(false);
            }
            else
            {
                // Visible again at once: Functions' default retry delay is zero.
                await queue.UpdateMessageAsync(message.MessageId, popReceipt.Value, visibilityTimeout: TimeSpan.Zero, cancellationToken: stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Host stopping: the message reappears when its visibility runs out.
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Lost the message (visibility ran out, storage away): another try will come from the queue.
            LogSettleFailed(function.Name, message.MessageId, queue.Name, e.Message);
        }
    }

    private async Task MoveToPoisonAsync(HostedFunction function, QueueClient queue, QueueClient poison, string messageId, string popReceipt, BinaryData body, long dequeueCount, string? error, CancellationToken cancellationToken)
    {
        await poison.SendMessageAsync(body, cancellationToken: cancellationToken).ConfigureAwait(false);
        await queue.DeleteMessageAsync(messageId, popReceipt, cancellationToken).ConfigureAwait(false);
        LogPoison(function.Name, messageId, queue.Name, dequeueCount, poison.Name, error);
    }

    /// <summary>
    /// Renews the message's invisibility at half the visibility timeout. Storage measures visibility
    /// in real time, so this waits on the system clock even when the host runs on a fake one.
    /// </summary>
    private async Task KeepInvisibleAsync(QueueClient queue, string messageId, PopReceiptHolder popReceipt, CancellationToken cancellationToken)
    {
        var every = _options.VisibilityTimeout / 2;
        if (every <= TimeSpan.Zero)
        {
            return;
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(every, TimeProvider.System, cancellationToken).ConfigureAwait(false);
                var updated = await queue.UpdateMessageAsync(messageId, popReceipt.Value, visibilityTimeout: _options.VisibilityTimeout, cancellationToken: cancellationToken).ConfigureAwait(false);
                popReceipt.Value = updated.Value.PopReceipt;
                LogRenewed(messageId, queue.Name);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (RequestFailedException e)
            {
                LogRenewFailed(messageId, queue.Name, e.Message);
            }
        }
    }

    private sealed class PopReceiptHolder(string value)
    {
        private string _value = value;

        public string Value
        {
            get => Volatile.Read(ref _value);
            set => Volatile.Write(ref _value, value);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Queue function {Function} could not poll queue {Queue}, backing off: {Error}")]
    private partial void LogPollFailed(Exception exception, string function, string queue, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Message {MessageId} of queue {Queue} moved to {PoisonQueue} after {DequeueCount} tries of function {Function}: {Error}")]
    private partial void LogPoison(string function, string messageId, string queue, long dequeueCount, string poisonQueue, string? error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Renewed visibility of message {MessageId} of queue {Queue}")]
    private partial void LogRenewed(string messageId, string queue);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not renew visibility of message {MessageId} of queue {Queue}: {Error}")]
    private partial void LogRenewFailed(string messageId, string queue, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Function {Function} could not settle message {MessageId} of queue {Queue}: {Error}")]
    private partial void LogSettleFailed(string function, string messageId, string queue, string error);
}
