using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Collection.Runtime.Http;

/// <summary>The roles a function key can carry. <see cref="Admin"/> may call everything.</summary>
public static class FunctionRoles
{
    public const string Admin = "admin";
    public const string Staff = "staff";
    public const string Approver = "approver";
    public const string Tax = "tax";
    public const string Community = "community";
    public const string School = "school";

    /// <summary>Claim holding one school code a school key may act for.</summary>
    public const string SchoolClaim = "school-code";
}

/// <summary>
/// Function keys as in Azure Functions, read from configuration: <c>Keys:&lt;role&gt;</c> = key, and
/// <c>Keys:school:&lt;schoolCode&gt;</c> = key for a school administrator scoped to that code.
/// Several keys for a role may be given as a comma-separated list (key rotation).
/// </summary>
public sealed class FunctionKeyStore
{
    private readonly IConfiguration _configuration;

    public FunctionKeyStore(IConfiguration configuration) => _configuration = configuration;

    /// <summary>The principal a key stands for, or null when no configured key matches.</summary>
    public ClaimsPrincipal? Authenticate(string presentedKey)
    {
        foreach (var entry in _configuration.GetSection("Keys").GetChildren())
        {
            if (string.Equals(entry.Key, FunctionRoles.School, StringComparison.OrdinalIgnoreCase))
            {
                foreach (var school in entry.GetChildren())
                {
                    if (Matches(school.Value, presentedKey))
                    {
                        return Principal(FunctionRoles.School, $"school:{school.Key}", new Claim(FunctionRoles.SchoolClaim, school.Key));
                    }
                }
            }
            else if (Matches(entry.Value, presentedKey))
            {
                return Principal(entry.Key.ToLowerInvariant(), entry.Key.ToLowerInvariant());
            }
        }

        return null;
    }

    private static ClaimsPrincipal Principal(string role, string name, params Claim[] extra)
    {
        var identity = new ClaimsIdentity(FunctionKeyDefaults.Scheme, ClaimTypes.Name, ClaimTypes.Role);
        identity.AddClaim(new Claim(ClaimTypes.Name, name));
        identity.AddClaim(new Claim(ClaimTypes.Role, role));
        identity.AddClaims(extra);
        return new ClaimsPrincipal(identity);
    }

    private static bool Matches(string? configured, string presented)
    {
        if (string.IsNullOrEmpty(configured))
        {
            return false;
        }

        var presentedBytes = Encoding.UTF8.GetBytes(presented);
        foreach (var key in configured.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            // Constant-time comparison: a key must not be guessable from response timing.
            if (CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(key), presentedBytes))
            {
                return true;
            }
        }

        return false;
    }
}

public static class FunctionKeyDefaults
{
    public const string Scheme = "FunctionKey";
    public const string Header = "x-functions-key";
    public const string Query = "code";
}

/// <summary>Authenticates <c>x-functions-key</c> or <c>?code=</c>; answers 401/403 as problem details.</summary>
public sealed class FunctionKeyHandler : AuthenticationHandler<AuthenticationSchemeOptions>
{
    private readonly FunctionKeyStore _keys;
    private readonly IProblemDetailsService _problems;

    public FunctionKeyHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, FunctionKeyStore keys, IProblemDetailsService problems)
        : base(options, logger, encoder)
    {
        _keys = keys;
        _problems = problems;
    }

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? key = Request.Headers[FunctionKeyDefaults.Header];
        if (string.IsNullOrEmpty(key))
        {
            key = Request.Query[FunctionKeyDefaults.Query];
        }

        if (string.IsNullOrEmpty(key))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var principal = _keys.Authenticate(key);
        return Task.FromResult(principal is null
            ? AuthenticateResult.Fail("The function key is not valid.")
            : AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name)));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        WriteProblem(StatusCodes.Status401Unauthorized, "missing-or-invalid-key",
            "A valid function key is required.",
            $"Send the key in the '{FunctionKeyDefaults.Header}' header or the '{FunctionKeyDefaults.Query}' query parameter.");

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        WriteProblem(StatusCodes.Status403Forbidden, "forbidden-role",
            "This key's role may not call this function.",
            $"Key role: {string.Join(", ", Context.User.FindAll(ClaimTypes.Role).Select(c => c.Value))}.");

    private async Task WriteProblem(int status, string code, string title, string detail)
    {
        Response.StatusCode = status;
        var problem = new Microsoft.AspNetCore.Mvc.ProblemDetails { Status = status, Title = title, Detail = detail, Type = $"https://collection.local/problems/{code}" };
        problem.Extensions["code"] = code;
        await _problems.WriteAsync(new ProblemDetailsContext { HttpContext = Context, ProblemDetails = problem }).ConfigureAwait(false);
    }
}

public static class FunctionKeyEndpointExtensions
{
    /// <summary>Only keys with one of <paramref name="roles"/> (or the admin key) may call these endpoints.</summary>
    public static TBuilder RequireRoles<TBuilder>(this TBuilder builder, params string[] roles)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(roles);
        return builder.RequireAuthorization(policy => policy
            .AddAuthenticationSchemes(FunctionKeyDefaults.Scheme)
            .RequireAuthenticatedUser()
            .RequireAssertion(context => context.User.IsInRole(FunctionRoles.Admin) || roles.Any(context.User.IsInRole)));
    }

    /// <summary>True when the caller may act for <paramref name="schoolCode"/>: its own school key, or admin.</summary>
    public static bool MayActForSchool(this ClaimsPrincipal user, string schoolCode)
    {
        ArgumentNullException.ThrowIfNull(user);
        return user.IsInRole(FunctionRoles.Admin)
            || user.FindAll(FunctionRoles.SchoolClaim).Any(c => string.Equals(c.Value, schoolCode, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Who did it, for histories and audit: the key's name (<c>staff</c>, <c>school:SCH001</c>).</summary>
    public static string Actor(this ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return user.Identity?.Name ?? "anonymous";
    }
}
