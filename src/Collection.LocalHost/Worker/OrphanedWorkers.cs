using System.Diagnostics;

namespace Collection.LocalHost.Worker;

/// <summary>
/// A worker outlives a host that was killed (SIGKILL, a crash): it keeps running with its connection gone.
/// Each host notes its worker's process id in a file named after the host's own; a host starting up stops the
/// workers of hosts that are no longer running.
/// </summary>
internal static partial class OrphanedWorkers
{
    private static readonly string Directory = Path.Combine(Path.GetTempPath(), "collection-localhost-workers");

    /// <summary><c>{host}.{worker}.pid</c>: one process may run several hosts (tests do), each with its worker.</summary>
    private static string NoteOf(int workerProcessId) => Path.Combine(Directory, $"{Environment.ProcessId}.{workerProcessId}.pid");

    public static void Note(Process worker)
    {
        System.IO.Directory.CreateDirectory(Directory);
        File.WriteAllText(NoteOf(worker.Id), string.Empty);
    }

    public static void Forget(int workerProcessId) => File.Delete(NoteOf(workerProcessId));

    public static void StopThoseOfDeadHosts(ILogger logger)
    {
        if (!System.IO.Directory.Exists(Directory))
        {
            return;
        }

        foreach (var note in System.IO.Directory.GetFiles(Directory, "*.pid"))
        {
            var ids = Path.GetFileNameWithoutExtension(note).Split('.');
            if (ids.Length != 2 || !int.TryParse(ids[0], out var host) || !int.TryParse(ids[1], out var worker) || IsRunning(host))
            {
                continue;
            }

            if (IsWorker(worker))
            {
                try
                {
                    using var process = Process.GetProcessById(worker);
                    process.Kill(entireProcessTree: true);
                    LogStopped(logger, worker, host);
                }
                catch (Exception e) when (e is ArgumentException or InvalidOperationException)
                {
                    // Gone meanwhile.
                }
            }

            File.Delete(note);
        }
    }

    private static bool IsRunning(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>A process id may have been reused: only a process started with the worker's arguments is stopped.</summary>
    private static bool IsWorker(int processId)
    {
        var commandLine = $"/proc/{processId}/cmdline";
        try
        {
            return File.Exists(commandLine) && File.ReadAllText(commandLine).Contains("--functions-worker-id", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopped worker process {Worker} left running by local host process {Host}, which is gone")]
    private static partial void LogStopped(ILogger logger, int worker, int host);
}
