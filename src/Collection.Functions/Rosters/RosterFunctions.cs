using Azure;
using Azure.Storage.Blobs.Models;
using Collection.Domain.Rosters;
using Collection.Runtime.Functions;
using Collection.Functions.Policies;

namespace Collection.Functions.Rosters;

/// <summary>Blob trigger on <c>school-rosters/{policy}/{school}/{name}</c>: kindergartens, primary and secondary schools.</summary>
public sealed class SchoolRosterFunction(RosterIngestion ingestion, ILogger<SchoolRosterFunction> logger) : IBlobFunction
{
    public Task RunAsync(BlobTrigger blob, CancellationToken cancellationToken) =>
        RosterBlobRun.RunAsync(ingestion, RosterKind.School, blob, logger, cancellationToken);
}

/// <summary>Blob trigger on <c>university-rosters/{policy}/{school}/{name}</c>: new-student lists of universities.</summary>
public sealed class UniversityRosterFunction(RosterIngestion ingestion, ILogger<UniversityRosterFunction> logger) : IBlobFunction
{
    public Task RunAsync(BlobTrigger blob, CancellationToken cancellationToken) =>
        RosterBlobRun.RunAsync(ingestion, RosterKind.University, blob, logger, cancellationToken);
}

/// <summary>What both roster functions do with their blob.</summary>
internal static class RosterBlobRun
{
    public static async Task RunAsync(RosterIngestion ingestion, RosterKind kind, BlobTrigger blob, ILogger logger, CancellationToken cancellationToken)
    {
        var parts = blob.Name.Split('/');
        var (policy, school, fileName) = parts.Length == 3 ? (parts[0], RosterBlobs.SchoolCode(parts[1]), parts[2]) : (string.Empty, string.Empty, blob.Name);
        var conditions = new BlobRequestConditions { IfMatch = blob.ETag };
        BlobProperties properties;
        try
        {
            properties = (await blob.Client.GetPropertiesAsync(conditions, cancellationToken).ConfigureAwait(false)).Value;
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            // Replaced or deleted since it was seen: the newer version has a run of its own.
            logger.LogInformation("Roster {Container}/{Blob} {ETag} is gone or replaced; skipped", blob.Container, LogText.Of(blob.Name), blob.ETag);
            return;
        }

        DateOnly? assessOn = properties.Metadata.TryGetValue(RosterBlobs.AssessOnMetadata, out var text)
            && DateOnly.TryParseExact(text, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out var date)
                ? date
                : null;
        var actor = properties.Metadata.TryGetValue(RosterBlobs.UploadedByMetadata, out var by) && !string.IsNullOrEmpty(by) ? by : $"blob:{blob.Container}";
        var upload = new RosterUpload(blob.Container, blob.Name, blob.ETag, kind, policy, school, fileName, assessOn, actor);
        if (parts.Length != 3 || !RosterBlobs.IsSegment(policy) || !RosterBlobs.IsSegment(school) || !RosterBlobs.IsSegment(fileName))
        {
            await ingestion.FailAsync(upload, "bad-blob-name", "名册应放在 {政策代码}/{学校代码}/{文件名} 下，例如 luyang-2023/SCH001/名册.csv", cancellationToken).ConfigureAwait(false);
            return;
        }

        await ingestion.RunAsync(upload, async ct =>
        {
            var options = new BlobOpenReadOptions(allowModifications: false) { Conditions = conditions, BufferSize = 1024 * 1024 };
            return await blob.Client.OpenReadAsync(options, ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
    }
}
