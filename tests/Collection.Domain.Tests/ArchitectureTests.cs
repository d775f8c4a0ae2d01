using Collection.Domain.Policies;
using NetArchTest.Rules;

namespace Collection.Domain.Tests;

/// <summary>The domain is pure: it references the BCL only and reads no clock, file, network or Azure.</summary>
public class ArchitectureTests
{
    private static readonly System.Reflection.Assembly Domain = typeof(Policy).Assembly;

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
}
