using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Collection.Functions.Hosting;

/// <summary>
/// Entra ID access tokens beside function keys, where configured: <c>Entra:Authority</c> (the tenant's
/// v2.0 authority, <c>https://login.microsoftonline.com/&lt;tenant&gt;/v2.0</c>), <c>Entra:Audience</c>
/// (the API's application ID URI or client ID; several comma-separated) and optionally
/// <c>Entra:MetadataAddress</c>. The token's app roles are the key roles: <c>admin</c>, <c>staff</c>,
/// <c>approver</c>, <c>tax</c>, <c>community</c>, and <c>school.&lt;code&gt;</c> for a school administrator
/// (an app role carries no parameter, so the school code is part of its value).
/// </summary>
public sealed class EntraTokenValidator
{
    public const string AuthoritySetting = "Entra:Authority";
    public const string AudienceSetting = "Entra:Audience";
    public const string MetadataSetting = "Entra:MetadataAddress";
    public const string Scheme = "EntraId";

    /// <summary>The prefix of a school administrator's app role value (<c>school.SCH001</c>).</summary>
    public const string SchoolRolePrefix = "school.";

    /// <summary>The prefix of the app role value of community staff tied to one town or community (<c>community.杏林街道</c>).</summary>
    public const string CommunityRolePrefix = "community.";

    private static readonly HashSet<string> PlainRoles = new(StringComparer.OrdinalIgnoreCase)
    {
        FunctionRoles.Admin, FunctionRoles.Staff, FunctionRoles.Approver, FunctionRoles.Tax, FunctionRoles.Community,
    };

    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };
    private readonly TokenValidationParameters _parameters;

    private EntraTokenValidator(string metadataAddress, IReadOnlyList<string> audiences)
    {
        // Plain HTTP only for a metadata server on this machine (tests, a local identity provider).
        var retriever = new HttpDocumentRetriever { RequireHttps = !Uri.TryCreate(metadataAddress, UriKind.Absolute, out var uri) || !uri.IsLoopback };
        var configuration = new ConfigurationManager<OpenIdConnectConfiguration>(metadataAddress, new OpenIdConnectConfigurationRetriever(), retriever);
        _parameters = new TokenValidationParameters
        {
            // Issuer and signing keys come from the tenant's metadata (refreshed when a key rolls over).
            ConfigurationManager = configuration,
            ValidAudiences = audiences,
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateLifetime = true,
            ValidateIssuerSigningKey = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ClockSkew = TimeSpan.FromMinutes(2),
            NameClaimType = "preferred_username",
            RoleClaimType = "roles",
        };
    }

    /// <summary>The validator the configuration asks for; null when Entra ID is not configured (keys only).</summary>
    public static EntraTokenValidator? FromConfiguration(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var authority = configuration[AuthoritySetting]?.Trim().TrimEnd('/');
        var audiences = (configuration[AudienceSetting] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (string.IsNullOrEmpty(authority) || audiences.Length == 0)
        {
            return null;
        }

        var metadata = configuration[MetadataSetting] is { Length: > 0 } configured ? configured : $"{authority}/.well-known/openid-configuration";
        return new EntraTokenValidator(metadata, audiences);
    }

    /// <summary>The principal a valid token stands for (roles mapped to the key roles), or why it is refused.</summary>
    public async Task<(ClaimsPrincipal? User, string? Refusal)> AuthenticateAsync(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        TokenValidationResult result;
        try
        {
            result = await _handler.ValidateTokenAsync(token, _parameters).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SecurityTokenException or ArgumentException or InvalidOperationException)
        {
            return (null, Describe(e));
        }

        if (!result.IsValid)
        {
            return (null, Describe(result.Exception));
        }

        return (Principal(result.ClaimsIdentity), null);
    }

    private static ClaimsPrincipal Principal(ClaimsIdentity token)
    {
        var name = token.FindFirst("preferred_username")?.Value ?? token.FindFirst("upn")?.Value
            ?? token.FindFirst("oid")?.Value ?? token.FindFirst("sub")?.Value ?? "unknown";
        return Principal(Scheme, name, token.FindAll("roles").Select(c => c.Value));
    }

    /// <summary>
    /// The key roles of Entra ID app role values: <c>admin</c>, <c>staff</c>, <c>approver</c>, <c>tax</c>, <c>community</c>,
    /// <c>school.&lt;code&gt;</c> (a school administrator) and <c>community.&lt;town or community&gt;</c> (community staff of
    /// that unit only, as <c>Keys:community:&lt;unit&gt;</c>); any other value carries no role.
    /// </summary>
    internal static ClaimsPrincipal Principal(string scheme, string name, IEnumerable<string> appRoles)
    {
        var identity = new ClaimsIdentity(scheme, ClaimTypes.Name, ClaimTypes.Role);
        identity.AddClaim(new Claim(ClaimTypes.Name, $"entra:{name}"));
        foreach (var role in appRoles.Select(r => r.Trim()))
        {
            if (PlainRoles.Contains(role))
            {
                identity.AddClaim(new Claim(ClaimTypes.Role, role.ToLowerInvariant()));
            }
            else if (role.StartsWith(SchoolRolePrefix, StringComparison.OrdinalIgnoreCase) && role.Length > SchoolRolePrefix.Length)
            {
                if (!identity.HasClaim(ClaimTypes.Role, FunctionRoles.School))
                {
                    identity.AddClaim(new Claim(ClaimTypes.Role, FunctionRoles.School));
                }

                identity.AddClaim(new Claim(FunctionRoles.SchoolClaim, role[SchoolRolePrefix.Length..]));
            }
            else if (role.StartsWith(CommunityRolePrefix, StringComparison.OrdinalIgnoreCase) && role.Length > CommunityRolePrefix.Length
                && identity.FindFirst(FunctionRoles.UnitClaim) is null)
            {
                // One unit per person, as one key per unit: a second community.<unit> role is ignored, never widened.
                identity.AddClaim(new Claim(ClaimTypes.Role, FunctionRoles.Community));
                identity.AddClaim(new Claim(FunctionRoles.UnitClaim, role[CommunityRolePrefix.Length..]));
            }
        }

        return new ClaimsPrincipal(identity);
    }

    // What a caller can act on, without echoing the token or the server's keys.
    private static string Describe(Exception? e) => e switch
    {
        SecurityTokenExpiredException => "The token has expired.",
        SecurityTokenNotYetValidException => "The token is not valid yet.",
        SecurityTokenInvalidAudienceException => "The token is for another audience.",
        SecurityTokenInvalidIssuerException => "The token is from another issuer.",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "The token's signature is not valid.",
        SecurityTokenNoExpirationException => "The token has no expiry.",
        SecurityTokenMalformedException or ArgumentException => "The token is not a JSON web token.",
        InvalidOperationException => "The identity provider's metadata could not be read.",
        _ => "The token is not valid.",
    };
}

