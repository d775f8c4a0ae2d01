
namespace Collection.Functions.Policies;

/// <summary>
/// RFC 9457 problem details with a stable <c>code</c>, the request <c>field</c> when there is one, and
/// <c>detailZh</c>: the Chinese for the code (<see cref="ProblemText"/>) unless the caller gave a more precise one.
/// </summary>
internal static class Problems
{
    public static IResult Problem(int status, string code, string title, string detail, string? field = null, IReadOnlyDictionary<string, object?>? more = null)
    {
        var extensions = new Dictionary<string, object?> { ["code"] = code };
        if (field is not null)
        {
            extensions["field"] = field;
        }

        foreach (var (name, value) in more ?? new Dictionary<string, object?>())
        {
            extensions[name] = value;
        }

        extensions.TryAdd("detailZh", ProblemText.Chinese(code));

        return Results.Problem(detail: detail, statusCode: status, title: title, type: $"https://collection.local/problems/{code}", extensions: extensions);
    }

    public static IResult UnknownPolicy(string? code, int status) =>
        Problem(status, "unknown-policy", "Unknown policy.", $"There is no policy '{code}'. GET /api/policies lists them.", "policy");
}
