using System.Diagnostics;
using System.Text.Json;

namespace Collection.Benchmarks;

/// <summary>
/// The app as it runs locally, each part a process of its own: the local host started from its build output
/// (<c>dotnet Collection.LocalHost.dll --script-root … --settings … --port …</c>) as a child of this process,
/// and the app's real worker, which the host starts as its child. The worker is found by the pid note the host
/// writes (<c>{tmp}/collection-localhost-workers/{host}.{worker}.pid</c>) and checked against /proc (a child of the
/// host with the worker's arguments), so both processes can be measured apart.
/// </summary>
internal sealed class LocalHostProcess : IAsyncDisposable
{
    private const string WorkerMarker = "--functions-worker-id";
    private readonly string _settingsPath;

    private LocalHostProcess(Process host, int workerId, Uri baseAddress, string settingsPath)
    {
        Host = host;
        WorkerId = workerId;
        BaseAddress = baseAddress;
        _settingsPath = settingsPath;
    }

    public Process Host { get; }

    /// <summary>The worker process serving the app (the one started with the host; see <see cref="EnsureSameWorker"/>).</summary>
    public int WorkerId { get; }

    public Uri BaseAddress { get; }

    public static async Task<LocalHostProcess> StartAsync(IReadOnlyDictionary<string, string> values)
    {
        var settingsPath = Path.Combine(Path.GetTempPath(), $"bench.settings.{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(settingsPath, JsonSerializer.Serialize(new { IsEncrypted = false, Values = values }));
        var port = TheApp.FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = TheApp.RepositoryRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { TheApp.LocalHostDll, "--script-root", TheApp.AppDirectory, "--settings", settingsPath, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        var host = Process.Start(start) ?? throw new InvalidOperationException("The local host did not start.");

        // Its log (warnings and errors only, with the settings above) goes to this process's error output.
        host.OutputDataReceived += (_, e) => Forward(e.Data);
        host.ErrorDataReceived += (_, e) => Forward(e.Data);
        host.BeginOutputReadLine();
        host.BeginErrorReadLine();
        var baseAddress = new Uri($"http://127.0.0.1:{port}/");
        try
        {
            await WaitForHealthAsync(host, baseAddress);
            return new LocalHostProcess(host, FindWorker(host.Id), baseAddress, settingsPath);
        }
        catch
        {
            Stop(host);
            File.Delete(settingsPath);
            throw;
        }
    }

    /// <summary>A client of the host's HTTP functions with <paramref name="key"/> as <c>x-functions-key</c>.</summary>
    public HttpClient Client(string? key = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(5) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Add("x-functions-key", key);
        }

        return client;
    }

    /// <summary>Throws when the worker measured is no longer the one serving (it exited and the host started another).</summary>
    public void EnsureSameWorker()
    {
        var workers = ProcessFigures.ChildrenOf(Host.Id, WorkerMarker);
        if (workers.Count != 1 || workers[0] != WorkerId)
        {
            throw new InvalidOperationException($"The worker {WorkerId} is no longer the host's only worker (now: {string.Join(", ", workers)}): it was restarted, so its figures are not the run's.");
        }
    }

    public async ValueTask DisposeAsync()
    {
        var hostId = Host.Id;
        Stop(Host);
        await Host.WaitForExitAsync();
        Host.Dispose();
        File.Delete(_settingsPath);

        // A killed host leaves its pid note; the next host would clean it up, this is tidier.
        File.Delete(Path.Combine(NotesDirectory, $"{hostId}.{WorkerId}.pid"));
    }

    private static string NotesDirectory => Path.Combine(Path.GetTempPath(), "collection-localhost-workers");

    /// <summary>The host's worker: named by the host's pid note, and a child of the host started with the worker's arguments.</summary>
    private static int FindWorker(int hostId)
    {
        var noted = Directory.Exists(NotesDirectory)
            ? Directory.GetFiles(NotesDirectory, $"{hostId}.*.pid")
                .Select(f => Path.GetFileNameWithoutExtension(f).Split('.'))
                .Where(ids => ids.Length == 2 && int.TryParse(ids[1], out _))
                .Select(ids => int.Parse(ids[1], System.Globalization.CultureInfo.InvariantCulture))
                .ToList()
            : [];
        var children = ProcessFigures.ChildrenOf(hostId, WorkerMarker);
        var workers = noted.Intersect(children).ToList();
        return workers.Count == 1
            ? workers[0]
            : throw new InvalidOperationException($"Expected one worker of host {hostId}: noted {string.Join(", ", noted)}, children {string.Join(", ", children)}.");
    }

    private static async Task WaitForHealthAsync(Process host, Uri baseAddress)
    {
        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(10) };
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (host.HasExited)
            {
                throw new InvalidOperationException($"The local host exited with {host.ExitCode} before it answered.");
            }

            try
            {
                using var response = await http.GetAsync(new Uri("api/health", UriKind.Relative));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }

            if (clock.Elapsed > TimeSpan.FromSeconds(120))
            {
                throw new TimeoutException("The app in the local host did not answer /api/health within 120 s.");
            }

            await Task.Delay(100);
        }
    }

    private static void Stop(Process host)
    {
        try
        {
            host.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Exited already.
        }
    }

    private static void Forward(string? line)
    {
        if (!string.IsNullOrWhiteSpace(line))
        {
            Console.Error.WriteLine($"host: {line}");
        }
    }
}
