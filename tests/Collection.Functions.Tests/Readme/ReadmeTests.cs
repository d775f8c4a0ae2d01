using System.Text.Json;
using Collection.Testing;

namespace Collection.Functions.Tests.Readme;

/// <summary>Every curl command in the README runs, as printed, against a real host with the development keys.</summary>
public sealed class ReadmeTests
{
    [Fact]
    [Trait("Category", "Slow")]
    public async Task EveryCurlCommandInReadme_SucceedsAgainstARunningHost()
    {
        var root = ReadmeCommands.RepositoryRoot();
        var commands = ReadmeCommands.Commands(await File.ReadAllTextAsync(Path.Combine(root, "README.md")), "curl");
        Assert.NotEmpty(commands);

        // A dedicated Azurite with every listener on: the README's uploads are processed as on a real host.
        await using var azurite = await AzuriteInstance.StartAsync();
        // The sample's settings but its storage: AppHost points the app at this test's Azurite.
        var settings = SampleSettings(root).Where(s => s.Name != "AzureWebJobsStorage").ToDictionary(s => s.Name, s => s.Value, StringComparer.OrdinalIgnoreCase);
        foreach (var function in AppHost.TriggeredFunctions)
        {
            settings[$"AzureWebJobs.{function}.Disabled"] = "false";
        }

        await using var host = await AppHost.StartAsync(azurite, settings);
        var baseUrl = host.BaseAddress.AbsoluteUri.TrimEnd('/');

        // Files the commands write land in a scratch folder; paths they read (samples/) resolve from it.
        var scratch = Directory.CreateTempSubdirectory("readme-").FullName;
        Directory.CreateSymbolicLink(Path.Combine(scratch, "samples"), Path.Combine(root, "samples"));
        foreach (var command in commands)
        {
            var runnable = command
                .Replace(ReadmeCommands.DocumentedBaseUrl, baseUrl, StringComparison.Ordinal)
                .Replace("curl ", "curl --fail-with-body ", StringComparison.Ordinal);

            var (exitCode, output) = await ReadmeCommands.RunAsync(runnable, scratch, TimeSpan.FromSeconds(60));

            Assert.True(exitCode == 0, $"README command failed ({exitCode}): {command}\n{output}");
        }
    }

    private static List<(string Name, string Value)> SampleSettings(string root)
    {
        using var sample = JsonDocument.Parse(File.ReadAllText(Path.Combine(root, "local.settings.sample.json")));
        return sample.RootElement.GetProperty("Values").EnumerateObject().Select(p => (p.Name, p.Value.ToString())).ToList();
    }
}
