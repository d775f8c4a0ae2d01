using System.Text.Json;
using System.Text;
using Azure.Storage.Blobs;
using Collection.Domain;
using Collection.Files.Tests;
using Collection.Functions.Hosting;
using Collection.Functions.Ledger;
using Collection.Functions.TaxReturns;
using Collection.Functions.Tests.Ledger;
using Collection.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Collection.Functions.Tests.TaxReturns;

/// <summary>The tax-returns blob function against Azurite: rows posted, results written, re-drops and bad input.</summary>
public sealed class TaxReturnsTests : IAsyncLifetime
{
    private const string Header = "身份证号,姓名,金额,缴费日期,缴费渠道,交易流水号,是否入库";
    private LedgerTestHost _host = null!;

    public async Task InitializeAsync() => _host = await LedgerTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    internal static async Task<JsonElement> RunAsync(LedgerTestHost host, string name, byte[] content, CancellationToken cancellationToken = default)
    {
        var blobs = host.Services.GetRequiredService<BlobServiceClient>();
        var container = blobs.GetBlobContainerClient(TaxReturnsFunction.Container);
        await container.CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        var blob = container.GetBlobClient(name);
        await blob.UploadAsync(new BinaryData(content), overwrite: true, cancellationToken);
        return await TriggerAsync(host, name, cancellationToken);
    }

    /// <summary>Runs the function on a blob already there, as the runtime does after a restart (same name and ETag).</summary>
    internal static async Task<JsonElement> TriggerAsync(LedgerTestHost host, string name, CancellationToken cancellationToken = default)
    {
        var blobs = host.Services.GetRequiredService<BlobServiceClient>();
        var blob = blobs.GetBlobContainerClient(TaxReturnsFunction.Container).GetBlobClient(name);
        var properties = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
        // The function class as the worker activates it, on the trigger the host gives.
        var function = ActivatorUtilities.CreateInstance<TaxReturnsFunction>(host.Services);
        await function.RunAsync(new TriggeredBlob(TaxReturnsFunction.Container, name, properties.ETag, blob), cancellationToken);
        var result = await blobs.GetBlobContainerClient(TaxReturnsFunction.ResultsContainer).GetBlobClient(name + ".json").DownloadContentAsync(cancellationToken);
        return JsonSerializer.Deserialize<JsonElement>(result.Value.Content);
    }

    private async Task<byte[]> RejectedCsvAsync(string name)
    {
        var blobs = _host.Services.GetRequiredService<BlobServiceClient>();
        return (await blobs.GetBlobContainerClient(TaxReturnsFunction.ResultsContainer).GetBlobClient(name + ".rejected.csv").DownloadContentAsync()).Value.Content.ToArray();
    }

    private async Task<string> EnrolAsync()
    {
        var id = LedgerTestHost.NewId();
        var (status, _) = await _host.PostAsync("/api/enrolments", new { policy = "wuhai-2022", idNumber = id, date = "2021-12-01" });
        Assert.Equal(System.Net.HttpStatusCode.Created, status);
        return id;
    }

    private static string Name(string policy = "wuhai-2022", string ext = "csv") => $"{policy}/20211206-{Guid.NewGuid():N}.{ext}";

    private static string Tx() => "TR" + Guid.NewGuid().ToString("N")[..14];

