using System.Net;
using Collection.Domain.Codes;
using Collection.Functions.Tests.Ledger;

using Collection.Files.Tests;

namespace Collection.Functions.Tests.Reports;

/// <summary>bagongshan-2022 八(五) "享受财政资助人员名单，要在各社区、村委公开公示": a town's subsidised people, ID numbers masked.</summary>
public sealed class PublicityTests : IAsyncLifetime
{
    private LedgerTestHost _host = null!;
    private readonly Dictionary<string, string> _ids = [];

    public async Task InitializeAsync()
    {
        _host = await LedgerTestHost.StartAsync(today: new DateOnly(2021, 11, 20));
        await Enrol("low", "山王镇", SubsidyIdentity.MinimumLivingAllowance, Department.CivilAffairs, "低保对象");
        await Enrol("poor", "山王镇", SubsidyIdentity.ExtremePoverty, Department.CivilAffairs, "特困人员");
        await Enrol("plain", "山王镇", null, null, null);
        await Enrol("elsewhere", "八公山镇", SubsidyIdentity.ExtremePoverty, Department.CivilAffairs, "特困人员");
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private async Task Enrol(string who, string town, SubsidyIdentity? identity, Department? department, string? label)
    {
        _ids[who] = LedgerTestHost.NewId("19600101", "340405");
        if (identity is { } i)
        {
            await _host.ConfirmAsync("bagongshan-2022", _ids[who], i, department!.Value, new DateOnly(2021, 8, 20));
        }

        var (status, body) = await _host.PostAsync("/api/enrolments", new { policy = "bagongshan-2022", idNumber = _ids[who], date = "2021-11-01", name = who, town, identities = label is null ? Array.Empty<string>() : [label] });
        Assert.True(status == HttpStatusCode.Created, body.ToString());
    }

    private static string Masked(string id) => id[..6] + "********" + id[14..];

    [Fact]
    public async Task TownList_HasTheSubsidisedWithMaskedIds()
    {
        using var client = _host.Client();
        var bytes = await client.GetByteArrayAsync(new Uri("api/reports/bagongshan-2022/publicity?town=%E5%B1%B1%E7%8E%8B%E9%95%87", UriKind.Relative));
        var text = System.Text.Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3);
        var cells = TestFiles.AssertOpensWithoutFormulas(bytes);

        Assert.StartsWith("乡镇街道,姓名,身份证号,资助身份,资助方式,财政资助金额,个人缴费金额\r\n", text, StringComparison.Ordinal);
        Assert.Equal(3, text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains($"山王镇,low,{Masked(_ids["low"])},低保对象,定额资助,288.00,32.00\r\n", text, StringComparison.Ordinal);
        Assert.Contains($"山王镇,poor,{Masked(_ids["poor"])},", text, StringComparison.Ordinal);
        Assert.DoesNotContain("plain", cells);
        Assert.DoesNotContain("elsewhere", cells);
        Assert.All(_ids.Values, id => Assert.DoesNotContain(id, text, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Xlsx_ReadsBack()
    {
        using var client = _host.Client();
        var bytes = await client.GetByteArrayAsync(new Uri("api/reports/bagongshan-2022/publicity?town=%E5%85%AB%E5%85%AC%E5%B1%B1%E9%95%87&format=xlsx", UriKind.Relative));
        using var reader = Collection.Files.TabularReader.Open(new MemoryStream(bytes), "p.xlsx");
        var rows = reader.ReadRows().Select(r => r.Cells.ToArray()).ToList();

        Assert.Equal(2, rows.Count);
        Assert.Equal(["八公山镇", "elsewhere", Masked(_ids["elsewhere"]), "特困人员", "全额资助"], rows[1][..5]);
    }

    [Theory]
    [InlineData("/api/reports/bagongshan-2022/publicity", HttpStatusCode.BadRequest, "missing-town")]
    [InlineData("/api/reports/bagongshan-2022/publicity?town=x&format=pdf", HttpStatusCode.BadRequest, "unknown-format")]
    [InlineData("/api/reports/nowhere/publicity?town=x", HttpStatusCode.NotFound, "unknown-policy")]
    public async Task BadRequests_AreProblemsWithChineseDetail(string path, HttpStatusCode expected, string code)
    {
        var (status, problem) = await _host.GetAsync(path);

        Assert.Equal(expected, status);
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detailZh").GetString()));
    }
}
