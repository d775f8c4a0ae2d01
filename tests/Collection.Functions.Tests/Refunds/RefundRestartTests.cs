using System.Net;
using Collection.Domain;
using Collection.Testing;
using static Collection.Functions.Tests.Refunds.RefundTestHost;

namespace Collection.Functions.Tests.Refunds;

public sealed class RefundRestartTests
{
    [Fact]
    public async Task HostRestart_WhileCaseWaits_NextHostFinishesTheCase()
    {
        const string first17 = "34040519900101777";
        var person = first17 + ResidentId.ComputeCheckCharacter(first17);
        var hub = AzuriteInstance.UniqueName("rr");
        var prefix = AzuriteInstance.UniqueName("rr");

        string id;
        await using (var before = await RefundTestHost.StartAsync(hub: hub, prefix: prefix))
        {
            await before.EnrolAsync("bagongshan-2022", person, Payment("C1", 320, "cash", inTreasury: true));
            id = await before.OpenAsync(new { policy = "bagongshan-2022", idNumber = person, reason = "deceased", eventDate = "2021-11-30" });
            await before.WaitForStageAsync(id, "awaiting-tax-acceptance");
        }

        await using var after = await RefundTestHost.StartAsync(hub: hub, prefix: prefix);
        Assert.Equal(HttpStatusCode.Accepted, (await after.PostAsync($"/api/refunds/{id}/events/tax-accepted", new { comment = "" }, "test-tax")).Status);
        await after.WaitForStageAsync(id, "awaiting-approval");
        Assert.Equal(HttpStatusCode.Accepted, (await after.PostAsync($"/api/refunds/{id}/events/approve", new { comment = "" }, "test-approver")).Status);

        var done = await after.WaitForAsync(id, b => b.GetProperty("runtimeStatus").GetString() == "Completed");
        Assert.Equal("done", done.GetProperty("case").GetProperty("outcome").GetString());
        Assert.Equal("cancelled", await after.EnrolmentStatusAsync("bagongshan-2022", person));
    }
}
