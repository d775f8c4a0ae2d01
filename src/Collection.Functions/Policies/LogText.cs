using System.Globalization;
using System.Text;
using Collection.Domain.Rosters;

namespace Collection.Functions.Policies;

/// <summary>
/// Text that came from users (sources, file names, transaction numbers, messages quoting cells) as it
/// may go into a log: control characters escaped so one entry stays one line (no forged entries), any
/// run that looks like a resident ID number masked as <see cref="RosterChecker.Mask"/> does, and cut to
/// a length a log line can carry.
/// </summary>
public static class LogText
{
    public const int MaxLength = 300;

    public static string Of(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        var builder = new StringBuilder(Math.Min(text.Length, MaxLength) + 16);
        var i = 0;
        for (; i < text.Length && builder.Length < MaxLength; i++)
        {
            var c = text[i];
            if (IdLength(text, i) is var length and > 0)
            {
                builder.Append(RosterChecker.Mask(text.Substring(i, length)));
                i += length - 1;
            }
            else if (c == '\n')
            {
                builder.Append("\\n");
            }
            else if (c == '\r')
            {
                builder.Append("\\r");
            }
            else if (char.IsControl(c) || c is '\u2028' or '\u2029' or '\u0085')
            {
                builder.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }
        }

        if (i < text.Length)
        {
            builder.Append(CultureInfo.InvariantCulture, $"…(+{text.Length - i})");
        }

        return builder.ToString();
    }

    /// <summary>18 characters (17 digits and a digit or X) or 15 digits not inside a longer digit run: an ID number's shape.</summary>
    private static int IdLength(string text, int start)
    {
        if (start > 0 && char.IsAsciiDigit(text[start - 1]))
        {
            return 0;
        }

        var digits = 0;
        while (start + digits < text.Length && char.IsAsciiDigit(text[start + digits]))
        {
            digits++;
        }

        if (digits == 17 && start + 17 < text.Length && text[start + 17] is 'X' or 'x')
        {
            return 18;
        }

        return digits is 18 or 15 ? digits : 0;
    }
}
