using System.Net;
using Collection.Domain;
using Collection.Domain.Enrolments;
using Collection.Functions.Refunds;
using Collection.Testing;
using Microsoft.Extensions.DependencyInjection;
using static Collection.Functions.Tests.Refunds.MemoryRefundLedger;

namespace Collection.Functions.Tests.Refunds;

public sealed class RefundRestartTests
{
    [Fact]
    public async Task HostRestart_WhileCaseWaits_NextHostFinishesTheCase()
    {
        var ledger = new MemoryRefundLedger();
        const string first17 = "34040519900101777";
        var person = first17 + ResidentId.ComputeCheckCharacter(first17);
        ledger.Enrol("bagongshan-2022", person, 320, Payment("C1", 320, "cash", inTreasury: true));
        var hub = AzuriteInstance.UniqueName("rr");
        var prefix = AzuriteInstance.UniqueName("rr");
        void Services(IServiceCollection s) => s.AddSingleton<IRefundLedger>(ledger);

        string id;
        await using (var before = await RefundTestHost.StartAsync(Services, hub: hub, prefix: prefix))
        {
            id = await before.OpenAsync(new { policy = "bagongshan-2022", idNumber = person, reason = "deceased", eventDate = "2021-11-30" });
            await before.WaitForStageAsync(id, "awaiting-tax-acceptance");
        }

        await using var after = await RefundTestHost.StartAsync(Services, hub: hub, prefix: prefix);
        Assert.Equal(HttpStatusCode.Accepted, (await after.PostAsync($"/api/refunds/{id}/events/tax-accepted", new { comment = "" }, "test-tax")).Status);
        await after.WaitForStageAsync(id, "awaiting-approval");
        Assert.Equal(HttpStatusCode.Accepted, (await after.PostAsync($"/api/refunds/{id}/events/approve", new { comment = "" }, "test-approver")).Status);

        var done = await after.WaitForAsync(id, b => b.GetProperty("runtimeStatus").GetString() == "Completed");
        Assert.Equal("done", done.GetProperty("case").GetProperty("outcome").GetString());
        Assert.Equal(EnrolmentStatus.Cancelled, ledger.Find("bagongshan-2022", person)!.Status);
    }
}
