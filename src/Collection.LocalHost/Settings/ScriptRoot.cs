using System.Text.Json;
using System.Text.Json.Nodes;

namespace Collection.LocalHost.Settings;

/// <summary>
/// The function app as the Functions host sees it: a folder (the build or publish output) holding
/// <c>host.json</c>, <c>worker.config.json</c> and <c>functions.metadata</c>, and the developer's
/// <c>local.settings.json</c>, whose <c>Values</c> become app settings (environment of the worker and
/// configuration of the host), as Core Tools does.
/// </summary>
internal sealed class ScriptRoot
{
    // The object of local.settings.json that holds the app settings.
    private const string ValuesKey = "Values";
    private static readonly JsonDocumentOptions Lenient = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };

    private ScriptRoot(string directory, JsonObject hostJson, IReadOnlyDictionary<string, string> values, string workerExecutable, string workerPath, IReadOnlyList<Worker.HostedFunction> functions)
    {
        Functions = functions;
        Directory = directory;
        HostJson = hostJson;
        Values = values;
        WorkerExecutable = workerExecutable;
        WorkerPath = workerPath;
    }

    /// <summary>The app folder (<c>FUNCTIONS_APPLICATION_DIRECTORY</c> of the worker).</summary>
    public string Directory { get; }

    public JsonObject HostJson { get; }

    /// <summary>
    /// The functions as the build wrote them (<c>functions.metadata</c>), known before the worker runs; ids
    /// are the worker's and come with its own metadata (<see cref="Worker.WorkerState"/>).
    /// </summary>
    public IReadOnlyList<Worker.HostedFunction> Functions { get; }

    /// <summary>App settings: <c>local.settings.json</c> <c>Values</c>, overridden by the environment.</summary>
    public IReadOnlyDictionary<string, string> Values { get; }

    /// <summary>What starts the worker (<c>worker.config.json</c> <c>defaultExecutablePath</c>, e.g. <c>dotnet</c>).</summary>
    public string WorkerExecutable { get; }

    /// <summary>The worker assembly, absolute.</summary>
    public string WorkerPath { get; }

    /// <summary>host.json <c>extensions.http.routePrefix</c> (default <c>api</c>; empty allowed).</summary>
    public string RoutePrefix =>
        HostJson["extensions"]?["http"]?["routePrefix"]?.GetValue<string>() ?? "api";

    /// <summary>host.json <c>functionTimeout</c> (default 30 minutes, as on a dedicated plan).</summary>
    public TimeSpan FunctionTimeout =>
        HostJson["functionTimeout"]?.GetValue<string>() is { } text ? TimeSpan.Parse(text, System.Globalization.CultureInfo.InvariantCulture) : TimeSpan.FromMinutes(30);

    /// <summary>
    /// Reads the app folder. <paramref name="settingsPath"/> is <c>local.settings.json</c> (default: in the app
    /// folder, where the build copies it); a missing file means no settings, as with Core Tools.
    /// </summary>
    public static ScriptRoot Load(string directory, string? settingsPath = null)
    {
        directory = Path.GetFullPath(directory);
        var workerConfigPath = Path.Combine(directory, "worker.config.json");
        if (!File.Exists(workerConfigPath))
        {
            throw new InvalidOperationException(
                $"'{directory}' is not a function app folder: worker.config.json is missing. Build the app first (dotnet build).");
        }

        var workerConfig = ReadObject(workerConfigPath);
        var description = workerConfig["description"] ?? throw new InvalidOperationException("worker.config.json has no 'description'.");
        var executable = description["defaultExecutablePath"]?.GetValue<string>() ?? "dotnet";
        var workerPath = description["defaultWorkerPath"]?.GetValue<string>()
            ?? throw new InvalidOperationException("worker.config.json names no 'defaultWorkerPath'.");
        var hostJsonPath = Path.Combine(directory, "host.json");
        var hostJson = File.Exists(hostJsonPath) ? ReadObject(hostJsonPath) : [];

        settingsPath ??= Path.Combine(directory, "local.settings.json");
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (File.Exists(settingsPath) && ReadObject(settingsPath)[ValuesKey] is JsonObject settings)
        {
            foreach (var (name, value) in settings)
            {
                values[name] = value?.ToString() ?? string.Empty;
            }
        }

        // The environment wins over the file, as in Core Tools (CI and tests set values that way).
        foreach (var name in values.Keys.ToList())
        {
            if (Environment.GetEnvironmentVariable(name.Replace(":", "__", StringComparison.Ordinal)) is { } fromEnvironment)
            {
                values[name] = fromEnvironment;
            }
        }

        ApplyHostJsonOverrides(hostJson, values.Concat(EnvironmentSettings()));
        var metadataPath = Path.Combine(directory, "functions.metadata");
        var functions = File.Exists(metadataPath) && JsonNode.Parse(File.ReadAllText(metadataPath), documentOptions: Lenient) is JsonArray declared
            ? declared.OfType<JsonObject>().Select(ReadFunction).ToList()
            : [];
        return new ScriptRoot(directory, hostJson, values, executable, Path.Combine(directory, workerPath), functions);
    }

    /// <summary>An app setting, the environment first (so a setting absent from the file can still be given).</summary>
    public string? Setting(string name) =>
        Environment.GetEnvironmentVariable(name.Replace(":", "__", StringComparison.Ordinal))
        ?? (Values.TryGetValue(name, out var value) ? value : null);

    /// <summary>True when the app setting <c>AzureWebJobs.{name}.Disabled</c> is <c>true</c> or <c>1</c>, as in Azure Functions.</summary>
    public bool IsDisabled(string function) =>
        Setting($"AzureWebJobs.{function}.Disabled")?.Trim() is { } value
        && (value == "1" || string.Equals(value, "true", StringComparison.OrdinalIgnoreCase));

    /// <summary>Resolves <c>%Name%</c> placeholders in a trigger argument from the app settings.</summary>
    public string Resolve(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!text.Contains('%', StringComparison.Ordinal))
        {
            return text;
        }

        var parts = text.Split('%');
        if (parts.Length % 2 == 0)
        {
            throw new InvalidOperationException($"Unbalanced '%' in '{text}'.");
        }

        for (var i = 1; i < parts.Length; i += 2)
        {
            parts[i] = Setting(parts[i]) ?? throw new InvalidOperationException($"App setting '{parts[i]}' (used in '{text}') is not set.");
        }

        return string.Concat(parts);
    }

    /// <summary>
    /// App settings named <c>AzureFunctionsJobHost__path__to__setting</c> override host.json, as in Azure
    /// Functions (e.g. <c>AzureFunctionsJobHost__extensions__durableTask__hubName</c>); the value is a string.
    /// </summary>
    private static void ApplyHostJsonOverrides(JsonObject hostJson, IEnumerable<KeyValuePair<string, string>> settings)
    {
        const string Prefix = "AzureFunctionsJobHost__";
        foreach (var (name, value) in settings.Where(s => s.Key.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase)))
        {
            var path = name[Prefix.Length..].Split("__", StringSplitOptions.RemoveEmptyEntries);
            var node = hostJson;
            foreach (var part in path[..^1])
            {
                var existing = node.FirstOrDefault(p => string.Equals(p.Key, part, StringComparison.OrdinalIgnoreCase));
                if (existing.Value is JsonObject child)
                {
                    node = child;
                    continue;
                }

                var created = new JsonObject();
                node[existing.Key ?? part] = created;
                node = created;
            }

            var leaf = node.FirstOrDefault(p => string.Equals(p.Key, path[^1], StringComparison.OrdinalIgnoreCase)).Key ?? path[^1];
            node[leaf] = value;
        }
    }

    private static IEnumerable<KeyValuePair<string, string>> EnvironmentSettings() =>
        Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>()
            .Select(e => KeyValuePair.Create((string)e.Key, e.Value?.ToString() ?? string.Empty));

    private static Worker.HostedFunction ReadFunction(JsonObject function) =>
        new(
            function["name"]?.ToString() ?? throw new InvalidOperationException("functions.metadata has a function without a name."),
            string.Empty,
            (function["bindings"] as JsonArray ?? []).OfType<JsonObject>()
                .Select(b => new Worker.FunctionBinding(b["name"]?.ToString() ?? "$return", b["type"]?.ToString() ?? string.Empty, b["direction"]?.ToString() ?? "in", b))
                .ToList());

    private static JsonObject ReadObject(string path) =>
        JsonNode.Parse(File.ReadAllText(path), documentOptions: Lenient) as JsonObject
        ?? throw new InvalidOperationException($"{path} is not a JSON object.");
}