/// <summary>
/// Who is calling: a function key (header or <c>code</c>), else the person App Service Authentication signed in
/// (<see cref="AppServicePrincipal"/>) where configured, else an Entra ID bearer token where configured.
/// </summary>
public sealed class CallerAuthenticator(FunctionKeyStore keys, IConfiguration configuration)
{
    private readonly EntraTokenValidator? _tokens = EntraTokenValidator.FromConfiguration(configuration);

    /// <summary>True when Entra ID tokens are accepted (health shows it).</summary>
    public bool AcceptsTokens => _tokens is not null;

    /// <summary>True when App Service Authentication signs people in and its principal header is taken (health shows it, the console offers its sign-in).</summary>
    public bool AcceptsAppServicePrincipal { get; } = AppServicePrincipal.Enabled(configuration);

    /// <summary>The caller, or the problem code and detail of a 401.</summary>
    public async Task<(ClaimsPrincipal? User, string Code, string Detail)> AuthenticateAsync(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        string? key = request.Headers[FunctionKeyDefaults.Header];
        if (string.IsNullOrEmpty(key))
        {
            key = request.Query[FunctionKeyDefaults.Query];
        }

        if (!string.IsNullOrEmpty(key))
        {
            return keys.Authenticate(key) is { } user
                ? (user, "", "")
                : (null, MissingKey, KeyHint);
        }

        if (AcceptsAppServicePrincipal && request.Headers[AppServicePrincipal.Header].FirstOrDefault() is { Length: > 0 } signedInAs)
        {
            return AppServicePrincipal.Read(signedInAs) is { } signedIn
                ? (signedIn, "", "")
                : (null, InvalidToken, "The App Service Authentication principal header could not be read.");
        }

        string? authorization = request.Headers.Authorization;
        if (authorization is null || !authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return (null, MissingKey, KeyHint);
        }

        if (_tokens is null)
        {
            return (null, InvalidToken, "This service does not accept Entra ID tokens; send a function key.");
        }

        var (principal, refusal) = await _tokens.AuthenticateAsync(authorization["Bearer ".Length..].Trim()).ConfigureAwait(false);
        return principal is not null ? (principal, "", "") : (null, InvalidToken, refusal ?? "The token is not valid.");
    }

