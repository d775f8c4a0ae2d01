namespace Collection.Files;

/// <summary>
/// A file that cannot be read as a whole (wrong type, corrupt, undecodable, unusable header).
/// <see cref="Code"/> is a stable kebab-case code for results and tests; <see cref="ChineseMessage"/>
/// is what the person who uploaded the file reads.
/// </summary>
public sealed class TabularFileException : Exception
{
    public TabularFileException(string code, string chineseMessage, int? lineNumber = null, Exception? innerException = null)
        : base($"{code}: {chineseMessage}", innerException)
    {
        Code = code;
        ChineseMessage = chineseMessage;
        LineNumber = lineNumber;
    }

    public TabularFileException()
        : this(FileErrorCodes.CorruptFile, "文件无法读取")
    {
    }

    public TabularFileException(string message)
        : this(FileErrorCodes.CorruptFile, message)
    {
    }

    public TabularFileException(string message, Exception innerException)
        : this(FileErrorCodes.CorruptFile, message, null, innerException)
    {
    }

    public string Code { get; }

    public string ChineseMessage { get; }

    /// <summary>The line (as Excel numbers rows) near which the problem was found, when it is tied to one.</summary>
    public int? LineNumber { get; }
}

/// <summary>File-level error codes; row-level codes belong to the functions that check rows.</summary>
public static class FileErrorCodes
{
    public const string UnsupportedFileType = "unsupported-file-type";
    public const string EmptyFile = "empty-file";
    public const string CorruptFile = "corrupt-file";
    public const string InvalidEncoding = "invalid-encoding";
    public const string MalformedCsv = "malformed-csv";

    /// <summary>One line of a CSV longer than a record may be: not a list (a file with no line breaks, or binary data named .csv).</summary>
    public const string LineTooLong = "line-too-long";
    public const string TooManyColumns = "too-many-columns";
    public const string MissingColumns = "missing-columns";
    public const string DuplicateColumns = "duplicate-columns";

    /// <summary>Beyond <see cref="FileLimits.MaxBytes"/>, or an XLSX part, shared strings or cells beyond theirs.</summary>
    public const string FileTooLarge = "file-too-large";

    /// <summary>More data rows than <see cref="FileLimits.MaxRows"/>.</summary>
    public const string TooManyRows = "too-many-rows";
}
