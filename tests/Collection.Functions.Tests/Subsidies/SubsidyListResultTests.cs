using Collection.Files;
using Collection.Functions.Subsidies;

namespace Collection.Functions.Tests.Subsidies;

public class SubsidyListResultTests
{
    [Fact]
    public void Reject_TenThousandRows_CountsEveryOne_ListsTheFirstHundredByLine()
    {
        var result = new SubsidyListResult();

        for (var line = 10_001; line >= 2; line--)
        {
            result.Reject(line, "110101********0000", line % 2 == 0 ? "invalid-id-number" : "missing-name", "原因");
        }

        Assert.Equal(10_000, result.Counts.Rejected);
        Assert.Equal(5_000, result.Counts.ByReason["missing-name"]);
        Assert.Equal(Enumerable.Range(2, FirstLines.Listed), result.Rejected.Select(r => r.Line));
        Assert.True(result.ToJson().Length < 20_000);
    }
}
