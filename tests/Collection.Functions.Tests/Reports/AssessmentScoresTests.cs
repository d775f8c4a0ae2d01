using System.Net;
using System.Text;
using Collection.Domain;
using Collection.Domain.Codes;
using Collection.Domain.Policies;
using Collection.Functions.Tests.Ledger;
using Microsoft.Extensions.DependencyInjection;

using Collection.Files.Tests;

namespace Collection.Functions.Tests.Reports;

/// <summary>
/// luyang-2023 八(三) "任务完成情况纳入……考核范围"; 八(四) "报送信息的质量和篇数纳入民生工程考核范围": three towns of an uploaded
/// task table ranked by completion, with the months they have no report of and their special-ledger people not enrolled.
/// </summary>
public sealed class AssessmentScoresTests : IAsyncLifetime
{
    private readonly string _suffix = Guid.NewGuid().ToString("N")[..6];
    private LedgerTestHost _host = null!;

    private string A => "甲镇" + _suffix;

    private string B => "乙镇" + _suffix;

    private string C => "丙镇" + _suffix;

    public async Task InitializeAsync()
    {
        _host = await LedgerTestHost.StartAsync(today: new DateOnly(2022, 11, 20));
        using (var client = _host.Client("test-admin"))
        {
            var put = await client.PutAsync(new Uri("api/reports/luyang-2023/targets?file=tasks.csv", UriKind.Relative),
                new ByteArrayContent(Encoding.UTF8.GetBytes($"乡镇街道,任务数\r\n{A},2\r\n{B},4\r\n{C},2\r\n")));
            Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        }

        foreach (var (town, people, paid) in new[] { (A, 2, 2), (B, 2, 2), (C, 2, 1) })
        {
            for (var i = 0; i < people; i++)
            {
                var id = LedgerTestHost.NewId("19850601", "340103");
                var (status, body) = await _host.PostAsync("/api/enrolments", new { policy = "luyang-2023", idNumber = id, date = "2022-10-01", name = "居民", town });
                Assert.True(status == HttpStatusCode.Created, body.ToString());
                if (i < paid)
                {
                    var entry = await _host.Ledger.GetAsync("luyang-2023", ResidentId.Parse(id));
                    var (ok, payment) = await _host.PostAsync("/api/payments", new { policy = "luyang-2023", idNumber = id, amount = entry!.Enrolment.Terms.Payable, paidOn = "2022-10-02", channel = "online", transactionId = "A" + Guid.NewGuid().ToString("N")[..12], inTreasury = true }, "test-tax");
                    Assert.True(ok is HttpStatusCode.Created or HttpStatusCode.OK, payment.ToString());
                }
            }
        }

        // A 低保 of 乙镇 on 民政's list, not enrolled anywhere.
        var book = _host.Services.GetRequiredService<Functions.Subsidies.SubsidyIdentityBook>();
        await book.ApplyAsync([new Functions.Subsidies.SubsidyListRow("luyang-2023", ResidentId.Parse(LedgerTestHost.NewId("19600101", "340103")), SubsidyIdentity.MinimumLivingAllowance, Department.CivilAffairs,
            new Domain.Subsidies.ListEntry(new DateOnly(2022, 9, 1), Domain.Subsidies.ListChange.Add, "低保甲", B, null, "luyang-2023/test/20220901-test.csv"))]);

        // October's reports written on their day; September's and November's never were.
        var monthly = _host.Services.GetRequiredService<Functions.Reports.MonthlyReports>();
        var policy = _host.Services.GetRequiredService<PolicyCatalog>().TryGet("luyang-2023", out var p) ? p : throw new InvalidOperationException();
        await monthly.WriteAsync(policy, new DateOnly(2022, 10, 15), CancellationToken.None);
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task Units_AreRankedByCompletion_WithTheirShortfalls()
    {
        var (status, report) = await _host.GetAsync("/api/reports/luyang-2023/assessment-scores");

        Assert.Equal(HttpStatusCode.OK, status);
        var units = report.GetProperty("units").EnumerateArray().ToList();
        // Equal completions share a rank and are listed by name (ordinal: 丙 before 乙).
        Assert.Equal([A, C, B], units.Take(3).Select(u => u.GetProperty("unit").GetString()));
        Assert.Equal([1, 2, 2], units.Take(3).Select(u => u.GetProperty("rank").GetInt32()));
        Assert.Equal([1m, 0.5m, 0.5m], units.Take(3).Select(u => u.GetProperty("completion").GetDecimal()));
        Assert.Equal(["monthly-report-missing"], units[0].GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(["below-target", "monthly-report-missing", "special-ledger-not-enrolled"], units[2].GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(1, units[2].GetProperty("specialLedgerNotEnrolled").GetInt32());
        Assert.Equal(["below-target", "monthly-report-missing"], units[1].GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(3, units[0].GetProperty("monthlyReportsDue").GetInt32());
        Assert.Equal(["2022-09", "2022-11"], units[0].GetProperty("monthlyReportsMissing").EnumerateArray().Select(m => m.GetString()));
        Assert.Contains("不计分", report.GetProperty("basis").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Csv_HasTheRankAndTheShortfallsInChinese()
    {
        using var client = _host.Client();
        var bytes = await client.GetByteArrayAsync(new Uri("api/reports/luyang-2023/assessment-scores?format=csv", UriKind.Relative));
        var text = Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3);
        TestFiles.AssertOpensWithoutFormulas(bytes);

        Assert.StartsWith("排名,单位,类别,征缴任务数,参保缴费人数,任务完成率,距任务差额,应报月报数,缺报月份,专项台账未参保人数,问题\r\n", text, StringComparison.Ordinal);
        Assert.Contains($"2,{B},乡镇街道,4,2,50.00%,2,3,2022-09、2022-11,1,未完成征缴任务、缺报月报、专项台账人员未参保\r\n", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/reports/luyang-2023/assessment-scores?format=pdf", HttpStatusCode.BadRequest, "unknown-format")]
    [InlineData("/api/reports/luyang-2023/assessment-scores?date=2022-13-01", HttpStatusCode.BadRequest, null)]
    [InlineData("/api/reports/nowhere/assessment-scores", HttpStatusCode.NotFound, "unknown-policy")]
    public async Task BadRequests_AreCodedProblems(string path, HttpStatusCode expected, string? code)
    {
        var (status, problem) = await _host.GetAsync(path);

        Assert.Equal(expected, status);
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("code").GetString()));
        if (code is not null)
        {
            Assert.Equal(code, problem.GetProperty("code").GetString());
        }
    }
}
