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

    /// <summary>A passport without its issuing country (国籍): passport numbers are unique only per country.</summary>
    MissingNationality,

    /// <summary>A nationality that is not three Latin letters (ISO 3166-1 alpha-3, as on the passport).</summary>
    InvalidNationality,

    /// <summary>The number is valid but is another document's (a citizen's ID number given as a foreigner's card).</summary>
    WrongDocumentType,
}

/// <summary>What kind of document identifies a person (证件类型).</summary>
public enum DocumentType
{
    /// <summary>居民身份证 (and the residence permits of Hong Kong, Macao and Taiwan residents, which carry such numbers).</summary>
    ResidentIdCard,

    /// <summary>外国人永久居留身份证: the 18-digit number since 2023-12-01 (first digit 9) or the older 15-character one (3 letters + 12 digits).</summary>
    ForeignPermanentResident,

    /// <summary>护照: a number unique only within its issuing country, so it is held with the nationality.</summary>
    Passport,

    /// <summary>
    /// Not a document a person holds: the reference of a child registered before birth (wuhai-2022 四(三)
    /// “新生儿在出生前办理参保登记的”), the child's key until its ID number is attached. Never read from a file.
    /// </summary>
    NewbornRegistration,
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
/// Also, for foreigners and their families (luyang-2023 二 “与在本市工作的外籍专家共同生活的配偶及未成年子女”),
/// documents whose number encodes no birth date (<see cref="EncodesBirthDate"/> false): the older 15-character
/// foreign permanent-resident card (3 Latin letters for the nationality, then 12 digits; its check character's
/// algorithm is not published, so only the shape is checked), kept as the upper-cased number, and a passport,
/// kept as <c>PP-{nationality}-{number}</c>. That text (<see cref="ToString()"/>) is the person's key in the
/// ledger, and <see cref="TryParse(ReadOnlySpan{char}, out ResidentId)"/> reads it back. The birth date and sex
/// of such a person come from the request or the roster, never from the number.
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

    /// <summary>The prefix of a passport's key: <c>PP-USA-E12345678</c>.</summary>
    public const string PassportPrefix = "PP-";

    /// <summary>The prefix of a newborn registration reference: <c>NB-</c>, 12 Crockford base-32 characters and a check character.</summary>
    public const string NewbornPrefix = "NB-";

    private const string Base32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    private const int NewbornBodyLength = 12;
    private const int NewbornLength = 3 + NewbornBodyLength + 1;

    private const int MinPassportLength = 5;
    private const int MaxPassportLength = 17;

    private readonly ulong _digits;

    // The key of a document whose number encodes no birth date (older foreign card, passport); null for GB 11643 numbers.
    private readonly string? _document;

    private ResidentId(ulong digits)
    {
        _digits = digits;
        _document = null;
    }

    private ResidentId(string document)
    {
        _digits = 0;
        _document = document;
    }

    /// <summary>Whether birth date and sex are in the number (GB 11643 layout); false for an older foreign card or a passport.</summary>
    public bool EncodesBirthDate => _document is null;

    /// <summary>The kind of document.</summary>
    public DocumentType DocumentType => _document switch
    {
        null => IsForeignMarked ? DocumentType.ForeignPermanentResident : DocumentType.ResidentIdCard,
        _ when _document.StartsWith(PassportPrefix, StringComparison.Ordinal) => DocumentType.Passport,
        _ when _document.StartsWith(NewbornPrefix, StringComparison.Ordinal) => DocumentType.NewbornRegistration,
        _ => DocumentType.ForeignPermanentResident,
    };

    /// <summary>The birth date encoded in the number; only where <see cref="EncodesBirthDate"/>.</summary>
    public DateOnly BirthDate => _document is null
        ? new((int)(_digits / 10_000_000 % 10_000), (int)(_digits / 100_000 % 100), (int)(_digits / 1_000 % 100))
        : throw new InvalidOperationException("This document's number encodes no birth date.");

    /// <summary>Sex from the sequence code: odd is male, even is female; only where <see cref="EncodesBirthDate"/>.</summary>
    public Sex Sex => _document is null
        ? (_digits % 2 == 1 ? Sex.Male : Sex.Female)
        : throw new InvalidOperationException("This document's number encodes no sex.");

    /// <summary>A foreigner's document: a foreign permanent-resident card (either form) or a passport.</summary>
    public bool IsForeign => DocumentType is DocumentType.ForeignPermanentResident or DocumentType.Passport;

    /// <summary>The reference of a child registered before birth (<see cref="NewbornReference"/>), not a person's document.</summary>
    public bool IsNewbornReference => DocumentType == DocumentType.NewbornRegistration;

