using Azure;
using Azure.Storage.Blobs.Models;
using Collection.Domain.Rosters;
using Azure.Storage.Blobs;
using Collection.Functions.Hosting;
using Microsoft.Azure.Functions.Worker;
using Collection.Functions.Policies;

namespace Collection.Functions.Rosters;

/// <summary>
/// Blob triggers on <c>school-rosters/{policy}/{school}/{name}</c> (kindergartens, primary and secondary schools)
/// and <c>university-rosters/…</c> (new-student lists of universities). Any blob of the container triggers, so
/// one in the wrong folder gets a result saying where rosters go. Event Grid is the source on Flex Consumption.
/// </summary>
public sealed class RosterFunctions(RosterIngestion ingestion, ILogger<RosterFunctions> logger)
{
    [Function("SchoolRosters")]
    public async Task School(
        [BlobTrigger(RosterBlobs.SchoolContainer + "/{name}", Source = BlobTriggerSource.EventGrid)] BlobClient blob, FunctionContext context, CancellationToken cancellationToken) =>
        await RosterBlobRun.RunAsync(ingestion, RosterKind.School, await TriggeredBlob.FromAsync(blob, context, cancellationToken).ConfigureAwait(false), logger, cancellationToken).ConfigureAwait(false);

    [Function("UniversityRosters")]
    public async Task University(
        [BlobTrigger(RosterBlobs.UniversityContainer + "/{name}", Source = BlobTriggerSource.EventGrid)] BlobClient blob, FunctionContext context, CancellationToken cancellationToken) =>
        await RosterBlobRun.RunAsync(ingestion, RosterKind.University, await TriggeredBlob.FromAsync(blob, context, cancellationToken).ConfigureAwait(false), logger, cancellationToken).ConfigureAwait(false);
}

/// <summary>What both roster functions do with their blob.</summary>
internal static partial class RosterBlobRun
{
    public static async Task RunAsync(RosterIngestion ingestion, RosterKind kind, TriggeredBlob blob, ILogger logger, CancellationToken cancellationToken)
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
            if (logger.IsEnabled(LogLevel.Information))
            {
                var name = LogText.Of(blob.Name);
                LogGoneOrReplaced(logger, blob.Container, name, blob.ETag);
            }

            return;
        }

        DateOnly? assessOn = properties.Metadata.TryGetValue(RosterBlobs.AssessOnMetadata, out var text)
            && IsoDate.TryParse(text, out var date)
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Roster {Container}/{Blob} {ETag} is gone or replaced; skipped")]
    private static partial void LogGoneOrReplaced(ILogger logger, string container, string blob, ETag eTag);
}
