using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Collection.Files;
using Collection.Functions.Rosters;
using Collection.Files.Tests;
using Collection.Testing;
using Xunit.Abstractions;
using static Collection.Functions.Tests.Rosters.RosterComponents;

namespace Collection.Functions.Tests.Rosters;

/// <summary>
/// Issue 22, finding 1, measured: a 1,000,000-row roster of invalid rows (32 MB) took the old host to 4.8 GB and past
/// the function timeout; rejecting every row cost the square of the rows. Now the row limit refuses it
/// having read no further than the limit, and a file at the limit is processed in bounded memory at a cost linear in its rows.
/// </summary>
[Collection(MemoryMeasuredCollection.Name)]
public sealed class RosterBoundsMemoryTests(RosterComponentStorage storage, ITestOutputHelper output) : IClassFixture<RosterComponentStorage>
{
    [Fact]
    public async Task MillionInvalidRows_RefusedAtTheRowLimitHavingReadNoFurther_HeapBounded()
    {
        var content = InvalidRoster(1_000_000);
        var blob = await UploadAsync("MEM001", "million.csv", content);
        var size = (await blob.GetPropertiesAsync()).Value.ContentLength;
        var ingestion = Ingestion(storage.Azurite, new MemoryRosterLedger());
        // Every stream the ingestion opens on the blob, counted.
        var sources = new List<CountingStream>();

        var probe = MemoryProbe.Start();
        var result = await ingestion.RunAsync(Upload("MEM001", "million.csv"), async ct =>
        {
            var source = new CountingStream(await OpenBlob(blob)(ct));
            sources.Add(source);
            return source;
        }, CancellationToken.None);
        var figures = probe.Stop();

        output.WriteLine($"1,000,000 invalid rows ({size / (1024.0 * 1024.0):N1} MB): {result.Status} {result.Error?.Code} at line {result.Error?.Line} after {result.Counts.Total} rows, result {result.ToJson().Length} bytes; {sources.Sum(s => s.BytesRead):N0} bytes read; {figures}");
        Assert.Equal((RosterStatus.Failed, FileErrorCodes.TooManyRows, (int?)200_002), (result.Status, result.Error!.Code, result.Error.Line));
        Assert.True(result.ToJson().Length < 40_000);
        // Refused at the limit, not after the whole file: read up to the line over the limit, and one read buffer more.
        var mostRead = EndOfLine(content, 200_002) + OpenBufferSize;
        var read = sources.Sum(s => s.BytesRead);
        Assert.True(read <= mostRead, $"{read:N0} of {content.Length:N0} bytes read, at most {mostRead:N0} allowed; {figures}");
        Assert.True(figures.PeakHeapGrowth < 400L * 1024 * 1024, figures.ToString());
    }

    [Fact]
    public async Task InvalidRowsUpToTheLimit_EveryOneRejected_CostLinearInRows_ResultOfFixedSize()
    {
        var figures = new Dictionary<int, MemoryProbe.Figures>();
        foreach (var rows in new[] { 50_000, 200_000 })
        {
            var school = $"MEM{rows}";
            var blob = await UploadAsync(school, "bad.csv", InvalidRoster(rows));
            var ingestion = Ingestion(storage.Azurite, new MemoryRosterLedger());

            var probe = MemoryProbe.Start();
            var result = await ingestion.RunAsync(Upload(school, "bad.csv"), OpenBlob(blob), CancellationToken.None);
            figures[rows] = probe.Stop();

            output.WriteLine($"{rows:N0} invalid rows: {result.Status}, {result.Counts.Rejected:N0} rejected, result {result.ToJson().Length} bytes; {figures[rows]}");
            Assert.Equal((RosterStatus.Completed, rows), (result.Status, result.Counts.Rejected));
            Assert.True(result.ToJson().Length < 40_000);
        }

        // Four times the rows, about four times the work (the old code took ten times as long for three times the rows,
        // rewriting a result that grew with them). Bytes allocated measure the work without the machine's noise.
        var time = figures[200_000].Elapsed / figures[50_000].Elapsed;
        var allocated = figures[200_000].Allocated / (double)figures[50_000].Allocated;
        output.WriteLine($"200,000 ÷ 50,000 rows: {time:N1} times the time, {allocated:N1} times the bytes allocated, {figures[200_000].PeakHeapGrowth / (double)Math.Max(1, figures[50_000].PeakHeapGrowth):N1} times the peak heap");
        Assert.True(allocated < 6, $"{allocated:N1} times the bytes allocated for four times the rows");
        Assert.True(figures[200_000].PeakHeapGrowth < 400L * 1024 * 1024, figures[200_000].ToString());
    }

    private const int OpenBufferSize = 1024 * 1024;

    private static Func<CancellationToken, Task<Stream>> OpenBlob(BlobClient blob) =>
        async ct => await blob.OpenReadAsync(new BlobOpenReadOptions(allowModifications: false) { BufferSize = OpenBufferSize }, ct);

    /// <summary>The offset just past the end of line <paramref name="line"/> (1-based, the header line 1).</summary>
    private static long EndOfLine(byte[] content, int line)
    {
        var offset = -1;
        for (var i = 0; i < line; i++)
        {
            offset = Array.IndexOf(content, (byte)'\n', offset + 1);
        }

        return offset + 1;
    }

    private async Task<BlobClient> UploadAsync(string school, string fileName, byte[] content)
    {
        var container = new BlobContainerClient(storage.Azurite.ConnectionString, RosterBlobs.SchoolContainer);
        await container.CreateIfNotExistsAsync();
        var blob = container.GetBlobClient(RosterBlobs.BlobName(Policy, school, fileName));
        await blob.UploadAsync(new BinaryData(content), overwrite: true);
        return blob;
    }
}
