using Collection.LocalHost.Settings;
using Collection.LocalHost.Worker;

namespace Collection.LocalHost.Triggers;

/// <summary>
/// A trigger's arguments as the Functions host reads them: <c>%Setting%</c> resolved from the app settings,
/// then parsed (blob path, schedule). <see cref="Validate"/> reads them all before the host starts, so a
/// missing setting or an unreadable path or schedule stops start-up with a message naming the function
/// (as the host's indexing does) instead of failing a listener once the worker runs.
/// </summary>
internal static class TriggerArguments
{
    public static BlobPath BlobPath(ScriptRoot app, HostedFunction function) =>
        Triggers.BlobPath.Parse(function.Name, Resolve(app, function, "path"));

    public static string QueueName(ScriptRoot app, HostedFunction function) =>
        Resolve(app, function, "queueName") is { Length: > 0 } name
            ? name
            : throw new InvalidOperationException($"Function '{function.Name}' names no queue.");

    public static TimerSchedule Schedule(ScriptRoot app, HostedFunction function, TimerTriggerOptions options) =>
        TimerSchedule.Parse(function.Name, Resolve(app, function, "schedule"), options.TimeZone);

    /// <summary>Reads the trigger of every function the build declared (<c>functions.metadata</c>); throws at the first that cannot be read.</summary>
    public static void Validate(ScriptRoot app, TimerTriggerOptions timers)
    {
        ArgumentNullException.ThrowIfNull(app);
        foreach (var function in app.Functions.Where(f => f.Bindings.Any(b => b.IsTrigger)))
        {
            switch (function.Trigger.Type.ToLowerInvariant())
            {
                case "blobtrigger":
                    BlobPath(app, function);
                    break;
                case "queuetrigger":
                    QueueName(app, function);
                    break;
                case "timertrigger":
                    Schedule(app, function, timers);
                    break;
            }
        }
    }

    private static string Resolve(ScriptRoot app, HostedFunction function, string property)
    {
        var text = function.Trigger.Property(property) ?? string.Empty;
        try
        {
            return app.Resolve(text);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException($"Function '{function.Name}': {e.Message}", e);
        }
    }
}
