using System.Text;
using System.Text.RegularExpressions;

namespace Collection.LocalHost.Triggers;

/// <summary>
/// A blob trigger path as in Azure Functions: <c>container/literal/{part}/{name}</c>. Each <c>{part}</c>
/// matches one or more characters (the last one may span folders); the values land in
/// <c>BlobTrigger.PathValues</c>.
/// </summary>
internal sealed class BlobPath
{
    private readonly Regex _pattern;

    private BlobPath(string container, string prefix, Regex pattern)
    {
        Container = container;
        Prefix = prefix;
        _pattern = pattern;
    }

    public string Container { get; }

    /// <summary>The literal start of the blob name, used to list only what can match.</summary>
    public string Prefix { get; }

    public static BlobPath Parse(string functionName, string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var slash = path.IndexOf('/', StringComparison.Ordinal);
        var container = slash < 0 ? path : path[..slash];
        var blobPattern = slash < 0 ? "{name}" : path[(slash + 1)..];
        if (!Regex.IsMatch(container, "^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$", RegexOptions.None, TimeSpan.FromSeconds(1)))
        {
            throw new InvalidOperationException(
                $"Function '{functionName}': blob path '{path}' must start with a container name (3–63 lower-case letters, digits and single hyphens).");
        }

        var regex = new StringBuilder("^");
        var names = new HashSet<string>(StringComparer.Ordinal);
        var position = 0;
        var prefixEnd = -1;
        foreach (Match match in Regex.Matches(blobPattern, @"\{(?<part>[A-Za-z_][A-Za-z0-9_]*)\}", RegexOptions.None, TimeSpan.FromSeconds(1)))
        {
            prefixEnd = prefixEnd < 0 ? match.Index : prefixEnd;
            regex.Append(Regex.Escape(blobPattern[position..match.Index]));
            var part = match.Groups["part"].Value;
            if (!names.Add(part))
            {
                throw new InvalidOperationException($"Function '{functionName}': blob path '{path}' names {{{part}}} twice.");
            }

            var last = match.Index + match.Length == blobPattern.Length;
            regex.Append("(?<").Append(part).Append('>').Append(last ? ".+" : "[^/]+?").Append(')');
            position = match.Index + match.Length;
        }

        if (blobPattern.Contains('{', StringComparison.Ordinal) && names.Count == 0)
        {
            throw new InvalidOperationException($"Function '{functionName}': blob path '{path}' has an unreadable {{part}}.");
        }

        regex.Append(Regex.Escape(blobPattern[position..])).Append('$');
        var prefix = prefixEnd < 0 ? blobPattern : blobPattern[..prefixEnd];
        return new BlobPath(container, prefix, new Regex(regex.ToString(), RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)));
    }

    /// <summary>True when <paramref name="blobName"/> matches; <paramref name="values"/> holds its path parts.</summary>
    public bool TryMatch(string blobName, out IReadOnlyDictionary<string, string> values)
    {
        var match = _pattern.Match(blobName);
        if (!match.Success)
        {
            values = new Dictionary<string, string>();
            return false;
        }

        values = _pattern.GetGroupNames()
            .Where(name => !int.TryParse(name, out _))
            .ToDictionary(name => name, name => match.Groups[name].Value, StringComparer.Ordinal);
        return true;
    }
}
