using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Microsoft.Azure.Functions.Worker;

namespace Collection.Functions.Hosting;

/// <summary>
/// The blob version a blob trigger ran for. The ETag comes from the trigger's <c>Properties</c> binding data
/// (the version the host saw), so a run never reads a newer version than the one it reports on; when the
/// host gives none, from the blob as it is now.
/// </summary>
public sealed record TriggeredBlob(string Container, string Name, ETag ETag, BlobClient Client)
{
    public static async Task<TriggeredBlob> FromAsync(BlobClient client, FunctionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(context);
        var etag = TriggerETag(context);
        if (etag is null)
        {
            try
            {
                etag = (await client.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value.ETag;
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                // Deleted since the trigger fired: a version that matches nothing, so the run skips it.
                etag = new ETag("\"gone\"");
            }
        }

        return new TriggeredBlob(client.BlobContainerName, client.Name, etag.Value, client);
    }

    private static ETag? TriggerETag(FunctionContext context)
    {
        if (!context.BindingContext.BindingData.TryGetValue("Properties", out var properties) || properties is null)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(properties.ToString() ?? "{}");
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty(nameof(Azure.Storage.Blobs.Models.BlobProperties.ETag), out var etag)
                && etag.ValueKind == JsonValueKind.String
                && etag.GetString() is { Length: > 0 } text
                    ? new ETag(text)
                    : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
