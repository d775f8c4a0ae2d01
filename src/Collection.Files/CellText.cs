using System.Globalization;
using System.Text;

namespace Collection.Files;

/// <summary>The result of reading a cell as a typed value: blank, a value, or a coded problem.</summary>
public readonly record struct CellValue<T>(T Value, bool IsBlank, string? ErrorCode, string? ErrorMessage)
    where T : struct
{
    public bool IsValid => ErrorCode is null && !IsBlank;
}

/// <summary>Row-level codes the parsers below produce.</summary>
public static class CellErrorCodes
{
    public const string InvalidAmount = "invalid-amount";
    public const string InvalidDate = "invalid-date";
    public const string InvalidYesNo = "invalid-yes-no";
    public const string IdNumberAsNumber = "id-number-as-number";
}

/// <summary>
/// Normalisation of what people type into spreadsheets: full-width characters, odd spaces,
/// Excel's text tricks, and the many ways of writing yes/no, amounts and dates.
/// </summary>
public static class CellText
{
    private static readonly string[] DateFormats =
    [
        "yyyy-M-d", "yyyy/M/d", "yyyy.M.d", "yyyyMMdd", "yyyy年M月d日",
        "yyyy-M-d H:m", "yyyy-M-d H:m:s", "yyyy/M/d H:m", "yyyy/M/d H:m:s", "yyyy-M-dTH:m:s", "yyyyMMddHHmmss",
    ];

    public static bool IsBlank(string? cell) => string.IsNullOrEmpty(cell) || IsBlank(cell.AsSpan());

    /// <summary>
    /// Half-width, trimmed text: full-width ASCII (Ａ１，) becomes ASCII, every Unicode space
    /// (ideographic U+3000, NBSP, zero-width) around the value goes, and Excel's text wrappers
    /// (a leading apostrophe, <c>="…"</c>, a leading tab) are taken off.
    /// </summary>
    public static string Clean(string? cell)
    {
        if (string.IsNullOrEmpty(cell))
        {
            return string.Empty;
        }

        var needsWidening = false;
        foreach (var c in cell)
        {
            if (c is >= '\uFF01' and <= '\uFF5E' or '\u3000' or '\uFFE5')
            {
                needsWidening = true;
                break;
            }
        }

        var text = needsWidening ? ToHalfWidth(cell) : cell;
        var span = TrimSpaces(text.AsSpan());
        if (span.Length >= 3 && span.StartsWith("=\"") && span.EndsWith("\""))
        {
            span = TrimSpaces(span[2..^1]);
        }
        else if (span.Length > 1 && span[0] == '\'')
        {
            span = TrimSpaces(span[1..]);
        }

        return span.Length == text.Length ? text : span.ToString();
    }

    /// <summary>A resident ID number as the validator wants it: half-width, no spaces inside, check digit X upper-case.</summary>
    public static string IdNumber(string? cell)
    {
        var text = Clean(cell);
        var builder = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (!IsSpace(c) && c != '-')
            {
                builder.Append(c == 'x' ? 'X' : c);
            }
        }

