using System.Diagnostics;
using Collection.Runtime.Functions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Collection.Runtime.Hosting;

/// <summary>How one run of a function ended.</summary>
public sealed record FunctionOutcome(bool Succeeded, Exception? Error, TimeSpan Duration)
{
    /// <summary>The error as stored in receipts and shown to admins (type and message, no stack).</summary>
    public string? ErrorSummary => Error is null ? null : $"{Error.GetType().Name}: {Error.Message}";
}

/// <summary>
/// Runs one function in its own DI scope, with host.json's <c>functionTimeout</c> (wall-clock time,
/// even when the host's clock is fake), and never throws its errors.
/// </summary>
public sealed partial class FunctionInvoker(
    IServiceScopeFactory scopes,
    IOptions<FunctionHostOptions> hostOptions,
    ILogger<FunctionInvoker> logger)
{
    public async Task<FunctionOutcome> InvokeAsync<TFunction>(
        FunctionDescriptor function,
        string trigger,
        Func<TFunction, CancellationToken, Task> run,
        CancellationToken stopping)
        where TFunction : class
    {
        ArgumentNullException.ThrowIfNull(function);
        ArgumentNullException.ThrowIfNull(run);
        var timeout = hostOptions.Value.FunctionTimeout;
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        using var timer = new CancellationTokenSource(timeout, TimeProvider.System);
        using var link = timer.Token.Register(cancellation.Cancel);
        var started = Stopwatch.GetTimestamp();
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var implementation = (TFunction)scope.ServiceProvider.GetRequiredService(function.Implementation);
            // WaitAsync: a function that ignores its token is still abandoned at the timeout.
            await run(implementation, cancellation.Token).WaitAsync(cancellation.Token).ConfigureAwait(false);
            var elapsed = Stopwatch.GetElapsedTime(started);
            LogSucceeded(function.Name, trigger, elapsed.TotalMilliseconds);
            return new FunctionOutcome(true, null, elapsed);
        }
        catch (OperationCanceledException) when (timer.IsCancellationRequested && !stopping.IsCancellationRequested)
        {
            var error = new TimeoutException($"Function '{function.Name}' did not finish within functionTimeout {timeout}.");
            LogFailed(error, function.Name, trigger, error.Message);
            return new FunctionOutcome(false, error, Stopwatch.GetElapsedTime(started));
        }
        catch (Exception e) when (!stopping.IsCancellationRequested)
        {
            LogFailed(e, function.Name, trigger, e.Message);
            return new FunctionOutcome(false, e, Stopwatch.GetElapsedTime(started));
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Function {Function} succeeded for {Trigger} in {Milliseconds:0} ms")]
    private partial void LogSucceeded(string function, string trigger, double milliseconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Function {Function} failed for {Trigger}: {Error}")]
    private partial void LogFailed(Exception exception, string function, string trigger, string error);
}
