namespace Collection.Infra.Tests;

/// <summary>Every Bicep file in infra/ compiles and passes the linter (rules set to error in infra/bicepconfig.json).</summary>
public class BicepCompileAndLintTests
{
    public static TheoryData<string> BicepFiles() => new(Files());

    private static IEnumerable<string> Files() =>
        Directory.EnumerateFiles(Bicep.InfraDirectory, "*.bicep", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(Bicep.InfraDirectory, path).Replace('\\', '/'))
            .Order(StringComparer.Ordinal);

    [Fact]
    public void Infra_has_main_and_its_modules()
    {
        var files = Files().ToList();
        Assert.Contains("main.bicep", files);
        Assert.Contains("modules/blob-subscriptions.bicep", files);
    }

    [Fact]
    public void Build_of_main_compiles_it_and_its_modules_with_no_diagnostics()
    {
        var result = Bicep.Run(Bicep.InfraDirectory, "build", "main.bicep", "--stdout");

        Assert.True(result.ExitCode == 0, result.ToString());
        // Warnings (a property the type does not know, an API version with no types) go to stderr.
        Assert.True(string.IsNullOrWhiteSpace(result.Stderr), result.ToString());
        Assert.StartsWith("{", result.Stdout.TrimStart(), StringComparison.Ordinal);
    }

    // Each file on its own too: modules/blob-subscriptions.bicep is also deployed alone (scripts/postdeploy.sh).
    [Theory]
    [MemberData(nameof(BicepFiles))]
    public void Lint_reports_nothing(string file)
    {
        var result = Bicep.Run(Bicep.InfraDirectory, "lint", file);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(string.IsNullOrWhiteSpace(result.Stdout) && string.IsNullOrWhiteSpace(result.Stderr), result.ToString());
    }

    [Fact]
    public void Lint_fails_a_file_that_breaks_a_rule_set_to_error()
    {
        // The same bicepconfig.json beside a file with an unused parameter: proves the lint test can fail
        // and that the config is the one read (the rule is only a warning by default).
        var directory = Directory.CreateTempSubdirectory("infra-lint-");
        try
        {
            File.Copy(Path.Combine(Bicep.InfraDirectory, "bicepconfig.json"), Path.Combine(directory.FullName, "bicepconfig.json"));
            File.WriteAllText(Path.Combine(directory.FullName, "broken.bicep"), "param unused string\n");

            var result = Bicep.Run(directory.FullName, "lint", "broken.bicep");

            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains("Error no-unused-params", result.Stdout + result.Stderr, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
