using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Collection.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Collection.Functions.Tests.Hosting;

/// <summary>
/// A tenant's OpenID metadata and signing keys on loopback, as Entra ID publishes them, and the tokens it
/// would issue: the app reads the metadata over HTTP and checks real RS256 signatures.
/// </summary>
public sealed class LoopbackIdentityProvider : IAsyncDisposable
{
    private readonly WebApplication _server;
    private readonly RsaSecurityKey _signingKey;

    private LoopbackIdentityProvider(WebApplication server, RsaSecurityKey signingKey, string authority)
    {
        _server = server;
        _signingKey = signingKey;
        Authority = authority;
    }

    /// <summary>The tenant's authority; the issuer of its tokens is the same.</summary>
    public string Authority { get; }

    public static async Task<LoopbackIdentityProvider> StartAsync()
    {
        var rsa = RSA.Create(2048);
        var key = new RsaSecurityKey(rsa) { KeyId = "test-key-1" };
        var parameters = rsa.ExportParameters(includePrivateParameters: false);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var server = builder.Build();
        string? authority = null;
        server.MapGet("/tenant/v2.0/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = authority!,
            ["jwks_uri"] = $"{authority}/keys",
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
        }));
        server.MapGet("/tenant/v2.0/keys", () => Results.Json(new
        {
            keys = new[]
            {
                new { kty = "RSA", use = "sig", alg = "RS256", kid = key.KeyId, n = Base64UrlEncoder.Encode(parameters.Modulus), e = Base64UrlEncoder.Encode(parameters.Exponent) },
            },
        }));
        await server.StartAsync();
        authority = $"{server.Urls.First()}/tenant/v2.0";
        return new LoopbackIdentityProvider(server, key, authority);
    }

    /// <summary>An access token for <paramref name="audience"/> with app roles, signed by the tenant unless told otherwise.</summary>
    public string Token(string audience, string[] roles, string user = "zhang.wei@bureau.example", TimeSpan? lifetime = null,
        string? issuer = null, SecurityKey? signWith = null)
    {
        var now = DateTime.UtcNow;
        var expires = now + (lifetime ?? TimeSpan.FromHours(1));
        var claims = new Dictionary<string, object> { ["preferred_username"] = user, ["oid"] = Guid.NewGuid().ToString() };
        if (roles.Length > 0)
        {
            claims["roles"] = roles;
        }

        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer ?? Authority,
            Audience = audience,
            IssuedAt = expires < now ? expires.AddHours(-1) : now,
            NotBefore = expires < now ? expires.AddHours(-1) : now,
            Expires = expires,
            Claims = claims,
            SigningCredentials = new SigningCredentials(signWith ?? _signingKey, SecurityAlgorithms.RsaSha256),
        });
    }

    public async ValueTask DisposeAsync() => await _server.DisposeAsync();
}

public sealed class EntraTokenFixture : IAsyncLifetime
{
    public const string Audience = "api://collection-test";

    public LoopbackIdentityProvider Tenant { get; private set; } = null!;

    public AppHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Tenant = await LoopbackIdentityProvider.StartAsync();
        Host = await AppHost.StartAsync(await AzuriteInstance.SharedAsync(), new Dictionary<string, string>
        {
            ["Keys:admin"] = "test-admin",
            ["Entra:Authority"] = Tenant.Authority,
            ["Entra:Audience"] = Audience,
        });
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        await Tenant.DisposeAsync();
    }
}

/// <summary>Entra ID access tokens with app roles, beside function keys (worker middleware).</summary>
public sealed class EntraTokenTests(EntraTokenFixture app) : IClassFixture<EntraTokenFixture>
{
    private const string AdminOnly = "/api/jobs/ActivateCoverage/runs";

    private HttpClient Client(string token)
    {
        var client = app.Host.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    [Fact]
    public async Task AdminRole_MayCallAdminFunction_AndIsNamedInTheRecord()
    {
        using var client = Client(app.Tenant.Token(EntraTokenFixture.Audience, ["admin"], user: "li.na@bureau.example"));

        var response = await client.PostAsync(new Uri(AdminOnly, UriKind.Relative), null);
        var run = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("manual:entra:li.na@bureau.example", run.GetProperty("trigger").GetString());
    }

    [Fact]
    public async Task StaffRole_OnAdminFunction_Answers403()
    {
        using var client = Client(app.Tenant.Token(EntraTokenFixture.Audience, ["staff"]));

        var response = await client.GetAsync(new Uri(AdminOnly, UriKind.Relative));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("forbidden-role", problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task TokenWithoutAppRoles_Answers403()
    {
        using var client = Client(app.Tenant.Token(EntraTokenFixture.Audience, []));

        var response = await client.GetAsync(new Uri("/api/enrolments", UriKind.Relative));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task SchoolRole_ActsForItsOwnSchoolOnly()
    {
        using var client = Client(app.Tenant.Token(EntraTokenFixture.Audience, ["school.SCH7"]));

        var own = await client.GetAsync(new Uri("/api/rosters/school/luyang-2023/SCH7/none.csv", UriKind.Relative));
        var other = await client.GetAsync(new Uri("/api/rosters/school/luyang-2023/SCH8/none.csv", UriKind.Relative));
        var otherProblem = await other.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.NotFound, own.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
        Assert.Equal("forbidden-school", otherProblem.GetProperty("code").GetString());
    }

    public static TheoryData<string> RefusedTokens() => new()
    {
        "expired", "other-audience", "other-issuer", "other-key", "not-a-token",
    };

    [Theory]
    [MemberData(nameof(RefusedTokens))]
    public async Task RefusedToken_Answers401InvalidToken_WithChineseMessage(string kind)
    {
        using var stranger = RSA.Create(2048);
        var token = kind switch
        {
            "expired" => app.Tenant.Token(EntraTokenFixture.Audience, ["admin"], lifetime: TimeSpan.FromMinutes(-10)),
            "other-audience" => app.Tenant.Token("api://another-app", ["admin"]),
            "other-issuer" => app.Tenant.Token(EntraTokenFixture.Audience, ["admin"], issuer: "https://login.microsoftonline.com/other/v2.0"),
            "other-key" => app.Tenant.Token(EntraTokenFixture.Audience, ["admin"], signWith: new RsaSecurityKey(stranger) { KeyId = "test-key-1" }),
            _ => "not.a.token",
        };
        using var client = Client(token);

        var response = await client.GetAsync(new Uri(AdminOnly, UriKind.Relative));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid-token", problem.GetProperty("code").GetString());
        Assert.Contains("令牌", problem.GetProperty("detailZh").GetString(), StringComparison.Ordinal);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task FunctionKey_StillWorks_BesideTokens()
    {
        using var client = app.Host.CreateClient("test-admin");

        var response = await client.GetAsync(new Uri(AdminOnly, UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
