using Collection.Domain.Policies;
using Collection.Functions.Hosting;
using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.Policies;

/// <summary>
/// <c>GET /api/policies</c> and <c>GET /api/policies/{code}</c>. Anonymous: the policies are public
/// notices (baiyin-2023 is marked "公开属性：主动公开"; all five were published to the public), and the files
/// hold no personal data, so reading them needs no function key.
/// </summary>
public sealed class PoliciesApi(PolicyCatalog catalog)
{
    /// <summary>Every policy: code, name, region, collection period and coverage year.</summary>
    [Function("ListPolicies")]
    [Public]
    public IResult List([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "policies")] HttpRequest request) =>
        TypedResults.Ok(catalog.Policies.Select(Summary));

    /// <summary>One policy document as written in policies/{code}.json, with its $comment citations; 404 when unknown.</summary>
    [Function("GetPolicy")]
    [Public]
    public IResult GetOne([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "policies/{code}")] HttpRequest request, string code) =>
        Get(code, catalog);

    /// <summary>The reader's options, writing Chinese as itself: the notices are Chinese text, not <c>\uXXXX</c>.</summary>
    private static readonly System.Text.Json.JsonSerializerOptions ResponseJson = new(PolicyReader.JsonOptions)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.Create(System.Text.Unicode.UnicodeRanges.All),
    };

    internal static IResult Get(string code, PolicyCatalog catalog) =>
        catalog.TryGet(code, out var policy)
            ? Results.Json(policy.Document, ResponseJson)
            : Problems.UnknownPolicy(code, StatusCodes.Status404NotFound);

    private static PolicySummary Summary(Policy p) => new(
        p.Code, p.Name, p.Region,
        new PeriodBody(IsoDate.Text(p.CollectionStart), IsoDate.Text(p.CollectionEnd)),
        new PeriodBody(IsoDate.Text(p.CoverageStart), IsoDate.Text(p.CoverageEnd)));
}

public sealed record PeriodBody(string Start, string End);

public sealed record PolicySummary(string Code, string Name, string Region, PeriodBody Collection, PeriodBody Coverage);
