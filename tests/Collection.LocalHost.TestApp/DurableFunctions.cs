using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Collection.LocalHost.TestApp;

/// <summary>An approval: an activity, then an external event raced against a durable timer, custom status on the way.</summary>
public static class DurableFunctions
{
    [Function(nameof(Approval))]
    public static async Task<string> Approval([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var who = context.GetInput<string>() ?? "nobody";
        var greeting = await context.CallActivityAsync<string>(nameof(Greet), who);
        context.SetCustomStatus(new { stage = "waiting", greeting });
        using var timeout = new CancellationTokenSource();
        var approval = context.WaitForExternalEvent<string>("approve", timeout.Token);
        var deadline = context.CreateTimer(context.CurrentUtcDateTime.AddSeconds(30), timeout.Token);
        var winner = await Task.WhenAny(approval, deadline);
        if (winner == approval)
        {
            timeout.Cancel(); // not CancelAsync: an orchestrator awaits durable tasks only
            context.SetCustomStatus(new { stage = "approved", greeting });
            return $"{greeting}|approved:{approval.Result}";
        }

        context.SetCustomStatus(new { stage = "expired", greeting });
        return $"{greeting}|expired";
    }

    [Function(nameof(Greet))]
    public static string Greet([ActivityTrigger] string name) => $"hello {name}";

    [Function(nameof(StartApproval))]
    public static async Task<IResult> StartApproval(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "approvals/{who}")] HttpRequest request,
        string who,
        [DurableClient] DurableTaskClient client)
    {
        var id = await client.ScheduleNewOrchestrationInstanceAsync(nameof(Approval), who);
        return Results.Accepted($"/api/approvals/{id}", new { id });
    }

    [Function(nameof(GetApproval))]
    public static async Task<IResult> GetApproval(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "approvals/{id}")] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client)
    {
        var instance = await client.GetInstanceAsync(id, getInputsAndOutputs: true);
        return instance is null
            ? Results.NotFound()
            : Results.Ok(new { status = instance.RuntimeStatus.ToString(), customStatus = instance.SerializedCustomStatus, output = instance.SerializedOutput });
    }

    [Function(nameof(Approve))]
    public static async Task<IResult> Approve(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "approvals/{id}/approve")] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client)
    {
        await client.RaiseEventAsync(id, "approve", "yes");
        return Results.Accepted();
    }
}
