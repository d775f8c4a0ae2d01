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

        // Requests wait while the worker starts again and are then answered by the new process. (One that
        // reaches the old worker while it is still shutting down may get that worker's own error, as in Azure.)
        var after = await AnswerFromAnotherWorkerAsync(firstWorker);
        Assert.Equal("你好 b", after.GetProperty("greeting").GetString());
        Assert.NotEqual(firstWorker, after.GetProperty("worker").GetInt32());
    }

    private async Task<JsonElement> AnswerFromAnotherWorkerAsync(int oldWorker)
    {
        var deadline = DateTimeOffset.UtcNow.AddSeconds(60);
        while (true)
        {
            using var response = await host.Http.GetAsync("api/hello/b");
            if (response.IsSuccessStatusCode)
            {
                var answer = await response.Content.ReadFromJsonAsync<JsonElement>();
                if (answer.GetProperty("worker").GetInt32() != oldWorker)
                {
                    return answer;
                }
            }

            Assert.True(DateTimeOffset.UtcNow < deadline, $"No answer from a new worker; last: {(int)response.StatusCode}");
            await Task.Delay(100);
        }
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
