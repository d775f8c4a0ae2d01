using Collection.Benchmarks;

// One entry per benchmark; each prints its figures as ratios against a baseline measured in the same run.
// Run: dotnet run -c Release --project benchmarks/Collection.Benchmarks -- <name> [options]
var benchmarks = new Dictionary<string, Func<string[], Task>>(StringComparer.OrdinalIgnoreCase)
{
    ["assessment"] = AssessmentBenchmark.RunAsync,
    ["files"] = FileReadingBenchmark.RunAsync,
    ["rosters"] = RosterBenchmark.RunAsync,
    ["workflows"] = WorkflowBenchmark.RunAsync,
    ["ledger"] = LedgerBenchmark.RunAsync,
    ["subsidies"] = SubsidyListBenchmark.RunAsync,
    ["supplementary"] = SupplementaryBenchmark.RunAsync,
    ["hostile"] = HostileUploadBenchmark.RunAsync,
};

if (args.Length == 0 || !benchmarks.TryGetValue(args[0], out var run))
{
    Console.Error.WriteLine($"usage: dotnet run -c Release --project benchmarks/Collection.Benchmarks -- <{string.Join('|', benchmarks.Keys)}> [options]");
    return 2;
}

await run(args[1..]);
return 0;
