using System.Collections.Frozen;
using System.Reflection;
using System.Security.Claims;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Middleware;

namespace Collection.Functions.Hosting;

/// <summary>
/// The roles whose keys may call an HTTP function (an admin key may call every function). Every HTTP
/// function carries this or <see cref="PublicAttribute"/>; a test checks that none is left undeclared.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RolesAttribute(params string[] roles) : Attribute
{
    public IReadOnlyList<string> Roles { get; } = roles;
}

/// <summary>An HTTP function anyone may call without a key (public notices, health).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PublicAttribute : Attribute;

/// <summary>Who may call each function, read once from the <c>[Function]</c> methods' attributes.</summary>
public sealed class FunctionAccessMap
{
    private readonly FrozenDictionary<string, IReadOnlyList<string>?> _roles;

    public FunctionAccessMap(Assembly app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var roles = new Dictionary<string, IReadOnlyList<string>?>(StringComparer.OrdinalIgnoreCase);
        foreach (var method in app.GetTypes().SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static)))
        {
            if (method.GetCustomAttribute<FunctionAttribute>() is not { } function)
            {
                continue;
            }

            roles[function.Name] = method.GetCustomAttribute<PublicAttribute>() is not null
                ? null
                : method.GetCustomAttribute<RolesAttribute>()?.Roles ?? [FunctionRoles.Admin];
        }

        _roles = roles.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The roles that may call <paramref name="function"/>; null for a public one. Undeclared: admin only.</summary>
    public IReadOnlyList<string>? RolesFor(string function) =>
        _roles.TryGetValue(function, out var roles) ? roles : [FunctionRoles.Admin];

    /// <summary>True when <paramref name="user"/> may call a function open to <paramref name="roles"/>.</summary>
    public static bool Allows(ClaimsPrincipal user, IReadOnlyList<string> roles)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(roles);
        return user.IsInRole(FunctionRoles.Admin) || roles.Any(user.IsInRole);
    }
}

/// <summary>
/// The app's own key and role check, in the worker, so it is the same locally and in Azure: the Functions
/// host's keys carry no roles, so HTTP functions are declared anonymous to the host and this middleware
/// decides (401 without a valid key, 403 when the key's role may not call the function, as problem
/// details). It also takes a request's business date (<see cref="ChinaClock.ForRequest"/>), stamps every
/// answer with the day the app acted as of, and turns an unhandled error or an
/// over-large body into a problem instead of an empty 500.
/// </summary>
internal sealed partial class FunctionAccessMiddleware(FunctionAccessMap access, CallerAuthenticator callers, ChinaClock clock, ILogger<FunctionAccessMiddleware> logger)
    : IFunctionsWorkerMiddleware
{
    public async Task Invoke(FunctionContext context, FunctionExecutionDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var http = context.GetHttpContext();
        if (http is null)
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        // The request's business date first, so the date stamped on the answer is the one the request acted as of.
        IResult? refused = null;
        if (http.Request.Headers[ChinaClock.HeaderName].FirstOrDefault() is { Length: > 0 } asked)
        {
            if (!IsoDate.TryParse(asked.Trim(), out var day))
            {
                refused = Policies.Problems.Problem(StatusCodes.Status400BadRequest, "invalid-date", "Invalid business date.",
                    $"The {ChinaClock.HeaderName} header must be a date as yyyy-MM-dd.", ChinaClock.HeaderName);
            }
            else if (!clock.ForRequest(day))
            {
                refused = Policies.Problems.Problem(StatusCodes.Status400BadRequest, "business-date-not-allowed", "This service follows the real date.",
                    $"The {ChinaClock.HeaderName} header is taken only where {ChinaClock.BusinessDateSetting} is configured (training, rehearsals, replays).", ChinaClock.HeaderName);
            }
        }

        // Read now: the callback runs outside this request's flow, where a request's business date is not seen.
        var today = IsoDate.Text(clock.Today);
        http.Response.OnStarting(() =>
        {
            http.Response.Headers[ChinaClock.HeaderName] = today;
            return Task.CompletedTask;
        });
        if (refused is not null)
        {
            await refused.ExecuteAsync(http).ConfigureAwait(false);
            return;
        }

        var roles = access.RolesFor(context.FunctionDefinition.Name);
        if (roles is not null)
        {
            var (user, code, detail) = await callers.AuthenticateAsync(http.Request).ConfigureAwait(false);
            if (user is null)
            {
                if (code == CallerAuthenticator.InvalidToken)
                {
                    http.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
                }

                await HttpErrors.Problem(StatusCodes.Status401Unauthorized, code,
                    code == CallerAuthenticator.InvalidToken ? "A valid Entra ID token is required." : "A valid function key is required.",
                    detail).ExecuteAsync(http).ConfigureAwait(false);
                return;
            }

            if (!FunctionAccessMap.Allows(user, roles))
            {
                await HttpErrors.Problem(StatusCodes.Status403Forbidden, "forbidden-role", "The caller's role may not call this function.",
                    $"Caller's roles: {string.Join(", ", user.FindAll(ClaimTypes.Role).Select(c => c.Value))}.").ExecuteAsync(http).ConfigureAwait(false);
                return;
            }

            http.User = user;
        }

        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (Exception e) when (!http.Response.HasStarted && Unwrap(e) is BadHttpRequestException bad)
        {
            var tooLarge = bad.StatusCode == StatusCodes.Status413PayloadTooLarge;
            await HttpErrors.Problem(bad.StatusCode, HttpErrors.CodeFor(bad.StatusCode),
                tooLarge ? "The request body is too large." : "The request is not valid.", bad.Message).ExecuteAsync(http).ConfigureAwait(false);
        }
        catch (Exception e) when (!http.Response.HasStarted && !http.RequestAborted.IsCancellationRequested)
        {
            LogFailed(context.FunctionDefinition.Name, e);
            await HttpErrors.Problem(StatusCodes.Status500InternalServerError, HttpErrors.InternalError, "The function failed.",
                "The error is in the app's log under this request's invocation id.").ExecuteAsync(http).ConfigureAwait(false);
        }
    }

    private static Exception Unwrap(Exception e) => e is AggregateException { InnerException: { } inner } ? inner : e;

    [LoggerMessage(Level = LogLevel.Error, Message = "Function {Function} failed")]
    private partial void LogFailed(string function, Exception exception);
}
