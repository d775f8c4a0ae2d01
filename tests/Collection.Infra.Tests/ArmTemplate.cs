using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Collection.Infra.Tests;

/// <summary>
/// infra/main.bicep compiled to ARM JSON, read as JSON: resources with the nested deployment (module)
/// they belong to, so a loop's array can be read from the module's parameters.
/// </summary>
internal sealed partial class ArmTemplate
{
    private static readonly Lazy<ArmTemplate> Compiled = new(Compile);

    private ArmTemplate(JsonObject root)
    {
        Root = root;
        Resources = [.. Collect(root, deployment: null)];
    }

    public static ArmTemplate Main => Compiled.Value;

    public JsonObject Root { get; }

    public IReadOnlyList<ArmResource> Resources { get; }

    /// <summary>Resources of a type that the template creates (not <c>existing</c> references, which Bicep does not emit).</summary>
    public IEnumerable<ArmResource> OfType(string type) =>
        Resources.Where(r => string.Equals(r.Type, type, StringComparison.OrdinalIgnoreCase));

    private static ArmTemplate Compile()
    {
        var result = Bicep.Run(Bicep.InfraDirectory, "build", "main.bicep", "--stdout");
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"bicep build main.bicep failed: {result}");
        }

        return new ArmTemplate(JsonNode.Parse(result.Stdout)!.AsObject());
    }

    private static IEnumerable<ArmResource> Collect(JsonObject template, ArmResource? deployment)
    {
        // Bicep emits an array, or an object keyed by symbolic name (languageVersion 2.0).
        var resources = template["resources"] switch
        {
            JsonArray array => array.Select(r => r!.AsObject()),
            JsonObject map => map.Select(p => p.Value!.AsObject()),
            _ => [],
        };
        foreach (var node in resources)
        {
            if (node["existing"]?.GetValue<bool>() == true)
            {
                continue;
            }

            var resource = new ArmResource(node, template, deployment);
            yield return resource;
            if (resource.Type == "Microsoft.Resources/deployments" && node["properties"]?["template"] is JsonObject nested)
            {
                foreach (var inner in Collect(nested, resource))
                {
                    yield return inner;
                }
            }
        }
    }

    /// <summary>The names in <c>variables('a')</c>, <c>variables('b')</c>… of an expression such as <c>[concat(variables('a'), …)]</c>.</summary>
    public static IEnumerable<string> VariableReferences(string expression) =>
        VariableReference().Matches(expression).Select(m => m.Groups["name"].Value);

    [GeneratedRegex(@"variables\('(?<name>[A-Za-z0-9_]+)'\)")]
    private static partial Regex VariableReference();
}

/// <summary>One resource of the compiled template, the template it sits in and the deployment that holds that template.</summary>
internal sealed record ArmResource(JsonObject Node, JsonObject Template, ArmResource? Deployment)
{
    public string Type => Node["type"]!.GetValue<string>();

    public JsonObject Properties => Node["properties"]?.AsObject() ?? [];

    /// <summary>The copy loop's count expression, or null when the resource is not in a loop.</summary>
    public string? CopyCount => Node["copy"]?["count"]?.GetValue<string>();

    /// <summary>
    /// A parameter of the template this resource is in: the value its deployment passes, else the
    /// parameter's default.
    /// </summary>
    public JsonNode? Parameter(string name) =>
        Deployment?.Properties["parameters"]?[name]?["value"] ?? Template["parameters"]?[name]?["defaultValue"];

    /// <summary>A variable of the template this resource is in, including a copy-loop variable's element shape.</summary>
    public JsonNode? Variable(string name)
    {
        var variables = Template["variables"]?.AsObject();
        if (variables?[name] is { } value)
        {
            return value;
        }

        return variables?["copy"]?.AsArray().FirstOrDefault(c => c!["name"]!.GetValue<string>() == name);
    }
}