    public const string MissingKey = "missing-or-invalid-key";
    public const string InvalidToken = "invalid-token";

    private static readonly string KeyHint =
        $"Send the key in the '{FunctionKeyDefaults.Header}' header or the '{FunctionKeyDefaults.Query}' query parameter.";
}

/// <summary>
/// The person App Service Authentication (Easy Auth) signed in with Entra ID, from the <c>x-ms-client-principal</c>
/// header it adds to each request (base64 JSON: <c>auth_typ</c>, <c>claims</c> of <c>typ</c>/<c>val</c>, <c>name_typ</c>,
/// <c>role_typ</c>; a Static Web App sends <c>userDetails</c> and <c>userRoles</c> instead). The app role values among the claims map to key roles as a token's do
/// (<see cref="EntraTokenValidator.Principal(string, string, IEnumerable{string})"/>). The header is believed only when
/// <c>Entra:AppServiceAuthentication</c> is <c>true</c> and App Service says authentication is on
/// (<c>WEBSITE_AUTH_ENABLED</c>): there App Service drops the header from what a client sends, anywhere else anyone
/// could write it.
/// </summary>
public static class AppServicePrincipal
{
    public const string Header = "x-ms-client-principal";
    public const string Setting = "Entra:AppServiceAuthentication";
    public const string PlatformSetting = "WEBSITE_AUTH_ENABLED";
    public const string Scheme = "AppServiceAuthentication";

    // A principal header is a few kilobytes; anything far larger is not one.
    private const int MaxHeaderLength = 64 * 1024;

    public static bool Enabled(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return bool.TryParse(configuration[Setting], out var on) && on
            && bool.TryParse(configuration[PlatformSetting], out var platform) && platform;
    }

    /// <summary>The principal the header stands for, or null when it is not a readable principal.</summary>
    public static ClaimsPrincipal? Read(string header)
    {
        ArgumentNullException.ThrowIfNull(header);
        if (header.Length > MaxHeaderLength)
        {
            return null;
        }

        try
        {
            using var json = System.Text.Json.JsonDocument.Parse(Convert.FromBase64String(header.Trim()));
            var root = json.RootElement;
            if (root.ValueKind != System.Text.Json.JsonValueKind.Object)
            {
                return null;
            }

            // A Static Web App in front of its linked backend sends its own shape: userDetails and the userRoles it assigned.
            if (root.TryGetProperty("userRoles", out var userRoles) && userRoles.ValueKind == System.Text.Json.JsonValueKind.Array && Text(root, "userDetails") is { } details)
            {
                return EntraTokenValidator.Principal(Scheme, details, userRoles.EnumerateArray()
                    .Where(r => r.ValueKind == System.Text.Json.JsonValueKind.String).Select(r => r.GetString()!));
            }

            if (!root.TryGetProperty("claims", out var claims) || claims.ValueKind != System.Text.Json.JsonValueKind.Array)
            {
                return null;
            }

            var nameType = Text(root, "name_typ") ?? ClaimTypes.Name;
            var roleType = Text(root, "role_typ") ?? ClaimTypes.Role;
            var pairs = claims.EnumerateArray()
                .Where(c => c.ValueKind == System.Text.Json.JsonValueKind.Object)
                .Select(c => (Type: Text(c, "typ"), Value: Text(c, "val")))
                .Where(c => c.Type is not null && c.Value is not null)
                .ToList();
            string? First(params string[] types) => types.Select(t => pairs.FirstOrDefault(c => c.Type == t).Value).FirstOrDefault(v => v is not null);
            var name = First(nameType, "preferred_username", "name", "http://schemas.microsoft.com/identity/claims/objectidentifier", "oid") ?? "unknown";
            // Entra puts app roles in "roles"; App Service names the role claim type in role_typ.
            var roles = pairs.Where(c => c.Type == roleType || c.Type == "roles").Select(c => c.Value!).Distinct(StringComparer.Ordinal);
            return EntraTokenValidator.Principal(Scheme, name, roles);
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or ArgumentException)
        {
            return null;
        }
    }

    private static string? Text(System.Text.Json.JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == System.Text.Json.JsonValueKind.String ? value.GetString() : null;
}
