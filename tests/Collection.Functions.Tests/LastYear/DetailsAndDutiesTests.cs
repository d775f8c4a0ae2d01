using System.Net;
using System.Text;
using Azure.Storage.Blobs;
using Collection.Functions.Hosting;
using Collection.Functions.Subsidies;
using Collection.Functions.TaxReturns;
using Collection.Files.Tests;
using Collection.Functions.Tests.Ledger;
using Collection.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Collection.Functions.Tests.LastYear;

/// <summary>
/// bagongshan-2022 六(三), 七(一)6: last year's payer details for agents and tax by 08-28 (B16); baiyin-2023 七 T+1 (Y27) and
/// the departments' lists by their deadlines (bagongshan-2022 四 08-25 and 12-15), on an Azurite of its own: the drop
/// containers have fixed names, and no other test's files may count here.
/// </summary>
public sealed class DetailsAndDutiesTests : IAsyncLifetime
{
    private AzuriteInstance _azurite = null!;

    public async Task InitializeAsync() => _azurite = await AzuriteInstance.StartAsync();

    public async Task DisposeAsync() => await _azurite.DisposeAsync();

    [Fact]
    public async Task Details_ForOneAgent_SayWhetherTheDeadlineAndTheRollWereOnTime()
    {
        await using var host = await LedgerTestHost.StartAsync(_azurite.ConnectionString, today: new DateOnly(2021, 8, 20), settings: new Dictionary<string, string> { ["Keys:community:山王村"] = "test-shanwang" });
        var ids = Enumerable.Range(0, 3).Select(_ => LedgerTestHost.NewId("19700101", "340405")).ToArray();
        await LastYearSteps.LoadRollAsync(host, "bagongshan-2022", "2021年度缴费人员.csv", string.Join("\r\n",
            LastYearSteps.RollHeader,
            $"赵一,,{ids[0]},城乡居民,320,2020-10-01,山王镇,山王村,,",
            $"赵二,,{ids[1]},城乡居民,320,2020-10-02,山王镇,山王村,,",
            $"钱三,,{ids[2]},城乡居民,320,2020-10-03,八公山镇,八公山村,,"));

        var (_, onTime) = await host.GetAsync("/api/last-year/bagongshan-2022/details?collector=community:%E5%B1%B1%E7%8E%8B%E6%9D%91&format=json", "test-tax");
        using var agent = host.Client("test-shanwang");
        using var csv = await agent.GetAsync(new Uri("api/last-year/bagongshan-2022/details?collector=community:%E5%B1%B1%E7%8E%8B%E6%9D%91", UriKind.Relative));
        var bytes = await csv.Content.ReadAsByteArrayAsync();
        var (otherStatus, other) = await host.GetAsync("/api/last-year/bagongshan-2022/details?collector=community:%E5%85%AB%E5%85%AC%E5%B1%B1%E6%9D%91", "test-shanwang");
        host.Today = new DateOnly(2021, 9, 10);
        var (_, late) = await host.GetAsync("/api/last-year/bagongshan-2022/details?format=json", "test-tax");
        var (noRollStatus, noRoll) = await host.GetAsync("/api/last-year/luyang-2023/details", "test-tax");

        Assert.Equal((2, 640m, false, false, "2021-08-28"), (onTime.GetProperty("people").GetInt32(), onTime.GetProperty("amount").GetDecimal(),
            onTime.GetProperty("late").GetBoolean(), onTime.GetProperty("rollLoadedLate").GetBoolean(), onTime.GetProperty("deadline").GetString()));
        Assert.Equal(HttpStatusCode.OK, csv.StatusCode);
        Assert.Equal("false", csv.Headers.GetValues("X-Deadline-Late").Single());
        var lines = Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("乡镇街道,社区（村）,学校,姓名,证件类型,证件号码,参保身份,上年度缴费金额,缴费日期,联系电话,地址", lines[0]);
        Assert.Equal(3, lines.Length);
        Assert.Contains(LastYearSteps.CsvId(ids[1]), TestFiles.AssertOpensWithoutFormulas(bytes));
        Assert.Equal((HttpStatusCode.Forbidden, "forbidden-unit"), (otherStatus, other.GetProperty("code").GetString()));
        Assert.Equal((3, true, false), (late.GetProperty("people").GetInt32(), late.GetProperty("late").GetBoolean(), late.GetProperty("rollLoadedLate").GetBoolean()));
        Assert.Equal((HttpStatusCode.Conflict, "no-last-year-roll"), (noRollStatus, noRoll.GetProperty("code").GetString()));
    }

