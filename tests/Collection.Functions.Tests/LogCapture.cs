using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Collection.Functions.Tests;

/// <summary>Every log entry a host writes, formatted as the console shows its message, for tests about what reaches the log.</summary>
internal sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<Entry> _entries = new();

    public IReadOnlyList<string> Entries => [.. _entries.Select(e => e.Message)];

    /// <summary>The entries with their category and level, so a failing assertion names where a line came from.</summary>
    public IReadOnlyList<Entry> Logged => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    internal sealed record Entry(string Category, LogLevel Level, string Message)
    {
        public override string ToString() => $"{Level} {Category}: {Message}";
    }

    private sealed class Logger(LogCapture sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            sink._entries.Enqueue(new Entry(category, logLevel, formatter(state, exception)));
    }
}