    [Fact]
    public async Task Csv_GoodAndBadRows_PostsGoodOnesAndReportsEveryRejectedRow()
    {
        var (a, b, stranger) = (await EnrolAsync(), await EnrolAsync(), LedgerTestHost.NewId());
        var text = string.Join("\r\n",
            Header,
            $"{a},甲,460,2021-12-05,微信扫码,{Tx()},是",
            $"{b},乙,460.00,20211205,online,{Tx()},否",
            $"150302198506010013,丙,460,2021-12-05,cash,{Tx()},是",
            $"{a},甲,-5,2021-12-05,cash,{Tx()},是",
            $"{a},甲,abc,2021-12-05,cash,{Tx()},是",
            $"{stranger},丁,460,2021-12-05,cash,{Tx()},是",
            $"{a},甲,460,2021-13-45,cash,{Tx()},是",
            $"{a},甲,460,2021-12-05,信鸽,{Tx()},是",
            $"{a},甲,460,2021-12-05,cash,,是");
        var name = Name();

        var result = await RunAsync(_host, name, Encoding.UTF8.GetBytes(text));
        var csv = await RejectedCsvAsync(name);

        Assert.Equal("completed", result.GetProperty("status").GetString());
        Assert.Equal(9, result.GetProperty("rows").GetInt32());
        Assert.Equal(2, result.GetProperty("posted").GetInt32());
        Assert.Equal(920m, result.GetProperty("postedAmount").GetDecimal());
        Assert.Equal(7, result.GetProperty("rejected").GetInt32());
        // Rows rejected while reading come first; those the ledger rejects follow when their chunk is posted.
        var rejected = result.GetProperty("rejectedRows").EnumerateArray().OrderBy(r => r.GetProperty("line").GetInt32()).ToList();
        Assert.Equal([4, 5, 6, 7, 8, 9, 10], rejected.Select(r => r.GetProperty("line").GetInt32()));
        Assert.Equal(["invalid-id-number", "invalid-amount", "invalid-amount", "no-assessment", "invalid-date", "unknown-payment-channel", "missing-value"],
            rejected.Select(r => r.GetProperty("code").GetString()));
        Assert.Equal(ResidentId.Parse(stranger).Masked, rejected[3].GetProperty("idNumber").GetString());
        Assert.DoesNotContain(stranger, result.GetRawText(), StringComparison.Ordinal);
        Assert.All(rejected, r => Assert.False(string.IsNullOrEmpty(r.GetProperty("message").GetString())));
        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, csv[..3]);
        var csvText = Encoding.UTF8.GetString(csv, 3, csv.Length - 3);
        Assert.StartsWith(Header + ",行号,原因代码,原因说明\r\n", csvText, StringComparison.Ordinal);
        Assert.Equal(8, csvText.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(460m, (await _host.Ledger.GetAsync("wuhai-2022", ResidentId.Parse(a)))!.Enrolment.Paid);
    }

