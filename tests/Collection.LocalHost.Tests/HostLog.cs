using System.Collections.Concurrent;
using Collection.Testing;
using Microsoft.Extensions.Logging;

namespace Collection.LocalHost.Tests;

/// <summary>What a local host logged, for tests that wait on what it noticed (storage going away, a poison blob).</summary>
public sealed class HostLog : ILoggerProvider
{
    private readonly ConcurrentQueue<(LogLevel Level, string Category, string Message)> _entries = new();

    public bool Contains(LogLevel level, string fragment) =>
        _entries.Any(e => e.Level == level && e.Message.Contains(fragment, StringComparison.Ordinal));

    public Task WaitForAsync(LogLevel level, string fragment) =>
        Eventually.TrueAsync(() => Task.FromResult(Contains(level, fragment)), () => $"a {level} log containing '{fragment}'");

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
