using System.Globalization;

namespace Collection.Domain;

/// <summary>
/// The one date format the system reads and writes (yyyy-MM-dd, China calendar days): in the API, in stored rows, in
/// files and in the policy files. One place, so a reader never meets a second spelling.
/// </summary>
public static class IsoDate
{
    public const string Format = "yyyy-MM-dd";

    public static string Text(DateOnly day) => day.ToString(Format, CultureInfo.InvariantCulture);

    public static bool TryParse(string? text, out DateOnly day) =>
        DateOnly.TryParseExact(text, Format, CultureInfo.InvariantCulture, DateTimeStyles.None, out day);

    /// <summary>A date the system wrote itself (a stored row); anything else is a bug, not input.</summary>
    public static DateOnly Parse(string text) => DateOnly.ParseExact(text, Format, CultureInfo.InvariantCulture);

    /// <summary>A month as yyyy-MM (report periods), as its first day.</summary>
    public static bool TryParseMonth(string? text, out DateOnly firstDay) => TryParse(text + "-01", out firstDay);
}