    [Fact]
    public async Task Duties_FlagADayWithoutTaxReturn_ALateReturn_AndDepartmentsLateOrMissing()
    {
        await using var host = await LedgerTestHost.StartAsync(_azurite.ConnectionString, today: new DateOnly(2022, 9, 12));
        var blobs = host.Services.GetRequiredService<BlobServiceClient>();
        var (a, b, c) = (LedgerTestHost.NewId("19700101", "620402"), LedgerTestHost.NewId("19700101", "620402"), LedgerTestHost.NewId("19700101", "620402"));
        foreach (var id in new[] { a, b, c })
        {
            await LastYearSteps.EnrolAndPayAsync(host, "baiyin-2023", id, "水川镇", "2022-09-01", null, "");
        }

        // a paid at the window on 09-05 and tax never returned that day; b came back the next day; c four days late.
        var (posted, body) = await host.PostAsync("/api/payments", new { policy = "baiyin-2023", idNumber = a, amount = 100m, paidOn = "2022-09-05", channel = "cash", transactionId = "W" + Guid.NewGuid().ToString("N")[..12], inTreasury = false });
        Assert.True(posted == HttpStatusCode.Created, body.ToString());
        await TaxReturnAsync(host, blobs, "baiyin-2023/20220907-回传.csv", b, "2022-09-06");
        await TaxReturnAsync(host, blobs, "baiyin-2023/20220910-回传.csv", c, "2022-09-06");

        // bagongshan-2022: 民政 on time (08-20), 残联 late (09-01), 乡村振兴 never; by 12-15 only 民政 again.
        var lists = blobs.GetBlobContainerClient(SubsidyListsFunction.Container);
        await lists.CreateIfNotExistsAsync();
        foreach (var name in new[] { "bagongshan-2022/civil-affairs/20210820-名单.csv", "bagongshan-2022/disabled-federation/20210901-名单.csv", "bagongshan-2022/civil-affairs/20211210-增减.csv" })
        {
            await lists.GetBlobClient(name).UploadAsync(new BinaryData("姓名,身份证号,资助身份\r\n"u8.ToArray()), overwrite: true);
        }

        var (status, baiyin) = await host.GetAsync("/api/reports/baiyin-2023/duties");
        host.Today = new DateOnly(2021, 12, 20);
        var (_, bagongshan) = await host.GetAsync("/api/reports/bagongshan-2022/duties");

        Assert.True(status == HttpStatusCode.OK, baiyin.ToString());
        var returns = baiyin.GetProperty("paymentReturns");
        Assert.Equal((1, 2), (returns.GetProperty("withinDays").GetInt32(), returns.GetProperty("returnFiles").GetInt32()));
        var missing = Assert.Single(returns.GetProperty("missingDays").EnumerateArray());
        Assert.Equal(("2022-09-05", "2022-09-06", 1, 100m), (missing.GetProperty("date").GetString(), missing.GetProperty("dueBy").GetString(), missing.GetProperty("payments").GetInt32(), missing.GetProperty("amount").GetDecimal()));
        var lateReturn = Assert.Single(returns.GetProperty("lateReturns").EnumerateArray());
        Assert.Equal(("2022-09-06", "2022-09-10", 4, "baiyin-2023/20220910-回传.csv"), (lateReturn.GetProperty("paidOn").GetString(), lateReturn.GetProperty("returnedOn").GetString(),
            lateReturn.GetProperty("daysAfter").GetInt32(), lateReturn.GetProperty("source").GetString()));
        Assert.Equal(JsonNull, bagongshan.GetProperty("paymentReturns").ValueKind);
        var duties = bagongshan.GetProperty("departmentLists").EnumerateArray()
            .ToDictionary(d => (d.GetProperty("department").GetString()!, d.GetProperty("deadline").GetString()!), d => (d.GetProperty("status").GetString(), d.GetProperty("listDate").GetString()));
        Assert.Equal(("on-time", "2021-08-20"), duties[("civil-affairs", "subsidy-lists")]);
        Assert.Equal(("late", "2021-09-01"), duties[("disabled-federation", "subsidy-lists")]);
        Assert.Equal(("missing", null), duties[("rural-revitalisation", "subsidy-lists")]);
        Assert.Equal(("on-time", "2021-12-10"), duties[("civil-affairs", "subsidy-list-changes")]);
        Assert.Equal(("missing", null), duties[("disabled-federation", "subsidy-list-changes")]);
        Assert.Equal(4, bagongshan.GetProperty("flagged").GetInt32());
    }

    private const System.Text.Json.JsonValueKind JsonNull = System.Text.Json.JsonValueKind.Null;

    private static async Task TaxReturnAsync(LedgerTestHost host, BlobServiceClient blobs, string name, string id, string paidOn)
    {
        var container = blobs.GetBlobContainerClient(TaxReturnsFunction.Container);
        await container.CreateIfNotExistsAsync();
        var blob = container.GetBlobClient(name);
        await blob.UploadAsync(new BinaryData(Encoding.UTF8.GetBytes($"身份证号,姓名,金额,缴费日期,缴费渠道,交易流水号,是否入库\r\n{id},某,100,{paidOn},online,T{Guid.NewGuid():N},是")), overwrite: true);
        var properties = (await blob.GetPropertiesAsync()).Value;
        var function = ActivatorUtilities.CreateInstance<TaxReturnsFunction>(host.Services);
        await function.RunAsync(new TriggeredBlob(TaxReturnsFunction.Container, name, properties.ETag, blob), CancellationToken.None);
    }
}
