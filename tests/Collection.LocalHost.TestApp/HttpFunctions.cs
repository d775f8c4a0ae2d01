using Microsoft.AspNetCore.Http;
using Microsoft.Azure.Functions.Worker;

namespace Collection.LocalHost.TestApp;

public sealed class HttpFunctions
{
    [Function("Hello")]
    public IResult Hello([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "hello/{name}")] HttpRequest request, string name) =>
        Results.Ok(new { greeting = $"你好 {name}", query = request.Query["q"].ToString(), worker = Environment.ProcessId });

    [Function("Echo")]
    public async Task<IResult> Echo([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "echo")] HttpRequest request)
    {
        using var reader = new StreamReader(request.Body);
        var body = await reader.ReadToEndAsync(request.HttpContext.RequestAborted);
        request.HttpContext.Response.Headers["X-Echo-Length"] = body.Length.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Results.Text(body, request.ContentType, statusCode: StatusCodes.Status201Created);
    }

    [Function("Fail")]
    public IResult Fail([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "fail")] HttpRequest request) =>
        throw new InvalidOperationException("This function always fails.");

    [Function("Exit")]
    public IResult Exit([HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "exit")] HttpRequest request)
    {
        // Lets a test crash the worker; the host must start it again.
        _ = Task.Run(async () => { await Task.Delay(200); Environment.Exit(3); });
        return Results.Accepted();
    }
}
