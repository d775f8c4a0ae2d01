using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;

namespace Collection.Functions.Hosting;

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

    /// <summary>Claim holding the one town or community (村居) a community key is scoped to.</summary>
    public const string UnitClaim = "unit";
}

/// <summary>
/// Function keys as in Azure Functions, read from configuration: <c>Keys:&lt;role&gt;</c> = key, and
/// <c>Keys:school:&lt;schoolCode&gt;</c> = key for a school administrator scoped to that code, and
/// <c>Keys:community:&lt;town or community&gt;</c> = key for community staff who see only their own unit.
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
            else if (string.Equals(entry.Key, FunctionRoles.Community, StringComparison.OrdinalIgnoreCase)
                && entry.GetChildren().FirstOrDefault(unit => Matches(unit.Value, presentedKey)) is { } unit)
            {
                return Principal(FunctionRoles.Community, $"community:{unit.Key}", new Claim(FunctionRoles.UnitClaim, unit.Key));
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
        // An unresolved Key Vault reference (identity without access, secret missing) is the reference text
        // itself: never a key, or anyone who read the app settings could call with it.
        if (string.IsNullOrEmpty(configured) || configured.TrimStart().StartsWith("@Microsoft.KeyVault(", StringComparison.OrdinalIgnoreCase))
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

public static class PrincipalExtensions
{
    /// <summary>True when the caller may act for <paramref name="schoolCode"/>: its own school key, or admin.</summary>
    public static bool MayActForSchool(this ClaimsPrincipal user, string schoolCode)
    {
        ArgumentNullException.ThrowIfNull(user);
        return user.IsInRole(FunctionRoles.Admin)
            || user.FindAll(FunctionRoles.SchoolClaim).Any(c => string.Equals(c.Value, schoolCode, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The town or community a scoped community key is limited to; null for every other caller.</summary>
    public static string? OwnUnit(this ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return user.IsInRole(FunctionRoles.Admin) ? null : user.FindFirst(FunctionRoles.UnitClaim)?.Value;
    }

    /// <summary>Who did it, for histories and audit: the key's name (<c>staff</c>, <c>school:SCH001</c>).</summary>
    public static string Actor(this ClaimsPrincipal user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return user.Identity?.Name ?? "anonymous";
    }
}
