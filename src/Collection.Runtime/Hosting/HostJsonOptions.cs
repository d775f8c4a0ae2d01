using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace Collection.Runtime.Hosting;

/// <summary>
/// host.json, as in Azure Functions (a subset of its schema). The file is read at start-up from the
/// content root, else the current directory, into the configuration section
/// <c>AzureFunctionsJobHost</c> (so <c>AzureFunctionsJobHost__extensions__queues__batchSize</c> in the
/// environment overrides it, as in Functions); <c>logging.logLevel</c> also becomes <c>Logging:LogLevel</c>.
/// <code>
/// {
///   "functionTimeout": "00:10:00",
///   "logging": { "logLevel": { "default": "Information", "Azure.Core": "Warning" } },
///   "extensions": {
///     "queues": { "maxDequeueCount": 5, "batchSize": 16, "maxPollingInterval": "00:01:00", "visibilityTimeout": "00:00:30" },
///     "blobs":  { "maxDequeueCount": 5, "pollingInterval": "00:00:05", "maxDegreeOfParallelism": 4 },
///     "http":   { "routePrefix": "api", "maxRequestBodySize": 104857600 }
///   }
/// }
/// </code>
/// </summary>
public static class HostJson
{
    public const string FileName = "host.json";
    public const string Section = "AzureFunctionsJobHost";
    public const string QueuesSection = Section + ":extensions:queues";
    public const string BlobsSection = Section + ":extensions:blobs";
    public const string HttpSection = Section + ":extensions:http";

    /// <summary>Reads host.json into configuration below the app's own json files and above nothing else.</summary>
    internal static void AddHostJson(ConfigurationManager configuration, string contentRoot)
    {
        var path = new[] { contentRoot, Directory.GetCurrentDirectory() }
            .Select(directory => Path.Combine(directory, FileName))
            .FirstOrDefault(File.Exists);
        if (path is null)
        {
            return;
        }

        Dictionary<string, string?> settings;
        try
        {
            settings = Flatten(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"{path} is not valid JSON: {e.Message}", e);
        }

        // Above appsettings*.json (host.json is where a Functions user sets logging), below the
        // environment and the command line (which override host.json in Functions too).
        var sources = configuration.Sources.ToList();
        var lastJson = sources.FindLastIndex(s => s is Microsoft.Extensions.Configuration.Json.JsonConfigurationSource);
        configuration.Sources.Clear();
        for (var i = 0; i < sources.Count; i++)
        {
            if (i == lastJson + 1)
            {
                configuration.AddInMemoryCollection(settings);
            }

            configuration.Sources.Add(sources[i]);
        }

        if (lastJson + 1 >= sources.Count)
        {
            configuration.AddInMemoryCollection(settings);
        }
    }

    internal static Dictionary<string, string?> Flatten(string json)
    {
        using var document = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        Flatten(document.RootElement, Section, settings);
        if (document.RootElement.TryGetProperty("logging", out var logging)
            && logging.TryGetProperty("logLevel", out var levels)
            && levels.ValueKind == JsonValueKind.Object)
        {
            foreach (var level in levels.EnumerateObject())
            {
                var category = string.Equals(level.Name, "default", StringComparison.OrdinalIgnoreCase) ? "Default" : level.Name;
                settings[$"Logging:LogLevel:{category}"] = level.Value.ToString();
            }
        }

        return settings;
    }

    private static void Flatten(JsonElement element, string prefix, Dictionary<string, string?> settings)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    Flatten(property.Value, $"{prefix}:{property.Name}", settings);
                }

                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray())
                {
                    Flatten(item, $"{prefix}:{index++}", settings);
                }

                break;
            case JsonValueKind.Null:
                settings[prefix] = null;
                break;
            default:
                settings[prefix] = element.ToString();
                break;
        }
    }
}

/// <summary>Host-wide settings from the root of host.json.</summary>
public sealed class FunctionHostOptions
{
    /// <summary>A run still going after this is abandoned (its token cancelled) and counted as a failure.</summary>
    public TimeSpan FunctionTimeout { get; set; } = TimeSpan.FromMinutes(30);
}

/// <summary>host.json <c>extensions.queues</c>.</summary>
public sealed class QueueTriggerOptions
{
    /// <summary>Tries before a message moves to <c>&lt;queue&gt;-poison</c>.</summary>
    public int MaxDequeueCount { get; set; } = 5;

    /// <summary>Messages fetched and run in parallel per poll (1–32, the queue service's maximum).</summary>
    public int BatchSize { get; set; } = 16;

    /// <summary>Idle polling backs off exponentially from <see cref="MinPollingInterval"/> up to this.</summary>
    public TimeSpan MaxPollingInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Not in the Functions schema: the first idle delay (tests shorten it).</summary>
    public TimeSpan MinPollingInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// How long a received message stays invisible to other consumers; renewed at half of it while the
    /// function runs. (In Functions this setting is the retry delay and the receive lease is a fixed
    /// 10 minutes; here a failed message is released at once, which is Functions' default retry delay of 0.)
    /// </summary>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>host.json <c>extensions.blobs</c>.</summary>
public sealed class BlobTriggerOptions
{
    /// <summary>The longest detection latency the runtime promises; <see cref="PollingInterval"/> may not exceed it.</summary>
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

/// <summary>host.json <c>extensions.http</c>.</summary>
public sealed class HttpHostOptions
{
    /// <summary>Prefix of every HTTP function route (<c>api</c>); empty for none.</summary>
    public string RoutePrefix { get; set; } = "api";

    /// <summary>Larger request bodies are refused with 413 (Functions' default is 100 MB).</summary>
    public long MaxRequestBodySize { get; set; } = 100L * 1024 * 1024;
}

/// <summary>Timer settings: the zone schedules are read in (<c>WEBSITE_TIME_ZONE</c>, default China time).</summary>
public sealed class TimerTriggerOptions
{
    public const string TimeZoneSetting = "WEBSITE_TIME_ZONE";
    public const string DefaultTimeZone = "Asia/Shanghai";

    public string TimeZone { get; set; } = DefaultTimeZone;

    /// <summary>How often a host that lost the race for a timer's lease looks again.</summary>
    public TimeSpan LeaseRetryInterval { get; set; } = TimeSpan.FromSeconds(1);
}
