namespace Collection.Functions.Reports;

/// <summary>A report's rows as a CSV (UTF-8 with BOM) or XLSX download, through the same writers as the other reports.</summary>
internal static class ReportFiles
{
    public static bool IsFormat(string? format) => format is null or "json" or "csv" or "xlsx";

    public static IResult UnknownFormat() =>
        Policies.Problems.Problem(StatusCodes.Status400BadRequest, "unknown-format", "Unknown format.", "format: json (default), csv or xlsx.", "format",
            new Dictionary<string, object?> { ["detailZh"] = "format 可取 json（默认）、csv 或 xlsx" });

    /// <summary>The rows as <paramref name="format"/> (csv or xlsx); the sheet and file names as given.</summary>
    public static async Task<IResult> FileAsync(string format, string name, string sheet, IReadOnlyList<string> headers, IEnumerable<IReadOnlyList<object?>> rows, CancellationToken cancellationToken = default)
    {
        var buffer = new MemoryStream();
        if (format == "csv")
        {
            await using (var csv = CsvReportWriter.Create(buffer, headers, leaveOpen: true))
            {
                foreach (var row in rows)
                {
                    await csv.WriteRowAsync([.. row.Select(ProgressFiles.Text)], cancellationToken).ConfigureAwait(false);
                }
            }

            buffer.Position = 0;
            return TypedResults.File(buffer, "text/csv; charset=utf-8", name + ".csv");
        }

        await using (var xlsx = XlsxReportWriter.Create(buffer, sheet, headers))
        {
            foreach (var row in rows)
            {
                xlsx.WriteRow(row);
            }
        }

        buffer.Position = 0;
        return TypedResults.File(buffer, ProgressFiles.XlsxContentType, name + ".xlsx");
    }
}
