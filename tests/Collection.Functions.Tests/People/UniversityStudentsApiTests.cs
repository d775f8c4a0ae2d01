using System.Net;
using Collection.Functions.Tests.Ledger;

namespace Collection.Functions.Tests.People;

/// <summary>luyang-2023 五(四): new university students are covered from the day of the unified collection or the WeChat payment.</summary>
public sealed class UniversityStudentsApiTests : IAsyncLifetime
{
    private LedgerTestHost _host = null!;

    public async Task InitializeAsync() => _host = await LedgerTestHost.StartAsync(today: new DateOnly(2022, 10, 10));

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task UnifiedCollectionBeforeTheEnrolmentDay_CoversFromTheCollectionDay()
    {
        // 五(四)“高校统一代收代缴大学生参保费用的，在收取学费时一并收取参保费用……自代收费用之日起可享受居民医保待遇”:
        // tuition (and the contribution) collected on 09-01, the new-student list enrolled on 09-20.
        var id = LedgerTestHost.NewId(birth: "20040115", area: "340103");
        var (enrolled, _) = await _host.PostAsync("/api/enrolments", new { policy = "luyang-2023", idNumber = id, population = "university-student", paymentMode = "unified", newStudent = true, date = "2022-09-20", name = "新同学", source = "roster:UNI001" });

        var (paid, paidBody) = await _host.PostAsync("/api/payments", new { policy = "luyang-2023", idNumber = id, amount = 350m, paidOn = "2022-09-01", channel = "unified", transactionId = "U" + Guid.NewGuid().ToString("N")[..16], inTreasury = true }, "test-tax");
        var (_, got) = await _host.GetAsync($"/api/enrolments/luyang-2023/{id}");

        Assert.Equal(HttpStatusCode.Created, enrolled);
        Assert.True(paid is HttpStatusCode.OK or HttpStatusCode.Created, paidBody.ToString());
        Assert.Equal("2022-09-01", got.GetProperty("coverageStart").GetString());
    }

    [Fact]
    public async Task ReturningStudentPayingByWeChat_IsCoveredFromTheYearStart()
    {
        var id = LedgerTestHost.NewId(birth: "20020115", area: "340103");
        await _host.PostAsync("/api/enrolments", new { policy = "luyang-2023", idNumber = id, population = "university-student", paymentMode = "wechat", newStudent = false, date = "2022-09-20", name = "老同学", source = "window" });

        var (paid, paidBody) = await _host.PostAsync("/api/payments", new { policy = "luyang-2023", idNumber = id, amount = 350m, paidOn = "2022-09-25", channel = "online", transactionId = "U" + Guid.NewGuid().ToString("N")[..16], inTreasury = true }, "test-tax");
        var (_, got) = await _host.GetAsync($"/api/enrolments/luyang-2023/{id}");

        Assert.True(paid is HttpStatusCode.OK or HttpStatusCode.Created, paidBody.ToString());
        Assert.Equal("2023-01-01", got.GetProperty("coverageStart").GetString());
        Assert.False(got.GetProperty("request").GetProperty("newStudent").GetBoolean());
    }
}
