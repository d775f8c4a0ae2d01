using System.Diagnostics;
using System.Text.RegularExpressions;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;

namespace Collection.Testing;

/// <summary>
/// A real Azurite started by the test run itself: in-memory, on free ports chosen by the OS, so it
/// never depends on nor collides with one started by run.sh. Tests share <see cref="SharedAsync"/>
/// (one per test process, isolated by unique container/queue/table names) or start their own
/// when they need to stop and restart storage.
/// </summary>
public sealed partial class AzuriteInstance : IAsyncDisposable
{
    public const string AccountName = "devstoreaccount1";

    // The well-known development key Azurite accepts; not a secret.
    public const string AccountKey =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private static readonly Lazy<Task<AzuriteInstance>> Shared = new(() => StartAsync());

    private Process? _process;

    private AzuriteInstance(int blobPort, int queuePort, int tablePort)
    {
        BlobPort = blobPort;
        QueuePort = queuePort;
        TablePort = tablePort;
    }

    public int BlobPort { get; private set; }

    public int QueuePort { get; private set; }

    public int TablePort { get; private set; }

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Azurite's own process (a child of the wrapper that ends it with this process).</summary>
    public int ServerProcessId { get; private set; }

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{BlobPort}/{AccountName};" +
        $"QueueEndpoint=http://127.0.0.1:{QueuePort}/{AccountName};" +
        $"TableEndpoint=http://127.0.0.1:{TablePort}/{AccountName};";

    /// <summary>The Azurite shared by every test in this process; started on first use.</summary>
    public static Task<AzuriteInstance> SharedAsync() => Shared.Value;

    /// <summary>Starts a dedicated Azurite. Ports 0 let the OS pick; pass ports to restart on the same ones.</summary>
    public static async Task<AzuriteInstance> StartAsync(int blobPort = 0, int queuePort = 0, int tablePort = 0)
    {
        var instance = new AzuriteInstance(blobPort, queuePort, tablePort);
        await instance.LaunchAsync().ConfigureAwait(false);
        return instance;
    }

    /// <summary>
    /// An Azurite not started yet, on free ports: storage that is unreachable until <see cref="RestartAsync"/>
    /// (for tests of a host started before its storage).
    /// </summary>
    public static AzuriteInstance NotStartedOnFreePorts() => new(FreePort(), FreePort(), FreePort());

    public BlobServiceClient CreateBlobServiceClient() => new(ConnectionString);

    public QueueServiceClient CreateQueueServiceClient() => new(ConnectionString);

    public TableServiceClient CreateTableServiceClient() => new(ConnectionString);

    /// <summary>A name unique to one test, valid for containers, queues and tables (letters and digits).</summary>
    public static string UniqueName(string prefix) =>
        (prefix + Guid.NewGuid().ToString("N")[..12]).ToLowerInvariant();

    /// <summary>Kills Azurite (storage goes away; in-memory data is lost).</summary>
    public async Task StopAsync()
    {
        if (_process is null)
        {
            return;
        }

        try
        {
            if (!_process.HasExited)
            {
                KillQuietly(_process);
                await _process.WaitForExitAsync().ConfigureAwait(false);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
        _process = null;
    }

    private long _requests;

    /// <summary>Requests Azurite has answered since it started (its access log), for benchmarks' cost per operation.</summary>
    public long RequestCount => Interlocked.Read(ref _requests);

    /// <summary>Starts Azurite again on the same ports after <see cref="StopAsync"/> (or first after <see cref="NotStartedOnFreePorts"/>).</summary>
    public Task RestartAsync() => IsRunning ? Task.CompletedTask : LaunchAsync();

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);

    private async Task LaunchAsync()
    {
        var executable = FindAzuriteExecutable();
        var workDirectory = Directory.CreateTempSubdirectory("azurite-test-").FullName;
        // Through a wrapper that ends Azurite when this process's end closes its stdin: a test process that is
        // killed (SIGKILL, a CI timeout) runs no exit handler, and Azurite would be left running.
        var start = new ProcessStartInfo("node")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workDirectory,
        };
        foreach (var argument in new[]
                 {
                     Path.Combine(AppContext.BaseDirectory, "azurite-with-parent.js"), executable,
                     "--inMemoryPersistence", "--skipApiVersionCheck", "--loose", "--disableProductStyleUrl",
                     "--blobHost", "127.0.0.1", "--blobPort", BlobPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--queueHost", "127.0.0.1", "--queuePort", QueuePort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "--tableHost", "127.0.0.1", "--tablePort", TablePort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                 })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Azurite did not start.");
        _process = process;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillQuietly(process);

        var ports = new Dictionary<string, int>(StringComparer.Ordinal);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            if (ready.Task.IsCompleted)
            {
                // Started: its output is the access log, a line per request. Counted, not kept (a long test run
                // makes millions of requests).
                if (e.Data.Contains(" HTTP/", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref _requests);
                }

                return;
            }

            lock (output)
            {
                output.AppendLine(e.Data);
                var server = ServerProcessLine().Match(e.Data);
                if (server.Success)
                {
                    ServerProcessId = int.Parse(server.Groups["pid"].Value, System.Globalization.CultureInfo.InvariantCulture);
                }

                var match = ListeningLine().Match(e.Data);
                if (match.Success)
                {
                    ports[match.Groups["service"].Value] = int.Parse(match.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture);
                    if (ports.Count == 3)
                    {
                        ready.TrySetResult();
                    }
                }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null && !ready.Task.IsCompleted)
            {
                lock (output)
                {
                    output.AppendLine(e.Data);
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var exited = process.WaitForExitAsync();
        var finished = await Task.WhenAny(ready.Task, exited, Task.Delay(TimeSpan.FromSeconds(60))).ConfigureAwait(false);
        if (finished != ready.Task)
        {
            KillQuietly(process);
            string log;
            lock (output)
            {
                log = output.ToString();
            }

            throw new InvalidOperationException($"Azurite did not report its three services listening within 60 s. Output:\n{log}");
        }

        BlobPort = ports["Blob"];
        QueuePort = ports["Queue"];
        TablePort = ports["Table"];
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void KillQuietly(Process process)
    {
        try
        {
            // Closing the wrapper's stdin ends Azurite and the wrapper. Not Kill(entireProcessTree): it stops each
            // process before killing it, and a test process ending meanwhile leaves them stopped, deaf to stdin.
            process.StandardInput.Close();
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
        }
    }

    /// <summary>node_modules/.bin/azurite in the repository root (installed by test.sh from package-lock.json).</summary>
    private static string FindAzuriteExecutable()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "node_modules", ".bin", "azurite");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            "Azurite is not installed: run ./test.sh (it runs 'npm ci' in the repository root) before the tests.");
    }

    [GeneratedRegex(@"^Azurite process (?<pid>\d+)$")]
    private static partial Regex ServerProcessLine();

    [GeneratedRegex(@"Azurite (?<service>Blob|Queue|Table) service is successfully listening at http://[^:]+:(?<port>\d+)")]
    private static partial Regex ListeningLine();
}
