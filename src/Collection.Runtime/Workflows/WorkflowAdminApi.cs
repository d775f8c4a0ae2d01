using System.Text.Json;
using Collection.Runtime.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Collection.Runtime.Workflows;

/// <summary>Registers the engine once, however many workflows and activities the catalog lists.</summary>
public static class WorkflowServiceCollectionExtensions
{
    public static IServiceCollection AddWorkflowEngine(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(WorkflowEngineMarker)))
        {
            return services;
        }

        services.AddSingleton<WorkflowEngineMarker>();
        services.AddLogging();
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<WorkflowOptions>().Configure<IServiceProvider>((options, provider) =>
            provider.GetService<IConfiguration>()?.GetSection(WorkflowOptions.Section).Bind(options));
        services.AddSingleton<WorkflowStore>();
        services.AddSingleton<WorkflowRegistry>();
        services.AddSingleton<WorkflowEngine>();
        services.AddSingleton<IWorkflowClient, WorkflowClient>();
        services.AddSingleton<IHostedService, WorkflowWorker>();
        return services;
    }

    private sealed class WorkflowEngineMarker;
}

/// <summary>The 202 body of a started instance, in Durable Functions' shape.</summary>
public sealed record WorkflowStartResponse(string Id, string StatusQueryGetUri, string SendEventPostUri, string TerminatePostUri, string PurgeHistoryDeleteUri);

/// <summary>Builds the management links of an instance, for the admin API and for an app's friendly routes.</summary>
public static class WorkflowLinks
{
    public const string AdminPath = "/admin/workflows";

    /// <summary>Links under <paramref name="baseUri"/> (e.g. <c>https://host/admin/workflows</c>).</summary>
    public static WorkflowStartResponse For(string baseUri, string instanceId)
    {
        ArgumentNullException.ThrowIfNull(baseUri);
        var instance = $"{baseUri.TrimEnd('/')}/instances/{Uri.EscapeDataString(instanceId)}";
        return new WorkflowStartResponse(instanceId, instance, instance + "/raiseEvent/{eventName}", instance + "/terminate?reason={text}", instance);
    }

    /// <summary>The absolute base URI of <paramref name="path"/> on the host that received <paramref name="request"/>.</summary>
    public static string BaseUri(HttpRequest request, string path = AdminPath)
    {
        ArgumentNullException.ThrowIfNull(request);
        return $"{request.Scheme}://{request.Host}{request.PathBase}{path}";
    }

    /// <summary>202 Accepted with the links (admin ones by default) and a Location header pointing at the status.</summary>
    public static IResult Accepted(HttpRequest request, string instanceId, string path = AdminPath)
    {
        var links = For(BaseUri(request, path), instanceId);
        return Results.Accepted(links.StatusQueryGetUri, links);
    }
}

/// <summary>The generic management endpoints under <c>/admin/workflows</c> (admin key).</summary>
public static class WorkflowAdminApi
{
    /// <summary>Maps <c>/workflows</c> on <paramref name="admin"/>; does nothing when no workflow is registered.</summary>
    public static IEndpointRouteBuilder MapWorkflowAdmin(this IEndpointRouteBuilder admin)
    {
        ArgumentNullException.ThrowIfNull(admin);
        if (admin.ServiceProvider.GetService<IServiceProviderIsService>()?.IsService(typeof(IWorkflowClient)) != true)
        {
            return admin;
        }

        var group = admin.MapGroup("/workflows").RequireRoles(FunctionRoles.Admin).WithTags("Workflows");
        group.MapPost("/{name}", StartAsync).WithName("StartWorkflow");
        group.MapGet("/instances", ListAsync).WithName("ListWorkflowInstances");
        group.MapGet("/instances/{instanceId}", StatusAsync).WithName("GetWorkflowStatus");
        group.MapPost("/instances/{instanceId}/raiseEvent/{eventName}", RaiseAsync).WithName("RaiseWorkflowEvent");
        group.MapPost("/instances/{instanceId}/terminate", TerminateAsync).WithName("TerminateWorkflow");
        group.MapDelete("/instances/{instanceId}", PurgeAsync).WithName("PurgeWorkflow");
        group.MapGet("/stats", async (IWorkflowClient client, CancellationToken ct) => Results.Ok(await client.GetStatsAsync(ct).ConfigureAwait(false))).WithName("WorkflowStats");
        return admin;
    }

    private static async Task<IResult> StartAsync(string name, string? instanceId, HttpContext context, IWorkflowClient client)
    {
        var input = await ReadBodyAsync(context.Request).ConfigureAwait(false);
        if (input is null)
        {
            return Problem(StatusCodes.Status400BadRequest, "workflow-invalid-json", "The body is not valid JSON.");
        }

        try
        {
            var id = await client.StartAsync(name, input, instanceId, context.User.Actor(), context.RequestAborted).ConfigureAwait(false);
            return WorkflowLinks.Accepted(context.Request, id);
        }
        catch (WorkflowException e)
        {
            return Problem(e.Code switch
            {
                WorkflowErrorCodes.UnknownWorkflow => StatusCodes.Status404NotFound,
                WorkflowErrorCodes.InstanceExists => StatusCodes.Status409Conflict,
                _ => StatusCodes.Status400BadRequest,
            }, e.Code, e.Message);
        }
    }

