using Azure;
using Azure.Data.Tables;

namespace Collection.LocalHost.Triggers;

/// <summary>
/// One row of <c>RuntimeBlobReceipts</c> (layout in <see cref="Hosting.StorageLayout"/>): what happened
/// to the current version of one blob for one function.
/// </summary>
internal sealed class BlobReceipt : ITableEntity
{
    public const string Running = "Running";
    public const string Failed = "Failed";
    public const string Succeeded = "Succeeded";
    public const string Poison = "Poison";

    public string PartitionKey { get; set; } = "";

    public string RowKey { get; set; } = "";

    public DateTimeOffset? Timestamp { get; set; }

    public ETag ETag { get; set; }

    public string Container { get; set; } = "";

    public string BlobName { get; set; } = "";

    /// <summary>The blob version this row is about; another ETag means the blob was overwritten.</summary>
    public string BlobETag { get; set; } = "";

    public string Status { get; set; } = Running;

    public int Attempts { get; set; }

    public string? Owner { get; set; }

    public DateTimeOffset? LeaseExpiresAt { get; set; }

    public string? LastError { get; set; }

    public DateTimeOffset? CompletedAt { get; set; }

    /// <summary>An ETag as stored: listings give it bare, response headers quoted; the row keeps it bare.</summary>
    public static string ETagText(ETag etag) => etag.ToString().Trim('"');

    public static string PartitionKeyFor(string functionName) => Uri.EscapeDataString(functionName);

    public static string RowKeyFor(string container, string blobName) => Uri.EscapeDataString($"{container}/{blobName}");

    public bool IsFinished => Status is Succeeded or Poison;
}
