using Azure.Storage.Blobs;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Collection.Functions.Rosters;
using Collection.Files.Tests;
using Microsoft.Extensions.DependencyInjection;
using static Collection.Functions.Tests.Rosters.RosterHost;

namespace Collection.Functions.Tests.Rosters;

/// <summary>Roster ingestion end to end: a real host, real files, a dedicated Azurite.</summary>
public sealed class RosterIngestionTests(RosterStorage storage) : IClassFixture<RosterStorage>
{
    private const string Policy = "luyang-2023";

    [Fact]
    public async Task Put_SampleGb18030WithSchoolKey_202ThenCompletedWithLineSixRejected()
    {
        var host = await storage.HostAsync();
        using var client = Client(host, SchoolKey("SCH001"));
        var file = await File.ReadAllBytesAsync(Path.Combine(Readme.ReadmeCommands.RepositoryRoot(), "samples", "school-roster-gb18030.csv"));

        // 刘洋 and 黄丽 are on 民政's lists: the identities the school typed are confirmed (issue 17).
        await ConfirmAsync(storage.Azurite, Policy, "340103201312170265", Domain.Codes.SubsidyIdentity.MinimumLivingAllowance, Domain.Codes.Department.CivilAffairs);
        await ConfirmAsync(storage.Azurite, Policy, "340103201501090344", Domain.Codes.SubsidyIdentity.ExtremePoverty, Domain.Codes.Department.CivilAffairs);

        var response = await client.PutAsync(new Uri("/api/rosters/school/luyang-2023/SCH001/school-roster-gb18030.csv?date=2022-10-10", UriKind.Relative), new ByteArrayContent(file));
        var accepted = await response.Content.ReadFromJsonAsync<RosterAccepted>(RosterResult.Json);
        var result = await PollStatusAsync(client, accepted!.StatusQueryGetUri);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(accepted.StatusQueryGetUri, response.Headers.Location!.ToString());
        Assert.Equal(RosterStatus.Completed, result.Status);
        Assert.Equal("gb18030", result.Encoding);
        Assert.Equal((10, 9, 1), (result.Counts.Total, result.Counts.Accepted, result.Counts.Rejected));
        var rejected = Assert.Single(result.Rejected);
        Assert.Equal((6, "invalid-id-number", "340103********0290"), (rejected.Line, rejected.Code, rejected.IdNumber));
        Assert.Equal(9 * 350m - 315m - 350m, Assert.Single(result.Schools).AmountDue);
        Assert.Equal(9, (await EnrolmentsAsync(storage.Azurite, Policy, "roster:SCH001")).Count);

        var csv = await client.GetByteArrayAsync(new Uri(accepted.RejectedCsvUri));
        Assert.Equal([0xEF, 0xBB, 0xBF], csv[..3]);
        var text = Encoding.UTF8.GetString(csv, 3, csv.Length - 3);
        Assert.StartsWith("序号,姓名,性别,公民身份号码,学号,年级,班级,资助身份,行号,原因代码,原因说明\r\n5,陈静,男,", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Put_SeventyTwoYearOldOnAPrimarySchoolRoster_RejectedAsImplausibleAge()
    {
        var host = await storage.HostAsync();
        using var client = Client(host, StaffKey);
        var rows = RosterFiles.ChineseRows(0, 3, salt: 6);
        var elder = TestFiles.IdNumber("340103", new DateOnly(1950, 3, 1), 611);
        rows.Add(["4", "李老汉", (elder[16] - '0') % 2 == 1 ? "男" : "女", elder, "3年级", "2班", string.Empty]);

        var response = await client.PutAsync(new Uri("/api/rosters/school/luyang-2023/SCH030/ages.csv?date=2022-10-10", UriKind.Relative), new ByteArrayContent(RosterFiles.Utf8(RosterFiles.ToCsv(rows), bom: true)));
        var accepted = await response.Content.ReadFromJsonAsync<RosterAccepted>(RosterResult.Json);
        var result = await PollStatusAsync(client, accepted!.StatusQueryGetUri);

        Assert.Equal((4, 3, 1), (result.Counts.Total, result.Counts.Accepted, result.Counts.Rejected));
        var rejected = Assert.Single(result.Rejected);
        Assert.Equal((5, "implausible-age"), (rejected.Line, rejected.Code));
        Assert.Contains("72 岁", rejected.Message, StringComparison.Ordinal);
        Assert.Equal(3, (await EnrolmentsAsync(storage.Azurite, Policy, "roster:SCH030")).Count);
    }

    [Fact]
    public async Task Put_ForeignPupilsByDocumentType_EnrolledUnderTheirDocumentKeys()
    {
        // luyang-2023 二 “与在本市工作的外籍专家共同生活的配偶及未成年子女……均可以参加”: a foreign expert's children
        // by the older permanent-resident card and by passport; a passport without 国籍 or 出生日期 is a coded row error.
        var host = await storage.HostAsync();
        using var client = Client(host, StaffKey);
        var csv = RosterFiles.ToCsv(
        [
            ["序号", "姓名", "证件类型", "公民身份号码", "国籍", "出生日期", "性别", "年级", "班级"],
            ["1", "Anna Kim", "外国人永久居留身份证", "KOR110130030112", "", "2013-03-01", "女", "3年级", "1班"],
            ["2", "Tom Smith", "护照", "M1234567", "USA", "2012-09-01", "男", "初一", "2班"],
            ["3", "Li Na", "护照", "M7654321", "", "2012-09-01", "女", "初一", "2班"],
            ["4", "Ivan", "护照", "P9876543", "RUS", "", "男", "初一", "2班"],
            ["5", "Bob", "驾驶证", "P9876543", "RUS", "2012-09-01", "男", "初一", "2班"],
        ]);

        var response = await client.PutAsync(new Uri("/api/rosters/school/luyang-2023/SCH040/foreigners.csv?date=2022-10-10", UriKind.Relative), new ByteArrayContent(RosterFiles.Utf8(csv, bom: true)));
        var accepted = await response.Content.ReadFromJsonAsync<RosterAccepted>(RosterResult.Json);
        var result = await PollStatusAsync(client, accepted!.StatusQueryGetUri);

        Assert.Equal((5, 2, 3), (result.Counts.Total, result.Counts.Accepted, result.Counts.Rejected));
        Assert.Equal(
            [(4, "invalid-id-number"), (5, "missing-birth-date"), (6, "unknown-id-type")],
            result.Rejected.Select(r => (r.Line, r.Code)).OrderBy(r => r.Line).ToArray());
        Assert.Contains("国籍", result.Rejected.Single(r => r.Line == 4).Message, StringComparison.Ordinal);
        Assert.DoesNotContain(result.Rejected, r => r.IdNumber.Contains("9876543", StringComparison.Ordinal));
        var keys = (await EnrolmentsAsync(storage.Azurite, Policy, "roster:SCH040")).Select(e => e.GetString("IdNumber")).Order().ToArray();
        Assert.Equal(["KOR110130030112", "PP-USA-M1234567"], keys);
    }

    [Fact]
    public async Task Put_UniversityRosterWithIsNewStudent_OnlyNewStudentsCoveredFromTheCollectionDay()
    {
        // luyang-2023 五(四)“新入学大学生由高校统一代收代缴参保费用的，自代收费用之日起可享受居民医保待遇”: a returning
        // student (是否新生 否) renews like any resident and is covered from 2023-01-01.
        var host = await storage.HostAsync();
        using var client = Client(host, StaffKey);
        var (_, fresh, _) = RosterFiles.Pupil(1, salt: 7, bornFrom: 2003);
        var (_, returning, _) = RosterFiles.Pupil(2, salt: 7, bornFrom: 2003);
        var (_, unsure, _) = RosterFiles.Pupil(3, salt: 7, bornFrom: 2003);
        var csv = RosterFiles.ToCsv(
        [
            ["序号", "姓名", "公民身份号码", "缴费方式", "是否新生"],
            ["1", "新同学", fresh, "统一代收", "是"],
            ["2", "老同学", returning, "统一代收", "否"],
            ["3", "某同学", unsure, "微信", "不知道"],
        ]);

        var response = await client.PutAsync(new Uri("/api/rosters/university/luyang-2023/UNI040/students.csv?date=2022-09-20", UriKind.Relative), new ByteArrayContent(RosterFiles.Utf8(csv, bom: true)));
        var accepted = await response.Content.ReadFromJsonAsync<RosterAccepted>(RosterResult.Json);
        var result = await PollStatusAsync(client, accepted!.StatusQueryGetUri);

        Assert.Equal((3, 2, 1), (result.Counts.Total, result.Counts.Accepted, result.Counts.Rejected));
        Assert.Equal((4, "invalid-yes-no"), (result.Rejected[0].Line, result.Rejected[0].Code));
        var stored = (await EnrolmentsAsync(storage.Azurite, Policy, "roster:UNI040")).ToDictionary(e => e.GetString("IdNumber"));
        Assert.Contains("\"newStudent\":true", stored[fresh].GetString("Request"), StringComparison.Ordinal);
        Assert.Contains("\"newStudent\":false", stored[returning].GetString("Request"), StringComparison.Ordinal);
        Assert.Equal("2022-09-20", await CoverageStartAsync(client, fresh));
        Assert.Equal("2023-01-01", await CoverageStartAsync(client, returning));
    }

    private static async Task<string?> CoverageStartAsync(HttpClient client, string idNumber)
    {
        var body = await client.GetFromJsonAsync<System.Text.Json.JsonElement>(new Uri($"/api/enrolments/luyang-2023/{idNumber}", UriKind.Relative));
        return body.GetProperty("assessment").GetProperty("coverageStart").GetString();
    }

    [Fact]
    public async Task Put_OtherSchoolsCode_403AndStaffMayUpload()
    {
        var host = await storage.HostAsync();
        using var school = Client(host, SchoolKey("SCH001"));
        using var staff = Client(host, StaffKey);
        var content = RosterFiles.Utf8(RosterFiles.ToCsv(RosterFiles.ChineseRows(0, 2, salt: 9)), bom: true);

        var forbidden = await school.PutAsync(new Uri("/api/rosters/school/luyang-2023/SCH002/a.csv", UriKind.Relative), new ByteArrayContent(content));
        var readOther = await school.GetAsync(new Uri("/api/rosters/school/luyang-2023/SCH002/a.csv", UriKind.Relative));
        var byStaff = await staff.PutAsync(new Uri("/api/rosters/school/luyang-2023/SCH002/a.csv?date=2022-10-10", UriKind.Relative), new ByteArrayContent(content));
        var unknownKind = await staff.PutAsync(new Uri("/api/rosters/college/luyang-2023/SCH002/a.csv", UriKind.Relative), new ByteArrayContent(content));
        var badType = await staff.PutAsync(new Uri("/api/rosters/school/luyang-2023/SCH002/a.pdf", UriKind.Relative), new ByteArrayContent(content));

        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Contains("forbidden-school", await forbidden.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, readOther.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, byStaff.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknownKind.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badType.StatusCode);
        Assert.Equal(RosterStatus.Completed, (await WaitForResultAsync(storage.Azurite, RosterBlobs.SchoolContainer, "luyang-2023/SCH002/a.csv")).Status);
    }

    [Theory]
    [InlineData("utf8-bom.csv", true)]
    [InlineData("utf8-plain.csv", false)]
    public async Task Blob_Utf8WithEnglishHeadersStraightToStorage_EveryRowEnrolled(string fileName, bool bom)
    {
        var host = await storage.HostAsync();
        var rows = new List<string[]> { RosterFiles.EnglishHeader };
        for (var i = 0; i < 40; i++)
        {
            var (name, id, gender) = RosterFiles.Pupil(i, salt: bom ? 1 : 2);
            rows.Add([name, id.Replace("X", "x", StringComparison.Ordinal) + "  ", gender, "初一", "2班", string.Empty]);
        }

        var school = bom ? "SCH003" : "SCH004";
        await UploadBlobAsync(storage.Azurite, RosterBlobs.SchoolContainer, $"{Policy}/{school}/{fileName}", RosterFiles.Utf8(RosterFiles.ToCsv(rows, "\n"), bom));
        var result = await WaitForResultAsync(storage.Azurite, RosterBlobs.SchoolContainer, $"{Policy}/{school}/{fileName}");

        Assert.Equal(RosterStatus.Completed, result.Status);
        Assert.Equal(bom ? "utf-8-bom" : "utf-8", result.Encoding);
        Assert.Equal((40, 40, 0), (result.Counts.Total, result.Counts.Accepted, result.Counts.Rejected));
        Assert.Equal(40 * 350m, Assert.Single(result.Schools).AmountDue);
        Assert.Null(result.RejectedCsv);
        Assert.Equal(40, (await EnrolmentsAsync(storage.Azurite, Policy, "roster:" + school)).Count);
    }

    [Fact]
    public async Task Blob_UniversityXlsx_UniversityStudentsByPaymentMode()
    {
        var host = await storage.HostAsync();
        var rows = new List<string[]> { new[] { "学号", "姓名", "性别", "身份证号", "缴费方式", "是否新生" } };
        for (var i = 0; i < 12; i++)
        {
            var (name, id, gender) = RosterFiles.Pupil(i, salt: 3, bornFrom: 2002);
            rows.Add([$"2022{i:00000}", name, gender, id, i % 3 == 0 ? "微信" : "统一代收", "是"]);
        }

        rows[5][4] = "支付宝";
        await UploadBlobAsync(storage.Azurite, RosterBlobs.UniversityContainer, $"{Policy}/UNI001/新生名单.xlsx", RosterFiles.Xlsx(rows), "2022-09-20");
        var result = await WaitForResultAsync(storage.Azurite, RosterBlobs.UniversityContainer, $"{Policy}/UNI001/新生名单.xlsx");

        Assert.Equal(RosterStatus.Completed, result.Status);
        Assert.Equal(("xlsx", "university"), (result.Format, result.Kind));
        Assert.Equal((12, 11, 1), (result.Counts.Total, result.Counts.Accepted, result.Counts.Rejected));
        Assert.Equal(("unknown-payment-mode", 6), (result.Rejected[0].Code, result.Rejected[0].Line));
        var stored = await EnrolmentsAsync(storage.Azurite, Policy, "roster:UNI001");
        Assert.Equal(11, stored.Count);
        Assert.All(stored, row => Assert.Contains("\"population\":\"university-student\"", row.GetString("Request"), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Blob_CorruptWorkbookAndEmptyFile_FailedSayingWhyAndNotRetried()
    {
        var host = await storage.HostAsync();
        await UploadBlobAsync(storage.Azurite, RosterBlobs.SchoolContainer, $"{Policy}/SCH005/broken.xlsx", [0x50, 0x4B, 0x03, 0x04, 9, 9, 9, 9, 9, 9]);
        await UploadBlobAsync(storage.Azurite, RosterBlobs.SchoolContainer, $"{Policy}/SCH005/empty.csv", []);
        await UploadBlobAsync(storage.Azurite, RosterBlobs.SchoolContainer, $"{Policy}/SCH005/no-id.csv", RosterFiles.Utf8("姓名,性别\n张三,男\n", bom: false));

        var broken = await WaitForResultAsync(storage.Azurite, RosterBlobs.SchoolContainer, $"{Policy}/SCH005/broken.xlsx");
        var empty = await WaitForResultAsync(storage.Azurite, RosterBlobs.SchoolContainer, $"{Policy}/SCH005/empty.csv");
        var noId = await WaitForResultAsync(storage.Azurite, RosterBlobs.SchoolContainer, $"{Policy}/SCH005/no-id.csv");
        await host.WaitUntilBlobTriggersQuietAsync();
        var again = await new RosterResultStore(storage.Azurite.CreateBlobServiceClient()).ReadAsync(RosterBlobs.SchoolContainer, $"{Policy}/SCH005/broken.xlsx", CancellationToken.None);

        Assert.Equal((RosterStatus.Failed, "corrupt-file"), (broken.Status, broken.Error!.Code));
        Assert.Equal((RosterStatus.Failed, "empty-file"), (empty.Status, empty.Error!.Code));
        Assert.Equal((RosterStatus.Failed, "missing-columns"), (noId.Status, noId.Error!.Code));
        Assert.Contains("公民身份号码", noId.Error.Message, StringComparison.Ordinal);
        Assert.Equal(broken.StartedAt, again!.StartedAt);
    }

    [Fact]
    public async Task Blob_UndecodableBytesFarIntoTheFile_FailedAtThatLineAndNobodyEnrolled()
    {
        var host = await storage.HostAsync();
        const string name = $"{Policy}/SCH020/cut.csv";
        var rows = RosterFiles.ChineseRows(100_000, 2_000, salt: 8);
        var good = RosterFiles.Utf8(RosterFiles.ToCsv(rows.Take(1_500)), bom: false);
        var rest = RosterFiles.Utf8(RosterFiles.ToCsv(rows.Skip(1_500)), bom: false);
        byte[] content = [.. good, 0xFF, 0xFE, .. rest.AsSpan(rest.AsSpan().IndexOf((byte)'\n') + 1)];
        await UploadBlobAsync(storage.Azurite, RosterBlobs.SchoolContainer, name, content);

        var result = await WaitForResultAsync(storage.Azurite, RosterBlobs.SchoolContainer, name);

        // Lines 2 to 1,500 are fine, but a file that cannot be read to its end enrols nobody: the school fixes
        // it and uploads it again, and no half of it sits in the ledger meanwhile.
        Assert.Equal((RosterStatus.Failed, "invalid-encoding"), (result.Status, result.Error!.Code));
        Assert.Equal(1_501, result.Error.Line);
        Assert.Equal(0, result.Counts.Accepted);
        Assert.Empty(await EnrolmentsAsync(storage.Azurite, Policy, "roster:SCH020"));
    }

    [Fact]
    public async Task Blob_SamePersonTwiceManyLinesApart_FirstLineKeptTheOtherNamesBoth()
    {
        var host = await storage.HostAsync();
        const string name = $"{Policy}/SCH021/twice.csv";
        var rows = RosterFiles.ChineseRows(100_000, 600, salt: 9);
        rows.Add([.. rows[2]]);
        rows.Insert(1, [.. rows[500]]);
        await UploadBlobAsync(storage.Azurite, RosterBlobs.SchoolContainer, name, RosterFiles.Utf8(RosterFiles.ToCsv(rows), bom: true));

        var result = await WaitForResultAsync(storage.Azurite, RosterBlobs.SchoolContainer, name);

        // Line numbers count the header: rows[i] is on line i + 1. The copy of row 500 now comes first (line 2),
        // so the original (line 502) is the duplicate; the last line repeats the row on line 4.
        Assert.Equal((602, 600, 2), (result.Counts.Total, result.Counts.Accepted, result.Counts.Rejected));
        Assert.Equal([(502, "duplicate-in-file"), (603, "duplicate-in-file")], result.Rejected.Select(r => (r.Line, r.Code)));
        Assert.Contains("第 2 行", result.Rejected[0].Message, StringComparison.Ordinal);
        Assert.Contains("第 4 行", result.Rejected[1].Message, StringComparison.Ordinal);
        Assert.Equal(600, (await EnrolmentsAsync(storage.Azurite, Policy, "roster:SCH021")).Count);
    }

    [Fact]
    public async Task Reupload_CorrectedFileBySameSchool_UpdatesOwnRowsListsVanishedNoDuplicates()
    {
        var host = await storage.HostAsync();
        const string name = $"{Policy}/SCH006/roster.csv";
        var first = RosterFiles.ChineseRows(0, 10, salt: 4);
        first[3][6] = "特困人员、孤儿、贫困生";
        await UploadBlobAsync(storage.Azurite, RosterBlobs.SchoolContainer, name, RosterFiles.Gb18030(RosterFiles.ToCsv(first)));
        var v1 = await WaitForResultAsync(storage.Azurite, RosterBlobs.SchoolContainer, name);

        var second = RosterFiles.ChineseRows(0, 12, salt: 4);
        second.RemoveAt(9);
        second.RemoveAt(8);
        second[3][6] = "特困人员";
        second[2][6] = "低保对象";
        await ConfirmAsync(storage.Azurite, Policy, RosterFiles.Pupil(1, salt: 4).IdNumber, Domain.Codes.SubsidyIdentity.MinimumLivingAllowance, Domain.Codes.Department.CivilAffairs);
        await UploadBlobAsync(storage.Azurite, RosterBlobs.SchoolContainer, name, RosterFiles.Gb18030(RosterFiles.ToCsv(second)));
        var v2 = await WaitForResultAsync(storage.Azurite, RosterBlobs.SchoolContainer, name);

        Assert.Equal((10, 9, 1), (v1.Counts.Total, v1.Counts.Accepted, v1.Counts.Rejected));
        Assert.Equal("unknown-identity", v1.Rejected[0].Code);
        Assert.Equal((10, 10, 0), (v2.Counts.Total, v2.Counts.Accepted, v2.Counts.Rejected));
        Assert.Equal((7, 3), (v2.Counts.Updated, v2.Counts.Enrolled));
        Assert.Empty(v2.Counts.ByReason);
        Assert.Equal(["学生7", "学生8"], v2.Vanished.Select(v => v.Name).Order());
        var stored = await EnrolmentsAsync(storage.Azurite, Policy, "roster:SCH006");
        Assert.Equal(12, stored.Count);
        var (_, thirdId, _) = RosterFiles.Pupil(1, salt: 4);
        Assert.Equal("35.00", stored.Single(r => r.GetString("IdNumber") == thirdId).GetString("Payable"));
    }

    [Fact]
    public async Task Roster_IdentityTypedNoListConfirms_NotSubsidisedAndRecordedUnconfirmed_ListedOneUntypedIsSubsidised()
    {
        var host = await storage.HostAsync();
        const string name = $"{Policy}/SCH031/roster.csv";
        var rows = RosterFiles.ChineseRows(200_000, 3, salt: 9);
        rows[1][6] = "特困人员";
        rows[2][6] = "";
        await ConfirmAsync(storage.Azurite, Policy, rows[2][3], Domain.Codes.SubsidyIdentity.MinimumLivingAllowance, Domain.Codes.Department.CivilAffairs);

        await UploadBlobAsync(storage.Azurite, RosterBlobs.SchoolContainer, name, RosterFiles.Utf8(RosterFiles.ToCsv(rows), bom: true));
        var result = await WaitForResultAsync(storage.Azurite, RosterBlobs.SchoolContainer, name);

        Assert.Equal((3, 3), (result.Counts.Total, result.Counts.Accepted));
        // 350 (特困 typed, no list: baiyin-2023 八(四) “加强源头把关” as a default) + 35 (低保 on 民政's list, not typed) + 350.
        Assert.Equal(350m + 35m + 350m, Assert.Single(result.Schools).AmountDue);
        var stored = (await EnrolmentsAsync(storage.Azurite, Policy, "roster:SCH031")).ToDictionary(r => r.GetString("IdNumber"));
        Assert.Equal(("350.00", "35.00"), (stored[rows[1][3]].GetString("Payable"), stored[rows[2][3]].GetString("Payable")));
        Assert.Contains("\"unconfirmedIdentities\":[\"extreme-poverty\"]", stored[rows[1][3]].GetString("Request"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Blob_SamePeopleFromAnotherSchool_AlreadyEnrolledWithoutSayingWhereAndNoFullIdNumber()
    {
        var host = await storage.HostAsync();
        await UploadBlobAsync(storage.Azurite, RosterBlobs.SchoolContainer, $"{Policy}/SCH007/first.csv", RosterFiles.Utf8(RosterFiles.ToCsv(RosterFiles.ChineseRows(0, 5, salt: 5)), bom: true));
        await WaitForResultAsync(storage.Azurite, RosterBlobs.SchoolContainer, $"{Policy}/SCH007/first.csv");
        var rows = RosterFiles.ChineseRows(3, 4, salt: 5);
        await UploadBlobAsync(storage.Azurite, RosterBlobs.SchoolContainer, $"{Policy}/SCH008/transfer.csv", RosterFiles.Utf8(RosterFiles.ToCsv(rows), bom: true));

        var result = await WaitForResultAsync(storage.Azurite, RosterBlobs.SchoolContainer, $"{Policy}/SCH008/transfer.csv");

        Assert.Equal((4, 2, 2), (result.Counts.Total, result.Counts.Accepted, result.Counts.Rejected));
        Assert.All(result.Rejected, r =>
        {
            Assert.Equal("already-enrolled", r.Code);
            Assert.Equal("此人已于 2022-10-10 通过其他学校或渠道参保登记（luyang-2023），不能重复参保", r.Message);
        });
        Assert.Equal([2, 3], result.Rejected.Select(r => r.Line));
        var json = System.Text.Encoding.UTF8.GetString(result.ToJson());
        Assert.DoesNotContain("SCH007", json, StringComparison.Ordinal);
        Assert.All(rows.Skip(1), row => Assert.DoesNotContain(row[3], json, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Put_SchoolKeyScopedToOtherPolicies_Answers403ForbiddenPolicy_StaffMayUpload()
    {
        var host = await storage.HostAsync();
        using var school = Client(host, SchoolKey("SCH009"));
        using var staff = Client(host, StaffKey);
        var content = RosterFiles.Utf8(RosterFiles.ToCsv(RosterFiles.ChineseRows(0, 1, salt: 7)), bom: true);

        var refused = await school.PutAsync(new Uri("/api/rosters/school/luyang-2023/SCH009/r.csv?date=2022-10-10", UriKind.Relative), new ByteArrayContent(content));
        var status = await school.GetAsync(new Uri("/api/rosters/school/luyang-2023/SCH009/r.csv", UriKind.Relative));
        var byStaff = await staff.PutAsync(new Uri("/api/rosters/school/luyang-2023/SCH009/r.csv?date=2022-10-10", UriKind.Relative), new ByteArrayContent(content));

        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("forbidden-policy", Json(await refused.Content.ReadAsStringAsync()).GetProperty("code").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, status.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, byStaff.StatusCode);
    }

    [Fact]
    public async Task Put_SchoolCodeInLowerCase_IsTheSameSchool()
    {
        var host = await storage.HostAsync();
        using var client = Client(host, SchoolKey("SCH005"));
        var content = RosterFiles.Utf8(RosterFiles.ToCsv(RosterFiles.ChineseRows(500, 3, salt: 7)), bom: true);

        var lower = await client.PutAsync(new Uri("/api/rosters/school/luyang-2023/sch005/case.csv?date=2022-10-10", UriKind.Relative), new ByteArrayContent(content));
        var first = await PollStatusAsync(client, (await lower.Content.ReadFromJsonAsync<RosterAccepted>(RosterResult.Json))!.StatusQueryGetUri);
        var upper = await client.PutAsync(new Uri("/api/rosters/school/luyang-2023/SCH005/case.csv?date=2022-10-10", UriKind.Relative), new ByteArrayContent(content));
        var accepted = (await upper.Content.ReadFromJsonAsync<RosterAccepted>(RosterResult.Json))!;
        var second = await PollStatusAsync(client, accepted.StatusQueryGetUri);

        Assert.Equal((3, 3), (first.Counts.Accepted, first.Counts.Enrolled));
        Assert.Equal($"{Policy}/SCH005/case.csv", accepted.BlobName);
        Assert.Equal((3, 3, 0), (second.Counts.Accepted, second.Counts.Updated, second.Counts.Rejected));
        Assert.Equal(["SCH005"], second.Schools.Select(s => s.School));
        Assert.Equal(3, (await EnrolmentsAsync(storage.Azurite, Policy, "roster:SCH005")).Count);
    }

    [Fact]
    public async Task Blob_FormulaCells_RejectedCsvAndPeopleListOpenAsTextAndNamesComeBackAsTyped()
    {
        var host = await storage.HostAsync();
        const string name = $"{Policy}/SCH030/formulas.csv";
        var rows = RosterFiles.ChineseRows(0, 3, salt: 6);
        rows[1][1] = TestFiles.Quoted(TestFiles.Formula);
        rows[2][1] = "@SUM(1+1)";
        rows[2][3] = "-1+2";
        rows[2][5] = "+1班";
        await UploadBlobAsync(storage.Azurite, RosterBlobs.SchoolContainer, name, RosterFiles.Utf8(RosterFiles.ToCsv(rows), bom: true));
        var v1 = await WaitForResultAsync(storage.Azurite, RosterBlobs.SchoolContainer, name);
        var results = new BlobContainerClient(storage.Azurite.ConnectionString, RosterBlobs.ResultsContainer);
        var rejected = TestFiles.AssertOpensWithoutFormulas((await results.GetBlobClient(RosterBlobs.RejectedName(RosterBlobs.SchoolContainer, name)).DownloadContentAsync()).Value.Content.ToArray());
        var people = TestFiles.AssertOpensWithoutFormulas((await results.GetBlobClient(RosterBlobs.PeopleName(RosterBlobs.SchoolContainer, name)).DownloadContentAsync()).Value.Content.ToArray());
        await UploadBlobAsync(storage.Azurite, RosterBlobs.SchoolContainer, name, RosterFiles.Utf8(RosterFiles.ToCsv([rows[0], rows[3]]), bom: true));
        var v2 = await WaitForResultAsync(storage.Azurite, RosterBlobs.SchoolContainer, name);

        Assert.Equal((3, 2, 1), (v1.Counts.Total, v1.Counts.Accepted, v1.Counts.Rejected));
        Assert.Contains("'@SUM(1+1)", rejected);
        Assert.Contains("'+1班", rejected);
        Assert.Contains("'" + TestFiles.Formula, people);
        Assert.Equal([TestFiles.Formula], v2.Vanished.Select(v => v.Name));
    }

    [Theory]
    [InlineData(60)]
    [InlineData(196)]
    public async Task Put_LongChineseFileName_CompletesEndToEnd(int nameLength)
    {
        var host = await storage.HostAsync();
        using var client = Client(host, SchoolKey("SCH003"));
        var fileName = string.Concat(Enumerable.Repeat("庐阳区第一实验小学", 30))[..nameLength] + ".csv";
        var content = RosterFiles.Utf8(RosterFiles.ToCsv(RosterFiles.ChineseRows(nameLength, 2, salt: 7)), bom: true);

        var response = await client.PutAsync(new Uri($"/api/rosters/school/luyang-2023/SCH003/{Uri.EscapeDataString(fileName)}?date=2022-10-10", UriKind.Relative), new ByteArrayContent(content));
        var accepted = await response.Content.ReadFromJsonAsync<RosterAccepted>(RosterResult.Json);
        var result = await PollStatusAsync(client, accepted!.StatusQueryGetUri);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(RosterStatus.Completed, result.Status);
        Assert.Equal((2, 2), (result.Counts.Total, result.Counts.Accepted));
        Assert.Equal(fileName, result.FileName);
    }

    [Fact]
    public async Task Blob_HeadersOnly_CompletesWithAWarningThatItHadNoRows()
    {
        var host = await storage.HostAsync();
        const string name = $"{Policy}/SCH031/表头.csv";
        await UploadBlobAsync(storage.Azurite, RosterBlobs.SchoolContainer, name, RosterFiles.Utf8(RosterFiles.ToCsv([RosterFiles.ChineseHeader]), bom: true));

        var result = await WaitForResultAsync(storage.Azurite, RosterBlobs.SchoolContainer, name);

        Assert.Equal((RosterStatus.Completed, 0), (result.Status, result.Counts.Total));
        Assert.Contains(result.Warnings, w => w.Code == "no-rows" && w.Message.Contains("没有数据行", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Blob_AtTheContainerRoot_GetsAFailedResultSayingWhereRostersGo()
    {
        var host = await storage.HostAsync();
        await UploadBlobAsync(storage.Azurite, RosterBlobs.SchoolContainer, "根目录名册.csv", RosterFiles.Utf8(RosterFiles.ToCsv(RosterFiles.ChineseRows(0, 1, salt: 6)), bom: true));

        var result = await WaitForResultAsync(storage.Azurite, RosterBlobs.SchoolContainer, "根目录名册.csv");

        Assert.Equal((RosterStatus.Failed, "bad-blob-name"), (result.Status, result.Error?.Code));
        Assert.Contains("{政策代码}/{学校代码}/{文件名}", result.Error!.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0001-01-01")]
    [InlineData("2015-06-01")]
    public async Task Put_DateOutsideEveryPolicy_Answers400InvalidDate(string date)
    {
        var host = await storage.HostAsync();
        using var client = Client(host, SchoolKey("SCH001"));

        var response = await client.PutAsync(new Uri($"/api/rosters/school/luyang-2023/SCH001/early.csv?date={date}", UriKind.Relative), new ByteArrayContent(RosterFiles.Utf8(RosterFiles.ToCsv(RosterFiles.ChineseRows(0, 1, salt: 6)), bom: true)));
        var problem = Json(await response.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(("invalid-date", "date"), (problem.GetProperty("code").GetString(), problem.GetProperty("field").GetString()));
    }

    [Fact]
    public async Task Blob_RowWithAHugeName_OnlyThatRowIsRejected()
    {
        var host = await storage.HostAsync();
        const string name = $"{Policy}/SCH032/huge.csv";
        var rows = RosterFiles.ChineseRows(700, 3, salt: 7);
        rows[2][1] = new string('张', 200_000);
        await UploadBlobAsync(storage.Azurite, RosterBlobs.SchoolContainer, name, RosterFiles.Utf8(RosterFiles.ToCsv(rows), bom: true));

        var result = await WaitForResultAsync(storage.Azurite, RosterBlobs.SchoolContainer, name);

        Assert.Equal((RosterStatus.Completed, 3, 2), (result.Status, result.Counts.Total, result.Counts.Accepted));
        Assert.Equal((3, "text-too-long"), (result.Rejected.Single().Line, result.Rejected.Single().Code));
        Assert.Equal(2, (await EnrolmentsAsync(storage.Azurite, Policy, "roster:SCH032")).Count);
    }
}
