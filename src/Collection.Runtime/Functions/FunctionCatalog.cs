using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Collection.Runtime.Functions;

/// <summary>The kinds of trigger a function can have, as in Azure Functions.</summary>
public enum TriggerKind
{
    Http,
    Blob,
    Queue,
    Timer,
    Workflow,
    Activity,
}

/// <summary>
/// One function of the app: what a function.json says in Azure Functions. <paramref name="Binding"/>
/// is the trigger argument as written (route, blob path, queue name, schedule), before <c>%Name%</c>
/// placeholders are resolved.
/// </summary>
public sealed record FunctionDescriptor(string Name, TriggerKind Trigger, string Binding, Type Implementation);

/// <summary>
/// The one list of every function in the app. The app fills it in one place; the runtime starts a
/// listener per entry and shows the list at <c>GET /admin/functions</c>.
/// </summary>
public sealed class FunctionCatalog
{
    private readonly List<FunctionDescriptor> _functions = [];
    private readonly List<Action<IEndpointRouteBuilder>> _httpMaps = [];
    private readonly List<Action<IServiceCollection>> _services = [];

    public IReadOnlyList<FunctionDescriptor> Functions => _functions;

    internal IReadOnlyList<Action<IEndpointRouteBuilder>> HttpMaps => _httpMaps;

    internal IReadOnlyList<Action<IServiceCollection>> ServiceRegistrations => _services;

    /// <summary>An HTTP API area: its endpoints are mapped under <c>/api</c> by <typeparamref name="TApi"/>.</summary>
    public FunctionCatalog Http<TApi>(string name, string routePrefix)
        where TApi : IHttpFunction
    {
        Add(new FunctionDescriptor(name, TriggerKind.Http, routePrefix, typeof(TApi)));
        _httpMaps.Add(TApi.Map);
        return this;
    }

    /// <summary>A blob trigger on <paramref name="path"/> (<c>container/{name}</c>, <c>%Setting%</c> allowed).</summary>
    public FunctionCatalog Blob<TFunction>(string name, string path)
        where TFunction : class, IBlobFunction
        => AddWithService<TFunction>(new FunctionDescriptor(name, TriggerKind.Blob, path, typeof(TFunction)));

    /// <summary>A queue trigger on <paramref name="queueName"/> (<c>%Setting%</c> allowed).</summary>
    public FunctionCatalog Queue<TFunction>(string name, string queueName)
        where TFunction : class, IQueueFunction
        => AddWithService<TFunction>(new FunctionDescriptor(name, TriggerKind.Queue, queueName, typeof(TFunction)));

    /// <summary>A timer trigger on a six-field NCrontab <paramref name="schedule"/> in the host's time zone.</summary>
    public FunctionCatalog Timer<TFunction>(string name, string schedule)
        where TFunction : class, ITimerFunction
        => AddWithService<TFunction>(new FunctionDescriptor(name, TriggerKind.Timer, schedule, typeof(TFunction)));

    /// <summary>Adds a function of any kind; extensions (durable workflows) use it with their own services.</summary>
    public FunctionCatalog Add(FunctionDescriptor function, Action<IServiceCollection>? services = null)
    {
        ArgumentNullException.ThrowIfNull(function);
        if (_functions.Exists(f => string.Equals(f.Name, function.Name, StringComparison.OrdinalIgnoreCase)))
        {
            throw new InvalidOperationException($"Function '{function.Name}' is listed twice.");
        }

        _functions.Add(function);
        if (services is not null)
        {
            _services.Add(services);
        }

        return this;
    }

    public FunctionDescriptor? Find(string name) =>
        _functions.Find(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase));

    private FunctionCatalog AddWithService<TFunction>(FunctionDescriptor function)
        where TFunction : class
        => Add(function, services => services.AddScoped<TFunction>());
}
