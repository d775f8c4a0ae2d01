using System.Globalization;
using System.Security.Claims;
using System.Text.Json;
using System.Text.RegularExpressions;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Collection.Functions.Hosting;
using Collection.Functions.Policies;

namespace Collection.Functions.Files;

/// <summary>The answer to an upload of a dropped file: where it went and where to read its result.</summary>
public sealed record FileDropAccepted(string Container, string BlobName, string ETag, string StatusQueryGetUri, string RejectedCsvUri, string ResultBlob);

/// <summary>
/// HTTP uploads for the files that otherwise arrive as blobs dropped into a container (tax payment returns,
/// subsidy lists): the body is written as the blob the trigger picks up, the answer says where to read the
/// result, which the trigger writes beside the upload in its results container (<c>{name}.json</c>,
/// <c>{name}.rejected.csv</c>). The same rules as roster uploads: .csv or .xlsx, a file name that is one path
/// segment, no more than <see cref="FileLimits.MaxBytes"/>.
/// </summary>
internal static partial class FileDrops
{
    public const string UploadedByMetadata = "uploadedby";

    /// <summary>
    /// The file name the trigger expects (<c>{yyyyMMdd}-{anything}.csv|.xlsx</c>): the name as given when it starts
    /// with a date, else the <paramref name="date"/> (yyyy-MM-dd) in front of it; or a problem.
    /// </summary>
    public static IResult? DatedName(string fileName, string? date, out string dated)
    {
        dated = fileName;
        if (!IsSegment(fileName))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "invalid-file-name", "Invalid file name.",
                "The file name must be one path segment (no '/', '\\', control characters).", "fileName",
                new Dictionary<string, object?> { ["detailZh"] = "文件名无效（不能含 /、\\ 或控制字符）" });
        }

        var extension = Path.GetExtension(fileName).ToUpperInvariant();
        if (extension is not (".CSV" or ".XLSX"))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "unsupported-file-type", "Unsupported file type.",
                $"'{fileName}': the file is a .csv or .xlsx file.", "fileName");
        }

        if (DatePrefix().IsMatch(fileName))
        {
            return null;
        }

        if (date is null)
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "invalid-file-name", "The file name needs its date.",
                $"'{fileName}': name the file yyyyMMdd-…, or give the date as ?date=yyyy-MM-dd.", "date",
                new Dictionary<string, object?> { ["detailZh"] = "文件名应以日期开头（yyyyMMdd-），或在上传时填写日期" });
        }

        if (!IsoDate.TryParse(date, out var day))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, "invalid-date", "Invalid date.", $"date: '{LogText.Of(date)}' is not a date (yyyy-MM-dd).", "date");
        }

        dated = day.ToString("yyyyMMdd", CultureInfo.InvariantCulture) + "-" + fileName;
        return null;
    }

    /// <summary>Writes the body as <paramref name="blobName"/> in <paramref name="container"/>; 202 with the status URL.</summary>
    public static async Task<IResult> UploadAsync(
        HttpRequest http, BlobServiceClient blobs, FileLimits limits, string container, string resultsContainer, string blobName, string statusPath, CancellationToken cancellationToken)
    {
        if (http.ContentLength is { } length && length > limits.MaxBytes)
        {
            return Problems.Problem(StatusCodes.Status413PayloadTooLarge, FileErrorCodes.FileTooLarge, "The file is too large.",
                $"The file has {length} bytes; the limit is {limits.MaxBytes} (Files:MaxBytes).", "file",
                new Dictionary<string, object?> { ["detailZh"] = $"文件过大：上限 {limits.MaxBytes / 1024 / 1024} MB" });
        }

        var client = blobs.GetBlobContainerClient(container);
        await client.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        var xlsx = blobName.EndsWith(".xlsx", StringComparison.OrdinalIgnoreCase);
        var uploaded = await client.GetBlobClient(blobName).UploadAsync(http.Body, new BlobUploadOptions
        {
            Metadata = new Dictionary<string, string> { [UploadedByMetadata] = Actor(http.HttpContext.User) },
            HttpHeaders = new BlobHttpHeaders { ContentType = xlsx ? "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" : "text/csv" },
        }, cancellationToken).ConfigureAwait(false);
        var statusUri = $"{http.Scheme}://{http.Host}{http.PathBase}/api/{statusPath}";
        return TypedResults.Accepted(statusUri, new FileDropAccepted(container, blobName, uploaded.Value.ETag.ToString().Trim('"'), statusUri, statusUri + "/rejected",
            $"{resultsContainer}/{blobName}.json"));
    }

    /// <summary>
    /// The result the trigger wrote for the blob's current version, as it wrote it; <c>processing</c> while the
    /// current version has none yet; 404 <c>upload-not-found</c> when nothing was uploaded under the name.
    /// </summary>
    public static async Task<IResult> StatusAsync(BlobServiceClient blobs, string container, string resultsContainer, string blobName, CancellationToken cancellationToken)
    {
        string? current = null;
        try
        {
            var properties = await blobs.GetBlobContainerClient(container).GetBlobClient(blobName).GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            current = properties.Value.ETag.ToString().Trim('"');
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // Deleted since (or never uploaded): the last result, if any, still stands.
        }

        byte[]? result = null;
        try
        {
            var download = await blobs.GetBlobContainerClient(resultsContainer).GetBlobClient(blobName + ".json").DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            result = download.Value.Content.ToArray();
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // Not processed yet.
        }

        if (result is not null && (current is null || string.Equals(ResultETag(result), current, StringComparison.Ordinal)))
        {
            return Results.Bytes(result, "application/json; charset=utf-8");
        }

        if (current is null)
        {
            return NotFound(container, blobName);
        }

        return Results.Json(new { container, blobName, etag = current, status = "processing" });
    }

    /// <summary>Every rejected row as CSV (UTF-8 with BOM, the file's columns plus 行号, 原因代码, 原因说明).</summary>
    public static async Task<IResult> RejectedAsync(BlobServiceClient blobs, string resultsContainer, string blobName, string container, CancellationToken cancellationToken)
    {
        try
        {
            var stream = await blobs.GetBlobContainerClient(resultsContainer).GetBlobClient(blobName + ".rejected.csv")
                .OpenReadAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            return Results.Stream(stream, "text/csv; charset=utf-8", Path.GetFileNameWithoutExtension(blobName) + ".rejected.csv");
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return NotFound(container, blobName + " (rejected rows)");
        }
    }

    public static bool IsSegment(string? text) =>
        !string.IsNullOrWhiteSpace(text) && text.Length <= 200 && text is not ("." or "..")
        && !text.Any(c => c is '/' or '\\' || char.IsControl(c));

    private static string? ResultETag(byte[] json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (string.Equals(property.Name, "etag", StringComparison.OrdinalIgnoreCase) && property.Value.ValueKind == JsonValueKind.String)
                {
                    return property.Value.GetString()?.Trim('"');
                }
            }
        }
        catch (JsonException)
        {
            // An unreadable result is no result for this version.
        }

        return null;
    }

    private static string Actor(ClaimsPrincipal user) => user.Actor();

    private static IResult NotFound(string container, string blobName) =>
        Problems.Problem(StatusCodes.Status404NotFound, "upload-not-found", "Nothing uploaded under this name.", $"Nothing was uploaded to {container}/{blobName}.", null,
            new Dictionary<string, object?> { ["detailZh"] = "未找到该上传文件" });

    [GeneratedRegex(@"^\d{8}-", RegexOptions.CultureInvariant)]
    private static partial Regex DatePrefix();
}
