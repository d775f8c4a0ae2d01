using Polly;
using Polly.Retry;

namespace Collection.LocalHost.Triggers;

/// <summary>
/// The listeners' one backoff while storage is away (Polly): a scan that fails is tried again after a delay that
/// doubles from <c>first</c> up to <c>longest</c>, for as long as the host runs. Polling runs on real time even when
/// the host's clock is fake (tests driving timers), so the pipeline does too.
/// </summary>
internal static class StoragePoll
{
    public static ResiliencePipeline Create(string name, TimeSpan first, TimeSpan longest, Action<Exception, int> onFailure) =>
        new ResiliencePipelineBuilder { Name = name, TimeProvider = TimeProvider.System }
            .AddRetry(new RetryStrategyOptions
            {
                // Anything but the host stopping: storage away, emptied by an emulator restart, a timeout.
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is not null && !args.Context.CancellationToken.IsCancellationRequested),
                MaxRetryAttempts = int.MaxValue,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = false,
                Delay = first,
                MaxDelay = longest,
                OnRetry = args =>
                {
                    // Polly numbers retries from 0; the log counts failures from 1.
                    onFailure(args.Outcome.Exception!, args.AttemptNumber + 1);
                    return default;
                },
            })
            .Build();
}
