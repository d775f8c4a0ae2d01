namespace Collection.Functions.Tests.Readme;

/// <summary>Tests that run README commands which build the app in Debug: one at a time, or their builds collide.</summary>
[CollectionDefinition(Name)]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "An xUnit collection definition: xUnit names them so.")]
public sealed class DebugBuildCollection
{
    public const string Name = "Debug build of the app";
}
