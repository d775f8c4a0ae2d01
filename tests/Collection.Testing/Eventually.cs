using System.Diagnostics;

namespace Collection.Testing;

/// <summary>
/// The one way tests wait for something the system does in the background (a blob trigger's result, a host
/// coming up, a durable orchestration finishing): poll until the condition holds, fail with what was last seen.
/// The timeout is a bound for a broken system, never a performance assertion.
/// </summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(90);

    private static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>Reads <paramref name="probe"/> until <paramref name="done"/> accepts its value, and returns that value.</summary>
    /// <param name="describe">What the last value was, for the failure message (the value is default when every probe threw a transient error).</param>
    /// <param name="transient">Errors that mean "not yet" (a host not listening yet); any other error fails at once.</param>
    public static async Task<T> GetAsync<T>(
        Func<Task<T>> probe, Func<T, bool> done, Func<T?, string> describe, TimeSpan? timeout = null, TimeSpan? interval = null,
        Func<Exception, bool>? transient = null)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(done);
        ArgumentNullException.ThrowIfNull(describe);
        var limit = timeout ?? DefaultTimeout;
        var clock = Stopwatch.StartNew();
        T? last = default;
        Exception? lastError = null;
        while (true)
        {
            try
            {
                last = await probe().ConfigureAwait(false);
                lastError = null;
                if (done(last))
                {
                    return last;
                }
            }
            catch (Exception e) when (transient?.Invoke(e) == true)
            {
                lastError = e;
            }

            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"Not within {limit.TotalSeconds:0.#} s: {describe(last)}" + (lastError is null ? string.Empty : $" (last error: {lastError.Message})"));
            }

            await Task.Delay(interval ?? DefaultInterval).ConfigureAwait(false);
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds.</summary>
    public static Task TrueAsync(Func<Task<bool>> condition, Func<string> describe, TimeSpan? timeout = null, TimeSpan? interval = null, Func<Exception, bool>? transient = null)
    {
        ArgumentNullException.ThrowIfNull(describe);
        return GetAsync(condition, held => held, _ => describe(), timeout, interval, transient);
    }
}