        return builder.ToString();
    }

    /// <summary>Whether a cell shows an ID number that passed through a number format: 1.10101E+17 and the like.</summary>
    public static bool LooksLikeNumberInScientificNotation(string? cell)
    {
        var text = Clean(cell);
        var e = text.IndexOfAny(['E', 'e']);
        return e > 0 && e < text.Length - 1 && (text[e + 1] == '+' || char.IsAsciiDigit(text[e + 1]))
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
    }

    /// <summary>是/否, Y/N, yes/no, true/false, 1/0, 对/错, √/×.</summary>
    public static CellValue<bool> ParseYesNo(string? cell)
    {
        var text = Clean(cell);
        if (text.Length == 0)
        {
            return Blank<bool>();
        }

        switch (text.ToUpperInvariant())
        {
            case "是" or "Y" or "YES" or "TRUE" or "1" or "对" or "√":
                return Of(true);
            case "否" or "N" or "NO" or "FALSE" or "0" or "错" or "×":
                return Of(false);
            default:
                return Error<bool>(CellErrorCodes.InvalidYesNo, $"“{text}”不是有效的是/否，请填写“是”或“否”");
        }
    }

    /// <summary>An amount in yuan: 1,234.50, ¥380, 380元, RMB 380; at most two decimals (fen).</summary>
    public static CellValue<decimal> ParseAmount(string? cell)
    {
        var text = Clean(cell);
        if (text.Length == 0)
        {
            return Blank<decimal>();
        }

        var core = text.Replace("人民币", string.Empty, StringComparison.Ordinal)
            .Replace("RMB", string.Empty, StringComparison.OrdinalIgnoreCase)
            .Replace("CNY", string.Empty, StringComparison.OrdinalIgnoreCase)
            .Trim()
            .TrimStart('¥')
            .TrimEnd('元')
            .Trim();
        if (core.StartsWith("-¥", StringComparison.Ordinal))
        {
            core = "-" + core[2..];
        }

        if (!decimal.TryParse(core, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowThousands, CultureInfo.InvariantCulture, out var amount))
        {
            return Error<decimal>(CellErrorCodes.InvalidAmount, $"金额“{text}”无法识别，请填写数字，如 380 或 380.00");
        }

        if (amount != decimal.Round(amount, 2))
        {
            return Error<decimal>(CellErrorCodes.InvalidAmount, $"金额“{text}”超过两位小数（精确到分）");
        }

        return Of(amount);
    }

    /// <summary>yyyy-MM-dd, yyyy/M/d, yyyy.M.d, yyyyMMdd, yyyy年M月d日 (a time after it is ignored), or an Excel serial day number.</summary>
    public static CellValue<DateOnly> ParseDate(string? cell)
    {
        var text = Clean(cell);
        if (text.Length == 0)
        {
            return Blank<DateOnly>();
        }

        if (DateTime.TryParseExact(text, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var dateTime))
        {
            return Of(DateOnly.FromDateTime(dateTime));
        }

        // Excel serial days, as a CSV saved from a sheet whose date column lost its format shows them: 1 to 5 digits.
        if (text.Length <= 5 + 9 && double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var serial)
            && serial >= 1 && serial < 100_000 && TryFromExcelSerial(serial, date1904: false, out var fromSerial))
        {
            return Of(fromSerial);
        }

        return Error<DateOnly>(CellErrorCodes.InvalidDate, $"日期“{text}”无法识别，请按 2022-04-10 的格式填写");
    }

    /// <summary>A date as files from and for people write it: yyyy-MM-dd, whatever the culture.</summary>
    public static string IsoDate(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    /// <summary>Excel's serial day number to a date (1900 system with its fictitious 1900-02-29, or the 1904 system).</summary>
    public static bool TryFromExcelSerial(double serial, bool date1904, out DateOnly date)
    {
        date = default;
        if (double.IsNaN(serial) || serial < 0 || serial >= 2_958_466)
        {
            return false;
        }

        var days = (int)Math.Floor(serial);
        if (date1904)
        {
            date = new DateOnly(1904, 1, 1).AddDays(days);
        }
        else if (days < 1)
        {
            return false;
        }
        else
        {
            // Excel counts 1900-02-29, which never was: serial 60 is read as 02-28, later ones shift by a day.
            date = days < 61 ? new DateOnly(1899, 12, 31).AddDays(Math.Min(days, 59)) : new DateOnly(1899, 12, 30).AddDays(days);
        }

        return true;
    }

    /// <summary>A header cell reduced to what matters for matching: case, width, spaces, punctuation and brackets ignored.</summary>
    public static string HeaderKey(string? header, bool dropBracketed)
    {
        var text = Clean(header);
        var builder = new StringBuilder(text.Length);
        var depth = 0;
        foreach (var c in text)
        {
            switch (c)
            {
                case '(' or '（' or '[' or '【':
                    depth++;
                    continue;
                case ')' or '）' or ']' or '】':
                    depth = Math.Max(0, depth - 1);
                    continue;
            }

            if (dropBracketed && depth > 0)
            {
                continue;
            }

            if (char.IsLetterOrDigit(c))
            {
                builder.Append(char.ToLowerInvariant(c));
            }
        }

        return builder.ToString();
    }

    private static bool IsBlank(ReadOnlySpan<char> span)
    {
        foreach (var c in span)
        {
            if (!IsSpace(c))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsSpace(char c) => char.IsWhiteSpace(c) || c is '\u200B' or '\u200C' or '\u200D' or '\uFEFF';

    private static ReadOnlySpan<char> TrimSpaces(ReadOnlySpan<char> span)
    {
        var start = 0;
        while (start < span.Length && IsSpace(span[start]))
        {
            start++;
        }

        var end = span.Length;
        while (end > start && IsSpace(span[end - 1]))
        {
            end--;
        }

        return span[start..end];
    }

    // The parsers' results (here rather than as static members of the generic CellValue<T>, CA1000).
    private static CellValue<T> Blank<T>()
        where T : struct => new(default, true, null, null);

    private static CellValue<T> Of<T>(T value)
        where T : struct => new(value, false, null, null);

    private static CellValue<T> Error<T>(string code, string message)
        where T : struct => new(default, false, code, message);

    private static string ToHalfWidth(string text)
    {
        return string.Create(text.Length, text, static (chars, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                var c = source[i];
                chars[i] = c switch
                {
                    >= '\uFF01' and <= '\uFF5E' => (char)(c - 0xFEE0),
                    '\u3000' => ' ',
                    '\uFFE5' => '¥',
                    _ => c,
                };
            }
        });
    }
}
