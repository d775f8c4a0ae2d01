using System.Text;
using Collection.Functions.Rosters;
using Microsoft.Extensions.Time.Testing;

using Collection.Files.Tests;

namespace Collection.Functions.Tests.Rosters;

public sealed class RosterCheckCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("roster-check-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2022, 10, 10, 2, 0, 0, TimeSpan.Zero));

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private async Task<(int Exit, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await RosterCheckCommand.RunAsync(["roster", "check", .. args], output, error, new ChinaClock(_time));
        return (exit, output.ToString(), error.ToString());
    }

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    [Fact]
    public async Task Check_SampleGb18030Roster_RejectsLineSixAndWritesRejectedCsv()
    {
        var path = Path.Combine(_folder, "school-roster-gb18030.csv");
        File.Copy(Path.Combine(Readme.ReadmeCommands.RepositoryRoot(), "samples", "school-roster-gb18030.csv"), path);

        var (exit, output, _) = await RunAsync(path, "--policy", "luyang-2023");

        Assert.Equal(RosterCheckCommand.RowsRejected, exit);
        Assert.Contains("rows 10, accepted 9, rejected 1", output, StringComparison.Ordinal);
        Assert.Contains("line 6  340103********0290  invalid-id-number", output, StringComparison.Ordinal);
        var rejected = await File.ReadAllTextAsync(Path.Combine(_folder, "school-roster-gb18030.rejected.csv"), Encoding.UTF8);
        Assert.StartsWith("序号,姓名,性别,公民身份号码,学号,年级,班级,资助身份,行号,原因代码,原因说明", rejected.TrimStart('\uFEFF'), StringComparison.Ordinal);
        Assert.Contains("陈静", rejected, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_FormulaCells_RejectedCsvOpensAsText()
    {
        var rows = RosterFiles.ChineseRows(0, 2);
        rows[1][1] = TestFiles.Quoted(TestFiles.Formula);
        rows[1][3] = "=1+1";
        rows[2][4] = "@年级";
        rows[2][3] = "-123";
        var path = Write("formulas.csv", RosterFiles.Utf8(RosterFiles.ToCsv(rows), bom: true));

        var (exit, _, _) = await RunAsync(path, "--policy", "luyang-2023");
        var cells = TestFiles.AssertOpensWithoutFormulas(await File.ReadAllBytesAsync(Path.Combine(_folder, "formulas.rejected.csv")));

        Assert.Equal(RosterCheckCommand.RowsRejected, exit);
        Assert.Contains("'" + TestFiles.Formula, cells);
        Assert.Contains("'=1+1", cells);
        Assert.Contains("'@年级", cells);
    }

    [Fact]
    public async Task Check_NamesTooLongOrWithControlCharacters_RejectedEachWithItsCode()
    {
        var rows = RosterFiles.ChineseRows(0, 4);
        rows[1][1] = new string('张', 51);
        rows[2][1] = "张\u001b三";
        rows[3][5] = new string('班', 101);
        var path = Write("text.csv", RosterFiles.Utf8(RosterFiles.ToCsv(rows), bom: true));

        var (exit, output, _) = await RunAsync(path, "--policy", "luyang-2023");

        Assert.Equal(RosterCheckCommand.RowsRejected, exit);
        Assert.Contains("rows 4, accepted 1, rejected 3", output, StringComparison.Ordinal);
        Assert.Contains("line 2  ", output, StringComparison.Ordinal);
        Assert.Matches(@"line 2 .*text-too-long", output);
        Assert.Matches(@"line 3 .*control-characters", output);
        Assert.Matches(@"line 4 .*text-too-long", output);
    }

    [Fact]
    public async Task Check_CleanUtf8FileWithBom_ExitZeroAndNoRejectedCsv()
    {
        var path = Write("clean.csv", RosterFiles.Utf8(RosterFiles.ToCsv(RosterFiles.ChineseRows(0, 30)), bom: true));

        var (exit, output, _) = await RunAsync(path, "--policy", "luyang-2023");

        Assert.Equal(RosterCheckCommand.AllRowsPass, exit);
        Assert.Contains("rows 30, accepted 30, rejected 0", output, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_folder, "clean.rejected.csv")));
    }

    [Fact]
    public async Task Check_DuplicateAndGenderSlipsInUtf8WithoutBom_EachRowItsReason()
    {
        var rows = RosterFiles.ChineseRows(0, 5);
        rows.Add([.. rows[2]]);
        rows[4][2] = rows[4][2] == "男" ? "女" : "男";
        rows[1][1] = string.Empty;
        var path = Write("slips.csv", RosterFiles.Utf8(RosterFiles.ToCsv(rows, "\n"), bom: false));

        var (exit, output, _) = await RunAsync(path, "--policy", "luyang-2023", "--date", "2022-10-01");

        Assert.Equal(RosterCheckCommand.RowsRejected, exit);
        Assert.Contains("duplicate-in-file: 1", output, StringComparison.Ordinal);
        Assert.Contains("gender-mismatch: 1", output, StringComparison.Ordinal);
        Assert.Contains("missing-name: 1", output, StringComparison.Ordinal);
        Assert.Contains("第 7 行与第 3 行", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_CorruptWorkbook_ExitTwoWithCode()
    {
        var path = Write("broken.xlsx", [0x50, 0x4B, 0x03, 0x04, 1, 2, 3, 4, 5, 6, 7, 8]);

        var (exit, _, error) = await RunAsync(path, "--policy", "luyang-2023");

        Assert.Equal(RosterCheckCommand.CannotCheck, exit);
        Assert.Contains("corrupt-file", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_UnknownPolicyOrMissingOption_ExitTwo()
    {
        var path = Write("x.csv", RosterFiles.Utf8(RosterFiles.ToCsv(RosterFiles.ChineseRows(0, 2)), bom: false));

        Assert.Equal(RosterCheckCommand.CannotCheck, (await RunAsync(path, "--policy", "atlantis-2022")).Exit);
        Assert.Contains("--policy is missing", (await RunAsync(path)).Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_UniversityXlsxWithoutPaymentMode_RejectsEveryRowAsMissingPaymentMode()
    {
        var rows = RosterFiles.ChineseRows(0, 3, bornFrom: 2002);
        var path = Write("uni.xlsx", RosterFiles.Xlsx(rows));

        var (exit, output, _) = await RunAsync(path, "--policy", "luyang-2023", "--kind", "university");

        Assert.Equal(RosterCheckCommand.RowsRejected, exit);
        Assert.Contains("missing-payment-mode: 3", output, StringComparison.Ordinal);
    }
}
