using System.Globalization;
using System.Net.Sockets;
using System.Reflection;
using Collection.Functions;
using Collection.Functions.Assessments;
using Collection.Functions.Hosting;
using Collection.Functions.Ledger;
using Collection.Functions.Refunds;
using Collection.Functions.Rosters;
using Collection.Functions.Subsidies;
using Collection.Functions.Supplementary;
using Collection.Functions.Timers;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Collection.Benchmarks;

/// <summary>
/// The app under measurement: its build output (what the local host runs), the app settings it needs, and its
/// services composed as its Program.cs composes them (for component-level benchmarks, in this process).
/// </summary>
internal static class TheApp
{
    /// <summary>The repository this benchmark was built in.</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Collection.Functions.sln")))
                {
                    return directory.FullName;
                }
            }

            throw new InvalidOperationException("Run the benchmarks from their build output inside the repository.");
        }
    }

    /// <summary>The configuration this benchmark was built in (Release, as it should be run); the app and the local host are built in it too.</summary>
    public static string Configuration => typeof(TheApp).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;

    /// <summary>The app's build output: the script root the local host runs (host.json, functions.metadata, the worker).</summary>
    public static string AppDirectory => BuildOutput(Path.Combine("src", "Collection.Functions"), "Collection.Functions.dll");

    /// <summary>The local host's build output, for running it as a process of its own.</summary>
    public static string LocalHostDll => Path.Combine(BuildOutput(Path.Combine("src", "Collection.LocalHost"), "Collection.LocalHost.dll"), "Collection.LocalHost.dll");

    /// <summary>
    /// The app settings every run needs (local.settings.json "Values"): storage, China time for the timers, their
    /// schedules with both timers off (a benchmark must not have a timer run in the middle of it), its own ledger
    /// tables and task hub, and quiet logs (console logging of every row or step would be measured too).
    /// </summary>
    public static Dictionary<string, string> Settings(string storage, string ledgerPrefix) => new(StringComparer.OrdinalIgnoreCase)
    {
        ["AzureWebJobsStorage"] = storage,
        ["WEBSITE_TIME_ZONE"] = "Asia/Shanghai",
        ["ActivateCoverageSchedule"] = "0 5 0 * * *",
        ["SupplementaryEnrolmentSchedule"] = "0 0 2 5 * *",
        ["MonthlyReportsSchedule"] = "0 0 1 * * *",
        ["AzureWebJobs.ActivateCoverage.Disabled"] = "true",
        ["AzureWebJobs.SupplementaryEnrolment.Disabled"] = "true",
        ["AzureWebJobs.MonthlyReports.Disabled"] = "true",
        [LedgerTables.PrefixSetting] = ledgerPrefix,
        [RefundTables.PrefixSetting] = ledgerPrefix,
        ["AzureFunctionsJobHost__extensions__durableTask__hubName"] = "bench" + Guid.NewGuid().ToString("N")[..10],
        ["AzureFunctionsJobHost__logging__logLevel__default"] = "Warning",
    };

    /// <summary>
    /// The app's services composed as Program.cs composes them (the same lines as the tests' AppHost.Compose), on
    /// <paramref name="settings"/>: its storage clients, ledger, books and runs, as a function of the app gets them.
    /// </summary>
    public static ServiceProvider Compose(IReadOnlyDictionary<string, string> settings, TimeProvider? time = null)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key.Replace("__", ":", StringComparison.Ordinal), s.Value)))
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddLogging();
        if (time is not null)
        {
            services.AddSingleton(time);
        }

        services.AddCollectionApp(configuration);
        return services.BuildServiceProvider();
    }

    /// <summary>A function class of the app, made as the worker makes it: from the composed services.</summary>
    public static T Function<T>(IServiceProvider services) => ActivatorUtilities.CreateInstance<T>(services);

    public static int FreePort()
    {
        using var probe = new TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        return ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static string BuildOutput(string project, string file)
    {
        var directory = Path.Combine(RepositoryRoot, project, "bin", Configuration, "net10.0");
        return File.Exists(Path.Combine(directory, file))
            ? directory
            : throw new InvalidOperationException($"{Path.Combine(directory, file)} is missing: dotnet build benchmarks/Collection.Benchmarks -c {Configuration} builds it.");
    }
}

/// <summary>What /proc says of a process: peak working set and CPU time.</summary>
internal static class ProcessFigures
{
    /// <summary>The kernel's peak resident set of the process (VmHWM), in MiB.</summary>
    public static double PeakWorkingSetMiB(int processId) => StatusKiB(processId, "VmHWM") / 1024.0;

    /// <summary>User + system CPU seconds the process has used (utime and stime, the 14th and 15th fields of /proc/PID/stat).</summary>
    public static double CpuSeconds(int processId)
    {
        var stat = File.ReadAllText($"/proc/{processId}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
    }

    /// <summary>The parent of a process (the 4th field of /proc/PID/stat), or null when it is gone.</summary>
    public static int? ParentOf(int processId)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{processId}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>The command line of a process, arguments separated by spaces ("" when it is gone).</summary>
    public static string CommandLine(int processId)
    {
        try
        {
            return File.ReadAllText($"/proc/{processId}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    /// <summary>The running children of a process whose command line contains <paramref name="marker"/>.</summary>
    public static List<int> ChildrenOf(int parent, string marker)
    {
        var children = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), out var pid) && ParentOf(pid) == parent && CommandLine(pid).Contains(marker, StringComparison.Ordinal))
            {
                children.Add(pid);
            }
        }

        return children;
    }

    private static long StatusKiB(int processId, string field)
    {
        var line = File.ReadAllLines($"/proc/{processId}/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }
}
