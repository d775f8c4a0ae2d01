using System.Reflection;
using System.Text.Json;
using Collection.Runtime.Functions;
using Microsoft.Extensions.DependencyInjection;

namespace Collection.Runtime.Workflows;

/// <summary>Registers durable workflows and activities in the one function table.</summary>
public static class WorkflowFunctionCatalogExtensions
{
    /// <summary>
    /// A durable workflow <paramref name="name"/> at <paramref name="version"/>. New instances start on the
    /// highest registered version; running instances keep the version they started with (register old
    /// versions until their instances finish). Listed as <c>name</c> (or <c>name@version</c> beyond "1").
    /// </summary>
    public static FunctionCatalog Workflow<TDefinition>(this FunctionCatalog functions, string name, string version = "1")
        where TDefinition : class
    {
        ArgumentNullException.ThrowIfNull(functions);
        WorkflowNames.Validate(name, "workflow name");
        var stateType = typeof(TDefinition).GetInterfaces()
            .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IWorkflowDefinition<>))
            ?.GetGenericArguments()[0]
            ?? throw new ArgumentException($"{typeof(TDefinition).Name} does not implement IWorkflowDefinition<TState>.", nameof(TDefinition));
        var registration = new WorkflowRegistration(name, version, typeof(TDefinition), stateType);
        var listedName = version == "1" ? name : $"{name}@{version}";
        return functions.Add(
            new FunctionDescriptor(listedName, TriggerKind.Workflow, $"{name} v{version}", typeof(TDefinition)),
            services =>
            {
                services.AddWorkflowEngine();
                services.AddSingleton<TDefinition>();
                services.AddSingleton(registration);
            });
    }

    /// <summary>An activity <paramref name="name"/>: a class implementing <see cref="IActivity{TInput,TOutput}"/>, resolved per run.</summary>
    public static FunctionCatalog Activity<TActivity>(this FunctionCatalog functions, string name)
        where TActivity : class
    {
        ArgumentNullException.ThrowIfNull(functions);
        WorkflowNames.Validate(name, "activity name");
        var registration = ActivityRegistration.For<TActivity>(name);
        return functions.Add(
            new FunctionDescriptor(name, TriggerKind.Activity, $"{registration.InputType.Name} → {registration.OutputType.Name}", typeof(TActivity)),
            services =>
            {
                services.AddWorkflowEngine();
                services.AddScoped<TActivity>();
                services.AddSingleton(registration);
            });
    }

    /// <summary>Registers the catalog's functions (and so the workflow engine) outside a web host: worker processes, tests.</summary>
    public static FunctionCatalog AddFunctionCatalog(this IServiceCollection services, Action<FunctionCatalog> register)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(register);
        var catalog = new FunctionCatalog();
        register(catalog);
        services.AddSingleton(catalog);
        foreach (var registration in catalog.ServiceRegistrations)
        {
            registration(services);
        }

        return catalog;
    }
}

internal static class WorkflowNames
{
    /// <summary>Names and ids end up in table keys and URLs: letters, digits and <c>-_.:</c> only.</summary>
    public static bool IsValid(string? value) =>
        !string.IsNullOrEmpty(value) && value.Length <= 100 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':');

    public static void Validate(string? value, string what)
    {
        if (!IsValid(value))
        {
            throw new ArgumentException($"The {what} '{value}' is not valid: use 1–100 letters, digits or -_.: characters.");
        }
    }
}

public sealed record WorkflowRegistration(string Name, string Version, Type DefinitionType, Type StateType);

/// <summary>An activity and how to call it with JSON in and out.</summary>
public sealed class ActivityRegistration
{
    private readonly Func<IServiceProvider, JsonElement, WorkflowActivityContext, CancellationToken, Task<JsonElement>> _invoke;

    private ActivityRegistration(string name, Type activityType, Type inputType, Type outputType, Func<IServiceProvider, JsonElement, WorkflowActivityContext, CancellationToken, Task<JsonElement>> invoke)
    {
        Name = name;
        ActivityType = activityType;
        InputType = inputType;
        OutputType = outputType;
        _invoke = invoke;
    }

    public string Name { get; }

    public Type ActivityType { get; }

    public Type InputType { get; }

    public Type OutputType { get; }

    internal Task<JsonElement> InvokeAsync(IServiceProvider scope, JsonElement input, WorkflowActivityContext context, CancellationToken cancellationToken) =>
        _invoke(scope, input, context, cancellationToken);

