using System.Collections.Concurrent;
using Azure;
using Azure.Storage.Blobs;
using Collection.Domain;
using Collection.Domain.Policies;
using Collection.Domain.Rosters;
using Collection.Files;
using Collection.Functions.Ledger;
using Collection.Functions.Policies;
using Collection.Functions.Rosters;
using Collection.Testing;
using Microsoft.Extensions.Logging.Abstractions;

using Collection.Files.Tests;

namespace Collection.Functions.Tests.Rosters;

/// <summary>A dedicated Azurite for the component-level roster tests (the results container has a fixed name).</summary>
public sealed class RosterComponentStorage : IAsyncLifetime
{
    public AzuriteInstance Azurite { get; private set; } = null!;

    public async Task InitializeAsync() => Azurite = await AzuriteInstance.StartAsync();

    public async Task DisposeAsync() => await Azurite.DisposeAsync();
}

/// <summary>
/// <see cref="RosterIngestion"/> built directly, no host: its result store on a real Azurite, the ledger in memory
/// (what these tests are about happens before and beside the ledger), assessed on 2022-10-10 under luyang-2023.
/// </summary>
internal static class RosterComponents
{
    public const string Policy = "luyang-2023";
    public static readonly DateOnly Day = new(2022, 10, 10);
    private static readonly Lazy<PolicyCatalog> Catalog = new(() => PolicyFiles.Load(PolicyFiles.DefaultDirectory));

    public static RosterIngestion Ingestion(AzuriteInstance azurite, IRosterLedger ledger, FileLimits? limits = null, TimeSpan? progressInterval = null) =>
        new(new RosterResultStore(azurite.CreateBlobServiceClient()), ledger, Catalog.Value, TimeProvider.System, new ChinaClock(TimeProvider.System, Day), NullLogger<RosterIngestion>.Instance)
        {
            Limits = limits ?? FileLimits.Default,
            ProgressInterval = progressInterval ?? TimeSpan.FromSeconds(2),
        };

    public static RosterUpload Upload(string school, string fileName) =>
        new(RosterBlobs.SchoolContainer, RosterBlobs.BlobName(Policy, school, fileName), new ETag("\"v1\""), RosterKind.School, Policy, school, fileName, Day, "test");

    public static Task<RosterResult> RunAsync(this RosterIngestion ingestion, RosterUpload upload, byte[] content) =>
        ingestion.RunAsync(upload, _ => Task.FromResult<Stream>(new MemoryStream(content, writable: false)), CancellationToken.None);

    public static async Task<byte[]> DownloadAsync(AzuriteInstance azurite, string resultsBlob)
    {
        var name = resultsBlob[(RosterBlobs.ResultsContainer.Length + 1)..];
        var blob = new BlobContainerClient(azurite.ConnectionString, RosterBlobs.ResultsContainer).GetBlobClient(name);
        return (await blob.DownloadContentAsync()).Value.Content.ToArray();
    }

    /// <summary>
    /// A roster of <paramref name="count"/> rows whose ID numbers all fail their check digit, as in issue 22's
    /// 1,000,000-row file: about 31 bytes a row (UTF-8).
    /// </summary>
    public static byte[] InvalidRoster(int count)
    {
        var output = new MemoryStream(count * 32);
        output.Write("姓名,公民身份号码,性别\r\n"u8);
        var line = new byte[64];
        for (var i = 0; i < count; i++)
        {
            var id = TestFiles.IdNumber("340103", new DateOnly(2012, 1, 1).AddDays(i % 2000), i);
            var wrong = id[..17] + (id[17] == '1' ? '2' : '1');
            var length = System.Text.Encoding.UTF8.GetBytes($"张{i % 100:D2},{wrong},男\r\n", line);
            output.Write(line, 0, length);
        }

        return output.ToArray();
    }
}

/// <summary>
/// The ledger in memory: the first source to enrol a person has them; the same source again updates; a person in
/// <see cref="Elsewhere"/> is already enrolled through another channel.
/// </summary>
internal sealed class MemoryRosterLedger : IRosterLedger
{
    public ConcurrentDictionary<string, string> People { get; } = new(StringComparer.Ordinal);

    public HashSet<string> Elsewhere { get; } = new(StringComparer.Ordinal);

    public int MaxBatch => 100;

    public Task<IRosterLedgerBatches> BeginAsync(Policy policy, string source, DateOnly enrolledOn, string actor, CancellationToken cancellationToken) =>
        Task.FromResult<IRosterLedgerBatches>(new Batches(this, policy.Code, source, enrolledOn));

    private sealed class Batches(MemoryRosterLedger ledger, string policy, string source, DateOnly day) : IRosterLedgerBatches
    {
        public string BatchKey(ResidentId id) => LedgerKeys.Partition(policy, id.ToString());

        public Task<IReadOnlyList<RosterEnrolOutcome>> EnrolAsync(IReadOnlyList<RosterEnrolment> batch, CancellationToken cancellationToken)
        {
            var outcomes = batch.Select(row =>
            {
                var id = row.Person.Id.ToString();
                if (ledger.Elsewhere.Contains(id))
                {
                    return new RosterEnrolOutcome(RosterEnrolOutcomeKind.AlreadyEnrolled, "channel:tax", day);
                }

                if (ledger.People.TryAdd(id, source))
                {
                    return new RosterEnrolOutcome(RosterEnrolOutcomeKind.Enrolled);
                }

                var holder = ledger.People[id];
                return holder == source
                    ? new RosterEnrolOutcome(RosterEnrolOutcomeKind.Updated)
                    : new RosterEnrolOutcome(RosterEnrolOutcomeKind.AlreadyEnrolled, holder, day);
            }).ToList();
            return Task.FromResult<IReadOnlyList<RosterEnrolOutcome>>(outcomes);
        }
    }
}
