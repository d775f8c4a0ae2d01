using System.Text.RegularExpressions;
using Collection.Runtime.Blobs;
using Collection.Runtime.Functions;
using Collection.Runtime.Timers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Collection.Runtime.Hosting;

/// <summary>
/// Trigger arguments with their <c>%Name%</c> placeholders resolved from configuration, as in Azure
/// Functions. Resolved once, at start-up; an unknown setting or an unreadable path or schedule stops
/// the host with an error naming the function.
/// </summary>
public sealed partial class FunctionBindings
{
    private readonly Lazy<IReadOnlyDictionary<string, string>> _resolved;
    private readonly FunctionCatalog _catalog;

    public FunctionBindings(FunctionCatalog catalog, IConfiguration configuration, IOptions<TimerTriggerOptions> timerOptions)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(timerOptions);
        _catalog = catalog;
        _resolved = new Lazy<IReadOnlyDictionary<string, string>>(() => ResolveAll(catalog, configuration, timerOptions.Value));
    }

    /// <summary>The binding of <paramref name="function"/> with placeholders replaced.</summary>
    public string Resolve(FunctionDescriptor function)
    {
        ArgumentNullException.ThrowIfNull(function);
        return _resolved.Value.TryGetValue(function.Name, out var binding) ? binding : function.Binding;
    }

    /// <summary>Functions of one trigger kind, each with its resolved binding.</summary>
    public IEnumerable<(FunctionDescriptor Function, string Binding)> OfKind(TriggerKind kind) =>
        _catalog.Functions.Where(f => f.Trigger == kind).Select(f => (f, Resolve(f)));

    /// <summary>Resolves <c>%Name%</c> in <paramref name="binding"/>; throws naming the function and the setting.</summary>
    public static string ResolvePlaceholders(string functionName, string binding, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(binding);
        ArgumentNullException.ThrowIfNull(configuration);
        return Placeholder().Replace(binding, match =>
        {
            var setting = match.Groups["setting"].Value;
            return configuration[setting] is { Length: > 0 } value
                ? value
                : throw new InvalidOperationException(
                    $"Function '{functionName}': app setting '{setting}' used in its trigger argument '{binding}' is not defined. " +
                    $"Add it to local.settings.json \"Values\" or to the environment.");
        });
    }

    private static Dictionary<string, string> ResolveAll(FunctionCatalog catalog, IConfiguration configuration, TimerTriggerOptions timerOptions)
    {
        var errors = new List<string>();
        var resolved = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var function in catalog.Functions)
        {
            try
            {
                var binding = ResolvePlaceholders(function.Name, function.Binding, configuration);
                switch (function.Trigger)
                {
                    case TriggerKind.Blob:
                        BlobPath.Parse(function.Name, binding);
                        break;
                    case TriggerKind.Queue:
                        QueueNames.Validate(function.Name, binding);
                        break;
                    case TriggerKind.Timer:
                        TimerSchedule.Parse(function.Name, binding, timerOptions.TimeZone);
                        break;
                }

                resolved[function.Name] = binding;
            }
            catch (InvalidOperationException e)
            {
                errors.Add(e.Message);
            }
        }

        return errors.Count == 0
            ? resolved
            : throw new InvalidOperationException("The function table cannot start:" + Environment.NewLine + string.Join(Environment.NewLine, errors));
    }

    [GeneratedRegex("%(?<setting>[^%]+)%")]
    private static partial Regex Placeholder();
}

/// <summary>Resolves every binding when the host starts, so a missing setting stops start-up rather than a listener.</summary>
internal sealed class FunctionBindingsValidator(FunctionBindings bindings, FunctionCatalog catalog) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var function in catalog.Functions)
        {
            bindings.Resolve(function);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Queue name rules of Azure Storage, checked at start-up rather than on first poll.</summary>
internal static partial class QueueNames
{
    public static void Validate(string functionName, string queueName)
    {
        // The poison queue adds 7 characters and must stay within 63.
        if (!ValidName().IsMatch(queueName) || queueName.Length > 56 || queueName.Contains("--", StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"Function '{functionName}': queue name '{queueName}' is not valid (3–56 lower-case letters, digits and single hyphens).");
        }
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")]
    private static partial Regex ValidName();
}
