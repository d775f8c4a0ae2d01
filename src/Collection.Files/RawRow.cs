namespace Collection.Files;

/// <summary>
/// One non-blank row as it is in the file. <see cref="LineNumber"/> is the row number Excel shows
/// (header = 1 when it is the first row); for a CSV it equals the line in a text editor unless an
/// earlier cell contains a line break.
/// </summary>
public sealed class RawRow
{
    private static readonly int[] NoColumns = [];

    public RawRow(int lineNumber, IReadOnlyList<string> cells, IReadOnlyList<int>? lossyNumberColumns = null)
    {
        LineNumber = lineNumber;
        Cells = cells;
        LossyNumberColumns = lossyNumberColumns ?? NoColumns;
    }

    public int LineNumber { get; }

    /// <summary>The cells as read (CSV: unquoted text; XLSX: the value as text, dates as yyyy-MM-dd).</summary>
    public IReadOnlyList<string> Cells { get; }

    /// <summary>
    /// Columns whose XLSX cell held a number of 16 or more integer digits: Excel keeps only 15
    /// significant digits, so such a value (typically an ID number typed as a number) is already corrupt.
    /// </summary>
    public IReadOnlyList<int> LossyNumberColumns { get; }

    public bool IsBlank()
    {
        foreach (var cell in Cells)
        {
            if (!CellText.IsBlank(cell))
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>Something about the file worth telling its sender that does not stop it being read.</summary>
public sealed record FileWarning(string Code, string Message, int? LineNumber = null, string? Column = null);

/// <summary>Warning codes kept in results beside the rows.</summary>
public static class FileWarningCodes
{
    public const string UnknownColumn = "unknown-column";
    public const string CellsWithoutHeader = "cells-without-header";
    public const string RowsAboveHeader = "rows-above-header";
    public const string NoRows = "no-rows";

    /// <summary>A university's new students sent after the policy's <c>university-list</c> day: taken, and flagged for staff.</summary>
    public const string NewStudentListLate = "new-student-list-late";
}
