using NetArchTest.Rules;

namespace Collection.LocalHost.Tests;

/// <summary>The local host knows the Functions worker protocol and Microsoft's host-side extensions, not medical insurance.</summary>
public class ArchitectureTests
{
    private static readonly System.Reflection.Assembly Host = typeof(LocalHostOptions).Assembly;

    [Fact]
    public void LocalHost_ReferencesNeitherTheAppNorTheDomain()
    {
        var references = Host.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        var result = Types.InAssembly(Host).ShouldNot().HaveDependencyOnAny("Collection.Functions", "Collection.Domain").GetResult();

        Assert.DoesNotContain("Collection.Functions", references);
        Assert.DoesNotContain("Collection.Domain", references);
        Assert.True(result.IsSuccessful, "Local host types that know the app: " + string.Join(", ", result.FailingTypeNames ?? []));
    }
}
