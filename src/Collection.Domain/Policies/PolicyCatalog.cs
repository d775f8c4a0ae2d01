using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;

namespace Collection.Domain.Policies;

/// <summary>Every policy the app knows, by code. Built from file texts; each file must be named after its code.</summary>
public sealed class PolicyCatalog
{
    private readonly FrozenDictionary<string, Policy> _byCode;

    private PolicyCatalog(IEnumerable<Policy> policies)
    {
        Policies = policies.OrderBy(p => p.Code, StringComparer.Ordinal).ToArray();
        _byCode = Policies.ToFrozenDictionary(p => p.Code, StringComparer.OrdinalIgnoreCase);
    }

    public IReadOnlyList<Policy> Policies { get; }

    /// <summary>Reads and validates every file; the first bad file throws <see cref="PolicyValidationException"/>.</summary>
    public static PolicyCatalog Read(IEnumerable<(string File, string Json)> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var policies = new Dictionary<string, Policy>(StringComparer.OrdinalIgnoreCase);
        foreach (var (file, json) in files)
        {
            var policy = PolicyReader.Read(json, file);
            var expected = policy.Code + ".json";
            // The name after the last separator, without System.IO: the domain reads no files, it is given them.
            if (!string.Equals(file[(file.LastIndexOfAny(['/', '\\']) + 1)..], expected, StringComparison.Ordinal))
            {
                throw new PolicyValidationException(file, "code", $"the file of policy '{policy.Code}' must be named '{expected}'");
            }

            if (!policies.TryAdd(policy.Code, policy))
            {
                throw new PolicyValidationException(file, "code", $"policy '{policy.Code}' is defined twice");
            }
        }

        return new PolicyCatalog(policies.Values);
    }

    public bool TryGet([NotNullWhen(true)] string? code, [NotNullWhen(true)] out Policy? policy)
    {
        policy = null;
        return code is not null && _byCode.TryGetValue(code, out policy);
    }
}