    internal static ActivityRegistration For<TActivity>(string name)
        where TActivity : class
    {
        var contract = typeof(TActivity).GetInterfaces()
            .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IActivity<,>))
            ?? throw new ArgumentException($"{typeof(TActivity).Name} does not implement IActivity<TInput, TOutput>.", nameof(TActivity));
        var arguments = contract.GetGenericArguments();
        var method = typeof(ActivityRegistration).GetMethod(nameof(Invoker), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(typeof(TActivity), arguments[0], arguments[1]);
        var invoke = (Func<IServiceProvider, JsonElement, WorkflowActivityContext, CancellationToken, Task<JsonElement>>)method.Invoke(null, null)!;
        return new ActivityRegistration(name, typeof(TActivity), arguments[0], arguments[1], invoke);
    }

    private static Func<IServiceProvider, JsonElement, WorkflowActivityContext, CancellationToken, Task<JsonElement>> Invoker<TActivity, TInput, TOutput>()
        where TActivity : class, IActivity<TInput, TOutput> =>
        async (services, input, context, cancellationToken) =>
        {
            var activity = services.GetRequiredService<TActivity>();
            var typedInput = input.Deserialize<TInput>(WorkflowJson.Options)!;
            var output = await activity.RunAsync(typedInput, context, cancellationToken).ConfigureAwait(false);
            return WorkflowJson.ToElement(output);
        };
}

/// <summary>Runs one definition step over JSON state.</summary>
internal interface IWorkflowRunner
{
    string Name { get; }

    string Version { get; }

    (string StateJson, IReadOnlyList<WorkflowCommand> Commands) Handle(string? stateJson, WorkflowEvent workflowEvent, DateTimeOffset now);
}

internal sealed class WorkflowRunner<TState> : IWorkflowRunner
    where TState : class, new()
{
    private readonly IWorkflowDefinition<TState> _definition;

    public WorkflowRunner(string name, string version, IWorkflowDefinition<TState> definition)
    {
        Name = name;
        Version = version;
        _definition = definition;
    }

    public string Name { get; }

    public string Version { get; }

    public (string StateJson, IReadOnlyList<WorkflowCommand> Commands) Handle(string? stateJson, WorkflowEvent workflowEvent, DateTimeOffset now)
    {
        var state = string.IsNullOrEmpty(stateJson) ? new TState() : JsonSerializer.Deserialize<TState>(stateJson, WorkflowJson.Options) ?? new TState();
        var step = _definition.Handle(state, workflowEvent, now);
        return (JsonSerializer.Serialize(step.State, WorkflowJson.Options), step.Commands ?? []);
    }
}

/// <summary>Every workflow and activity this host knows, resolved once.</summary>
public sealed class WorkflowRegistry
{
    private readonly Dictionary<(string Name, string Version), IWorkflowRunner> _workflows = [];
    private readonly Dictionary<string, string> _latest = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, ActivityRegistration> _activities = new(StringComparer.OrdinalIgnoreCase);

    public WorkflowRegistry(IServiceProvider services, IEnumerable<WorkflowRegistration> workflows, IEnumerable<ActivityRegistration> activities)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(workflows);
        ArgumentNullException.ThrowIfNull(activities);
        foreach (var workflow in workflows)
        {
            var definition = services.GetRequiredService(workflow.DefinitionType);
            var runner = (IWorkflowRunner)Activator.CreateInstance(typeof(WorkflowRunner<>).MakeGenericType(workflow.StateType), workflow.Name, workflow.Version, definition)!;
            _workflows[(workflow.Name.ToUpperInvariant(), workflow.Version)] = runner;
            if (!_latest.TryGetValue(workflow.Name, out var latest) || CompareVersions(workflow.Version, latest) > 0)
            {
                _latest[workflow.Name] = workflow.Version;
            }
        }

        foreach (var activity in activities)
        {
            _activities[activity.Name] = activity;
        }
    }

    public IReadOnlyCollection<string> WorkflowNames => _latest.Keys;

    public bool HasActivity(string name) => _activities.ContainsKey(name);

    internal ActivityRegistration? FindActivity(string name) => _activities.GetValueOrDefault(name);

    /// <summary>The name as registered and the version new instances start on, or null when unknown.</summary>
    internal (string Name, string Version)? Latest(string name) =>
        _latest.TryGetValue(name, out var version) ? (_workflows[(name.ToUpperInvariant(), version)].Name, version) : null;

    internal IWorkflowRunner? Find(string name, string version) => _workflows.GetValueOrDefault((name.ToUpperInvariant(), version));

    private static int CompareVersions(string a, string b) =>
        Version.TryParse(a.Contains('.', StringComparison.Ordinal) ? a : a + ".0", out var va) && Version.TryParse(b.Contains('.', StringComparison.Ordinal) ? b : b + ".0", out var vb)
            ? va.CompareTo(vb)
            : string.CompareOrdinal(a, b);
}
