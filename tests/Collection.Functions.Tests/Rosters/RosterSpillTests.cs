using Collection.Functions.Rosters;
using Microsoft.Extensions.Time.Testing;

namespace Collection.Functions.Tests.Rosters;

/// <summary>The roster run's disk spill: rows back by key in the order added, keys in ordinal order, nothing left behind.</summary>
public sealed class RosterSpillTests
{
    private static readonly FakeTimeProvider Time = new(DateTimeOffset.UtcNow);

    [Fact]
    public void Read_GivesEachKeysRowsInOrderAdded_KeysInOrdinalOrder_CellsExactlyAsWritten()
    {
        using var spill = new RosterSpill(Time);
        string[] tricky = ["张三", string.Empty, "a,\"b\"\r\nc", "  trailing  ", "𠀀 (outside the BMP)"];
        spill.Add("luyang-2023|10", 3, ["3", "x"]);
        spill.Add("luyang-2023|02", 4, tricky);
        spill.Add("luyang-2023|10", 5, ["5"]);
        spill.Add("luyang-2023|02", 9, []);

        Assert.Equal(4, spill.Count);
        Assert.Equal(["luyang-2023|02", "luyang-2023|10"], spill.Keys);
        var two = spill.Read("luyang-2023|02").ToList();
        Assert.Equal([4, 9], two.Select(r => r.LineNumber));
        Assert.Equal(tricky, two[0].Cells);
        Assert.Empty(two[1].Cells);
        Assert.Equal([(3, "3,x"), (5, "5")], spill.Read("luyang-2023|10").Select(r => (r.LineNumber, string.Join(',', r.Cells))));
        Assert.Empty(spill.Read("luyang-2023|99"));
    }

    [Fact]
    public void ManyRows_ComeBackWhole_AndReadingTwiceGivesTheSame()
    {
        using var spill = new RosterSpill(Time);
        for (var line = 2; line < 50_002; line++)
        {
            spill.Add($"k{line % 64:D2}", line, [line.ToString(System.Globalization.CultureInfo.InvariantCulture), "学生"]);
        }

        var lines = spill.Keys.SelectMany(k => spill.Read(k)).Select(r => r.LineNumber).ToList();
        Assert.Equal(50_000, lines.Count);
        Assert.Equal(Enumerable.Range(2, 50_000), lines.Order());
        Assert.All(spill.Read("k07"), r => Assert.Equal(r.LineNumber.ToString(System.Globalization.CultureInfo.InvariantCulture), r.Cells[0]));
        Assert.Equal(spill.Read("k07").Select(r => r.LineNumber), spill.Read("k07").Select(r => r.LineNumber));
    }

    [Fact]
    public void ReadRejected_InLineOrderWhateverTheOrderAdded_CellsCodesAndMessagesExactly()
    {
        using var spill = new RosterSpill(Time);
        spill.AddRejected(9, ["张三", "a,\"b\"\r\nc"], "duplicate-in-file", "与第 2 行重复");
        spill.AddRejected(3, [], "invalid-id-number", "身份证号无效");
        spill.Add("k", 5, ["x"]);
        _ = spill.Read("k").ToList();
        spill.AddRejected(5, ["x"], "already-enrolled", "已参保");
        spill.AddRejected(3, ["again"], "second", "same line, added later");

        var rows = spill.ReadRejected().ToList();

        Assert.Equal(4, spill.RejectedCount);
        Assert.Equal([3, 3, 5, 9], rows.Select(r => r.LineNumber));
        Assert.Equal(["invalid-id-number", "second", "already-enrolled", "duplicate-in-file"], rows.Select(r => r.Code));
        Assert.Equal(["张三", "a,\"b\"\r\nc"], rows[3].Cells);
        Assert.Equal("与第 2 行重复", rows[3].Message);
        Assert.Empty(rows[0].Cells);
    }

    [Fact]
    public void ReadRejected_NoneAdded_Empty()
    {
        using var spill = new RosterSpill(Time);

        Assert.Empty(spill.ReadRejected());
    }

    [Fact]
    public void Add_AfterReadingStarted_Refused()
    {
        using var spill = new RosterSpill(Time);
        spill.Add("a", 2, ["x"]);
        _ = spill.Read("a").ToList();

        Assert.Throws<InvalidOperationException>(() => spill.Add("a", 3, ["y"]));
    }

    [Fact]
    public void Dispose_DeletesItsFiles_AndADirectoryLeftByAKilledHostGoesAfterADay()
    {
        var left = Directory.CreateDirectory(Path.Combine(RosterSpill.Root, "left-by-killed-host-" + Guid.NewGuid().ToString("N")));
        File.WriteAllText(Path.Combine(left.FullName, "0"), "rows");
        var recent = Directory.CreateDirectory(Path.Combine(RosterSpill.Root, "another-run-" + Guid.NewGuid().ToString("N")));
        Directory.SetLastWriteTimeUtc(left.FullName, Time.GetUtcNow().UtcDateTime.AddDays(-2));

        string location;
        using (var spill = new RosterSpill(Time))
        {
            location = spill.Location;
            spill.Add("a", 2, ["x"]);
            Assert.NotEmpty(Directory.GetFiles(location));
        }

        Assert.False(Directory.Exists(location));
        Assert.False(Directory.Exists(left.FullName));
        Assert.True(Directory.Exists(recent.FullName));
        recent.Delete(recursive: true);
    }
}
