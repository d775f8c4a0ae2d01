using System.Globalization;
using Collection.Functions.Assessments;

namespace Collection.Functions.Policies;

/// <summary>
/// The longest text each free-text field may hold, checked where a request comes in so that an
/// oversized value is a 400 naming the field and its limit rather than a 500 from table storage (an
/// entity property holds at most 32 K characters) or a refund case stuck on a state it cannot save.
/// Limits are in characters; generous for real values (the longest names in the household register,
/// minority names transliterated with 中间点, are about 30 characters).
/// </summary>
public static class TextLimits
{
    public const int Name = 50;
    public const int Phone = 20;
    public const int Address = 200;
    public const int Town = 50;
    public const int Source = 100;
    public const int Relation = 20;
    public const int TransactionId = 64;
    public const int TransactionIds = 20;
    public const int Note = 1000;
    public const int Comment = 1000;

    /// <summary>Other short cells of uploaded files (学号, 年级, 班级).</summary>
    public const int Cell = 100;

    public const string TooLongCode = "text-too-long";
    public const string ControlCharactersCode = "control-characters";
    public const string TooManyCode = "too-many-values";

    /// <summary>
    /// Null when <paramref name="text"/> fits; otherwise why not. Single-line fields (names, phones,
    /// codes) refuse every control character; multi-line ones (notes, comments) allow line breaks and tabs only.
    /// </summary>
    public static RequestError? Check(string field, string? text, int limit, bool multiLine = false)
    {
        if (text is null)
        {
            return null;
        }

        if (text.Length > limit)
        {
            return OverLimit(TooLongCode, "Text too long.", field, limit,
                string.Create(CultureInfo.InvariantCulture, $"{field} has {text.Length} characters; the limit is {limit}."),
                string.Create(CultureInfo.InvariantCulture, $"{field} 过长：{text.Length} 个字符，最多 {limit} 个"));
        }

        foreach (var c in text)
        {
            if (IsRefused(c, multiLine))
            {
                return new RequestError(StatusCodes.Status400BadRequest, ControlCharactersCode, "Control characters not allowed.",
                    string.Create(CultureInfo.InvariantCulture, $"{field} contains the control character U+{(int)c:X4}."), field)
                {
                    Extensions = new Dictionary<string, object?> { ["detailZh"] = $"{field} 含有控制字符（如换行、NUL、ESC），请删除后重试" },
                };
            }
        }

        return null;
    }

    /// <summary>At most <paramref name="limit"/> values, each checked as <see cref="Check"/>.</summary>
    public static RequestError? CheckEach(string field, IReadOnlyList<string?>? values, int count, int limit)
    {
        if (values is null)
        {
            return null;
        }

        if (values.Count > count)
        {
            return OverLimit(TooManyCode, "Too many values.", field, count,
                string.Create(CultureInfo.InvariantCulture, $"{field} has {values.Count} values; the limit is {count}."),
                string.Create(CultureInfo.InvariantCulture, $"{field} 最多 {count} 项，提交了 {values.Count} 项"));
        }

        for (var i = 0; i < values.Count; i++)
        {
            if (Check(string.Create(CultureInfo.InvariantCulture, $"{field}[{i}]"), values[i], limit) is { } error)
            {
                return error;
            }
        }

        return null;
    }

    /// <summary>The first problem among several fields, or null.</summary>
    public static RequestError? First(params ReadOnlySpan<RequestError?> errors)
    {
        foreach (var error in errors)
        {
            if (error is not null)
            {
                return error;
            }
        }

        return null;
    }

    private static RequestError OverLimit(string code, string title, string field, int limit, string detail, string detailZh) =>
        new(StatusCodes.Status400BadRequest, code, title, detail, field)
        {
            Extensions = new Dictionary<string, object?> { ["limit"] = limit, ["detailZh"] = detailZh },
        };

    private static bool IsRefused(char c, bool multiLine) =>
        (char.IsControl(c) && !(multiLine && c is '\n' or '\r' or '\t'))
        || c is '\u2028' or '\u2029' or '\u200E' or '\u200F' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');
}
