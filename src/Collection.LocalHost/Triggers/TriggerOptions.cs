using System.Text.Json;
using System.Text.Json.Nodes;
using Collection.LocalHost.Settings;

namespace Collection.LocalHost.Triggers;

/// <summary>
/// Reads the trigger options from host.json (with the app settings' <c>AzureFunctionsJobHost__…</c>
/// overrides already applied by <see cref="ScriptRoot"/>) and the app settings, as the Functions host does.
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

/// <summary>host.json <c>extensions.queues</c>.</summary>
internal sealed class QueueTriggerOptions
{
    /// <summary>Tries before a message moves to <c>&lt;queue&gt;-poison</c>.</summary>
    public int MaxDequeueCount { get; set; } = 5;

    /// <summary>Messages fetched and run in parallel per poll (1–32, the queue service's maximum).</summary>
    public int BatchSize { get; set; } = 16;

    /// <summary>Idle polling backs off exponentially from <see cref="MinPollingInterval"/> up to this.</summary>
    public TimeSpan MaxPollingInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Not in the Functions schema: the first idle delay.</summary>
    public TimeSpan MinPollingInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How long a received message stays invisible to other consumers; renewed at half of it while the
    /// function runs. (In Functions this setting is the retry delay and the receive lease is a fixed
    /// 10 minutes; here a failed message is released at once, which is Functions' default retry delay of 0.)
    /// </summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>host.json <c>extensions.blobs</c>.</summary>
internal sealed class BlobTriggerOptions
{
    /// <summary>The longest detection latency the host promises; <see cref="PollingInterval"/> may not exceed it.</summary>
    public static readonly TimeSpan MaxDetectionLatency = TimeSpan.FromSeconds(10);

    /// <summary>Tries of one (blob, ETag) before it is recorded as poison.</summary>
    public int MaxDequeueCount { get; set; } = 5;

    /// <summary>Time between scans of the watched containers (at most 10 s).</summary>
    public TimeSpan PollingInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Blobs run in parallel per scan.</summary>
    public int MaxDegreeOfParallelism { get; set; } = 4;

    /// <summary>A claim on a blob not renewed for this long is taken to be from a crashed host and may be taken over.</summary>
    public TimeSpan LeaseTime { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>Timer settings: the zone schedules are read in (<c>WEBSITE_TIME_ZONE</c>, default China time).</summary>
internal sealed class TimerTriggerOptions
{
    public const string TimeZoneSetting = "WEBSITE_TIME_ZONE";
    public const string DefaultTimeZone = "Asia/Shanghai";

    public string TimeZone { get; set; } = DefaultTimeZone;

    /// <summary>How often a host that lost the race for a timer's lease looks again.</summary>
    public TimeSpan LeaseRetryInterval { get; set; } = TimeSpan.FromSeconds(1);
}
