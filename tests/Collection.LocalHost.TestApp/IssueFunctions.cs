using Azure;
using Azure.Data.Tables;
using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;

namespace Collection.LocalHost.TestApp;

/// <summary>
/// For the crash test: a case that checks, waits a moment, then issues something exactly once. Issuing is
/// idempotent (a row keyed by the instance, inserted only if absent), so an activity run again after a crash
/// issues nothing twice; every execution is also counted, to show how many were repeated.
/// </summary>
public sealed class IssueFunctions(TableServiceClient tables)
{
    public const string IssuedTable = "TestAppIssued";
    public const string ExecutionsTable = "TestAppExecutions";

    [Function(nameof(IssueCase))]
    public static async Task<string> IssueCase([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        await context.CallActivityAsync<bool>(nameof(CheckCase), context.InstanceId);
        await context.CreateTimer(context.CurrentUtcDateTime.AddSeconds(1), CancellationToken.None);
        return await context.CallActivityAsync<string>(nameof(IssueOnce), context.InstanceId);
    }

    [Function(nameof(CheckCase))]
    public async Task<bool> CheckCase([ActivityTrigger] string instanceId, FunctionContext context)
    {
        await CountAsync(nameof(CheckCase), instanceId, context.CancellationToken);
        return true;
    }

    [Function(nameof(IssueOnce))]
    public async Task<string> IssueOnce([ActivityTrigger] string instanceId, FunctionContext context)
    {
        await CountAsync(nameof(IssueOnce), instanceId, context.CancellationToken);
        var issued = tables.GetTableClient(IssuedTable);
        await issued.CreateIfNotExistsAsync(context.CancellationToken);
        try
        {
            await issued.AddEntityAsync(new TableEntity("issued", instanceId), context.CancellationToken);
            return "issued";
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            return "already issued";
        }
    }

    /// <summary><c>POST /api/issues/{prefix}?count=</c>: opens <c>count</c> cases named <c>{prefix}-{i}</c>.</summary>
    [Function(nameof(StartIssues))]
    public static async Task<IResult> StartIssues(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "issues/{prefix}")] HttpRequest request,
        string prefix,
        [DurableClient] DurableTaskClient client)
    {
        var count = int.Parse(request.Query["count"].ToString(), System.Globalization.CultureInfo.InvariantCulture);
        foreach (var batch in Enumerable.Range(0, count).Chunk(32))
        {
            await Task.WhenAll(batch.Select(i => client.ScheduleNewOrchestrationInstanceAsync(nameof(IssueCase), new StartOrchestrationOptions($"{prefix}-{i}"))));
        }

        return Results.Accepted();
    }

    private async Task CountAsync(string activity, string instanceId, CancellationToken cancellationToken)
    {
        var executions = tables.GetTableClient(ExecutionsTable);
        await executions.CreateIfNotExistsAsync(cancellationToken);
        await executions.AddEntityAsync(new TableEntity(activity, $"{instanceId}-{Guid.NewGuid():N}"), cancellationToken);
    }
}
