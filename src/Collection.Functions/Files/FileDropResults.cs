using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace Collection.Functions.Files;

/// <summary>
/// Where a dropped file's result goes: <c>{results container}/{blob name}.rejected.csv</c>, then
/// <c>{blob name}.json</c>. The JSON last: its presence says the run finished and the .rejected.csv beside it
/// belongs to it (<see cref="FileDrops.StatusAsync"/> reads it so).
/// </summary>
internal static class FileDropResults
{
    /// <summary>The .rejected.csv's blob as the result document names it.</summary>
    public static string RejectedCsv(string resultsContainer, string blobName) => $"{resultsContainer}/{blobName}.rejected.csv";

    public static async Task WriteAsync(BlobServiceClient blobs, string resultsContainer, string blobName, Stream rejectedCsv, BinaryData json, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blobs);
        ArgumentNullException.ThrowIfNull(rejectedCsv);
        var results = blobs.GetBlobContainerClient(resultsContainer);
        await results.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        await results.GetBlobClient(blobName + ".rejected.csv").UploadAsync(rejectedCsv,
            new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "text/csv; charset=utf-8" } }, cancellationToken).ConfigureAwait(false);
        await results.GetBlobClient(blobName + ".json").UploadAsync(json,
            new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = "application/json; charset=utf-8" } }, cancellationToken).ConfigureAwait(false);
    }
}
