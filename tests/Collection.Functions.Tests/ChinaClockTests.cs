using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Time.Testing;

namespace Collection.Functions.Tests;

public sealed class ChinaClockTests
{
    // 2026-12-01 17:30 UTC is 2026-12-02 01:30 in China.
    private static FakeTimeProvider Machine() => new(new DateTimeOffset(2026, 12, 1, 17, 30, 0, TimeSpan.Zero));

    [Fact]
    public void WithoutBusinessDate_TodayIsTheChinaDateOfTheMachine()
    {
        var clock = new ChinaClock(Machine());

        Assert.Equal(new DateOnly(2026, 12, 2), clock.Today);
        Assert.Equal(new DateTimeOffset(2026, 12, 2, 1, 30, 0, TimeSpan.FromHours(8)), clock.Now);
        // The live service keeps one calendar: a request may not name its own day.
        Assert.False(clock.ForRequest(new DateOnly(2022, 7, 10)));
        Assert.Equal(new DateOnly(2026, 12, 2), clock.Today);
    }

    [Fact]
    public void WithBusinessDate_EveryTodayIsThatDayWhileTheTimeOfDayRuns()
    {
        var machine = Machine();
        var clock = new ChinaClock(machine, new DateOnly(2022, 7, 10));

        var first = clock.Now;
        machine.Advance(TimeSpan.FromMinutes(90));

        Assert.Equal(new DateTimeOffset(2022, 7, 10, 1, 30, 0, TimeSpan.FromHours(8)), first);
        Assert.Equal(new DateTimeOffset(2022, 7, 10, 3, 0, 0, TimeSpan.FromHours(8)), clock.Now);
        Assert.Equal(new DateOnly(2022, 7, 10), clock.Today);
        // In a rehearsal a request may name another day; the rest of that request acts as of it.
        Assert.True(clock.ForRequest(new DateOnly(2022, 8, 1)));
        Assert.Equal(new DateOnly(2022, 8, 1), clock.Today);
    }

    [Theory]
    [InlineData(null, null, null)]
    [InlineData("2022-04-20", null, "2022-04-20")]
    [InlineData(" 2022-04-20 ", "Development", "2022-04-20")]
    public void BusinessDateOf_ReadsTheSetting(string? setting, string? environment, string? expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [ChinaClock.BusinessDateSetting] = setting,
            ["AZURE_FUNCTIONS_ENVIRONMENT"] = environment,
        }).Build();

        Assert.Equal(expected is null ? null : DateOnly.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), ChinaClock.BusinessDateOf(configuration));
    }

    [Theory]
    [InlineData("AZURE_FUNCTIONS_ENVIRONMENT", "Production")]
    [InlineData("ASPNETCORE_ENVIRONMENT", "production")]
    [InlineData("DOTNET_ENVIRONMENT", "Production")]
    public void BusinessDateOf_InProduction_Throws(string name, string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [ChinaClock.BusinessDateSetting] = "2022-04-20",
            [name] = value,
        }).Build();

        var refused = Assert.Throws<InvalidOperationException>(() => ChinaClock.BusinessDateOf(configuration));

        Assert.Contains(name, refused.Message, StringComparison.Ordinal);
    }
}
