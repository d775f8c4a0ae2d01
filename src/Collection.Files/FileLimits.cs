using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Collection.Files;

/// <summary>
/// How much work one uploaded file may cause. A file beyond a limit fails as a whole with a coded reason
/// (<c>file-too-large</c>, <c>too-many-rows</c>) as soon as the limit is reached, before more is read: memory
/// and time per file stay bounded whatever arrives (issue 22: a 1,000,000-row roster ran past the function
/// timeout and was retried; a 1.2 MB workbook inflated to 2.6 GB). Settings <c>Files:*</c>; the defaults are
/// several times what a real list needs.
/// </summary>
public sealed record FileLimits
{
    public const string Section = "Files";

    /// <summary>The defaults, used wherever no configured limits are passed.</summary>
    public static FileLimits Default { get; } = new();

    /// <summary>
    /// Data rows per file (blank rows not counted). The largest real lists are a district's school roster or a
    /// day's tax returns: tens of thousands of rows; 200,000 leaves room and is read and checked in seconds.
    /// </summary>
    public int MaxRows { get; init; } = 200_000;

    /// <summary>
    /// Bytes of the file as uploaded (an XLSX compressed). 50 MB is the HTTP API's request limit
    /// (host.json maxRequestBodySize) and about twice a CSV of <see cref="MaxRows"/> rows (100–200 bytes a row
    /// with Chinese names and addresses); a file dropped straight into storage meets the same limit.
    /// </summary>
    public long MaxBytes { get; init; } = 50L * 1024 * 1024;

    /// <summary>
    /// Uncompressed bytes of the one worksheet read and of the shared strings. Streamed, so this bounds time
    /// rather than memory: Excel writes about 40–50 bytes a cell, 200,000 rows of 20 columns come to ~200 MB.
    /// </summary>
    public long MaxXlsxPartBytes { get; init; } = 256L * 1024 * 1024;

    /// <summary>
    /// Shared strings (the one table an XLSX reader must hold whole): 10 distinct texts a row at
    /// <see cref="MaxRows"/>. Together with <see cref="MaxSharedStringChars"/> it caps the table at ~130 MB.
    /// </summary>
    public int MaxSharedStrings { get; init; } = 2_000_000;

    /// <summary>Characters of all shared strings together: 160 a row at <see cref="MaxRows"/> (a real roster has 40–60).</summary>
    public long MaxSharedStringChars { get; init; } = 32L * 1024 * 1024;

    /// <summary>
    /// Cells of the worksheet, empty and formatted ones included (they cost reading time though they hold no
    /// data): 50 a row at <see cref="MaxRows"/>.
    /// </summary>
    public long MaxCells { get; init; } = 10_000_000;

    /// <summary>
    /// The limits from configuration (<c>Files:MaxRows</c>, <c>Files:MaxBytes</c>, <c>Files:MaxXlsxPartBytes</c>,
    /// <c>Files:MaxSharedStrings</c>, <c>Files:MaxSharedStringChars</c>, <c>Files:MaxCells</c>), the defaults
    /// where unset. A value that is not a positive whole number stops the app: a typo must not lift a limit.
    /// </summary>
    public static FileLimits From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var section = configuration.GetSection(Section);
        var d = Default;
        return new FileLimits
        {
            MaxRows = (int)Read(section, nameof(MaxRows), d.MaxRows, int.MaxValue),
            MaxBytes = Read(section, nameof(MaxBytes), d.MaxBytes, long.MaxValue),
            MaxXlsxPartBytes = Read(section, nameof(MaxXlsxPartBytes), d.MaxXlsxPartBytes, long.MaxValue),
            MaxSharedStrings = (int)Read(section, nameof(MaxSharedStrings), d.MaxSharedStrings, int.MaxValue),
            MaxSharedStringChars = Read(section, nameof(MaxSharedStringChars), d.MaxSharedStringChars, long.MaxValue),
            MaxCells = Read(section, nameof(MaxCells), d.MaxCells, long.MaxValue),
        };
    }

    /// <summary>Megabytes as a person reads them in a message (50 MB, 0.5 MB).</summary>
    internal static string Megabytes(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("0.#", CultureInfo.InvariantCulture) + " MB";

    private static long Read(IConfigurationSection section, string name, long fallback, long max)
    {
        var text = section[name];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value > 0 && value <= max
            ? value
            : throw new InvalidOperationException($"{Section}:{name} must be a positive whole number, not '{text}'.");
    }
}

public static class FileLimitServices
{
    /// <summary>The configured <see cref="FileLimits"/>, once per host (every area that reads files registers it).</summary>
    public static IServiceCollection AddFileLimits(this IServiceCollection services)
    {
        services.TryAddSingleton(sp => FileLimits.From(sp.GetRequiredService<IConfiguration>()));
        return services;
    }
}
