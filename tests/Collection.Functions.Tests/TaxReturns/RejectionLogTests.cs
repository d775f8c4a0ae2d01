using System.Text;
using System.Text.Json;
using Collection.Files;
using Collection.Functions.TaxReturns;
using Collection.Files.Tests;

namespace Collection.Functions.Tests.TaxReturns;

/// <summary>A tax return's rejected rows: every one in the CSV, the first hundred by line in the result JSON, whose size does not grow with them.</summary>
public sealed class RejectionLogTests
{
    [Fact]
    public async Task FinishAsync_TwentyThousandRejectedInAnyOrder_JsonListsTheFirstHundredByLine_CsvHasEveryOne()
    {
        var header = "公民身份号码,金额,缴费日期,缴费渠道,交易流水号,是否入库\r\n";
        var text = header + string.Concat(Enumerable.Range(0, 20_000).Select(i => $"1101012015{i:D8},-1,2022-10-10,税务大厅,T{i},是\r\n"));
        var (rows, _) = TestFiles.ReadFile(TestFiles.Csv(text, new UTF8Encoding(false)), "20221010-回传.csv", FileLayout.TaxPaymentReturn);
        var report = new TaxReturnReport("wuhai-2022/20221010-回传.csv");
        await using var log = new RejectedRows();
        log.Start(rows[0].Map.Header);

        // Ledger rejections come back a chunk later than those found while reading: not in line order.
        foreach (var row in rows.Skip(2_000).Concat(rows.Take(2_000)))
        {
            await log.AddAsync(row, "110101********0000", "invalid-amount", "金额无效", CancellationToken.None);
            report.Rejected = log.Count;
        }

        var json = new MemoryStream(TaxReturnsFunction.ResultJson(report, log));
        var csv = await log.FinishAsync(CancellationToken.None);
        using var result = await JsonDocument.ParseAsync(json);
        var csvLines = new StreamReader(csv, Encoding.UTF8).ReadToEnd().Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var listed = result.RootElement.GetProperty("rejectedRows").EnumerateArray().Select(r => r.GetProperty("line").GetInt32()).ToList();

        Assert.Equal(20_000, result.RootElement.GetProperty("rejected").GetInt32());
        Assert.Equal(Enumerable.Range(2, FirstLines.Listed), listed);
        Assert.Equal("tax-returns-results/wuhai-2022/20221010-回传.csv.rejected.csv", result.RootElement.GetProperty("rejectedCsv").GetString());
        Assert.True(json.Length < 20_000, $"{json.Length} bytes of JSON");
        Assert.Equal(20_001, csvLines.Length);
    }
}
