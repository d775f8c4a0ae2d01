namespace Collection.Files.Tests;

/// <summary>
/// Tests that measure live managed memory run alone: the heap is process-wide, and other tests
/// allocating in parallel would be counted as theirs.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1711:Identifiers should not have incorrect suffix", Justification = "An xUnit collection definition: xUnit names them so.")]
public sealed class MemoryMeasuredCollection
{
    public const string Name = "Memory measured";
}
