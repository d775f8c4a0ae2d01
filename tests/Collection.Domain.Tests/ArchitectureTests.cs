using Collection.Domain.Policies;
using Collection.Files;
using NetArchTest.Rules;

namespace Collection.Domain.Tests;

/// <summary>
/// The domain is pure: it references the BCL only and reads no clock, file, network or Azure. The file component
/// (Collection.Files) knows neither the app nor Azure, so it can be used and tested without either.
/// </summary>
public class ArchitectureTests
{
    private static readonly System.Reflection.Assembly Domain = typeof(Policy).Assembly;

    private static readonly System.Reflection.Assembly Files = typeof(TabularFile).Assembly;

    [Fact]
    public void Domain_ReferencesTheBaseClassLibraryOnly()
    {
        var references = Domain.GetReferencedAssemblies().Select(a => a.Name!).ToList();

        Assert.All(references, name => Assert.True(name.StartsWith("System", StringComparison.Ordinal) || name is "netstandard" or "mscorlib", name));
    }

    [Fact]
    public void Domain_DependsOnNoInfrastructure()
    {
        var result = Types.InAssembly(Domain).ShouldNot().HaveDependencyOnAny(
            "Azure", "Microsoft.Azure", "Microsoft.AspNetCore", "Microsoft.Extensions", "Microsoft.DurableTask",
            "Collection.Functions", "System.IO", "System.Net", "System.Diagnostics.Process", "System.Threading.Timer").GetResult();

        Assert.True(result.IsSuccessful, "Domain types with infrastructure dependencies: " + string.Join(", ", result.FailingTypeNames ?? []));
    }

    [Fact]
    public void Files_ReferencesNeitherTheAppNorAzure()
    {
        var references = Files.GetReferencedAssemblies().Select(a => a.Name!).ToList();

        Assert.Contains("CsvHelper", references);
        Assert.DoesNotContain(references, name => name.StartsWith("Collection.Functions", StringComparison.Ordinal)
            || name.StartsWith("Collection.LocalHost", StringComparison.Ordinal) || name.StartsWith("Azure", StringComparison.Ordinal)
            || name.StartsWith("Microsoft.Azure", StringComparison.Ordinal) || name.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
    }

    [Fact]
    public void Files_DependsOnNoAppOrAzureType()
    {
        var result = Types.InAssembly(Files).ShouldNot().HaveDependencyOnAny(
            "Azure", "Microsoft.Azure", "Microsoft.AspNetCore", "Microsoft.DurableTask", "Collection.Functions", "Collection.LocalHost").GetResult();

        Assert.True(result.IsSuccessful, "File component types that depend on the app or Azure: " + string.Join(", ", result.FailingTypeNames ?? []));
    }
}
