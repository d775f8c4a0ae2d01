using System.Net.Http.Json;
using System.Text.Json;
using Azure.Data.Tables;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Collection.Functions.Rosters;
using Collection.Testing;

namespace Collection.Functions.Tests.Rosters;

/// <summary>One dedicated Azurite for the roster tests: the roster containers have fixed names, so no other test's host may see them.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes it through IAsyncLifetime.DisposeAsync.")]
public sealed class RosterStorage : IAsyncLifetime
{
    public const string LedgerPrefix = "rostertest";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private AppHost? _host;

    public AzuriteInstance Azurite { get; private set; } = null!;

    public async Task InitializeAsync() => Azurite = await AzuriteInstance.StartAsync();

    /// <summary>One host with the default settings for the tests of a class that need nothing else (started on first use).</summary>
    public async Task<AppHost> HostAsync()
    {
        await _gate.WaitAsync();
        try
        {
            return _host ??= await RosterHost.StartAsync(Azurite);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        await Azurite.DisposeAsync();
        _gate.Dispose();
    }
}

/// <summary>The app in the local host on the roster Azurite, its blob triggers on, polling blobs every 250 ms (unless told), with test keys.</summary>
internal static class RosterHost
{
    public const string StaffKey = "test-staff-key";

    public static string SchoolKey(string school) => $"test-{school}-key";

    public static Task<AppHost> StartAsync(AzuriteInstance azurite, TimeSpan? leaseTime = null, TimeSpan? pollingInterval = null)
    {
        ArgumentNullException.ThrowIfNull(azurite);
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["Ledger:TablePrefix"] = RosterStorage.LedgerPrefix,
            ["AzureFunctionsJobHost__extensions__blobs__pollingInterval"] = (pollingInterval ?? TimeSpan.FromMilliseconds(250)).ToString("c"),
            ["AzureFunctionsJobHost__extensions__blobs__leaseTime"] = (leaseTime ?? TimeSpan.FromMinutes(1)).ToString("c"),
            ["Keys:staff"] = StaffKey,
            // A Dalate school: its key may not enrol anyone under a Luyang policy.
            ["Schools:SCH009:Policies"] = "dalate-2022, wuhai-2022",
        };
        foreach (var function in AppHost.TriggeredFunctions)
        {
            settings[$"AzureWebJobs.{function}.Disabled"] = "false";
        }

        foreach (var school in new[] { "SCH001", "SCH002", "SCH003", "SCH004", "SCH005", "SCH006", "SCH007", "SCH009", "UNI001" })
        {
            settings[$"Keys:school:{school}"] = SchoolKey(school);
        }

        return AppHost.StartAsync(azurite, settings);
    }

    /// <summary>Uploads straight to storage (as Azure Storage Explorer does), assessed on a day of the collection period.</summary>
    public static async Task UploadBlobAsync(AzuriteInstance azurite, string container, string blobName, byte[] content, string assessOn = "2022-10-10")
    {
        var blobs = new BlobContainerClient(azurite.ConnectionString, container);
        await blobs.CreateIfNotExistsAsync();
        await blobs.GetBlobClient(blobName).UploadAsync(new BinaryData(content), new BlobUploadOptions
        {
            Metadata = new Dictionary<string, string> { [RosterBlobs.AssessOnMetadata] = assessOn },
        });
    }

    /// <summary>Waits for the result of the current version of a roster to be completed or failed, reading it from storage.</summary>
    public static async Task<RosterResult> WaitForResultAsync(AzuriteInstance azurite, string container, string blobName, TimeSpan? timeout = null, Func<RosterResult, bool>? until = null)
    {
        var results = new RosterResultStore(azurite.CreateBlobServiceClient());
        var blob = new BlobContainerClient(azurite.ConnectionString, container).GetBlobClient(blobName);
        var etag = RosterBlobs.ETagText((await blob.GetPropertiesAsync()).Value.ETag);
        until ??= r => r.Status != RosterStatus.Processing;
        return (await Eventually.GetAsync(
            () => results.ReadAsync(container, blobName, CancellationToken.None),
            result => result is not null && result.ETag == etag && until(result),
            result => $"no result for {container}/{blobName} (last: {result?.Status}, {result?.Counts.Total} rows)", timeout))!;
    }

    public static async Task<RosterResult> PollStatusAsync(HttpClient client, string statusUri) =>
        (await Eventually.GetAsync(
            () => client.GetFromJsonAsync<RosterResult>(new Uri(statusUri), RosterResult.Json),
            result => result!.Status != RosterStatus.Processing,
            _ => $"roster at {statusUri} still processing"))!;

    /// <summary>Puts a person in the roster tests' identity book as a department's list of <paramref name="from"/> would (issue 17).</summary>
    public static async Task ConfirmAsync(AzuriteInstance azurite, string policy, string idNumber, Domain.Codes.SubsidyIdentity identity, Domain.Codes.Department department, string from = "2022-09-01")
    {
        using var book = new Functions.Subsidies.SubsidyIdentityBook(azurite.CreateTableServiceClient(), new Functions.Subsidies.SubsidyTables(RosterStorage.LedgerPrefix),
            Functions.Policies.PolicyFiles.Load(Functions.Policies.PolicyFiles.DefaultDirectory), new Functions.Hosting.Resilience(TimeProvider.System));
        var day = DateOnly.Parse(from, System.Globalization.CultureInfo.InvariantCulture);
        await book.ApplyAsync([new Functions.Subsidies.SubsidyListRow(policy, Domain.ResidentId.Parse(idNumber), identity, department,
            new Domain.Subsidies.ListEntry(day, Domain.Subsidies.ListChange.Add, "测试", null, null, $"{policy}/test/{day:yyyyMMdd}-test.csv"))]);
    }

    /// <summary>The ledger's enrolment rows of a source under a policy, as stored.</summary>
    public static async Task<List<TableEntity>> EnrolmentsAsync(AzuriteInstance azurite, string policy, string source)
    {
        var table = azurite.CreateTableServiceClient().GetTableClient(RosterStorage.LedgerPrefix + "enrolments");
        var rows = new List<TableEntity>();
        await foreach (var row in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"Policy eq {policy} and Source eq {source}")))
        {
            rows.Add(row);
        }

        return rows;
    }

    public static HttpClient Client(AppHost host, string key)
    {
        ArgumentNullException.ThrowIfNull(host);
        return host.CreateClient(key);
    }

    public static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();
}
