using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Collection.LocalHost.Tests;

/// <summary>What a local host logged, for tests that wait on what it noticed (storage going away, a poison blob).</summary>
public sealed class HostLog : ILoggerProvider
{
    private readonly ConcurrentQueue<(LogLevel Level, string Category, string Message)> _entries = new();

    public bool Contains(LogLevel level, string fragment) =>
        _entries.Any(e => e.Level == level && e.Message.Contains(fragment, StringComparison.Ordinal));

    public Task WaitForAsync(LogLevel level, string fragment) =>
        Until.TrueAsync(() => Task.FromResult(Contains(level, fragment)), $"a {level} log containing '{fragment}'");

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(HostLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            ArgumentNullException.ThrowIfNull(formatter);
            if (IsEnabled(logLevel))
            {
                log._entries.Enqueue((logLevel, category, formatter(state, exception)));
            }
        }
    }
}

/// <summary>Polls a condition in storage or in the host until it holds (the app runs in another process).</summary>
public static class Until
{
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, int seconds = 60)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var deadline = DateTimeOffset.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, $"Waited {seconds} s for {what}.");
            await Task.Delay(100);
        }
    }
}
