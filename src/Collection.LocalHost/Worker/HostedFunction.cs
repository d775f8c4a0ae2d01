using System.Text.Json.Nodes;

namespace Collection.LocalHost.Worker;

/// <summary>One binding of a function as the worker declared it (a <c>functions.metadata</c> binding).</summary>
internal sealed record FunctionBinding(string Name, string Type, string Direction, JsonObject Raw)
{
    public bool IsTrigger => Type.EndsWith("Trigger", StringComparison.OrdinalIgnoreCase);

    /// <summary>A string property of the binding (<c>route</c>, <c>path</c>, <c>schedule</c>…), null when absent.</summary>
    public string? Property(string name) =>
        Raw.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Value is JsonValue value
            ? value.ToString()
            : null;

    public IReadOnlyList<string> Strings(string name) =>
        Raw.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Value is JsonArray items
            ? items.Select(i => i?.ToString() ?? string.Empty).ToList()
            : [];
}

/// <summary>A function the worker loaded: its name, the id the worker gave it, and its bindings.</summary>
internal sealed record HostedFunction(string Name, string Id, IReadOnlyList<FunctionBinding> Bindings)
{
    public FunctionBinding Trigger => Bindings.First(b => b.IsTrigger);

    public bool Has(string bindingType) =>
        Bindings.Any(b => string.Equals(b.Type, bindingType, StringComparison.OrdinalIgnoreCase));
}