    [Fact]
    public async Task OverlongCells_RejectTheRowAlone_NamingTheColumnAndLimit_WithoutEchoingTheCell()
    {
        var a = await EnrolAsync();
        var longChannel = new string('渠', 10_000);
        var name = Name();

        var result = await RunAsync(_host, name, Encoding.UTF8.GetBytes(string.Join("\r\n", Header,
            $"{a},甲,460,2021-12-05,{longChannel},{Tx()},是",
            $"{a},甲,460,2021-12-05,cash,T{new string('1', 64)},是",
            $"{a},{new string('名', 51)},460,2021-12-05,cash,{Tx()},是",
            $"{a},甲,460,2021-12-05,cash,{Tx()},是")));

        var rejected = result.GetProperty("rejectedRows").EnumerateArray().OrderBy(r => r.GetProperty("line").GetInt32()).ToList();
        Assert.Equal(1, result.GetProperty("posted").GetInt32());
        Assert.Equal([2, 3, 4], rejected.Select(r => r.GetProperty("line").GetInt32()));
        Assert.All(rejected, r => Assert.Equal("text-too-long", r.GetProperty("code").GetString()));
        Assert.Contains("最多 100 个", rejected[0].GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("最多 64 个", rejected[1].GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains("最多 50 个", rejected[2].GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(longChannel[..200], result.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RejectedCsv_FormulaCells_OpenAsText()
    {
        var stranger = LedgerTestHost.NewId();
        var name = Name();

        await RunAsync(_host, name, Encoding.UTF8.GetBytes(string.Join("\r\n", Header,
            $"{stranger},{TestFiles.Quoted(TestFiles.Formula)},460,2021-12-05,cash,@{Tx()},是",
            $"{stranger},+丁,460,2021-12-05,-cash,{Tx()},是")));
        var cells = TestFiles.AssertOpensWithoutFormulas(await RejectedCsvAsync(name));

        Assert.Contains("'" + TestFiles.Formula, cells);
        Assert.Contains("'+丁", cells);
        Assert.Contains("'-cash", cells);
        Assert.Contains(cells, c => c.StartsWith("'@TR", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SameFileDroppedTwice_PostsNothingTheSecondTime()
    {
        var a = await EnrolAsync();
        var text = $"{Header}\r\n{a},甲,230,2021-12-05,cash,{Tx()},是\r\n{a},甲,230,2021-12-06,cash,{Tx()},是\r\n";
        var bytes = Encoding.UTF8.GetBytes(text);
        var name = Name();

        var first = await RunAsync(_host, name, bytes);
        var second = await RunAsync(_host, name, bytes);
        var entry = await _host.Ledger.GetAsync("wuhai-2022", ResidentId.Parse(a));

        Assert.Equal(2, first.GetProperty("posted").GetInt32());
        Assert.Equal(0, second.GetProperty("posted").GetInt32());
        Assert.Equal(2, second.GetProperty("alreadyPosted").GetInt32());
        Assert.Equal(460m, entry!.Enrolment.Paid);
        Assert.Equal(2, (await _host.Ledger.PaymentsAsync("wuhai-2022", a)).Count);
    }

    [Fact]
    public async Task Gb18030WithEnglishHeaders_IsPosted()
    {
        var a = await EnrolAsync();
        var text = $"idNumber,name,amount,paidOn,channel,transactionId,inTreasury\r\n{a},张三,460,2021/12/5,银行柜台,{Tx()},否\r\n";

        var result = await RunAsync(_host, Name(), TestFiles.Gb18030.GetBytes(text));

        Assert.Equal(1, result.GetProperty("posted").GetInt32());
        var payment = Assert.Single(await _host.Ledger.PaymentsAsync("wuhai-2022", a));
        Assert.Equal("bank-counter", payment.Channel);
        Assert.False(payment.InTreasury);
    }

    [Fact]
    public async Task Xlsx_IsPosted()
    {
        var a = await EnrolAsync();
        using var xlsx = TestFiles.Xlsx(TestFiles.Grid(1,
            ["身份证号", "姓名", "金额", "缴费日期", "缴费渠道", "交易流水号", "是否入库"],
            [a, "张三", 460, "2021-12-05", "税务客户端", Tx(), "是"]));

        var result = await RunAsync(_host, Name(ext: "xlsx"), xlsx.ToArray());

        Assert.Equal(1, result.GetProperty("posted").GetInt32());
        Assert.Equal(460m, (await _host.Ledger.GetAsync("wuhai-2022", ResidentId.Parse(a)))!.Enrolment.Paid);
    }

    [Theory]
    [InlineData("nowhere-2022/20211206-x.csv", "身份证号,金额,缴费日期,缴费渠道,交易流水号,是否入库\r\n", "unknown-policy")]
    [InlineData("wuhai-2022/returns.csv", "身份证号,金额,缴费日期,缴费渠道,交易流水号,是否入库\r\n", "invalid-file-name")]
    [InlineData("wuhai-2022/20211206-dup.csv", "身份证号,身份证号码,金额,缴费日期,缴费渠道,交易流水号,是否入库\r\n", "duplicate-columns")]
    [InlineData("wuhai-2022/20211206-empty.csv", "", "empty-file")]
    [InlineData("wuhai-2022/20211206-header-only.csv", "身份证号,金额,缴费日期,缴费渠道,交易流水号,是否入库\r\n", "empty-file")]
    [InlineData("wuhai-2022/20211206-missing.csv", "身份证号,金额\r\n110101199003074514,460\r\n", "missing-columns")]
    public async Task BadFile_WritesAFailedResultWithTheCode(string name, string content, string code)
    {
        var unique = name.Replace(".csv", "-" + Guid.NewGuid().ToString("N")[..6] + ".csv", StringComparison.Ordinal);

        var result = await RunAsync(_host, unique, Encoding.UTF8.GetBytes(content));

        Assert.Equal("failed", result.GetProperty("status").GetString());
        Assert.Equal(code, result.GetProperty("error").GetString());
        Assert.Equal(0, result.GetProperty("posted").GetInt32());
        Assert.False(string.IsNullOrEmpty(result.GetProperty("errorMessage").GetString()));
    }
}
