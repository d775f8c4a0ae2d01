namespace Collection.Files;

/// <summary>A header cell that maps to no field of the layout.</summary>
public sealed record UnknownColumn(int Index, string Column, string Header);

/// <summary>Two or more header cells that mean the same field (or say the same thing).</summary>
public sealed record DuplicateColumn(string Field, IReadOnlyList<string> Columns, IReadOnlyList<string> Headers);

/// <summary>How the header row of a file maps its columns to the fields of a <see cref="FileLayout"/>.</summary>
public sealed class HeaderMap
{
    private readonly Dictionary<FileField, int> _columns;

    private HeaderMap(FileLayout layout, RawRow header, Dictionary<FileField, int> columns, List<UnknownColumn> unknown, List<DuplicateColumn> duplicates)
    {
        Layout = layout;
        HeaderLine = header.LineNumber;
        Header = header.Cells;
        _columns = columns;
        Unknown = unknown;
        Duplicates = duplicates;
        Missing = [.. layout.Required.Where(field => !_columns.ContainsKey(field))];
    }

    public FileLayout Layout { get; }

    public int HeaderLine { get; }

    /// <summary>The header cells as the file has them, for writing rows back with the sender's own columns.</summary>
    public IReadOnlyList<string> Header { get; }

    public IReadOnlyList<FileField> Missing { get; }

    public IReadOnlyList<UnknownColumn> Unknown { get; }

    public IReadOnlyList<DuplicateColumn> Duplicates { get; }

    /// <summary>How many of the layout's fields the header names.</summary>
    public int RecognisedCount => _columns.Count(pair => pair.Key != FileFields.Ignored);

    public bool IsUsable => Missing.Count == 0 && Duplicates.Count == 0;

    public static HeaderMap Build(RawRow header, FileLayout layout)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(layout);
        var byKey = AliasIndex(layout);
        var found = new Dictionary<FileField, List<int>>();
        var unknown = new List<UnknownColumn>();
        var unknownByKey = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (var i = 0; i < header.Cells.Count; i++)
        {
            var text = header.Cells[i];
            if (CellText.IsBlank(text))
            {
                continue;
            }

            var key = CellText.HeaderKey(text, dropBracketed: false);
            if (!byKey.TryGetValue(key, out var field))
            {
                byKey.TryGetValue(CellText.HeaderKey(text, dropBracketed: true), out field);
            }

            if (field is null)
            {
                unknown.Add(new UnknownColumn(i, ColumnName(i), CellText.Clean(text)));
                (unknownByKey.TryGetValue(key, out var same) ? same : unknownByKey[key] = []).Add(i);
                continue;
            }

            (found.TryGetValue(field, out var at) ? at : found[field] = []).Add(i);
        }

        var duplicates = new List<DuplicateColumn>();
        foreach (var (field, at) in found)
        {
            if (at.Count > 1 && field != FileFields.Ignored)
            {
                duplicates.Add(Duplicate(field.Name, at, header));
            }
        }

        foreach (var (key, at) in unknownByKey)
        {
            if (at.Count > 1)
            {
                duplicates.Add(Duplicate(key, at, header));
            }
        }

        var columns = found.ToDictionary(pair => pair.Key, pair => pair.Value[0]);
        return new HeaderMap(layout, header, columns, unknown, duplicates);
    }

    public int? ColumnOf(FileField field) => _columns.TryGetValue(field, out var index) ? index : null;

    public bool Has(FileField field) => _columns.ContainsKey(field);

    /// <summary>Throws the file-level error that makes this header unusable: duplicate columns first, then missing ones.</summary>
    public void ThrowIfUnusable()
    {
        if (Duplicates.Count > 0)
        {
            var list = string.Join("；", Duplicates.Select(d => $"{string.Join("、", d.Headers.Select(h => $"“{h}”"))}（{string.Join("、", d.Columns)} 列）"));
            throw new TabularFileException(FileErrorCodes.DuplicateColumns, $"第 {HeaderLine} 行表头有重复的列：{list}，请只保留一列", HeaderLine);
        }

        if (Missing.Count > 0)
        {
            var list = string.Join("、", Missing.Select(f => f.Label));
            throw new TabularFileException(FileErrorCodes.MissingColumns, $"{Layout.Label}缺少必需的列：{list}（第 {HeaderLine} 行被当作表头）", HeaderLine);
        }
    }

    /// <summary>The Excel column name of a 0-based index: 0 → A, 26 → AA.</summary>
    public static string ColumnName(int index)
    {
        var name = string.Empty;
        for (var n = index + 1; n > 0; n = (n - 1) / 26)
        {
            name = (char)('A' + ((n - 1) % 26)) + name;
        }

        return name;
    }

    private static DuplicateColumn Duplicate(string field, List<int> at, RawRow header) =>
        new(field, [.. at.Select(ColumnName)], [.. at.Select(i => CellText.Clean(header.Cells[i]))]);

    private static Dictionary<string, FileField> AliasIndex(FileLayout layout)
    {
        var index = new Dictionary<string, FileField>(StringComparer.Ordinal);
        foreach (var field in layout.Fields.Append(FileFields.Ignored))
        {
            foreach (var alias in field.Aliases)
            {
                index.TryAdd(CellText.HeaderKey(alias, dropBracketed: false), field);
            }
        }

        return index;
    }
}
