using System.Net;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using Collection.Functions.Subsidies;
using Collection.Functions.Tests.Ledger;
using Collection.Functions.Tests.Rosters;
using Collection.Functions.Hosting;
using Microsoft.Extensions.DependencyInjection;

using Collection.Files.Tests;

namespace Collection.Functions.Tests.Subsidies;

/// <summary>The SubsidyLists blob function against Azurite (run as the runtime runs it), and the identities API.</summary>
public sealed class SubsidyListsTests : IAsyncLifetime
{
    private const string Header = "姓名,身份证号,资助身份,低保类别,乡镇街道,变动";
    private LedgerTestHost _host = null!;

    public async Task InitializeAsync() => _host = await LedgerTestHost.StartAsync();

    public async Task DisposeAsync() => await _host.DisposeAsync();

    /// <summary>Uploads a list and runs the function on it; returns the result JSON.</summary>
    internal static async Task<JsonElement> DropAsync(LedgerTestHost host, string name, byte[] content)
    {
        var blobs = host.Services.GetRequiredService<BlobServiceClient>();
        var container = blobs.GetBlobContainerClient(SubsidyListsFunction.Container);
        await container.CreateIfNotExistsAsync();
        var blob = container.GetBlobClient(name);
        await blob.UploadAsync(new BinaryData(content), overwrite: true);
        var properties = (await blob.GetPropertiesAsync()).Value;
        // The function class as the worker activates it, on the trigger the host gives.
        var function = ActivatorUtilities.CreateInstance<SubsidyListsFunction>(host.Services);
        await function.RunAsync(new TriggeredBlob(SubsidyListsFunction.Container, name, properties.ETag, blob), CancellationToken.None);

        var result = await blobs.GetBlobContainerClient(SubsidyListsFunction.ResultsContainer).GetBlobClient(name + ".json").DownloadContentAsync();
        return JsonSerializer.Deserialize<JsonElement>(result.Value.Content);
    }

    private async Task<byte[]> RejectedCsvAsync(string name)
    {
        var blobs = _host.Services.GetRequiredService<BlobServiceClient>();
        return (await blobs.GetBlobContainerClient(SubsidyListsFunction.ResultsContainer).GetBlobClient(name + ".rejected.csv").DownloadContentAsync()).Value.Content.ToArray();
    }

    /// <summary>A unique folder per test run: the containers are shared by every test on this Azurite.</summary>
    private static string Name(string date, string policy = "luyang-2023", string department = "civil-affairs", string ext = "csv") =>
        $"{policy}/{department}/{date}-{Guid.NewGuid():N}.{ext}";

    private static byte[] Csv(params string[] lines) => Encoding.UTF8.GetBytes(string.Join("\r\n", [Header, .. lines]));

    private static string Id(string birth = "19580301") => LedgerTestHost.NewId(birth, "340103");

    private static int Count(JsonElement result, string name) => result.GetProperty("counts").GetProperty(name).GetInt32();

    [Fact]
    public async Task TwoListDates_AdditionsAndRemovals_SpellsFromTheListDateAndEndingTheDayBefore()
    {
        var (a, b, c) = (Id(), Id(), Id());
        var august = await DropAsync(_host, Name("20220831"), Csv(
            $"张一,{a},特困人员,,北京路街道,新增",
            $"张二,{b},低保对象,城市低保全额保障对象,杏林街道,",
            $"张三,{a},低保边缘家庭老年人,,北京路街道,add"));
        var december = await DropAsync(_host, Name("20221231"), Csv(
            $"张一,{a},extreme-poverty,,北京路街道,减少",
            $"张二,{b},低保对象,城市低保全额保障对象,亳州路街道,新增",
            $"张四,{c},孤儿,,杏林街道,新增"));

        Assert.Equal(("completed", 3, 3, 0), (august.GetProperty("status").GetString(), Count(august, "total"), Count(august, "opened"), Count(august, "rejected")));
        Assert.Equal(("2022-12-31", "civil-affairs", 1, 1, 1), (december.GetProperty("listDate").GetString(), december.GetProperty("department").GetString(),
            Count(december, "ended"), Count(december, "updated"), Count(december, "opened")));

        var (status, body) = await _host.GetAsync($"/api/people/{a}/identities");
        Assert.Equal(HttpStatusCode.OK, status);
        var spells = body.GetProperty("identities").EnumerateArray().ToList();
        var extreme = spells.Single(s => s.GetProperty("identity").GetString() == "extreme-poverty");
        Assert.Equal(("2022-08-31", "2022-12-30", "luyang-2023", "民政"), (extreme.GetProperty("from").GetString(), extreme.GetProperty("to").GetString(),
            extreme.GetProperty("policy").GetString(), extreme.GetProperty("departmentLabel").GetString()));
        var elderly = spells.Single(s => s.GetProperty("identity").GetString() == "low-income-margin-elderly");
        Assert.Equal(JsonValueKind.Null, elderly.GetProperty("to").ValueKind);
        Assert.Equal(["add", "add", "remove"], body.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("change").GetString()));

