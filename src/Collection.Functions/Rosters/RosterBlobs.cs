using System.Diagnostics.CodeAnalysis;
using System.Text;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Collection.Domain.Rosters;
using Collection.Functions.Files;

namespace Collection.Functions.Rosters;

/// <summary>
/// Where rosters and their results live. Uploads: <c>school-rosters</c> and <c>university-rosters</c>,
/// blob <c>{policy}/{schoolCode}/{fileName}</c>. Results: <c>roster-results/{container}/{blob name}.json</c>,
/// <c>.rejected.csv</c> beside it, <c>.vanished.csv</c> (people of earlier versions not in this one), and
/// <c>.people.csv</c>, the people the last completed version enrolled (what the next version's vanished rows
/// are found from).
/// </summary>
public static class RosterBlobs
{
    public const string SchoolContainer = "school-rosters";
    public const string UniversityContainer = "university-rosters";
    public const string ResultsContainer = "roster-results";

    /// <summary>Blob metadata key: the day to assess rows on (yyyy-MM-dd); absent = the day of ingestion in China.</summary>
    public const string AssessOnMetadata = "assesson";

    /// <summary>Blob metadata key: who uploaded through the API.</summary>
    public const string UploadedByMetadata = "uploadedby";

    /// <summary>An ETag as results keep it: without quotes, as the runtime's receipts do (listings and properties quote differently).</summary>
    public static string ETagText(ETag etag) => etag.ToString().Trim('"');

    public static string ContainerOf(RosterKind kind) => kind == RosterKind.University ? UniversityContainer : SchoolContainer;

    public static string KindName(RosterKind kind) => kind == RosterKind.University ? "university" : "school";

    public static bool TryParseKind(string? text, out RosterKind kind)
    {
        kind = KindOf(text);
        return text is "school" or "university";
    }

    /// <summary>The kind of a roster route already checked by <see cref="TryParseKind"/>.</summary>
    public static RosterKind KindOf(string? text) => text == "university" ? RosterKind.University : RosterKind.School;

    public static bool TryKindOfContainer(string container, out RosterKind kind)
    {
        kind = container == UniversityContainer ? RosterKind.University : RosterKind.School;
        return container is SchoolContainer or UniversityContainer;
    }

    public static string BlobName(string policy, string school, string fileName) => $"{policy}/{SchoolCode(school)}/{fileName}";

    /// <summary>A school code as the system keeps it: upper case, so <c>sch001</c> and <c>SCH001</c> are one school.</summary>
    public static string SchoolCode(string school) => school.ToUpperInvariant();

    public static string ResultName(string container, string blobName) => $"{container}/{blobName}.json";

    public static string RejectedName(string container, string blobName) => $"{container}/{blobName}.rejected.csv";

    public static string PeopleName(string container, string blobName) => $"{container}/{blobName}.people.csv";

    public static string VanishedName(string container, string blobName) => $"{container}/{blobName}.vanished.csv";

    /// <summary>A school code or file name usable as one path segment: no slashes, no dot-only names, no control characters.</summary>
    public static bool IsSegment([NotNullWhen(true)] string? text, int maxLength = 200) =>
        !string.IsNullOrWhiteSpace(text) && text.Length <= maxLength && text.Trim() == text && text is not ("." or "..")
        && !text.Any(c => c is '/' or '\\' || char.IsControl(c));
}

/// <summary>Reads and writes the result blobs of rosters.</summary>
public sealed class RosterResultStore(BlobServiceClient blobs)
{
    private readonly BlobContainerClient _results = blobs.GetBlobContainerClient(RosterBlobs.ResultsContainer);
    private int _created;

    public BlobContainerClient Container => _results;

