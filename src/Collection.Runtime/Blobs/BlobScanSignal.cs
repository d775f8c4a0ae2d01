namespace Collection.Runtime.Blobs;

/// <summary>
/// Asks the blob trigger to scan now rather than at the end of its polling interval. The app's own
/// upload endpoints call <see cref="Request"/> after writing into a watched container, so a file sent
/// through the API starts at once; a file dropped straight into storage is found by the regular scan.
/// Requests made while one is pending collapse into one scan.
/// </summary>
public sealed class BlobScanSignal : IDisposable
{
    private readonly Lock gate = new();
    private readonly SemaphoreSlim requested = new(0, 1);

    public void Request()
    {
        lock (gate)
        {
            if (requested.CurrentCount == 0)
            {
                requested.Release();
            }
        }
    }

    /// <summary>Waits for a request or for <paramref name="timeout"/>, whichever comes first (real time).</summary>
    internal Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        requested.WaitAsync(timeout, cancellationToken);

    public void Dispose() => requested.Dispose();
}
