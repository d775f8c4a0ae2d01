using System.Globalization;

namespace Collection.Functions.Hosting;

/// <summary>Query-string values of an HTTP function, with a coded 400 when a number or flag is not one.</summary>
public static class Query
{
    public static string? Text(HttpRequest request, string name)
    {
        ArgumentNullException.ThrowIfNull(request);
        var value = request.Query[name];
        return value.Count == 0 ? null : value[0];
    }

    /// <summary>An optional whole number; <paramref name="problem"/> says so when the value is not one.</summary>
    public static bool TryInt(HttpRequest request, string name, out int? value, out IResult? problem)
    {
        value = null;
        problem = null;
        if (Text(request, name) is not { Length: > 0 } text)
        {
            return true;
        }

        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number))
        {
            value = number;
            return true;
        }

        problem = Bad(name, "a whole number", "整数");
        return false;
    }

    /// <summary>An optional true/false; <paramref name="problem"/> says so when the value is neither.</summary>
    public static bool TryBool(HttpRequest request, string name, out bool? value, out IResult? problem)
    {
        value = null;
        problem = null;
        if (Text(request, name) is not { Length: > 0 } text)
        {
            return true;
        }

        if (bool.TryParse(text, out var flag))
        {
            value = flag;
            return true;
        }

        problem = Bad(name, "true or false", "true 或 false");
        return false;
    }

    private static IResult Bad(string name, string kind, string kindZh) =>
        Policies.Problems.Problem(StatusCodes.Status400BadRequest, HttpErrors.BadRequest, "A query parameter is not valid.",
            $"'{name}' must be {kind}.", name, new Dictionary<string, object?> { ["detailZh"] = $"查询参数 {name} 必须是{kindZh}" });
}