    public async Task EnsureContainerAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _created) == 0)
        {
            await _results.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _created, 1);
        }
    }

    public async Task WriteAsync(RosterResult result, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(result);
        await EnsureContainerAsync(cancellationToken).ConfigureAwait(false);
        var blob = _results.GetBlobClient(RosterBlobs.ResultName(result.Container, result.BlobName));
        await blob.UploadAsync(new BinaryData(result.ToJson()), new BlobUploadOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = "application/json; charset=utf-8" },
        }, cancellationToken).ConfigureAwait(false);
    }

    public async Task<RosterResult?> ReadAsync(string container, string blobName, CancellationToken cancellationToken)
    {
        try
        {
            var content = await _results.GetBlobClient(RosterBlobs.ResultName(container, blobName)).DownloadContentAsync(cancellationToken).ConfigureAwait(false);
            return RosterResult.Parse(content.Value.Content.ToMemory().Span);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    public BlobClient RejectedCsv(string container, string blobName) => _results.GetBlobClient(RosterBlobs.RejectedName(container, blobName));

    /// <summary>The people (ID number, name, line) the last completed version of a roster enrolled; empty when none.</summary>
    public async Task<List<RosterManifestEntry>> ReadPeopleAsync(string container, string blobName, CancellationToken cancellationToken)
    {
        var list = new List<RosterManifestEntry>();
        try
        {
            var response = await _results.GetBlobClient(RosterBlobs.PeopleName(container, blobName)).OpenReadAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            using var reader = new StreamReader(response, Encoding.UTF8);
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                var parts = line.Split('\t');
                if (parts.Length == 3 && int.TryParse(parts[2], System.Globalization.CultureInfo.InvariantCulture, out var lineNumber))
                {
                    list.Add(new RosterManifestEntry(parts[0], CellText.Clean(parts[1]), lineNumber));
                }
            }
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // First version of this roster: nobody can have vanished.
        }

        return list;
    }

    public async Task WritePeopleAsync(string container, string blobName, IEnumerable<RosterManifestEntry> people, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(people);
        await EnsureContainerAsync(cancellationToken).ConfigureAwait(false);
        var blob = _results.GetBlobClient(RosterBlobs.PeopleName(container, blobName));
        var stream = await blob.OpenWriteAsync(overwrite: true, cancellationToken: cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var writer = new StreamWriter(stream, new UTF8Encoding(false), 64 * 1024);
            await using (writer.ConfigureAwait(false))
            {
                foreach (var person in people)
                {
                    // Tabs and line breaks cannot be in a cleaned name or an ID number; replaced to be sure. The name
                    // goes through the spreadsheet rule too: a .csv in storage gets opened in Excel.
                    var name = CsvReportWriter.ForExcel(person.Name.Replace('\t', ' ').Replace('\n', ' ').Replace('\r', ' '));
                    await writer.WriteLineAsync($"{person.IdNumber}\t{name}\t{person.Line}").ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>
    /// Every vanished person as CSV for the school (ID numbers masked, as in the result), which lists only the
    /// first; the blob's name in <c>roster-results</c>, or null (and any older list deleted) when nobody vanished.
    /// </summary>
    public async Task<string?> WriteVanishedAsync(string container, string blobName, IReadOnlyCollection<RosterManifestEntry> vanished, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(vanished);
        var name = RosterBlobs.VanishedName(container, blobName);
        var blob = _results.GetBlobClient(name);
        if (vanished.Count == 0)
        {
            await blob.DeleteIfExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            return null;
        }

        await EnsureContainerAsync(cancellationToken).ConfigureAwait(false);
        var stream = await blob.OpenWriteAsync(overwrite: true, new BlobOpenWriteOptions
        {
            HttpHeaders = new BlobHttpHeaders { ContentType = "text/csv; charset=utf-8" },
        }, cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var writer = CsvReportWriter.Create(stream, ["姓名", "公民身份号码", "上次行号"], leaveOpen: true);
            await using (writer.ConfigureAwait(false))
            {
                foreach (var person in vanished.OrderBy(p => p.Line))
                {
                    await writer.WriteRowAsync([person.Name, Domain.Rosters.RosterChecker.Mask(person.IdNumber), person.Line.ToString(System.Globalization.CultureInfo.InvariantCulture)], cancellationToken).ConfigureAwait(false);
                }
            }
        }

        return $"{RosterBlobs.ResultsContainer}/{name}";
    }
}

/// <summary>One person a roster version enrolled.</summary>
public sealed record RosterManifestEntry(string IdNumber, string Name, int Line);
