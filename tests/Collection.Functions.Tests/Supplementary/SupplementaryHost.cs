using System.Net;
using System.Text.Json;
using Collection.Domain;
using Collection.Domain.Codes;
using Collection.Domain.Subsidies;
using Collection.Functions.Subsidies;
using Collection.Functions.Tests.Ledger;
using Collection.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Collection.Functions.Tests.Supplementary;

/// <summary>
/// One Azurite for the supplementary tests: the mobilisation lists live in the fixed <c>reports</c> container
/// under the policy and month, which parallel tests of other classes must not rewrite. Tests of the class run
/// one after another; each has its own ledger, identity and settlement tables (prefix).
/// </summary>
public sealed class SupplementaryStorage : IAsyncLifetime
{
    public AzuriteInstance Azurite { get; private set; } = null!;

    public async Task InitializeAsync() => Azurite = await AzuriteInstance.StartAsync();

    public async Task DisposeAsync() => await Azurite.DisposeAsync();
}

/// <summary>Seeds lists and enrolments, runs the timer by hand and reads what it wrote.</summary>
internal sealed class SupplementaryHost(LedgerTestHost host, AzuriteInstance azurite) : IAsyncDisposable
{
    public LedgerTestHost Host => host;

    public static async Task<SupplementaryHost> StartAsync(AzuriteInstance azurite, DateOnly today) =>
        new(await LedgerTestHost.StartAsync(azurite.ConnectionString, AzuriteInstance.UniqueName("sup"), today), azurite);

    /// <summary>The day the following requests act as of (the host runs on a business date, so requests may name another).</summary>
    public void SetToday(DateOnly today) => host.Today = today;

    public async Task ListAsync(string policy, string idNumber, SubsidyIdentity identity, Department department, DateOnly from, string town, AllowanceClass? allowanceClass = null, ListChange change = ListChange.Add, string name = "李四")
    {
        var book = host.Services.GetRequiredService<SubsidyIdentityBook>();
        var outcomes = await book.ApplyAsync([new SubsidyListRow(policy, ResidentId.Parse(idNumber), identity, department,
            new ListEntry(from, change, name, town, allowanceClass, $"{policy}/{Glossary.Departments.Code(department)}/{from:yyyyMMdd}-test.csv"))]);
        Assert.NotEqual(ListEntryOutcome.NotInList, outcomes[0]);
    }

    /// <summary>
    /// Enrols at the window as of <paramref name="day"/>. The <paramref name="identities"/> are those the person held
    /// then, as the department that confirms each one listed them from that day (issue 17: only identities a list
    /// confirms subsidise); the clerk types them too.
    /// </summary>
    public async Task EnrolAsync(string policy, string idNumber, string day, string[] identities, decimal? pay = null, string? allowanceClass = null)
    {
        var known = host.Services.GetRequiredService<Collection.Domain.Policies.PolicyCatalog>().TryGet(policy, out var p) ? p : throw new InvalidOperationException(policy);
        foreach (var code in identities)
        {
            var identity = Glossary.SubsidyIdentities.Parse(code);
            var department = Enum.GetValues<Department>().First(d => known.IdentitiesOf(d) is { } own && own.Contains(identity));
            await ListAsync(policy, idNumber, identity, department, DateOnly.Parse(day, System.Globalization.CultureInfo.InvariantCulture), "某街道",
                allowanceClass is null ? null : Glossary.AllowanceClasses.Parse(allowanceClass));
        }

        var (status, body) = await host.PostAsync("/api/enrolments", new { policy, idNumber, date = day, name = "李四", town = "某街道", source = "window", identities, allowanceClass });
        Assert.True(status == HttpStatusCode.Created, body.ToString());
        if (pay is { } amount)
        {
            var (posted, answer) = await host.PostAsync("/api/payments", new { policy, idNumber, amount, paidOn = day, channel = "online", transactionId = "T" + Guid.NewGuid().ToString("N")[..16], inTreasury = true }, "test-tax");
            Assert.True(posted == HttpStatusCode.Created, answer.ToString());
        }
    }

    /// <summary>Runs the job as an admin would (<c>POST /api/jobs/SupplementaryEnrolment/runs?asOf=</c>) and answers the run's summary.</summary>
    public async Task<JsonElement> RunAsync(string asOf, string expectedOutcome = "succeeded")
    {
        var (status, body) = await host.PostAsync($"/api/jobs/SupplementaryEnrolment/runs?asOf={asOf}", new { }, "test-admin");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(body.GetProperty("outcome").GetString() == expectedOutcome, body.ToString());
        return body.GetProperty("summary");
    }

    public static JsonElement Policy(JsonElement summary, string policy) =>
        summary.GetProperty("policies").EnumerateArray().Single(p => p.GetProperty("policy").GetString() == policy);

    public static int Count(JsonElement summary, string policy, string outcome) =>
        Policy(summary, policy).GetProperty("outcomes").GetProperty(outcome).GetInt32();

    public async Task<JsonElement> SettlementsAsync(string policy, string month)
    {
        var (status, body) = await host.GetAsync($"/api/reports/subsidy-settlements?policy={policy}&month={month}");
        Assert.Equal(HttpStatusCode.OK, status);
        return body;
    }

    public async Task<string?> MobilisationAsync(string policy, string month, string town)
    {
        var blob = azurite.CreateBlobServiceClient().GetBlobContainerClient("reports").GetBlobClient($"{policy}/mobilisation/{month}/{town}.csv");
        if (!await blob.ExistsAsync())
        {
            return null;
        }

        var bytes = (await blob.DownloadContentAsync()).Value.Content.ToArray();
        Assert.Equal([0xEF, 0xBB, 0xBF], bytes[..3]);
        return System.Text.Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3);
    }

    public ValueTask DisposeAsync() => host.DisposeAsync();
}
