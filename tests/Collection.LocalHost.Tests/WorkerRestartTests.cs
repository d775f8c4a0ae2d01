using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

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

        // The request waits while the worker starts again, then gets its answer from the new process.
        var after = await host.Http.GetFromJsonAsync<JsonElement>("api/hello/b");
        Assert.Equal("你好 b", after.GetProperty("greeting").GetString());
        Assert.NotEqual(firstWorker, after.GetProperty("worker").GetInt32());
    }

    private static async Task WaitUntilExitedAsync(int processId)
    {
        for (var i = 0; i < 200; i++)
        {
            try
            {
                using var process = System.Diagnostics.Process.GetProcessById(processId);
                if (process.HasExited)
                {
                    return;
                }
            }
            catch (ArgumentException)
            {
                return;
            }

            await Task.Delay(50);
        }

        Assert.Fail($"Worker {processId} did not exit.");
    }
}
