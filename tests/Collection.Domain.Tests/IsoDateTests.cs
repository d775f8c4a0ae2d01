using Collection.Domain;
using Xunit;

namespace Collection.Domain.Tests;

public sealed class IsoDateTests
{
    [Theory]
    [InlineData("2022-02-28", true)]
    [InlineData("2022-02-29", false)]
    [InlineData("2022-2-28", false)]
    [InlineData("2022/02/28", false)]
    [InlineData(" 2022-02-28", false)]
    [InlineData("20220228", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void TryParse_AcceptsOnlyTheOneFormat(string? text, bool accepted) =>
        Assert.Equal(accepted, IsoDate.TryParse(text, out _));

    [Fact]
    public void Text_ThenParse_GivesTheSameDay_InAnyCulture()
    {
        var previous = System.Globalization.CultureInfo.CurrentCulture;
        try
        {
            // A Thai-Buddhist or Arabic calendar culture must not leak into stored rows.
            System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("th-TH");
            var day = new DateOnly(2023, 1, 1);
            Assert.Equal("2023-01-01", IsoDate.Text(day));
            Assert.Equal(day, IsoDate.Parse(IsoDate.Text(day)));
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = previous;
        }
    }

    [Theory]
    [InlineData("2022-10", true)]
    [InlineData("2022-13", false)]
    [InlineData("2022-1", false)]
    [InlineData("2022-10-01", false)]
    public void TryParseMonth_ReadsYearAndMonth(string text, bool accepted)
    {
        Assert.Equal(accepted, IsoDate.TryParseMonth(text, out var first));
        if (accepted)
        {
            Assert.Equal(1, first.Day);
        }
    }
}
