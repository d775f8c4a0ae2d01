using Collection.LocalHost.Settings;
using Collection.LocalHost.Triggers;
using Collection.LocalHost.Worker;

namespace Collection.LocalHost.Admin;

/// <summary>
/// The Functions host's admin API, as far as local work needs it: <c>GET /admin/functions</c> lists every
/// function from the worker's metadata; <c>POST /admin/functions/{name}</c> runs a timer function now.
/// The local host listens on loopback only, so, unlike Azure, these need no master key.
/// </summary>
internal static class AdminEndpoints
{
    public static void MapAdmin(this IEndpointRouteBuilder routes)
    {
        var admin = routes.MapGroup("/admin/functions");
        admin.MapGet("", async (FunctionInvoker invoker, ScriptRoot app, CancellationToken cancellationToken) =>
        {
            var worker = await invoker.WorkerAsync(cancellationToken).ConfigureAwait(false);
            return Results.Ok(worker.Functions.OrderBy(f => f.Name, StringComparer.Ordinal).Select(f => Describe(f, app)));
        });
        admin.MapGet("/{name}", async (string name, FunctionInvoker invoker, ScriptRoot app, CancellationToken cancellationToken) =>
        {
            var worker = await invoker.WorkerAsync(cancellationToken).ConfigureAwait(false);
            return worker.Find(name) is { } function ? Results.Ok(Describe(function, app)) : NotFound(name);
        });
        admin.MapPost("/{name}", async (string name, FunctionInvoker invoker, TimerTriggerListener timers, CancellationToken cancellationToken) =>
        {
            var worker = await invoker.WorkerAsync(cancellationToken).ConfigureAwait(false);
            if (worker.Find(name) is not { } function)
            {
                return NotFound(name);
            }

            if (!string.Equals(function.Trigger.Type, "timerTrigger", StringComparison.OrdinalIgnoreCase))
            {
                return Results.Problem(statusCode: StatusCodes.Status400BadRequest, detail: $"'{function.Name}' is a {function.Trigger.Type} function; only timer functions are run from here.",
                    extensions: new Dictionary<string, object?> { ["code"] = "not-a-timer" });
            }

            var run = await timers.RunNowAsync(function, cancellationToken).ConfigureAwait(false);
            return run.Outcome == TimerRunResult.BusyOutcome
                ? Results.Problem(statusCode: StatusCodes.Status409Conflict, detail: run.Error, extensions: new Dictionary<string, object?> { ["code"] = "timer-busy" })
                : Results.Ok(run);
        });
    }

    private static IResult NotFound(string name) =>
        Results.Problem(statusCode: StatusCodes.Status404NotFound, detail: $"No function named '{name}'.", extensions: new Dictionary<string, object?> { ["code"] = "no-such-function" });

    private static object Describe(HostedFunction function, ScriptRoot app)
    {
        var trigger = function.Trigger;
        var binding = trigger.Type.ToLowerInvariant() switch
        {
            "httptrigger" => $"{app.RoutePrefix}/{trigger.Property("route") ?? function.Name}",
            "blobtrigger" => trigger.Property("path"),
            "queuetrigger" => trigger.Property("queueName"),
            "timertrigger" => trigger.Property("schedule"),
            _ => null,
        };
        return new
        {
            name = function.Name,
            trigger = trigger.Type,
            binding,
            methods = trigger.Strings("methods"),
            bindings = function.Bindings.Select(b => new { name = b.Name, type = b.Type, direction = b.Direction }),
        };
    }
}
