using Azure;
using Collection.Domain;
using Collection.Domain.Rosters;
using Collection.Files;
using Collection.Functions.Policies;
using Collection.Functions.Rosters;
using Microsoft.Extensions.Logging.Abstractions;

namespace Collection.Functions.Tests.Rosters;

/// <summary>
/// luyang-2023 五(四) "高校应及时将新入学大学生名单于9月30日前报送市医保中心": a university's new students sent after
/// the policy's <c>university-list</c> day are enrolled all the same, and the result flags the late list.
/// </summary>
public sealed class RosterDeadlineTests(RosterComponentStorage storage) : IClassFixture<RosterComponentStorage>
{
    [Theory]
    [InlineData("2022-09-30", true, null)]
    [InlineData("2022-10-01", true, 1)]
    [InlineData("2022-10-01", false, null)]
    public async Task UniversityRoster_NewStudentsAfterTheListDay_EnrolledAndFlaggedLate(string today, bool oneIsNew, int? lateNewStudents)
    {
        var day = DateOnly.Parse(today, System.Globalization.CultureInfo.InvariantCulture);
        var (_, first, _) = RosterFiles.Pupil(1, salt: 31, bornFrom: 2003);
        var (_, second, _) = RosterFiles.Pupil(2, salt: 31, bornFrom: 2003);
        var csv = RosterFiles.ToCsv(
        [
            ["序号", "姓名", "公民身份号码", "缴费方式", "是否新生"],
            ["1", "新同学", first, "统一代收", oneIsNew ? "是" : "否"],
            ["2", "老同学", second, "统一代收", "否"],
        ]);
        var school = $"UNI{today[5..7]}{today[8..]}{(oneIsNew ? 1 : 0)}";
        var ingestion = new RosterIngestion(new RosterResultStore(storage.Azurite.CreateBlobServiceClient()), new MemoryRosterLedger(),
            PolicyFiles.Load(PolicyFiles.DefaultDirectory), TimeProvider.System, new ChinaClock(TimeProvider.System, day), NullLogger<RosterIngestion>.Instance);
        var upload = new RosterUpload(RosterBlobs.UniversityContainer, RosterBlobs.BlobName("luyang-2023", school, "students.csv"), new ETag("\"v1\""),
            RosterKind.University, "luyang-2023", school, "students.csv", new DateOnly(2022, 9, 20), "test");

        var result = await ingestion.RunAsync(upload, RosterFiles.Utf8(csv, bom: true));

        Assert.Equal((RosterStatus.Completed, 2), (result.Status, result.Counts.Accepted));
        var late = result.Warnings.SingleOrDefault(w => w.Code == FileWarningCodes.NewStudentListLate);
        if (lateNewStudents is null)
        {
            Assert.Null(late);
        }
        else
        {
            Assert.NotNull(late);
            Assert.Contains("应于 2022-09-30 前报送", late.Message, StringComparison.Ordinal);
            Assert.Contains($"{today} 上传，其中 {lateNewStudents} 名新生", late.Message, StringComparison.Ordinal);
        }
    }
}
