namespace Collection.LocalHost.Triggers;

/// <summary>
/// What the trigger listeners keep in the app's storage account (<c>AzureWebJobsStorage</c>), beside the
/// app's own data. Every name below is fixed so that several hosts on one account agree; they are the
/// names the project's earlier runtime used, so state already in a developer's Azurite stays valid.
/// <list type="bullet">
/// <item><b>Table <c>RuntimeBlobReceipts</c></b> — one row per (blob function, blob):
/// PartitionKey = function name, RowKey = <c>Uri.EscapeDataString("container/blob name")</c> (beyond 400
/// characters, its first 335 and <c>~</c> and the SHA-256 of the name in hex: <see cref="BlobReceipt.RowKeyFor"/>).
/// Columns: <c>BlobETag</c> (the version the row is about), <c>Status</c> (Running, Failed, Succeeded,
/// Poison), <c>Attempts</c>, <c>Owner</c> + <c>LeaseExpiresAt</c> (the host running it; a claim not
/// renewed by then is from a crashed host and may be taken over), <c>LastError</c>, <c>CompletedAt</c>.
/// A host claims a blob by inserting the row or replacing it with an If-Match on the row's ETag, so
/// exactly one host runs each (blob, ETag). A new blob ETag (overwrite) restarts the row at attempt 1.</item>
/// <item><b>Container <c>azure-webjobs-hosts</c>, blob <c>timers/&lt;function&gt;</c></b> — one empty blob
/// per timer function. Its lease is the right to run the timer (one host at a time); its metadata is
/// the schedule status: <c>next</c> (the occurrence due next), <c>lastScheduled</c> (the last
/// occurrence run), <c>lastRunAt</c>, <c>lastOutcome</c>, <c>lastManualRunAt</c> (ISO 8601, UTC).
/// A host that finds <c>next</c> in the past at start-up runs it once with IsPastDue.</item>
/// <item><b>Queue <c>&lt;queue&gt;-poison</c></b> — messages that failed <c>maxDequeueCount</c> times.</item>
/// </list>
/// </summary>
internal static class StorageLayout
{
    public const string BlobReceiptsTable = "RuntimeBlobReceipts";
    public const string HostsContainer = "azure-webjobs-hosts";
    private const string TimerBlobPrefix = "timers/";
    private const string PoisonQueueSuffix = "-poison";

    public static string TimerBlobName(string functionName) => TimerBlobPrefix + functionName.ToLowerInvariant();

    public static string PoisonQueueName(string queueName) => queueName + PoisonQueueSuffix;
}