    private static async Task<IResult> StatusAsync(string instanceId, bool? showHistory, HttpContext context, IWorkflowClient client)
    {
        var status = await client.GetStatusAsync(instanceId, showHistory == true, context.RequestAborted).ConfigureAwait(false);
        if (status is null)
        {
            return NotFound(instanceId);
        }

        // As Durable Functions: 202 while the instance runs, 200 once it has finished.
        return status.RuntimeStatus is WorkflowRuntimeStatus.Pending or WorkflowRuntimeStatus.Running
            ? Results.Json(status, statusCode: StatusCodes.Status202Accepted)
            : Results.Ok(status);
    }

    private static async Task<IResult> ListAsync(
        string? name, string? runtimeStatus, DateTimeOffset? createdTimeFrom, DateTimeOffset? createdTimeTo, int? top, string? continuationToken,
        HttpContext context, IWorkflowClient client)
    {
        var statuses = new List<WorkflowRuntimeStatus>();
        foreach (var part in (runtimeStatus ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Enum.TryParse<WorkflowRuntimeStatus>(part, ignoreCase: true, out var status) || !Enum.IsDefined(status))
            {
                return Problem(StatusCodes.Status400BadRequest, WorkflowErrorCodes.InvalidQuery, $"runtimeStatus '{part}' is not one of {string.Join(", ", Enum.GetNames<WorkflowRuntimeStatus>())}.");
            }

            statuses.Add(status);
        }

        continuationToken ??= context.Request.Headers["x-ms-continuation-token"];
        try
        {
            var page = await client.ListAsync(new WorkflowQuery(name, statuses, createdTimeFrom, createdTimeTo, top ?? 100, continuationToken), context.RequestAborted).ConfigureAwait(false);
            if (page.ContinuationToken is not null)
            {
                context.Response.Headers["x-ms-continuation-token"] = page.ContinuationToken;
            }

            return Results.Ok(page.Instances);
        }
        catch (WorkflowException e)
        {
            return Problem(StatusCodes.Status400BadRequest, e.Code, e.Message);
        }
    }

    /// <summary>An <c>eventId</c> query value or <c>Idempotency-Key</c> header makes retries of the same raise harmless.</summary>
    private static async Task<IResult> RaiseAsync(string instanceId, string eventName, string? eventId, HttpContext context, IWorkflowClient client)
    {
        var payload = await ReadBodyAsync(context.Request).ConfigureAwait(false);
        if (payload is null)
        {
            return Problem(StatusCodes.Status400BadRequest, "workflow-invalid-json", "The body is not valid JSON.");
        }

        try
        {
            return Outcome(await client.RaiseEventAsync(instanceId, eventName, payload, context.User.Actor(), eventId ?? context.Request.Headers["Idempotency-Key"].ToString(), context.RequestAborted).ConfigureAwait(false), instanceId);
        }
        catch (WorkflowException e)
        {
            return Problem(StatusCodes.Status400BadRequest, e.Code, e.Message);
        }
    }

    private static async Task<IResult> TerminateAsync(string instanceId, string? reason, HttpContext context, IWorkflowClient client) =>
        Outcome(await client.TerminateAsync(instanceId, reason ?? "", context.User.Actor(), context.RequestAborted).ConfigureAwait(false), instanceId);

    private static async Task<IResult> PurgeAsync(string instanceId, HttpContext context, IWorkflowClient client)
    {
        var result = await client.PurgeAsync(instanceId, context.User.Actor(), context.RequestAborted).ConfigureAwait(false);
        return result == WorkflowOperationResult.Accepted ? Results.Ok(new { instancesDeleted = 1 }) : Outcome(result, instanceId);
    }

    private static IResult Outcome(WorkflowOperationResult result, string instanceId) => result switch
    {
        WorkflowOperationResult.Accepted => Results.Accepted(),
        WorkflowOperationResult.NotFound => NotFound(instanceId),
        WorkflowOperationResult.Finished => Problem(StatusCodes.Status410Gone, WorkflowErrorCodes.InstanceFinished, $"Instance '{instanceId}' has already finished."),
        _ => Problem(StatusCodes.Status409Conflict, WorkflowErrorCodes.InstanceNotFinished, $"Instance '{instanceId}' is still running; terminate it first."),
    };

    private static IResult NotFound(string instanceId) =>
        Problem(StatusCodes.Status404NotFound, WorkflowErrorCodes.InstanceNotFound, $"No workflow instance '{instanceId}'.");

    private static IResult Problem(int status, string code, string detail) =>
        Results.Problem(detail: detail, statusCode: status, title: code, type: $"https://collection.local/problems/{code}", extensions: new Dictionary<string, object?> { ["code"] = code });

    /// <summary>The body as JSON (null JSON when empty); null when it is not JSON.</summary>
    private static async Task<JsonElement?> ReadBodyAsync(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body);
        var text = await reader.ReadToEndAsync(request.HttpContext.RequestAborted).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(text))
        {
            return WorkflowJson.ToElement(null);
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
