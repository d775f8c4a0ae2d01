using Azure.Storage.Blobs;
using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.Hosting;

/// <summary><c>GET /api/health</c>: storage reachable or not (503), and the facts the app adds (the business date).</summary>
public sealed class HealthFunction(BlobServiceClient blobs, IEnumerable<HealthFact> facts, IServiceProvider services)
{
    [Function("Health")]
    [Public]
    public async Task<IResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(3));
        try
        {
            await blobs.GetPropertiesAsync(timeout.Token).ConfigureAwait(false);
            return Results.Ok(With(new() { ["status"] = "healthy", ["storage"] = "reachable" }));
        }
        catch (Exception e) when (e is Azure.RequestFailedException or OperationCanceledException or AggregateException)
        {
            return Results.Json(With(new() { ["status"] = "unhealthy", ["storage"] = "unreachable", ["error"] = e.Message }), statusCode: StatusCodes.Status503ServiceUnavailable);
        }
    }

    private Dictionary<string, object?> With(Dictionary<string, object?> answer)
    {
        foreach (var fact in facts)
        {
            answer[fact.Name] = fact.Value(services);
        }

        return answer;
    }
}
