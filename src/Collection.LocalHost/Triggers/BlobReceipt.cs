using Azure;
using Azure.Data.Tables;

namespace Collection.LocalHost.Triggers;

/// <summary>
/// One row of <c>RuntimeBlobReceipts</c> (layout in <see cref="StorageLayout"/>): what happened
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

    /// <summary>
    /// The escaped <c>container/blob name</c>, as long as it fits a table key (1 KiB, 512 characters);
    /// longer (a Chinese file name of about 50 characters escapes to 450) its start and the SHA-256 of
    /// the whole, so the key stays unique and short names keep the keys they always had.
    /// </summary>
    public static string RowKeyFor(string container, string blobName)
    {
        var escaped = Uri.EscapeDataString($"{container}/{blobName}");
        if (escaped.Length <= LongestRowKey)
        {
            return escaped;
        }

        var hash = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{container}/{blobName}")));
        return string.Concat(escaped.AsSpan(0, LongestRowKey - hash.Length - 1), "~", hash);
    }

    /// <summary>Below the 512-character limit of a table key, with room to spare.</summary>
    private const int LongestRowKey = 400;

    public bool IsFinished => Status is Succeeded or Poison;
}
