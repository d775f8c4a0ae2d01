using Azure;
using Polly;
using Polly.Retry;

namespace Collection.Functions.Hosting;

/// <summary>
/// The app's named retry pipelines (Polly), built once in the composition root on the injected
/// <see cref="TimeProvider"/>, so a fake clock drives their delays as it drives everything else.
/// </summary>
public sealed class Resilience
{
    /// <summary>Tries of one optimistic write (the first and the retries) before the conflict is thrown.</summary>
    public const int OptimisticWriteAttempts = 20;

    /// <summary>Tries of one roster batch: a whole batch re-read per try, so fewer tries, longer waits.</summary>
    public const int BatchWriteAttempts = 10;

    public Resilience(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);

        // Jittered, growing to 200 ms: the writers that collide are a handful, and a retry re-reads first.
        OptimisticWrite = LostRaceRetry(time, "optimistic-write", OptimisticWriteAttempts, n => Random.Shared.Next(5, 20 * Math.Min(n, 10)));
        BatchWrite = LostRaceRetry(time, "optimistic-batch-write", BatchWriteAttempts, n => Random.Shared.Next(5, 50 * n));
    }

    /// <summary>
    /// A read–decide–write whose conditional write lost a race (409: the row was added meanwhile; 412: its ETag
    /// changed) runs again from a fresh read. Anything else, or the last conflict, goes to the caller.
    /// </summary>
    public ResiliencePipeline OptimisticWrite { get; }

    /// <summary>As <see cref="OptimisticWrite"/>, for a batch of rows written in one entity-group transaction.</summary>
    public ResiliencePipeline BatchWrite { get; }

    /// <summary>A conditional write that lost to another writer: the add found the row (409) or the ETag moved (412).</summary>
    public static bool LostRace(Exception exception) => exception is RequestFailedException { Status: 409 or 412 };

    private static ResiliencePipeline LostRaceRetry(TimeProvider time, string name, int attempts, Func<int, int> delayMilliseconds) =>
        new ResiliencePipelineBuilder { Name = name, TimeProvider = time }
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<RequestFailedException>(LostRace),
                MaxRetryAttempts = attempts - 1,
                // Polly numbers retries from 0; the formulas count tries that failed, from 1.
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(TimeSpan.FromMilliseconds(delayMilliseconds(args.AttemptNumber + 1))),
            })
            .Build();
}
