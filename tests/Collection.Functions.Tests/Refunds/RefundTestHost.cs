using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Collection.Domain;
using Collection.Functions.Refunds;
using Collection.Testing;

namespace Collection.Functions.Tests.Refunds;

/// <summary>
/// The app in the local host on Azurite with its own task hub, refund and ledger tables, role keys, and a business
/// date in bagongshan-2022's collection period. People are enrolled and paid through the API, as staff and tax do.
/// </summary>
public sealed class RefundTestHost : IAsyncDisposable
{
    private RefundTestHost(AppHost app) => App = app;

    public AppHost App { get; }

    /// <summary>Starts a host; a restart test passes the same <paramref name="hub"/> and <paramref name="prefix"/> to see the same cases.</summary>
    public static async Task<RefundTestHost> StartAsync(string? connectionString = null, string? hub = null, string? prefix = null, IReadOnlyDictionary<string, string>? settings = null)
    {
        connectionString ??= (await AzuriteInstance.SharedAsync()).ConnectionString;
        hub ??= AzuriteInstance.UniqueName("rf");
        prefix ??= AzuriteInstance.UniqueName("rt");
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            ["AzureFunctionsJobHost__extensions__durableTask__hubName"] = hub,
            [RefundTables.PrefixSetting] = prefix,
            ["Ledger:TablePrefix"] = prefix,
            // 2021-12-01: inside bagongshan-2022's collection period.
            [ChinaClock.BusinessDateSetting] = "2021-12-01",
            ["Keys:admin"] = "test-admin",
            ["Keys:staff"] = "test-staff",
            ["Keys:tax"] = "test-tax",
            ["Keys:community"] = "test-community",
            ["Keys:approver"] = "test-approver",
        };
        foreach (var (name, value) in settings ?? new Dictionary<string, string>())
        {
            values[name] = value;
        }

        return new RefundTestHost(await AppHost.StartAsync(connectionString, values));
    }

    /// <param name="today">The business date of the requests (<c>X-Business-Date</c>; this host is a rehearsal), for a policy of another year.</param>
    public HttpClient Client(string key = "test-staff", DateOnly? today = null) => App.CreateClient(key, today);

    /// <summary>A payment as the tax office posts it.</summary>
    public sealed record TestPayment(string TransactionId, decimal Amount, string Channel = "online", bool InTreasury = false, string PaidOn = "2021-10-01");

    public static TestPayment Payment(string id, decimal amount, string channel = "online", bool inTreasury = false, string paidOn = "2021-10-01") =>
        new(id, amount, channel, inTreasury, paidOn);

    /// <summary>Enrols <paramref name="idNumber"/> on 2021-09-01 (window) and posts <paramref name="payments"/>, each with its own transaction id.</summary>
    public Task EnrolAsync(string policy, string idNumber, params TestPayment[] payments) => EnrolAsync("2021-09-01", null, policy, idNumber, payments);

    /// <summary>As of <paramref name="today"/> (in the policy's collection period), enrols <paramref name="idNumber"/> that day and posts <paramref name="payments"/>.</summary>
    public Task EnrolOnAsync(DateOnly today, string policy, string idNumber, params TestPayment[] payments) =>
        EnrolAsync(IsoDate.Text(today), today, policy, idNumber, payments);

    private async Task EnrolAsync(string date, DateOnly? today, string policy, string idNumber, TestPayment[] payments)
    {
        ArgumentNullException.ThrowIfNull(payments);
        var (enrolled, body) = await PostAsync("/api/enrolments", new { policy, idNumber, date, source = "window" }, today: today);
        Assert.True(enrolled == HttpStatusCode.Created, $"{enrolled}: {body}");
        foreach (var payment in payments)
        {
            var (posted, answer) = await PostAsync("/api/payments", new
            {
                policy,
                idNumber,
                amount = payment.Amount,
                paidOn = payment.PaidOn,
                channel = payment.Channel,
                transactionId = payment.TransactionId + "-" + idNumber[^6..],
                inTreasury = payment.InTreasury,
            }, "test-tax", today);
            Assert.True(posted is HttpStatusCode.Created or HttpStatusCode.OK, $"{posted}: {answer}");
        }
    }

    /// <summary>The enrolment's status as the API shows it (<c>paid</c>, <c>cancelled</c>…).</summary>
    public async Task<string?> EnrolmentStatusAsync(string policy, string idNumber)
    {
        var (status, body) = await GetAsync($"/api/enrolments/{policy}/{idNumber}");
        return status == HttpStatusCode.OK ? body.GetProperty("status").GetString() : null;
    }

    public async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(string path, object? body, string key = "test-staff", DateOnly? today = null)
    {
        using var client = Client(key, today);
        var response = await client.PostAsJsonAsync(new Uri(path.TrimStart('/'), UriKind.Relative), body);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonSerializer.Deserialize<JsonElement>(text));
    }

    public async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(string path, string key = "test-staff")
    {
        using var client = Client(key);
        var response = await client.GetAsync(new Uri(path.TrimStart('/'), UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? default : JsonSerializer.Deserialize<JsonElement>(text));
    }

    /// <summary>Opens a case and answers its id (asserting the 202 durable shape).</summary>
    public async Task<string> OpenAsync(object body, string key = "test-staff", DateOnly? today = null)
    {
        var (status, answer) = await PostAsync("/api/refunds", body, key, today);
        Assert.True(status == HttpStatusCode.Accepted, $"{status}: {answer}");
        Assert.EndsWith("/api/refunds/" + answer.GetProperty("id").GetString(), answer.GetProperty("statusQueryGetUri").GetString(), StringComparison.Ordinal);
        return answer.GetProperty("id").GetString()!;
    }

    /// <summary>Polls (real time) until the case satisfies <paramref name="done"/>; answers the case body.</summary>
    public async Task<JsonElement> WaitForAsync(string id, Func<JsonElement, bool> done, TimeSpan? timeout = null) =>
        (await Eventually.GetAsync(
            () => GetAsync($"/api/refunds/{id}"),
            answer => answer.Status == HttpStatusCode.OK && done(answer.Body),
            answer => $"case {id} did not get there: {answer.Body}", timeout ?? TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(50))).Body;

    public Task<JsonElement> WaitForStageAsync(string id, string stage) =>
        WaitForAsync(id, b => b.GetProperty("case").GetProperty("stage").GetString() == stage);

    /// <summary>Puts a person in the identity book as a department's list of <paramref name="from"/> would (issue 17: refund checks read it).</summary>
    public async Task ConfirmAsync(string policy, string idNumber, Domain.Codes.SubsidyIdentity identity, Domain.Codes.Department department, DateOnly from)
    {
        await using var services = App.AppServices();
        var book = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<Functions.Subsidies.SubsidyIdentityBook>(services);
        await book.ApplyAsync([new Functions.Subsidies.SubsidyListRow(policy, Domain.ResidentId.Parse(idNumber), identity, department,
            new Domain.Subsidies.ListEntry(from, Domain.Subsidies.ListChange.Add, "测试", null, null, $"{policy}/test/{from:yyyyMMdd}-test.csv"))]);
    }

    public ValueTask DisposeAsync() => App.DisposeAsync();
}
