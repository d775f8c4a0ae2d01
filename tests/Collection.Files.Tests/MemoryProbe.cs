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
    private readonly long _heapBefore;
    private readonly long _workingSetBefore;
    private readonly long _allocatedBefore;
    private readonly Stopwatch _clock;
    private readonly Thread _sampler;
    private long _peakHeap;
    private long _peakWorkingSet;
    private volatile bool _stopped;

    private MemoryProbe()
    {
        _heapBefore = _peakHeap = GC.GetTotalMemory(forceFullCollection: false);
        _workingSetBefore = _peakWorkingSet = Environment.WorkingSet;
        _allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        _clock = Stopwatch.StartNew();
        _sampler = new Thread(Sample) { IsBackground = true, Name = "memory probe" };
        _sampler.Start();
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
        _stopped = true;
        _sampler.Join();
        Observe();
        return new Figures(_clock.Elapsed, GC.GetTotalAllocatedBytes(precise: true) - _allocatedBefore, _peakHeap - _heapBefore, _peakWorkingSet - _workingSetBefore, _peakWorkingSet);
    }

    private void Sample()
    {
        while (!_stopped)
        {
            Observe();
            Thread.Sleep(5);
        }
    }

    private void Observe()
    {
        _peakHeap = Math.Max(_peakHeap, GC.GetTotalMemory(forceFullCollection: false));
        _peakWorkingSet = Math.Max(_peakWorkingSet, Environment.WorkingSet);
    }

    /// <summary>The figures; <paramref name="PeakWorkingSet"/> is the whole test process's, the other tests' leftovers included.</summary>
    public sealed record Figures(TimeSpan Elapsed, long Allocated, long PeakHeapGrowth, long PeakWorkingSetGrowth, long PeakWorkingSet)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"{Elapsed.TotalSeconds:N2} s, allocated {Megabytes(Allocated)}, peak managed heap +{Megabytes(PeakHeapGrowth)}, peak working set +{Megabytes(PeakWorkingSetGrowth)} (of the test process: {Megabytes(PeakWorkingSet)})");

        private static string Megabytes(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024.0):N1} MB");
    }
}