        var book = _host.Services.GetRequiredService<SubsidyIdentityBook>();
        var bSpell = Assert.Single(await book.ForPersonAsync(Domain.ResidentId.Parse(b)));
        Assert.Equal(("亳州路街道", "urban-full", new DateOnly(2022, 8, 31)), (bSpell.Town, bSpell.AllowanceCategory, bSpell.From));
        Assert.Equal("extreme-poverty", Domain.Codes.Glossary.SubsidyIdentities.Code((await book.InForceAsync("luyang-2023", Domain.ResidentId.Parse(a), new DateOnly(2022, 12, 30)))!.Identity));
        Assert.Equal("low-income-margin-elderly", Domain.Codes.Glossary.SubsidyIdentities.Code((await book.InForceAsync("luyang-2023", Domain.ResidentId.Parse(a), new DateOnly(2022, 12, 31)))!.Identity));
    }

    [Fact]
    public async Task SameFileDroppedAgain_EveryRowUnchanged_HistoryAsBefore()
    {
        var (a, b) = (Id(), Id());
        var content = Csv($"王一,{a},特困人员,,双岗街道,新增", $"王二,{b},孤儿,,双岗街道,新增");
        var name = Name("20220901");
        var first = await DropAsync(_host, name, content);
        var again = await DropAsync(_host, name, content);
        var elsewhere = await DropAsync(_host, Name("20220901"), content);

        Assert.Equal(2, Count(first, "opened"));
        Assert.Equal((2, 0, 0), (Count(again, "unchanged"), Count(again, "opened"), Count(again, "rejected")));
        Assert.Equal(2, Count(elsewhere, "unchanged"));
        var (_, body) = await _host.GetAsync($"/api/people/{a}/identities");
        Assert.Single(body.GetProperty("identities").EnumerateArray());
        Assert.Single(body.GetProperty("history").EnumerateArray());
    }

    [Fact]
    public async Task Gb18030Csv_ChineseLabelsAndAliasHeaders_Applied()
    {
        var a = Id();
        var text = string.Join("\r\n", "序号,姓名,公民身份号码,资助类别,低保类别,乡镇,变动类型", $"1,赵六,{a},返贫致贫人口,,大杨镇,新增");
        var result = await DropAsync(_host, Name("20220831", department: "乡村振兴"), RosterFiles.Gb18030(text));

        Assert.Equal(("completed", "gb18030", "rural-revitalisation", 1), (result.GetProperty("status").GetString(), result.GetProperty("encoding").GetString(),
            result.GetProperty("department").GetString(), Count(result, "opened")));
        var (_, body) = await _host.GetAsync($"/api/people/{a}/identities");
        var spell = Assert.Single(body.GetProperty("identities").EnumerateArray());
        Assert.Equal(("赵六", "大杨镇", "returned-to-poverty"), (spell.GetProperty("name").GetString(), spell.GetProperty("town").GetString(), spell.GetProperty("identity").GetString()));
    }

    [Fact]
    public async Task Xlsx_RowsApplied()
    {
        var (a, b) = (Id(), Id("19700101"));
        var xlsx = RosterFiles.Xlsx([
            ["姓名", "身份证号", "资助身份", "低保类别", "乡镇街道", "变动"],
            ["钱一", a, "一级残疾人", "", "三十岗乡", "新增"],
            ["钱二", b, "二级残疾人", "", "三十岗乡", ""],
        ]);
        // dalate-2022 五: 旗残联 confirms disabled grades 1 and 2 (luyang-2023 names no 残联 list).
        var result = await DropAsync(_host, Name("20221001", policy: "dalate-2022", department: "disabled-federation", ext: "xlsx"), xlsx);

        Assert.Equal(("completed", "xlsx", 2), (result.GetProperty("status").GetString(), result.GetProperty("format").GetString(), Count(result, "opened")));
        var (_, body) = await _host.GetAsync($"/api/people/{b}/identities");
        Assert.Equal("disabled-grade-2", Assert.Single(body.GetProperty("identities").EnumerateArray()).GetProperty("identity").GetString());
    }

    [Fact]
    public async Task BadRows_RejectedWithLineMaskedIdCodeAndChineseMessage_GoodRowsApplied()
    {
        var (good, other, stranger) = (Id(), Id(), Id());
        var name = Name("20220905");
        var result = await DropAsync(_host, name, Csv(
            $"孙一,{good},特困人员,,双岗街道,新增",
            "孙二,34010319580301000,特困人员,,双岗街道,新增",
            $",{other},特困人员,,双岗街道,新增",
            $"孙三,{other},贫困户,,双岗街道,新增",
            $"孙四,{other},特困人员,,双岗街道,调整",
            $"孙一,{good},特困人员供养,,双岗街道,新增",
            $"孙一,{good},extreme-poverty,,双岗街道,新增",
            $"孙五,{stranger},孤儿,,双岗街道,减少",
            $"孙六,{other},低保对象,五类,双岗街道,新增"));

        Assert.Equal(("completed", 9, 1, 8), (result.GetProperty("status").GetString(), Count(result, "total"), Count(result, "accepted"), Count(result, "rejected")));
        var rejected = result.GetProperty("rejected").EnumerateArray()
            .Select(r => (r.GetProperty("line").GetInt32(), r.GetProperty("code").GetString())).ToList();
        Assert.Equal([
            (3, "invalid-id-number"), (4, "missing-name"), (5, "unknown-identity"), (6, "unknown-change"), (7, "unknown-identity"),
            (8, "duplicate-in-file"), (9, "not-in-list"), (10, "unknown-allowance-class"),
        ], rejected.OrderBy(r => r.Item1));
        var byReason = result.GetProperty("counts").GetProperty("byReason");
        Assert.Equal(2, byReason.GetProperty("unknown-identity").GetInt32());
        var notInList = result.GetProperty("rejected").EnumerateArray().Single(r => r.GetProperty("code").GetString() == "not-in-list");
        Assert.Equal(stranger[..6] + "********" + stranger[^4..], notInList.GetProperty("idNumber").GetString());
        Assert.Contains("孤儿", notInList.GetProperty("message").GetString(), StringComparison.Ordinal);

        var csv = await RejectedCsvAsync(name);
        Assert.Equal([0xEF, 0xBB, 0xBF], csv[..3]);
        var lines = Encoding.UTF8.GetString(csv, 3, csv.Length - 3).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(Header + ",行号,原因代码,原因说明", lines[0]);
        Assert.Equal(9, lines.Length);
        var notInListLine = lines.Single(l => l.Contains("not-in-list", StringComparison.Ordinal));
        Assert.StartsWith("孙五,", notInListLine, StringComparison.Ordinal);
        Assert.Contains(stranger, notInListLine, StringComparison.Ordinal);
        Assert.Contains(",孤儿,,双岗街道,减少,9,not-in-list,", notInListLine, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OverlongCells_RejectTheRowAlone_NothingOfThemStored()
    {
        var (good, longName, longTown) = (Id(), Id(), Id());
        var result = await DropAsync(_host, Name("20220905"), Csv(
            $"孙一,{good},特困人员,,双岗街道,新增",
            $"{new string('孙', 51)},{longName},特困人员,,双岗街道,新增",
            $"孙二,{longTown},特困人员,,{new string('街', 5_000)},新增"));

        var rejected = result.GetProperty("rejected").EnumerateArray().OrderBy(r => r.GetProperty("line").GetInt32()).ToList();
        Assert.Equal(1, Count(result, "accepted"));
        Assert.Equal([(3, "text-too-long"), (4, "text-too-long")], rejected.Select(r => (r.GetProperty("line").GetInt32(), r.GetProperty("code").GetString())));
        Assert.Contains("最多 50 个", rejected[0].GetProperty("message").GetString(), StringComparison.Ordinal);
        var (status, _) = await _host.GetAsync($"/api/people/{longTown}/identities", "test-admin");
        var (_, identities) = await _host.GetAsync($"/api/people/{longTown}/identities", "test-admin");
        Assert.DoesNotContain(new string('街', 51), identities.GetRawText(), StringComparison.Ordinal);
        Assert.True(status is System.Net.HttpStatusCode.OK or System.Net.HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task RejectedCsv_FormulaCells_OpenAsText()
    {
        var name = Name("20220906");
        await DropAsync(_host, name, Csv(
            $"{TestFiles.Quoted(TestFiles.Formula)},{Id()},@特困人员,,双岗街道,新增",
            $"+孙七,{Id()},特困人员,,-双岗街道,调整"));

        var cells = TestFiles.AssertOpensWithoutFormulas(await RejectedCsvAsync(name));

        Assert.Contains("'" + TestFiles.Formula, cells);
        Assert.Contains("'@特困人员", cells);
        Assert.Contains("'+孙七", cells);
        Assert.Contains("'-双岗街道", cells);
    }

    [Fact]
    public async Task CorruptXlsx_FailedResult_NoException()
    {
        var name = Name("20220905", ext: "xlsx");
        var result = await DropAsync(_host, name, Encoding.UTF8.GetBytes("this is not a zip file at all"));

        Assert.Equal(("failed", "corrupt-file"), (result.GetProperty("status").GetString(), result.GetProperty("error").GetProperty("code").GetString()));
        Assert.False(string.IsNullOrEmpty(result.GetProperty("error").GetProperty("message").GetString()));
        Assert.Equal([0xEF, 0xBB, 0xBF], (await RejectedCsvAsync(name))[..3]);
    }

    [Theory]
    [InlineData("luyang-2023/police/20220905-x.csv", "unknown-department")]
    [InlineData("nowhere-2022/civil-affairs/20220905-x.csv", "unknown-policy")]
    [InlineData("luyang-2023/civil-affairs/20221345-x.csv", "invalid-file-name")]
    [InlineData("luyang-2023/20220905-x.csv", "invalid-file-name")]
    [InlineData("luyang-2023/civil-affairs/20220905-x.txt", "invalid-file-name")]
    public async Task BadBlobName_FailedResultNamingTheProblem(string name, string code)
    {
        var unique = name.Replace("-x.", $"-{Guid.NewGuid():N}.", StringComparison.Ordinal);
        var result = await DropAsync(_host, unique, Csv($"周一,{Id()},特困人员,,双岗街道,新增"));

        Assert.Equal(("failed", code), (result.GetProperty("status").GetString(), result.GetProperty("error").GetProperty("code").GetString()));
        Assert.Equal(0, Count(result, "total"));
    }

    [Fact]
    public async Task MissingIdentityColumn_FailedWithMissingColumns()
    {
        var result = await DropAsync(_host, Name("20220905"), Encoding.UTF8.GetBytes($"姓名,身份证号\r\n吴一,{Id()}"));

        Assert.Equal(("failed", "missing-columns"), (result.GetProperty("status").GetString(), result.GetProperty("error").GetProperty("code").GetString()));
    }

    [Fact]
    public async Task IdentitiesApi_InvalidIdNumber_400ProblemWithCode()
    {
        var (status, body) = await _host.GetAsync("/api/people/340103195803010000/identities");

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid-id-number", body.GetProperty("code").GetString());
    }

    [Fact]
    public async Task IdentitiesApi_NoKeyOrSchoolKey_Refused()
    {
        var (noKey, _) = await _host.GetAsync($"/api/people/{Id()}/identities", key: null);
        var (school, _) = await _host.GetAsync($"/api/people/{Id()}/identities", key: "test-school");
        var (admin, body) = await _host.GetAsync($"/api/people/{Id()}/identities", key: "test-admin");

        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Forbidden, HttpStatusCode.OK), (noKey, school, admin));
        Assert.Empty(body.GetProperty("identities").EnumerateArray());
    }

    [Fact]
    public async Task Enrolment_ShowsThePersonsIdentitiesUnderThatPolicy()
    {
        var a = LedgerTestHost.NewId("19580301", "150302");
        await DropAsync(_host, Name("20211101", policy: "wuhai-2022"), Csv($"郑一,{a},特困人员,,海勃湾区,新增"));
        await DropAsync(_host, Name("20220901", policy: "luyang-2023"), Csv($"郑一,{a},孤儿,,双岗街道,新增"));

        // The wuhai list is dated in the collection period (to 2022-04-30): it enrolled the person itself (issue 17).
        var (status, body) = await _host.GetAsync($"/api/enrolments/wuhai-2022/{a}");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(("subsidy-list", 0m), (body.GetProperty("source").GetString(), body.GetProperty("assessment").GetProperty("payable").GetDecimal()));
        var spell = Assert.Single(body.GetProperty("identities").EnumerateArray());
        Assert.Equal(("extreme-poverty", "2021-11-01"), (spell.GetProperty("identity").GetString(), spell.GetProperty("from").GetString()));
    }

    [Fact]
    public async Task ReadmeSamples_DroppedInOrder_DoWhatTheReadmeSays()
    {
        // The names the README gives; the host's own tables (a fresh prefix) keep runs of this test apart.
        var august = await DropAsync(_host, "luyang-2023/civil-affairs/20220831-资助对象名单.csv", await SampleAsync("subsidy-list-20220831-gb18030.csv"));
        var december = await DropAsync(_host, "luyang-2023/civil-affairs/20221231-动态调整.csv", await SampleAsync("subsidy-list-20221231-utf8.csv"));

        Assert.Equal((8, 6, 2), (Count(august, "total"), Count(august, "opened"), Count(august, "rejected")));
        // luyang-2023 六: 计划生育特殊家庭父母 come from 卫生健康部门, not from 民政's list.
        Assert.Equal((6, "identity-not-of-department"), (august.GetProperty("rejected")[0].GetProperty("line").GetInt32(), august.GetProperty("rejected")[0].GetProperty("code").GetString()));
        Assert.Equal((8, "invalid-id-number"), (august.GetProperty("rejected")[1].GetProperty("line").GetInt32(), august.GetProperty("rejected")[1].GetProperty("code").GetString()));
        Assert.Equal((1, 1, 1, 1), (Count(december, "ended"), Count(december, "updated"), Count(december, "opened"), Count(december, "rejected")));
        Assert.Equal("not-in-list", december.GetProperty("rejected")[0].GetProperty("code").GetString());
        var (_, body) = await _host.GetAsync("/api/people/340103196412172467/identities");
        var spell = Assert.Single(body.GetProperty("identities").EnumerateArray());
        Assert.Equal(("刘淑珍", "2022-08-31", "2022-12-30"), (spell.GetProperty("name").GetString(), spell.GetProperty("from").GetString(), spell.GetProperty("to").GetString()));
    }

    private static async Task<byte[]> SampleAsync(string name)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var path = Path.Combine(directory.FullName, "samples", name);
            if (File.Exists(path))
            {
                return await File.ReadAllBytesAsync(path);
            }
        }

        throw new FileNotFoundException($"samples/{name} not found above {AppContext.BaseDirectory}");
    }
}
