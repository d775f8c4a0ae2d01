using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Collection.Functions.Tests.Readme;

/// <summary>The README's shell examples, so a test can run every one of them as printed.</summary>
internal static partial class ReadmeCommands
{
    public const string DocumentedBaseUrl = "http://localhost:7071";

    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Collection.Functions.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Collection.Functions.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Every command in a ```sh block that starts with <paramref name="program"/>, continuation lines joined.</summary>
    public static IReadOnlyList<string> Commands(string readme, string program)
    {
        var commands = new List<string>();
        foreach (Match block in ShellBlock().Matches(readme))
        {
            var joined = block.Groups[1].Value.Replace("\\\n", " ", StringComparison.Ordinal);
            commands.AddRange(joined.Split('\n')
                .Select(line => line.Trim())
                .Where(line => line.StartsWith(program + " ", StringComparison.Ordinal)));
        }

        return commands;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task<(int ExitCode, string Output)> RunAsync(string command, string workingDirectory, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("bash", ["-c", command])
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cancel.Token);
        output.Append(await stdout).Append(await stderr);
        return (process.ExitCode, output.ToString());
    }

    [GeneratedRegex(@"```sh\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ShellBlock();
}
