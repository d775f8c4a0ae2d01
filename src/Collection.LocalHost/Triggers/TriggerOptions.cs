using System.Text.Json;
using System.Text.Json.Nodes;
using Collection.LocalHost.Settings;
using Collection.Runtime.Hosting;

namespace Collection.LocalHost.Triggers;

/// <summary>
/// Reads the trigger options (the runtime's option types, which the listeners and their stores share with
/// it until the app has moved onto the worker) from host.json and the app settings, as the Functions host does.
/// </summary>
internal static class TriggerOptionsReader
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNameCaseInsensitive = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowReadingFromString };

    public static QueueTriggerOptions Queues(ScriptRoot app) => Section<QueueTriggerOptions>(app, "queues");

    public static BlobTriggerOptions Blobs(ScriptRoot app)
    {
        var options = Section<BlobTriggerOptions>(app, "blobs");
        if (options.PollingInterval <= TimeSpan.Zero || options.PollingInterval > BlobTriggerOptions.MaxDetectionLatency)
        {
            throw new InvalidOperationException($"host.json extensions.blobs.pollingInterval must be more than 0 and at most {BlobTriggerOptions.MaxDetectionLatency}.");
        }

        return options;
    }

    public static TimerTriggerOptions Timers(ScriptRoot app) => new() { TimeZone = app.Setting(TimerTriggerOptions.TimeZoneSetting) ?? TimerTriggerOptions.DefaultTimeZone };

    private static T Section<T>(ScriptRoot app, string name)
        where T : new()
    {
        if (app.HostJson["extensions"]?[name] is not JsonObject section)
        {
            return new T();
        }

        try
        {
            return section.Deserialize<T>(Json) ?? new T();
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"host.json extensions.{name} is not valid: {e.Message}", e);
        }
    }
}
