using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.Hosting;

/// <summary>
/// Any <c>/api/…</c> address no other function takes (routing prefers every literal route to this catch-all):
/// a 404 problem with a code and the Chinese message, instead of the Functions host's empty 404, in Azure as locally.
/// </summary>
public static class NotFoundFunction
{
    [Function("NotFound")]
    [Public]
    public static IResult Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", "post", "put", "patch", "delete", Route = "{*path}")] HttpRequest request) =>
        HttpErrors.Problem(StatusCodes.Status404NotFound, HttpErrors.NotFound, "No function answers this address.",
            "See GET /admin/functions (locally) or the README for the API's routes.");
}
