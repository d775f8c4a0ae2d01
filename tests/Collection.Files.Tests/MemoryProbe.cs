using System.Diagnostics;
using System.Globalization;

namespace Collection.Files.Tests;

/// <summary>
/// Measures one piece of work: how long it took, the bytes it allocated, and how far the managed heap (garbage
/// included, so the most the GC let it grow to) and the process's working set rose above where they stood before,
/// sampled every 5 ms on a thread of its own. Only meaningful in <see cref="MemoryMeasuredCollection"/>, where no
/// other test runs meanwhile.
/// </summary>
internal sealed class MemoryProbe
{
    private readonly long heapBefore;
    private readonly long workingSetBefore;
    private readonly long allocatedBefore;
    private readonly Stopwatch clock;
    private readonly Thread sampler;
    private long peakHeap;
    private long peakWorkingSet;
    private volatile bool stopped;

    private MemoryProbe()
    {
        heapBefore = peakHeap = GC.GetTotalMemory(forceFullCollection: false);
        workingSetBefore = peakWorkingSet = Environment.WorkingSet;
        allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        clock = Stopwatch.StartNew();
        sampler = new Thread(Sample) { IsBackground = true, Name = "memory probe" };
        sampler.Start();
    }

    /// <summary>Starts measuring after collecting what earlier work left behind.</summary>
    public static MemoryProbe Start()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return new MemoryProbe();
    }

    public Figures Stop()
    {
        stopped = true;
        sampler.Join();
        Observe();
        return new Figures(clock.Elapsed, GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore, peakHeap - heapBefore, peakWorkingSet - workingSetBefore, peakWorkingSet);
    }

    private void Sample()
    {
        while (!stopped)
        {
            Observe();
            Thread.Sleep(5);
        }
    }

    private void Observe()
    {
        peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(forceFullCollection: false));
        peakWorkingSet = Math.Max(peakWorkingSet, Environment.WorkingSet);
    }

    /// <summary>The figures; <paramref name="PeakWorkingSet"/> is the whole test process's, the other tests' leftovers included.</summary>
    public sealed record Figures(TimeSpan Elapsed, long Allocated, long PeakHeapGrowth, long PeakWorkingSetGrowth, long PeakWorkingSet)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"{Elapsed.TotalSeconds:N2} s, allocated {Megabytes(Allocated)}, peak managed heap +{Megabytes(PeakHeapGrowth)}, peak working set +{Megabytes(PeakWorkingSetGrowth)} (of the test process: {Megabytes(PeakWorkingSet)})");

        private static string Megabytes(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024.0):N1} MB");
    }
}
