using Collection.Functions.Policies;

namespace Collection.Functions.Tests;

public class LogTextTests
{
    [Theory]
    [InlineData("window", "window")]
    [InlineData("a\nb\r\nc", "a\\nb\\r\\nc")]
    [InlineData("esc\u001b[31m nul\0 line\u2028sep", "esc\\u001B[31m nul\\u0000 line\\u2028sep")]
    [InlineData("id 11010119900307451X here", "id 110101********451X here")]
    [InlineData("id 110101199003074511", "id 110101********4511")]
    [InlineData("old 110101900307451", "old 110101*****7451")]
    [InlineData("not an id 1101011990030745110", "not an id 1101011990030745110")]
    [InlineData("学校\n110101199003074511", "学校\\n110101********4511")]
    public void Of_EscapesControlCharactersAndMasksIdNumbers(string text, string expected) =>
        Assert.Equal(expected, LogText.Of(text));

    [Fact]
    public void Of_LongText_IsCutSayingHowMuchWasLeftOut()
    {
        var logged = LogText.Of(new string('a', 10_000));

        Assert.Equal(new string('a', LogText.MaxLength) + "…(+9700)", logged);
    }
}
