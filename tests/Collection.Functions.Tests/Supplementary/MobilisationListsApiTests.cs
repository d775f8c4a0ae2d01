using System.Net;
using Collection.Functions.Tests.Ledger;
using Collection.Testing;

namespace Collection.Functions.Tests.Supplementary;

/// <summary>
/// <c>GET /api/reports/{policy}/mobilisation</c> (issue 21): the month's 动员名单 the supplementary run wrote, whole for
/// staff, masked for community staff, and a key tied to a town sees that town's list only.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "xUnit disposes it through IAsyncLifetime.DisposeAsync.")]
public sealed class MobilisationListsApiTests(SupplementaryStorage storage) : IClassFixture<SupplementaryStorage>, IAsyncLifetime
{
    private SupplementaryHost _run = null!;
    private string _lindian = "";
    private string _xinglin = "";

    public async Task InitializeAsync()
    {
        _run = new SupplementaryHost(await LedgerTestHost.StartAsync(storage.Azurite.ConnectionString, AzuriteInstance.UniqueName("mob"), new DateOnly(2023, 3, 5),
            new Dictionary<string, string>
            {
                ["Keys:community"] = "test-community",
                ["Keys:community:林店街道"] = "test-lindian",
            }), storage.Azurite);
        // 低保对象 are subsidised in part: they pay the rest themselves, so the run puts them on their town's list.
        _lindian = LedgerTestHost.NewId("19620101", "340103");
        _xinglin = LedgerTestHost.NewId("19630101", "340103");
        var list = $"姓名,身份证号,资助身份,低保类别,乡镇街道,变动\r\n郑七,{_lindian},低保对象,,林店街道,新增\r\n钱八,{_xinglin},低保对象,,杏林街道,新增\r\n";
        var dropped = await Subsidies.SubsidyListsTests.DropAsync(_run.Host, "luyang-2023/civil-affairs/20230201-名单.csv", System.Text.Encoding.UTF8.GetBytes(list));
        Assert.Equal("completed", dropped.GetProperty("status").GetString());
        var summary = await _run.RunAsync("2023-03-05");
        Assert.Equal(2, SupplementaryHost.Count(summary, "luyang-2023", "mobilised"));
    }

    public async Task DisposeAsync() => await _run.DisposeAsync();

    private async Task<(HttpStatusCode Status, string Text)> CsvAsync(string path, string key)
    {
        using var client = _run.Host.Client(key);
        var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        var bytes = await response.Content.ReadAsByteArrayAsync();
        return (response.StatusCode, response.IsSuccessStatusCode ? string.Join('|', Collection.Files.Tests.TestFiles.AssertOpensWithoutFormulas(bytes)) : System.Text.Encoding.UTF8.GetString(bytes));
    }

    [Fact]
    public async Task Staff_SeeTheMonthsTownsAndTheListWithWholeIds()
    {
        var (status, index) = await _run.Host.GetAsync("/api/reports/luyang-2023/mobilisation");
        var (csvStatus, csv) = await CsvAsync("api/reports/luyang-2023/mobilisation?month=2023-03&town=%E6%9E%97%E5%BA%97%E8%A1%97%E9%81%93&format=csv", "test-staff");

        Assert.True(status == HttpStatusCode.OK, index.ToString());
        Assert.Equal("2023-03", index.GetProperty("month").GetString());
        Assert.Equal(["2023-03"], index.GetProperty("months").EnumerateArray().Select(m => m.GetString()));
        Assert.Equal(["杏林街道", "林店街道"], index.GetProperty("towns").EnumerateArray().Select(t => t.GetString()).Order(StringComparer.Ordinal));
        Assert.Equal(HttpStatusCode.OK, csvStatus);
        Assert.StartsWith("姓名|身份证号|", csv, StringComparison.Ordinal);
        Assert.Contains("郑七", csv, StringComparison.Ordinal);
        Assert.Contains(_lindian, csv, StringComparison.Ordinal);
        Assert.DoesNotContain("钱八", csv, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TownKey_SeesOnlyItsTown_WithIdsMasked_AndIsRefusedAnotherTown()
    {
        var (status, index) = await _run.Host.GetAsync("/api/reports/luyang-2023/mobilisation", "test-lindian");
        var (ownStatus, own) = await CsvAsync("api/reports/luyang-2023/mobilisation?format=csv", "test-lindian");
        var (otherStatus, other) = await _run.Host.GetAsync("/api/reports/luyang-2023/mobilisation?town=%E6%9D%8F%E6%9E%97%E8%A1%97%E9%81%93&format=csv", "test-lindian");

        Assert.True(status == HttpStatusCode.OK, index.ToString());
        Assert.Equal(["林店街道"], index.GetProperty("towns").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal(HttpStatusCode.OK, ownStatus);
        Assert.Contains("郑七", own, StringComparison.Ordinal);
        Assert.Contains(_lindian[..6] + "********" + _lindian[^4..], own, StringComparison.Ordinal);
        Assert.DoesNotContain(_lindian[6..14], own, StringComparison.Ordinal);
        Assert.DoesNotContain("钱八", own, StringComparison.Ordinal);
        Assert.Equal((HttpStatusCode.Forbidden, "forbidden-unit"), (otherStatus, other.GetProperty("code").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(other.GetProperty("detailZh").GetString()));
    }

    [Fact]
    public async Task CommunityKeyOfNoTown_GetsAnyTownsList_Masked()
    {
        var (status, csv) = await CsvAsync("api/reports/luyang-2023/mobilisation?town=%E6%9D%8F%E6%9E%97%E8%A1%97%E9%81%93&format=csv", "test-community");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("钱八", csv, StringComparison.Ordinal);
        Assert.Contains(_xinglin[..6] + "********" + _xinglin[^4..], csv, StringComparison.Ordinal);
        Assert.DoesNotContain(_xinglin, csv, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/reports/luyang-2023/mobilisation?month=2023-04&town=%E6%9E%97%E5%BA%97%E8%A1%97%E9%81%93&format=csv", "test-staff", HttpStatusCode.NotFound, "list-not-written")]
    [InlineData("/api/reports/luyang-2023/mobilisation?month=2023-4", "test-staff", HttpStatusCode.BadRequest, "invalid-month")]
    [InlineData("/api/reports/luyang-2023/mobilisation?format=csv", "test-staff", HttpStatusCode.BadRequest, "unknown-format")]
    [InlineData("/api/reports/nowhere/mobilisation", "test-staff", HttpStatusCode.NotFound, "unknown-policy")]
    [InlineData("/api/reports/luyang-2023/mobilisation", "test-school", HttpStatusCode.Forbidden, "forbidden-role")]
    public async Task Refusals_AreCodedProblemsInChinese(string path, string key, HttpStatusCode expected, string code)
    {
        var (status, problem) = await _run.Host.GetAsync(path, key);

        Assert.Equal((expected, code), (status, problem.GetProperty("code").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detailZh").GetString()));
    }
}
