using System.Text;
using static Collection.Files.Tests.TestFiles;

namespace Collection.Files.Tests;

/// <summary>The storage-free part of a file drop shared by the four blob-triggered intakes.</summary>
public class FileDropTests
{
    [Fact]
    public async Task RejectedRows_OutOfOrder_FirstListsLowestLinesInOrder_CsvHasEveryRowUnderTheFileHeader()
    {
        var text = "姓名,身份证号\n" + string.Concat(Enumerable.Range(0, 250).Select(i => $"张{i},1101012015{i:D8}\n"));
        var (rows, file) = ReadFile(Csv(text, new UTF8Encoding(false)), "名册.csv", FileLayout.SchoolRoster);
        await using var rejected = new RejectedRows();
        rejected.Start(file.Header.Header);

        // Rejections can come back a chunk late (ledger results): not in line order.
        foreach (var row in rows.Skip(150).Concat(rows.Take(150)))
        {
            await rejected.AddAsync(row, "110101********0000", "invalid-id-number", "身份证号校验位错误");
        }

        Assert.Equal(250, rejected.Count);
        Assert.Equal(rows.Take(FirstLines.Listed).Select(r => r.LineNumber), rejected.First.Select(r => r.Line));
        var csv = await rejected.FinishAsync();
        var lines = new StreamReader(csv, Encoding.UTF8).ReadToEnd().Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("姓名,身份证号,行号,原因代码,原因说明", lines[0]);
        Assert.Equal(251, lines.Length);
    }

    [Fact]
    public async Task RejectedRows_NothingRejectedAndNoHeader_FinishesWithTheAddedColumnsOnly()
    {
        await using var rejected = new RejectedRows();
        var csv = await rejected.FinishAsync();
        var bytes = new MemoryStream();
        await csv.CopyToAsync(bytes);

        Assert.Equal(new byte[] { 0xEF, 0xBB, 0xBF }, bytes.ToArray()[..3]);
        Assert.Equal("行号,原因代码,原因说明", Encoding.UTF8.GetString(bytes.ToArray()[3..]).TrimEnd('\r', '\n'));
        Assert.Empty(rejected.First);
    }

    [Fact]
    public void PartWayMessage_SaysNearWhichLineWhenKnown()
    {
        Assert.Equal("第 12 行附近：文件损坏", FileDrop.PartWayMessage(new TabularFileException("corrupt", "文件损坏", 12)));
        Assert.Equal("文件损坏", FileDrop.PartWayMessage(new TabularFileException("corrupt", "文件损坏")));
    }
}
