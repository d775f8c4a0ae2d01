using System.Text;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Collection.Functions.Subsidies;
using Collection.Functions.Tests.Ledger;
using Collection.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Collection.Functions.Tests.Subsidies;

/// <summary>
/// The real blob listener path: a list dropped into <c>subsidy-lists</c> on an Azurite of its own (the containers
/// have fixed names, so no other test's host may watch them) is picked up by the running app and applied.
/// </summary>
public sealed class SubsidyListsListenerTests : IAsyncLifetime
{
    private AzuriteInstance _azurite = null!;

    public async Task InitializeAsync() => _azurite = await AzuriteInstance.StartAsync();

    public async Task DisposeAsync() => await _azurite.DisposeAsync();

    private Task<AppHost> StartHostAsync() =>
        AppHost.StartAsync(_azurite, new Dictionary<string, string>
        {
            ["AzureWebJobs.SubsidyLists.Disabled"] = "false",
            ["Keys:staff"] = "test-staff",
        });

    private async Task<JsonElement> WaitForResultAsync(string name, string etag)
    {
        var results = new BlobContainerClient(_azurite.ConnectionString, SubsidyListsFunction.ResultsContainer);
        return await Eventually.GetAsync(
            async () => JsonSerializer.Deserialize<JsonElement>((await results.GetBlobClient(name + ".json").DownloadContentAsync()).Value.Content),
            result => result.GetProperty("eTag").GetString() == etag,
            _ => $"no result for {name}",
            transient: e => e is RequestFailedException { Status: 404 }); // not written yet
    }

    private async Task<string> UploadAsync(string name, byte[] content)
    {
        var container = new BlobContainerClient(_azurite.ConnectionString, SubsidyListsFunction.Container);
        await container.CreateIfNotExistsAsync();
        var info = await container.GetBlobClient(name).UploadAsync(new BinaryData(content), overwrite: true);
        return info.Value.ETag.ToString().Trim('"');
    }

    [Fact]
    public async Task DroppedList_PickedUpByTheRunningHost_AndACorruptOneFailsOnce()
    {
        await using var host = await StartHostAsync();
        using var client = host.CreateClient("test-staff");
        var id = LedgerTestHost.NewId("19580301", "620402");
        var name = "baiyin-2023/civil-affairs/20220901-特困人员名单.csv";

        var etag = await UploadAsync(name, Encoding.UTF8.GetBytes($"姓名,身份证号,资助身份,乡镇街道\r\n冯一,{id},特困人员,水川镇"));
        var result = await WaitForResultAsync(name, etag);
        var corruptName = "baiyin-2023/civil-affairs/20220901-坏文件.xlsx";
        var corrupt = await WaitForResultAsync(corruptName, await UploadAsync(corruptName, Encoding.UTF8.GetBytes("not a workbook")));

        Assert.Equal(("completed", 1), (result.GetProperty("status").GetString(), result.GetProperty("counts").GetProperty("opened").GetInt32()));
        Assert.Equal(("failed", "corrupt-file"), (corrupt.GetProperty("status").GetString(), corrupt.GetProperty("error").GetProperty("code").GetString()));
        var body = JsonSerializer.Deserialize<JsonElement>(await client.GetStringAsync(new Uri($"/api/people/{id}/identities", UriKind.Relative)));
        var spell = Assert.Single(body.GetProperty("identities").EnumerateArray());
        Assert.Equal(("baiyin-2023", "2022-09-01", "水川镇"), (spell.GetProperty("policy").GetString(), spell.GetProperty("from").GetString(), spell.GetProperty("town").GetString()));

        // A file that cannot be read is a failed result, not an error: the run succeeds and is not tried again,
        // so once a later list has its result, the corrupt one's result is still the first one written.
        var laterName = "baiyin-2023/civil-affairs/20220902-特困人员名单.csv";
        await WaitForResultAsync(laterName, await UploadAsync(laterName, Encoding.UTF8.GetBytes($"姓名,身份证号,资助身份,乡镇街道\r\n冯二,{LedgerTestHost.NewId("19580302", "620402")},特困人员,水川镇")));
        var again = await WaitForResultAsync(corruptName, corrupt.GetProperty("eTag").GetString()!);
        Assert.Equal(corrupt.GetProperty("startedAt").GetString(), again.GetProperty("startedAt").GetString());
        using var services = host.AppServices();
        var book = services.GetRequiredService<SubsidyIdentityBook>();
        Assert.NotNull(await book.InForceAsync("baiyin-2023", Domain.ResidentId.Parse(id), new DateOnly(2022, 9, 1)));
    }
}
