using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Collection.Testing;

namespace Collection.LocalHost.Tests;

public sealed class WorkerRestartTests(LocalHostFixture host) : IClassFixture<LocalHostFixture>
{
    [Fact]
    public async Task WorkerThatExits_IsStartedAgain_AndServesTheNextRequest()
    {
        var before = await host.Http.GetFromJsonAsync<JsonElement>("api/hello/a");
        var firstWorker = before.GetProperty("worker").GetInt32();

        using var exit = await host.Http.PostAsync("api/exit", null);
        Assert.Equal(HttpStatusCode.Accepted, exit.StatusCode);
        await WaitUntilExitedAsync(firstWorker);

        // Requests wait while the worker starts again and are then answered by the new process. (One that
        // reaches the old worker while it is still shutting down may get that worker's own error, as in Azure.)
        var after = await AnswerFromAnotherWorkerAsync(firstWorker);
        Assert.Equal("你好 b", after.GetProperty("greeting").GetString());
        Assert.NotEqual(firstWorker, after.GetProperty("worker").GetInt32());
    }

    private Task<JsonElement> AnswerFromAnotherWorkerAsync(int oldWorker) =>
        Eventually.GetAsync(
            async () =>
            {
                using var response = await host.Http.GetAsync("api/hello/b");
                return response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<JsonElement>() : default;
            },
            answer => answer.ValueKind == JsonValueKind.Object && answer.GetProperty("worker").GetInt32() != oldWorker,
            answer => $"No answer from a new worker; last: {answer}",
            TimeSpan.FromSeconds(60));

    private static Task WaitUntilExitedAsync(int processId) =>
        Eventually.TrueAsync(() => Task.FromResult(HasExited(processId)), () => $"worker {processId} to exit");

    private static bool HasExited(int processId)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(processId);
            return process.HasExited;
        }
        catch (ArgumentException)
        {
            return true;
        }
    }
}