    /// <summary>A foreign permanent-resident ID number (外国人永久居留身份证, first digit 9), not a citizen's.</summary>
    public bool IsForeignPermanentResident => DocumentType == DocumentType.ForeignPermanentResident;

    private bool IsForeignMarked => _digits / 10_000_000_000_000_000 == ForeignMark;

    /// <summary>The six-digit address code of the place of first registration (for a foreigner's number: 9, the issuing province and the nationality code).</summary>
    public int AreaCode => (int)(_digits / 100_000_000_000);

    public char CheckCharacter => CheckCharacters[CheckIndex(_digits)];

    public bool IsEmpty => _digits == 0 && _document is null;

    /// <summary>The length of the key (<see cref="ToString()"/>): 18 for GB 11643 numbers.</summary>
    public int Length => _document?.Length ?? 18;

    /// <summary>
    /// Masked for logs and anything not addressed to staff: <c>110101********4511</c>; an older foreign card
    /// <c>USA*********012</c> (nationality and last three); a passport <c>PP-USA-******78</c> (last two).
    /// </summary>
    public string Masked => string.Create(Length, this, static (span, id) =>
    {
        id.TryFormat(span, out _, default, null);
        switch (id.DocumentType)
        {
            case DocumentType.Passport:
                span[(PassportPrefix.Length + 4)..^2].Fill('*');
                break;
            case DocumentType.ForeignPermanentResident when span.Length == 15:
                span[3..^3].Fill('*');
                break;
            case DocumentType.NewbornRegistration:
                break; // a generated key, no personal data in it

            default:
                span[6..14].Fill('*');
                break;
        }
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

        if (text.StartsWith(PassportPrefix, StringComparison.OrdinalIgnoreCase) && text.Length > PassportPrefix.Length + 4 && text[PassportPrefix.Length + 3] == '-')
        {
            return TryPassport(text[(PassportPrefix.Length + 4)..], text.Slice(PassportPrefix.Length, 3), out id, out error);
        }

        if (text.StartsWith(NewbornPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return TryNewbornReference(text, out id, out error);
        }

        if (text.Length == 15 && IsLatinLetter(text[0]))
        {
            return TryOlderForeignCard(text, out id, out error);
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

    /// <summary>
    /// Parses a number given with its document type (证件类型): a resident ID card takes a GB 11643 number that is
    /// not a foreigner's; a foreign permanent-resident card the 18-digit form starting with 9 or the older
    /// 15-character form; a passport 5–17 Latin letters and digits (spaces and hyphens dropped) with its
    /// <paramref name="nationality"/>, three Latin letters as printed on it.
    /// </summary>
    public static bool TryParse(DocumentType type, ReadOnlySpan<char> text, ReadOnlySpan<char> nationality, DateOnly? notAfter, out ResidentId id, out ResidentIdError error)
    {
        if (type == DocumentType.Passport)
        {
            return TryPassport(text.Trim(), nationality.Trim(), out id, out error);
        }

        if (!TryParse(text, notAfter, out id, out error))
        {
            return false;
        }

        if (id.DocumentType != type)
        {
            id = default;
            error = ResidentIdError.WrongDocumentType;
            return false;
        }

        return true;
    }

    private static bool TryOlderForeignCard(ReadOnlySpan<char> text, out ResidentId id, out ResidentIdError error)
    {
        id = default;
        Span<char> key = stackalloc char[15];
        for (var i = 0; i < 15; i++)
        {
            var c = text[i];
            if (i < 3)
            {
                if (!IsLatinLetter(c))
                {
                    error = ResidentIdError.InvalidCharacter;
                    return false;
                }

                key[i] = char.ToUpperInvariant(c);
                continue;
            }

            var d = Digit(c);
            if (d < 0)
            {
                error = ResidentIdError.InvalidCharacter;
                return false;
            }

            key[i] = (char)('0' + d);
        }

        id = new ResidentId(new string(key));
        error = ResidentIdError.None;
        return true;
    }

    private static bool TryPassport(ReadOnlySpan<char> number, ReadOnlySpan<char> nationality, out ResidentId id, out ResidentIdError error)
    {
        id = default;
        if (number.IsEmpty)
        {
            error = ResidentIdError.Empty;
            return false;
        }

        if (nationality.IsEmpty)
        {
            error = ResidentIdError.MissingNationality;
            return false;
        }

        if (nationality.Length != 3 || !IsLatinLetter(nationality[0]) || !IsLatinLetter(nationality[1]) || !IsLatinLetter(nationality[2]))
        {
            error = ResidentIdError.InvalidNationality;
            return false;
        }

        Span<char> key = stackalloc char[PassportPrefix.Length + 4 + MaxPassportLength];
        PassportPrefix.CopyTo(key);
        for (var i = 0; i < 3; i++)
        {
            key[PassportPrefix.Length + i] = char.ToUpperInvariant(nationality[i]);
        }

        key[PassportPrefix.Length + 3] = '-';
        var length = PassportPrefix.Length + 4;
        foreach (var c in number)
        {
            if (c is ' ' or '-' or '\u3000')
            {
                continue;
            }

            var d = Digit(c);
            char kept;
            if (d >= 0)
            {
                kept = (char)('0' + d);
            }
            else if (IsLatinLetter(c))
            {
                kept = char.ToUpperInvariant(c);
            }
            else
            {
                error = ResidentIdError.InvalidCharacter;
                return false;
            }

            if (length == key.Length)
            {
                error = ResidentIdError.WrongLength;
                return false;
            }

            key[length++] = kept;
        }

        if (length - PassportPrefix.Length - 4 < MinPassportLength)
        {
            error = ResidentIdError.WrongLength;
            return false;
        }

        id = new ResidentId(new string(key[..length]));
        error = ResidentIdError.None;
        return true;
    }

    /// <summary>
    /// The registration reference of a child registered before birth, from a hash of what identifies the
    /// registration (the caller's choice): the first 60 bits in 12 Crockford base-32 characters, then a
    /// check character (the weighted sum mod 32), so a mistyped reference is refused rather than matched.
    /// </summary>
    public static ResidentId NewbornReference(ReadOnlySpan<byte> hash)
    {
        if (hash.Length < 8)
        {
            throw new ArgumentException("At least 8 bytes of hash are needed.", nameof(hash));
        }

        var bits = System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(hash) >> 4;
        Span<char> key = stackalloc char[NewbornLength];
        NewbornPrefix.CopyTo(key);
        for (var i = NewbornBodyLength - 1; i >= 0; i--)
        {
            key[3 + i] = Base32[(int)(bits & 31)];
            bits >>= 5;
        }

        key[^1] = Base32[NewbornCheck(key[3..^1])];
        return new ResidentId(new string(key));
    }

    private static bool TryNewbornReference(ReadOnlySpan<char> text, out ResidentId id, out ResidentIdError error)
    {
        id = default;
        if (text.Length != NewbornLength)
        {
            error = ResidentIdError.WrongLength;
            return false;
        }

        Span<char> key = stackalloc char[NewbornLength];
        NewbornPrefix.CopyTo(key);
        for (var i = 3; i < NewbornLength; i++)
        {
            var c = char.ToUpperInvariant(text[i]);
            if (Base32.IndexOf(c, StringComparison.Ordinal) < 0)
            {
                error = ResidentIdError.InvalidCharacter;
                return false;
            }

            key[i] = c;
        }

        if (Base32[NewbornCheck(key[3..^1])] != key[^1])
        {
            error = ResidentIdError.WrongCheckDigit;
            return false;
        }

        id = new ResidentId(new string(key));
        error = ResidentIdError.None;
        return true;
    }

    private static int NewbornCheck(ReadOnlySpan<char> body)
    {
        var sum = 0;
        for (var i = 0; i < body.Length; i++)
        {
            sum += (i + 1) * Base32.IndexOf(body[i], StringComparison.Ordinal);
        }

        return sum % 32;
    }

    private static bool IsLatinLetter(char c) => c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z');

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
        ResidentIdError.MissingNationality => "a passport needs its nationality (three letters, as printed on it)",
        ResidentIdError.InvalidNationality => "the nationality must be three Latin letters (ISO 3166-1 alpha-3, as on the passport)",
        ResidentIdError.WrongDocumentType => "the number is valid but belongs to another document type",
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
        ResidentIdError.MissingNationality => "missing-nationality",
        ResidentIdError.InvalidNationality => "invalid-nationality",
        ResidentIdError.WrongDocumentType => "wrong-document-type",
        _ => "none",
    };

    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        if (_document is not null)
        {
            charsWritten = _document.TryCopyTo(destination) ? _document.Length : 0;
            return charsWritten > 0;
        }

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
    public override string ToString() => _document ?? string.Create(18, this, static (span, id) => id.TryFormat(span, out _, default, null));

    public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

    public bool Equals(ResidentId other) => _digits == other._digits && string.Equals(_document, other._document, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is ResidentId other && Equals(other);

    public override int GetHashCode() => _document?.GetHashCode(StringComparison.Ordinal) ?? _digits.GetHashCode();

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
