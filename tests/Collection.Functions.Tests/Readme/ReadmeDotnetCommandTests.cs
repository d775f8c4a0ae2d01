namespace Collection.Functions.Tests.Readme;

/// <summary>The README's <c>dotnet run</c> commands (the offline roster check) run as printed, from the repository root.</summary>
[Collection(DebugBuildCollection.Name)]
public sealed class ReadmeDotnetCommandTests
{
    [Fact]
    [Trait("Category", "Slow")]
    public async Task EveryDotnetRunCommandInReadme_RunsAndReportsWithoutCrashing()
    {
        var root = ReadmeCommands.RepositoryRoot();
        var commands = ReadmeCommands.Commands(await File.ReadAllTextAsync(Path.Combine(root, "README.md")), "dotnet");
        Assert.NotEmpty(commands);

        foreach (var command in commands)
        {
            var (exitCode, output) = await ReadmeCommands.RunAsync(command, root, TimeSpan.FromMinutes(5));

            // 0: every row passes; 1: rows rejected (the samples carry deliberate mistakes). 2 or worse: broken.
            Assert.True(exitCode is 0 or 1, $"README command failed ({exitCode}): {command}\n{output}");
            Assert.Contains("rejected", output, StringComparison.OrdinalIgnoreCase);
        }
    }
}
