namespace Collection.Files;

/// <summary>A coded problem with one cell, for the row's rejection.</summary>
public sealed record CellProblem(string Code, string Message);

/// <summary>
/// A data row of an uploaded file: typed access by field, and the original cells (for writing it
/// back, rejected, with the sender's own columns).
/// </summary>
public sealed class TabularRow
{
    private readonly RawRow _raw;

    internal TabularRow(RawRow raw, HeaderMap map)
    {
        _raw = raw;
        Map = map;
    }

    /// <summary>The row number the sender sees in Excel (the header row counts).</summary>
    public int LineNumber => _raw.LineNumber;

    /// <summary>The cells exactly as read, in the file's column order.</summary>
    public IReadOnlyList<string> Cells => _raw.Cells;

    public HeaderMap Map { get; }

    public bool Has(FileField field) => Map.Has(field);

    /// <summary>The cell of <paramref name="field"/> as read; empty when the file has no such column or the row is short.</summary>
    public string Raw(FileField field) =>
        Map.ColumnOf(field) is { } index && index < _raw.Cells.Count ? _raw.Cells[index] : string.Empty;

    /// <summary>The cell of <paramref name="field"/>, trimmed and half-width (see <see cref="CellText.Clean"/>).</summary>
    public string Text(FileField field) => CellText.Clean(Raw(field));

    public bool IsBlank(FileField field) => CellText.IsBlank(Raw(field));

    /// <summary>The ID number normalised for validation: half-width, no spaces, check digit X upper-case.</summary>
    public string IdNumber() => CellText.IdNumber(Raw(FileFields.IdNumber));

    /// <summary>
    /// <c>id-number-as-number</c> when the ID number went through a number format — an XLSX number
    /// of 16+ digits, or exponent notation in a CSV — so its last digits are already lost and it
    /// must not be accepted as whatever number is left.
    /// </summary>
    public CellProblem? IdNumberProblem() =>
        LostDigits(FileFields.IdNumber) || CellText.LooksLikeNumberInScientificNotation(Raw(FileFields.IdNumber))
            ? new CellProblem(CellErrorCodes.IdNumberAsNumber, "身份证号被 Excel 当作数字保存，后几位已丢失：请把该列设为“文本”格式后重新填写身份证号")
            : null;

    /// <summary>Whether the XLSX cell of <paramref name="field"/> was a number of more digits than Excel keeps (15).</summary>
    public bool LostDigits(FileField field) =>
        Map.ColumnOf(field) is { } index && _raw.LossyNumberColumns.Contains(index);

    public CellValue<decimal> Amount(FileField field) => CellText.ParseAmount(Raw(field));

    public CellValue<DateOnly> Date(FileField field) => CellText.ParseDate(Raw(field));

    public CellValue<bool> YesNo(FileField field) => CellText.ParseYesNo(Raw(field));
}
