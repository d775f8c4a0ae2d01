using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Collection.Domain.Codes;

/// <summary>One code of a glossary table: the English kebab-case code, the Chinese label users see, and
/// further Chinese spellings that files from people may contain instead.</summary>
public sealed record CodeEntry<T>(T Value, string Code, string Label, IReadOnlyList<string> Aliases)
    where T : struct, Enum;

/// <summary>
/// A glossary table (glossary.md): parses a code or any of its Chinese labels, and names a value by
/// code or label. Parsing ignores case, white space and full-width/half-width differences in
/// brackets, so "城乡居民（非在校）" and "城乡居民 (非在校)" are the same label.
/// </summary>
public sealed class CodeBook<T>
    where T : struct, Enum
{
    private readonly CodeEntry<T>[] _byValue;
    private readonly FrozenDictionary<string, T> _byText;

    public CodeBook(string name, params CodeEntry<T>[] entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        Name = name;
        Entries = entries;
        var values = Enum.GetValues<T>();
        _byValue = new CodeEntry<T>[values.Length];
        var byText = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var entry in entries)
        {
            _byValue[Convert.ToInt32(entry.Value, System.Globalization.CultureInfo.InvariantCulture)] = entry;
            foreach (var text in entry.Aliases.Append(entry.Code).Append(entry.Label))
            {
                var key = Normalise(text);
                if (byText.TryGetValue(key, out var existing) && !existing.Equals(entry.Value))
                {
                    throw new InvalidOperationException($"{name}: '{text}' names both {existing} and {entry.Value}.");
                }

                byText[key] = entry.Value;
            }
        }

        if (Array.Exists(_byValue, e => e is null))
        {
            throw new InvalidOperationException($"{name}: every value of {typeof(T).Name} needs a code.");
        }

        _byText = byText.ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>What the table is called in error messages (e.g. "subsidy identity").</summary>
    public string Name { get; }

    public IReadOnlyList<CodeEntry<T>> Entries { get; }

    public IEnumerable<string> Codes => Entries.Select(e => e.Code);

    public string Code(T value) => _byValue[Index(value)].Code;

    public string Label(T value) => _byValue[Index(value)].Label;

    /// <summary>Accepts the code or any Chinese label of the value.</summary>
    public bool TryParse([NotNullWhen(true)] string? text, out T value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        // Codes as sent by the API are already in their normal form: no rebuild needed.
        if (_byText.TryGetValue(text, out value))
        {
            return true;
        }

        return _byText.TryGetValue(Normalise(text), out value);
    }

    public T Parse(string text) =>
        TryParse(text, out var value) ? value : throw new FormatException($"'{text}' is not a {Name} (codes: {string.Join(", ", Codes)}).");

    private static int Index(T value) => Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture);

    internal static string Normalise(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            switch (c)
            {
                case '（': builder.Append('('); break;
                case '）': builder.Append(')'); break;
                case '“' or '”' or '＂': builder.Append('"'); break;
                case '，': builder.Append(','); break;
                case '－' or '—' or '_': builder.Append('-'); break;
                case >= '！' and <= '～':
                    // Full-width ASCII (Ａ, １) to its half-width form.
                    builder.Append(char.ToLowerInvariant((char)(c - 0xFEE0)));
                    break;
                default:
                    if (!char.IsWhiteSpace(c))
                    {
                        builder.Append(char.ToLowerInvariant(c));
                    }

                    break;
            }
        }

        return builder.ToString();
    }
}
