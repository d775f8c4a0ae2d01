using Collection.Files;

namespace Collection.Files.Tests;

public class FirstLinesTests
{
    [Fact]
    public void Add_ManyInAnyOrder_KeepsTheFirstByLineInOrder_SameLineInOrderAdded()
    {
        var first = new List<(int Line, string Tag)>();
        var lines = Enumerable.Range(2, 10_000).Reverse().Concat(Enumerable.Range(2, 10_000).Where(l => l % 2 == 0)).ToList();

        foreach (var (line, i) in lines.Select((line, i) => (line, i)))
        {
            FirstLines.Add(first, (Line: line, Tag: i < 10_000 ? "a" : "b"), r => r.Line, capacity: 10);
        }

        Assert.Equal([2, 2, 3, 4, 4, 5, 6, 6, 7, 8], first.Select(r => r.Line));
        Assert.Equal(["a", "b"], first.Where(r => r.Line == 2).Select(r => r.Tag));
    }
}
