using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Collection.Domain.Codes;
using Collection.Functions.Files;

namespace Collection.Functions.Supplementary;

/// <summary>
/// The month's mobilisation lists (动员名单) of one policy, one CSV per town/street:
/// <c>reports/{policy}/mobilisation/{yyyy-MM}/{town}.csv</c>, UTF-8 with BOM, Chinese headers (Excel on a
/// Chinese Windows opens it as is). Rows stream into a block blob per town (a few towns, each with a
/// small upload buffer), in the run's order, so the same month run twice writes the same bytes. Lists of
/// towns with nobody left to mobilise this month are deleted at the end, so a rerun leaves no stale list.
/// </summary>
public sealed class MobilisationLists : IAsyncDisposable
{
    public const string Container = "reports";

    /// <summary>Town used when no list gave one.</summary>
    public const string UnknownTown = "未填乡镇街道";

    public static readonly IReadOnlyList<string> Headers =
        ["姓名", "身份证号", "资助身份", "低保类别", "乡镇街道", "报送部门", "个人缴费标准", "资助金额", "资助方式", "应缴金额", "先缴后补返还", "名单来源"];

    private const int UploadBufferBytes = 256 * 1024;

    private readonly BlobContainerClient _container;
    private readonly string _prefix;
    private readonly Dictionary<string, (Stream Stream, CsvReportWriter Csv)> _open = new(StringComparer.Ordinal);
    private bool _completed;

    private MobilisationLists(BlobContainerClient container, string prefix)
    {
        _container = container;
        _prefix = prefix;
    }

    public static string Prefix(string policy, string month) => $"{policy}/mobilisation/{month}/";

    public static string BlobName(string policy, string month, string town) => $"{Prefix(policy, month)}{SafeTown(town)}.csv";

    public static async Task<MobilisationLists> OpenAsync(BlobServiceClient blobs, string policy, string month, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blobs);
        var container = blobs.GetBlobContainerClient(Container);
        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        return new MobilisationLists(container, Prefix(policy, month));
    }

    public int Rows { get; private set; }

    public IReadOnlyCollection<string> Towns => _open.Keys;

    public async Task AddAsync(SupplementaryCase person, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(person);
        var town = string.IsNullOrWhiteSpace(person.Spell.Town) ? UnknownTown : person.Spell.Town.Trim();
        if (!_open.TryGetValue(town, out var list))
        {
            var blob = _container.GetBlockBlobClient(_prefix + SafeTown(town) + ".csv");
            var stream = await blob.OpenWriteAsync(true, new BlockBlobOpenWriteOptions
            {
                BufferSize = UploadBufferBytes,
                HttpHeaders = new BlobHttpHeaders { ContentType = "text/csv; charset=utf-8" },
            }, cancellationToken).ConfigureAwait(false);
            list = (stream, CsvReportWriter.Create(stream, Headers, leaveOpen: true));
            _open[town] = list;
        }

        var assessment = person.Assessment;
        var spell = person.Spell;
        await list.Csv.WriteRowAsync(
        [
            spell.Name,
            spell.Id.ToString(),
            Glossary.SubsidyIdentities.Label(assessment.SubsidyIdentity ?? spell.Identity),
            spell.AllowanceClass is { } c ? Glossary.AllowanceClasses.Label(c) : "",
            town,
            Glossary.Departments.TryParse(spell.Department, out var department) ? Glossary.Departments.Label(department) : spell.Department,
            CsvReportWriter.Amount(assessment.StandardContribution),
            CsvReportWriter.Amount(assessment.Subsidy),
            Glossary.SubsidyModes.Label(assessment.SubsidyMode),
            CsvReportWriter.Amount(assessment.Payable),
            CsvReportWriter.Amount(assessment.Rebate),
            spell.Source,
        ], cancellationToken).ConfigureAwait(false);
        Rows++;
    }

    /// <summary>Finishes every town's list and deletes this month's lists of towns not written this time.</summary>
    public async Task CompleteAsync(CancellationToken cancellationToken)
    {
        await CloseAsync().ConfigureAwait(false);
        var written = _open.Keys.Select(t => _prefix + SafeTown(t) + ".csv").ToHashSet(StringComparer.Ordinal);
        await foreach (var blob in _container.GetBlobsAsync(BlobTraits.None, BlobStates.None, _prefix, cancellationToken).ConfigureAwait(false))
        {
            if (!written.Contains(blob.Name))
            {
                await _container.DeleteBlobIfExistsAsync(blob.Name, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }

        _completed = true;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_completed)
        {
            await CloseAsync().ConfigureAwait(false);
        }
    }

    private async Task CloseAsync()
    {
        foreach (var (_, (stream, csv)) in _open)
        {
            await csv.DisposeAsync().ConfigureAwait(false);
            try
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
            catch (RequestFailedException) when (!_completed)
            {
                // Storage went away mid-run: the run fails and the next one rewrites the list.
            }
        }

        _completed = true;
    }

    /// <summary>A town name as a blob name segment: no path separators or control characters.</summary>
    private static string SafeTown(string town) =>
        new([.. town.Select(ch => ch is '/' or '\\' or '?' or '#' || char.IsControl(ch) ? '_' : ch)]);
}
