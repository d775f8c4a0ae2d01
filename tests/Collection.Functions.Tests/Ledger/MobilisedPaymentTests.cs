using System.Net;
using System.Text;
using Collection.Domain.Codes;
using Collection.Domain;
using Collection.Functions.Tests.TaxReturns;

namespace Collection.Functions.Tests.Ledger;

/// <summary>
/// luyang-2023 五(五) “经动员自愿参保缴费的，个人完成缴费的同时医保信息系统自动调整参保状态信息”: a payment from a person the
/// mobilisation list names (a partly subsidised identity, not enrolled) enrols and posts in one step, where the policy says so.
/// </summary>
public sealed class MobilisedPaymentTests : IAsyncLifetime
{
    private LedgerTestHost _host = null!;

    public async Task InitializeAsync() => _host = await LedgerTestHost.StartAsync(today: new DateOnly(2022, 10, 10));

    public async Task DisposeAsync() => await _host.DisposeAsync();

    private static string Tx() => "MB" + Guid.NewGuid().ToString("N")[..14];

    /// <summary>A person a rural-revitalisation list names as 防止返贫监测对象 (50 % of 350 under luyang-2023) since 2022-09-01.</summary>
    private async Task<string> MobilisedAsync(string policy = "luyang-2023", string area = "340103", SubsidyIdentity identity = SubsidyIdentity.AtRiskOfReturning, Department department = Department.RuralRevitalisation)
    {
        var id = LedgerTestHost.NewId("19700315", area);
        await _host.ConfirmAsync(policy, id, identity, department, new DateOnly(2022, 9, 1));
        return id;
    }

    [Fact]
    public async Task Luyang_PaymentOfAMobilisedPerson_EnrolsAndPostsOnce()
    {
        var id = await MobilisedAsync();
        var tx = Tx();
        object Payment() => new { policy = "luyang-2023", idNumber = id, amount = 175m, paidOn = "2022-10-08", channel = "微信扫码", transactionId = tx, inTreasury = true };

        var (first, firstBody) = await _host.PostAsync("/api/payments", Payment(), "test-tax");
        var (second, secondBody) = await _host.PostAsync("/api/payments", Payment(), "test-tax");
        var (_, enrolment) = await _host.GetAsync($"/api/enrolments/luyang-2023/{id}");

        Assert.Equal(HttpStatusCode.Created, first);
        Assert.Equal("posted", firstBody.GetProperty("outcome").GetString());
        Assert.Equal(HttpStatusCode.OK, second);
        Assert.Equal("duplicate", secondBody.GetProperty("outcome").GetString());
        Assert.Equal("mobilised-payment", enrolment.GetProperty("source").GetString());
        Assert.Equal(175m, enrolment.GetProperty("assessment").GetProperty("payable").GetDecimal());
        Assert.Equal(175m, enrolment.GetProperty("assessment").GetProperty("subsidy").GetDecimal());
        Assert.Equal(175m, enrolment.GetProperty("paid").GetDecimal());
        Assert.Equal(1, enrolment.GetProperty("paymentCount").GetInt32());
        Assert.Equal("paid", enrolment.GetProperty("status").GetString());
        Assert.Equal("2023-01-01", enrolment.GetProperty("coverageStart").GetString());
        Assert.Equal(["enrolled", "payment-posted"], enrolment.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("cause").GetString()));
    }

    [Fact]
    public async Task Luyang_TaxReturnRowOfAMobilisedPerson_EnrolsAndPosts_ARedropPostsNothing_AndSomeoneOnNoListIsStillRefused()
    {
        var (id, stranger) = (await MobilisedAsync(), LedgerTestHost.NewId("19700316", "340103"));
        var text = string.Join("\r\n",
            "身份证号,姓名,金额,缴费日期,缴费渠道,交易流水号,是否入库",
            $"{id},周五,175,2022-10-09,微信扫码,{Tx()},是",
            $"{stranger},吴六,350,2022-10-09,微信扫码,{Tx()},是");
        var bytes = Encoding.UTF8.GetBytes(text);

        var result = await TaxReturnsTests.RunAsync(_host, $"luyang-2023/20221009-{Guid.NewGuid():N}.csv", bytes);
        var again = await TaxReturnsTests.RunAsync(_host, $"luyang-2023/20221009-{Guid.NewGuid():N}.csv", bytes);
        var enrolment = (await _host.Ledger.GetAsync("luyang-2023", ResidentId.Parse(id)))!;

        Assert.Equal(1, result.GetProperty("posted").GetInt32());
        Assert.Equal("no-assessment", Assert.Single(result.GetProperty("rejectedRows").EnumerateArray()).GetProperty("code").GetString());
        Assert.Equal(0, again.GetProperty("posted").GetInt32());
        Assert.Equal("mobilised-payment", enrolment.Enrolment.Source);
        Assert.Equal(175m, enrolment.Enrolment.Paid);
        Assert.Equal(1, enrolment.Enrolment.Money.PaymentCount);
        Assert.Null(await _host.Ledger.GetAsync("luyang-2023", ResidentId.Parse(stranger)));
    }

    [Fact]
    public async Task Bagongshan_WithoutThePolicyFlag_AMobilisedPersonsPaymentIsStillNoAssessment()
    {
        // bagongshan-2022 subsidises 90 % of 低保 (a partial subsidy: the mobilisation list's people) but says nothing like 五(五).
        _host.Today = new DateOnly(2021, 12, 10);
        var id = LedgerTestHost.NewId("19700315", "340405");
        await _host.ConfirmAsync("bagongshan-2022", id, SubsidyIdentity.MinimumLivingAllowance, Department.CivilAffairs, new DateOnly(2021, 9, 1));

        var (status, body) = await _host.PostAsync("/api/payments", new { policy = "bagongshan-2022", idNumber = id, amount = 32m, paidOn = "2021-12-09", channel = "online", transactionId = Tx(), inTreasury = true }, "test-tax");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, status);
        Assert.Equal("no-assessment", body.GetProperty("code").GetString());
        Assert.Null(await _host.Ledger.GetAsync("bagongshan-2022", ResidentId.Parse(id)));
    }
}
