using System.Diagnostics;
using Collection.Testing;

namespace Collection.Functions.Tests.Readme;

/// <summary>
/// ./run.sh as a newcomer runs it: builds, starts the host, prints where things are, and stops cleanly
/// on Ctrl-C. Storage points at the test's Azurite so it never touches a developer's on 10000-10002.
/// </summary>
[Collection(DebugBuildCollection.Name)]
public sealed class RunScriptTests
{
    [Fact]
    [Trait("Category", "Slow")]
    public async Task RunScript_StartsHostThatAnswers_AndStopsOnInterrupt()
    {
        var root = ReadmeCommands.RepositoryRoot();
        // Its own Azurite: run.sh starts a host with every blob trigger on, which would ingest the files other tests
        // drop on the shared one (as of its own date) and overwrite their results.
        await using var azurite = await AzuriteInstance.StartAsync();
        var port = ReadmeCommands.FreePort();
        // Ctrl-C in a terminal reaches a shell that can trap it. A test run started in the background of a
        // non-interactive shell inherits SIGINT as ignored, and bash cannot trap a signal ignored on entry,
        // so start the script with the default disposition, as a terminal would.
        var start = new ProcessStartInfo("env", ["--default-signal=INT", "bash", "./run.sh"])
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["AzureWebJobsStorage"] = azurite.ConnectionString;
        start.Environment["PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var script = Process.Start(start)!;
        var output = script.StandardOutput.ReadToEndAsync();
        var errors = script.StandardError.ReadToEndAsync();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };

        var healthy = false;
        for (var deadline = DateTime.UtcNow.AddMinutes(8); DateTime.UtcNow < deadline && !script.HasExited && !healthy; await Task.Delay(1000))
        {
            try
            {
                healthy = (await http.GetAsync(new Uri($"http://127.0.0.1:{port}/api/health"))).IsSuccessStatusCode;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Still building or starting (the local host holds requests while the worker starts).
            }
        }

        using (var interrupt = Process.Start("kill", ["-INT", script.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await interrupt.WaitForExitAsync();
        }

        using var stopWithin = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await script.WaitForExitAsync(stopWithin.Token);
        var printed = await output + await errors;

        Assert.True(healthy, "run.sh did not bring up a healthy host:\n" + printed);
        Assert.Contains($"API base URL     http://localhost:{port}/api", printed, StringComparison.Ordinal);
        Assert.Contains("Host stopped.", printed, StringComparison.Ordinal);
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(new Uri($"http://127.0.0.1:{port}/api/health")));
    }
}
