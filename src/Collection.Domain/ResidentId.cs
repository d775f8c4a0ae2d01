namespace Collection.Domain;

/// <summary>Why a text is not a resident ID number.</summary>
public enum ResidentIdError
{
    None,
    Empty,
    WrongLength,
    InvalidCharacter,
    UnknownProvince,
    InvalidBirthDate,
    BirthDateInFuture,
    WrongCheckDigit,
}

public enum Sex
{
    Female,
    Male,
}

/// <summary>
/// A citizen identity number (公民身份号码, GB 11643-1999): 6-digit address code, 8-digit birth date,
/// 3-digit sequence (odd = male), ISO 7064 MOD 11-2 check character. Held as a 17-digit integer and
/// the check value, so parsing allocates nothing. Legacy 15-digit numbers are converted by inserting
/// "19" before the year and computing the check character.
/// Also the number of the foreign permanent-resident ID card issued since 2023-12-01 (外国人永久居留身份证):
/// the same 18-character layout and check, with "9" first (the foreigner's mark, never a province's first
/// digit), then the issuing province, a 3-digit nationality code, birth date, sequence and check — so a
/// foreigner the notices name (luyang-2023 二 “获得我国居留许可证在本市居住尚未就业的外国人，均可以参加”)
/// is identified and keyed like a citizen.
/// </summary>
public readonly struct ResidentId : IEquatable<ResidentId>, ISpanFormattable
{
    public const string ErrorCode = "invalid-id-number";

    private static readonly int[] Weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    private static readonly char[] CheckCharacters = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

    // First two digits: provinces of GB/T 2260, plus 71 (Taiwan) and 81/82/83 used on residence
    // permits of Hong Kong, Macao and Taiwan residents (港澳台居民居住证), which carry such numbers.
    private static readonly bool[] Provinces = Table(11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37,
        41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83);

    private const ulong ForeignMark = 9;

    private readonly ulong _digits;

    private ResidentId(ulong digits) => _digits = digits;

    /// <summary>The birth date encoded in the number.</summary>
    public DateOnly BirthDate => new((int)(_digits / 10_000_000 % 10_000), (int)(_digits / 100_000 % 100), (int)(_digits / 1_000 % 100));

    /// <summary>Sex from the sequence code: odd is male, even is female.</summary>
    public Sex Sex => _digits % 2 == 1 ? Sex.Male : Sex.Female;

    /// <summary>A foreign permanent-resident ID number (外国人永久居留身份证, first digit 9), not a citizen's.</summary>
    public bool IsForeignPermanentResident => _digits / 10_000_000_000_000_000 == ForeignMark;

    /// <summary>The six-digit address code of the place of first registration (for a foreigner's number: 9, the issuing province and the nationality code).</summary>
    public int AreaCode => (int)(_digits / 100_000_000_000);

    public char CheckCharacter => CheckCharacters[CheckIndex(_digits)];

    public bool IsEmpty => _digits == 0;

    /// <summary>Masked for logs and anything not addressed to staff: <c>110101********4511</c>.</summary>
    public string Masked => string.Create(18, this, static (span, id) =>
    {
        id.TryFormat(span, out _, default, null);
        span[6..14].Fill('*');
    });

    public static bool TryParse(ReadOnlySpan<char> text, out ResidentId id) => TryParse(text, null, out id, out _);

    /// <summary>
    /// Parses an 18- or 15-character number. <paramref name="notAfter"/> (the assessment day) bounds the
    /// birth date. Lower-case <c>x</c>, full-width digits and surrounding white space are accepted.
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> text, DateOnly? notAfter, out ResidentId id, out ResidentIdError error)
    {
        id = default;
        text = text.Trim();
        if (text.IsEmpty)
        {
            error = ResidentIdError.Empty;
            return false;
        }

        if (text.Length is not (18 or 15))
        {
            error = ResidentIdError.WrongLength;
            return false;
        }

        var legacy = text.Length == 15;
        ulong digits = 0;
        var bodyLength = legacy ? 15 : 17;
        for (var i = 0; i < bodyLength; i++)
        {
            var d = Digit(text[i]);
            if (d < 0)
            {
                error = ResidentIdError.InvalidCharacter;
                return false;
            }

            if (legacy && i == 6)
            {
                digits = (digits * 100) + 19;
            }

            digits = (digits * 10) + (uint)d;
        }

        // A foreign permanent resident's number: "9", then the issuing province in digits 2–3.
        var foreign = !legacy && digits / 10_000_000_000_000_000 == ForeignMark;
        var province = foreign ? (int)(digits / 100_000_000_000_000 % 100) : (int)(digits / 1_000_000_000_000_000);
        if (!Provinces[province])
        {
            error = ResidentIdError.UnknownProvince;
            return false;
        }

        var year = (int)(digits / 10_000_000 % 10_000);
        var month = (int)(digits / 100_000 % 100);
        var day = (int)(digits / 1_000 % 100);
        if (year < 1800 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            error = ResidentIdError.InvalidBirthDate;
            return false;
        }

        if (notAfter is { } limit && new DateOnly(year, month, day) > limit)
        {
            error = ResidentIdError.BirthDateInFuture;
            return false;
        }

        if (!legacy)
        {
            var check = CheckValue(text[17]);
            if (check < 0)
            {
                error = ResidentIdError.InvalidCharacter;
                return false;
            }

            if (CheckCharacters[CheckIndex(digits)] != check)
            {
                error = ResidentIdError.WrongCheckDigit;
                return false;
            }
        }

        id = new ResidentId(digits);
        error = ResidentIdError.None;
        return true;
    }

    public static ResidentId Parse(string text, DateOnly? notAfter = null) =>
        TryParse(text, notAfter, out var id, out var error)
            ? id
            : throw new FormatException($"Not a resident ID number ({Describe(error)}).");

    /// <summary>A short English reason for an error, safe to show (it does not repeat the number).</summary>
    public static string Describe(ResidentIdError error) => error switch
    {
        ResidentIdError.Empty => "empty",
        ResidentIdError.WrongLength => "must be 18 characters (or a legacy 15-digit number)",
        ResidentIdError.InvalidCharacter => "only digits, and X as the last character",
        ResidentIdError.UnknownProvince => "the first two digits are not a province code (nor 9 and a province, for a foreign permanent resident)",
        ResidentIdError.InvalidBirthDate => "the birth date in the number is not a date",
        ResidentIdError.BirthDateInFuture => "the birth date in the number is after the assessment day",
        ResidentIdError.WrongCheckDigit => "the check character does not match (ISO 7064 MOD 11-2)",
        _ => "valid",
    };

    /// <summary>The kebab-case reason, for problem details beside <see cref="ErrorCode"/>.</summary>
    public static string ReasonCode(ResidentIdError error) => error switch
    {
        ResidentIdError.Empty => "empty",
        ResidentIdError.WrongLength => "wrong-length",
        ResidentIdError.InvalidCharacter => "invalid-character",
        ResidentIdError.UnknownProvince => "unknown-province",
        ResidentIdError.InvalidBirthDate => "invalid-birth-date",
        ResidentIdError.BirthDateInFuture => "birth-date-in-future",
        ResidentIdError.WrongCheckDigit => "wrong-check-digit",
        _ => "none",
    };

    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        if (destination.Length < 18)
        {
            charsWritten = 0;
            return false;
        }

        var rest = _digits;
        for (var i = 16; i >= 0; i--)
        {
            destination[i] = (char)('0' + (int)(rest % 10));
            rest /= 10;
        }

        destination[17] = CheckCharacter;
        charsWritten = 18;
        return true;
    }

    /// <summary>The full 18-character number. Only for staff-facing output; logs use <see cref="Masked"/>.</summary>
    public override string ToString() => string.Create(18, this, static (span, id) => id.TryFormat(span, out _, default, null));

    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    public bool Equals(ResidentId other) => _digits == other._digits;

    public override bool Equals(object? obj) => obj is ResidentId other && Equals(other);

    public override int GetHashCode() => _digits.GetHashCode();

    public static bool operator ==(ResidentId left, ResidentId right) => left.Equals(right);

    public static bool operator !=(ResidentId left, ResidentId right) => !left.Equals(right);

    private static int Digit(char c) => c switch
    {
        >= '0' and <= '9' => c - '0',
        >= '０' and <= '９' => c - '０',
        _ => -1,
    };

    private static int CheckValue(char c) => c switch
    {
        >= '0' and <= '9' => c,
        >= '０' and <= '９' => c - '０' + '0',
        'X' or 'x' or 'Ｘ' or 'ｘ' => 'X',
        _ => -1,
    };

    private static int CheckIndex(ulong digits)
    {
        var sum = 0;
        for (var i = 16; i >= 0; i--)
        {
            sum += (int)(digits % 10) * Weights[i];
            digits /= 10;
        }

        return sum % 11;
    }

    private static bool[] Table(params int[] provinces)
    {
        var table = new bool[100];
        foreach (var p in provinces)
        {
            table[p] = true;
        }

        return table;
    }

    /// <summary>The check character for 17 digits (tests and generators build valid numbers with it).</summary>
    public static char ComputeCheckCharacter(ReadOnlySpan<char> first17)
    {
        if (first17.Length != 17)
        {
            throw new ArgumentException("Seventeen digits are needed.", nameof(first17));
        }

        ulong digits = 0;
        foreach (var c in first17)
        {
            var d = Digit(c);
            if (d < 0)
            {
                throw new ArgumentException("Only digits are allowed.", nameof(first17));
            }

            digits = (digits * 10) + (uint)d;
        }

        return CheckCharacters[CheckIndex(digits)];
    }
}
