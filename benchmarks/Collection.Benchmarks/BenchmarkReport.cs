namespace Collection.Benchmarks;

/// <summary>Prints benchmark figures in one shape, so notes can quote them as printed.</summary>
public static class BenchmarkReport
{
    public static void Line(string name, double value, string unit) =>
        Console.WriteLine($"{name,-48} {value,14:N1} {unit}");

    public static void Ratio(string name, double measured, double baseline, string? note = null) =>
        Ratio(name, measured / baseline, note);

    public static void Ratio(string name, double ratio, string? note = null) =>
        Console.WriteLine($"{name,-48} {ratio,14:N3} x baseline{(note is null ? string.Empty : " " + note)}");

    /// <summary>An integer option <c>--name N</c> from the benchmark's arguments.</summary>
    public static int Option(string[] args, string name, int fallback)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
    }
}
