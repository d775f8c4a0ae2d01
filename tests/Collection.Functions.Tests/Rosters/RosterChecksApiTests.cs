using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Collection.Functions.Tests.Ledger;

namespace Collection.Functions.Tests.Rosters;

/// <summary>
/// <c>POST /api/roster-checks/…</c>: the console's check before uploading — the checks of <c>roster check</c> on the
/// file in the request body, answered as the roster status answers, nothing uploaded or enrolled.
/// </summary>
public sealed class RosterChecksApiTests : IAsyncLifetime
{
    private const string Path = "api/roster-checks/school/luyang-2023/school-roster-gb18030.csv?date=2022-10-10";
    private LedgerTestHost _host = null!;

    public async Task InitializeAsync() => _host = await LedgerTestHost.StartAsync(today: new DateOnly(2022, 10, 10));

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static byte[] Sample() => File.ReadAllBytes(System.IO.Path.Combine(Readme.ReadmeCommands.RepositoryRoot(), "samples", "school-roster-gb18030.csv"));

    private async Task<(HttpStatusCode Status, string Text)> CheckAsync(string path, byte[] file, string key = "test-staff")
    {
        using var client = _host.Client(key);
        using var content = new ByteArrayContent(file);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var response = await client.PostAsync(new Uri(path, UriKind.Relative), content);
        return (response.StatusCode, Encoding.UTF8.GetString(await response.Content.ReadAsByteArrayAsync()).TrimStart('\uFEFF'));
    }

    [Fact]
    public async Task SampleGb18030Roster_NineAcceptedAndLineSixRejected_AsRosterCheckSays_AndNobodyEnrolled()
    {
        var (status, text) = await CheckAsync(Path, Sample());
        var result = JsonSerializer.Deserialize<JsonElement>(text);
        var (enrolled, _) = await _host.GetAsync("/api/enrolments/luyang-2023/340103201303010219");

        Assert.True(status == HttpStatusCode.OK, text);
        Assert.Equal("completed", result.GetProperty("status").GetString());
        Assert.Equal("2022-10-10", result.GetProperty("assessedOn").GetString());
        var counts = result.GetProperty("counts");
        Assert.Equal((10, 9, 1), (counts.GetProperty("total").GetInt32(), counts.GetProperty("accepted").GetInt32(), counts.GetProperty("rejected").GetInt32()));
        var row = Assert.Single(result.GetProperty("rejected").EnumerateArray());
        Assert.Equal((6, "invalid-id-number", "340103********0290"), (row.GetProperty("line").GetInt32(), row.GetProperty("code").GetString(), row.GetProperty("idNumber").GetString()));
        Assert.Equal(HttpStatusCode.NotFound, enrolled);
    }

    [Fact]
    public async Task FormatCsv_AnswersTheRejectedRowsWithTheFilesColumns()
    {
        var (status, text) = await CheckAsync(Path + "&format=csv", Sample());

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith("序号,姓名,性别,公民身份号码,学号,年级,班级,资助身份,行号,原因代码,原因说明", text, StringComparison.Ordinal);
        Assert.Contains("陈静", text, StringComparison.Ordinal);
        Assert.Equal(2, text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task ASchoolKeyMayCheck_ATaxKeyMayNot()
    {
        var (school, _) = await CheckAsync(Path, Sample(), "test-school");
        var (tax, _) = await CheckAsync(Path, Sample(), "test-tax");

        Assert.Equal(HttpStatusCode.OK, school);
        Assert.Equal(HttpStatusCode.Forbidden, tax);
    }

    [Theory]
    [InlineData("api/roster-checks/school/luyang-2023/broken.xlsx", HttpStatusCode.BadRequest, "corrupt-file")]
    [InlineData("api/roster-checks/school/nowhere/roster.csv", HttpStatusCode.NotFound, "unknown-policy")]
    [InlineData("api/roster-checks/kindergarten/luyang-2023/roster.csv", HttpStatusCode.NotFound, "unknown-roster-kind")]
    [InlineData("api/roster-checks/school/luyang-2023/roster.csv?date=2022-13-01", HttpStatusCode.BadRequest, "invalid-date")]
    public async Task Problems_HaveTheirCodeAndChineseDetail(string path, HttpStatusCode expected, string code)
    {
        var (status, text) = await CheckAsync(path, [0x50, 0x4B, 0x03, 0x04, 1, 2, 3, 4, 5, 6, 7, 8]);
        var problem = JsonSerializer.Deserialize<JsonElement>(text);

        Assert.Equal(expected, status);
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detailZh").GetString()));
    }
}
