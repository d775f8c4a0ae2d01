using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace Collection.Functions.Hosting;

/// <summary>
/// Every HTTP error is RFC 9457 problem details with a stable <c>code</c>: unknown routes (404),
/// malformed JSON (400 <c>malformed-json</c>), bodies over host.json's <c>maxRequestBodySize</c>
/// (413 <c>request-too-large</c>) and unhandled errors (500, no internals shown).
/// </summary>
public static class HttpErrors
{
    public const string MalformedJson = "malformed-json";
    public const string BadRequest = "bad-request";
    public const string RequestTooLarge = "request-too-large";
    public const string NotFound = "not-found";
    public const string MethodNotAllowed = "method-not-allowed";
    public const string UnsupportedMediaType = "unsupported-media-type";
    public const string InternalError = "internal-error";

    public static string CodeFor(int status) => status switch
    {
        StatusCodes.Status400BadRequest => BadRequest,
        StatusCodes.Status404NotFound => NotFound,
        StatusCodes.Status405MethodNotAllowed => MethodNotAllowed,
        StatusCodes.Status413PayloadTooLarge => RequestTooLarge,
        StatusCodes.Status415UnsupportedMediaType => UnsupportedMediaType,
        StatusCodes.Status500InternalServerError => InternalError,
        _ => $"http-{status}",
    };

    /// <summary>The Chinese for the runtime's own codes; the app adds <c>detailZh</c> for its codes itself.</summary>
    private static readonly Dictionary<string, string> ChineseDetails = new(StringComparer.Ordinal)
    {
        [MalformedJson] = "请求内容不是有效的 JSON",
        [BadRequest] = "请求无效",
        [RequestTooLarge] = "请求内容过大",
        [NotFound] = "地址不存在",
        [MethodNotAllowed] = "该地址不支持此请求方法",
        [UnsupportedMediaType] = "请求内容类型不受支持，请使用 application/json",
        [InternalError] = "服务器内部错误，请稍后重试或联系管理员",
        ["missing-or-invalid-key"] = "缺少有效的功能密钥（x-functions-key 请求头或 code 参数）",
        ["forbidden-role"] = "您的角色无权调用此功能",
        ["invalid-token"] = "Entra ID 令牌无效、已过期或不适用于本服务，请重新登录或改用功能密钥",
    };

    /// <summary>
    /// What was wrong with a JSON body, in words a caller can act on and without .NET type names:
    /// the member (JSON path) and the kind of value it takes.
    /// </summary>
    public static string DescribeJson(JsonException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var path = exception.Path?.TrimStart('$', '.');
        var message = exception.Message;
        var at = string.IsNullOrEmpty(path) ? "the body" : $"'{path}'";
        if (message.Contains("could not be converted to", StringComparison.Ordinal))
        {
            // The type named is the member's when it is a primitive, but the whole record's when the record
            // binds through its constructor: only a primitive says what the member takes.
            var type = message[(message.IndexOf("could not be converted to", StringComparison.Ordinal) + 25)..].Split(". Path", 2)[0].Trim();
            var kind = type switch
            {
                "System.Decimal" or "System.Int32" or "System.Int64" or "System.Double" or "System.Nullable`1[System.Decimal]" or "System.Nullable`1[System.Int32]" => "must be a number",
                "System.Boolean" or "System.Nullable`1[System.Boolean]" => "must be true or false",
                "System.String" => "must be a string",
                _ => "has a value of the wrong kind",
            };
            return $"{at} {kind}.";
        }

        if (message.Contains("uplicate", StringComparison.Ordinal))
        {
            return $"{at} is given twice; each member may appear once.";
        }

        if (message.Contains("could not be mapped", StringComparison.Ordinal))
        {
            return $"{at} is not a member of this request.";
        }

        return $"{at} is not valid JSON ({(exception.LineNumber is { } line ? $"line {line + 1}, " : "")}byte {exception.BytePositionInLine ?? 0}).";
    }

    /// <summary>Writes a problem with <paramref name="code"/> (the one way endpoints of the runtime answer errors).</summary>
    public static IResult Problem(int status, string code, string title, string? detail = null)
    {
        var problem = new ProblemDetails { Status = status, Title = title, Detail = detail, Type = $"https://collection.local/problems/{code}" };
        problem.Extensions["code"] = code;
        return TypedResults.Problem(problem);
    }

    public static void AddHttpErrors(IServiceCollection services)
    {
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var status = context.ProblemDetails.Status ?? context.HttpContext.Response.StatusCode;
            context.ProblemDetails.Extensions.TryAdd("code", CodeFor(status));
            if (!context.ProblemDetails.Extensions.ContainsKey("detailZh")
                && context.ProblemDetails.Extensions["code"] is string code
                && ChineseDetails.TryGetValue(code, out var chinese))
            {
                context.ProblemDetails.Extensions["detailZh"] = chinese;
            }
        });
    }
}
