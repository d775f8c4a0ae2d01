namespace Collection.Benchmarks;

/// <summary>Prints benchmark figures in one shape, so notes can quote them as printed.</summary>
public static class BenchmarkReport
{
    public static void Line(string name, double value, string unit) =>
        Console.WriteLine($"{name,-48} {value,14:N1} {unit}");

    public static void Ratio(string name, double measured, double baseline) =>
        Console.WriteLine($"{name,-48} {measured / baseline,14:N3} x baseline");

    /// <summary>An integer option <c>--name N</c> from the benchmark's arguments.</summary>
    public static int Option(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    }
}
