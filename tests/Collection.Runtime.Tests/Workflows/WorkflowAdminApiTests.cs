using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Collection.Runtime.Hosting;
using Collection.Runtime.Workflows;
using Collection.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Collection.Runtime.Tests.Workflows;

/// <summary>The Durable Functions-shaped management API under /admin/workflows, on a real host.</summary>
public sealed class WorkflowAdminApiTests : IAsyncLifetime
{
    private const string AdminKey = "admin-test-key";
    private const string StaffKey = "staff-test-key";
    private WebApplication? _app;
    private HttpClient? _http;

    private HttpClient Http => _http!;

    public async Task InitializeAsync()
    {
        var azurite = await AzuriteInstance.SharedAsync();
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration["AzureWebJobsStorage"] = azurite.ConnectionString;
        builder.Configuration["Keys:admin"] = AdminKey;
        builder.Configuration["Keys:staff"] = StaffKey;
        builder.Configuration["Workflows:HubName"] = AzuriteInstance.UniqueName("wfapi");
        builder.Configuration["Workflows:TimerPollInterval"] = "00:00:00.100";
        builder.Configuration["Workflows:MaxPollInterval"] = "00:00:00.100";
        builder.AddFunctionsHost(TestWorkflows.Register);
        builder.Services.AddSingleton(new EffectLog());
        _app = builder.Build();
        _app.MapFunctionsHost();
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        _http = new HttpClient { BaseAddress = new Uri(address) };
        _http.DefaultRequestHeaders.Add("x-functions-key", AdminKey);
    }

    public async Task DisposeAsync()
    {
        _http?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    [Fact]
    public async Task Start_Answers202WithDurableLinks_ThenStatusRaiseAndHistoryWork()
    {
        var start = await Http.PostAsJsonAsync("/admin/workflows/Approval?instanceId=case-0001", new { deadlineDays = 7 });
        var links = await start.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.Accepted, start.StatusCode);
        Assert.Equal("case-0001", links.GetProperty("id").GetString());
        var statusUri = links.GetProperty("statusQueryGetUri").GetString()!;
        Assert.EndsWith("/admin/workflows/instances/case-0001", statusUri, StringComparison.Ordinal);
        Assert.Equal(statusUri, start.Headers.Location!.ToString());
        Assert.EndsWith("/instances/case-0001/raiseEvent/{eventName}", links.GetProperty("sendEventPostUri").GetString(), StringComparison.Ordinal);
        Assert.EndsWith("/instances/case-0001/terminate?reason={text}", links.GetProperty("terminatePostUri").GetString(), StringComparison.Ordinal);
        Assert.Equal(statusUri, links.GetProperty("purgeHistoryDeleteUri").GetString());

        var running = await PollAsync(statusUri, "Running");
        Assert.Equal("waiting for approval", running.GetProperty("customStatus").GetString());
        Assert.Equal(7, running.GetProperty("input").GetProperty("deadlineDays").GetInt32());

        var raise = await Http.PostAsJsonAsync(links.GetProperty("sendEventPostUri").GetString()!.Replace("{eventName}", "Approved", StringComparison.Ordinal), "checked the bank slip");
        Assert.Equal(HttpStatusCode.Accepted, raise.StatusCode);

        var done = await PollAsync(statusUri + "?showHistory=true", "Completed");
        Assert.Equal("admin", done.GetProperty("output").GetProperty("approvedBy").GetString());
        Assert.Equal("Approval", done.GetProperty("name").GetString());
        Assert.Equal("case-0001", done.GetProperty("instanceId").GetString());
        Assert.True(done.GetProperty("lastUpdatedTime").GetDateTimeOffset() >= done.GetProperty("createdTime").GetDateTimeOffset());
        var history = done.GetProperty("history").EnumerateArray().ToList();
        Assert.Contains(history, h => h.GetProperty("event").GetString() == "EventRaised" && h.GetProperty("actor").GetString() == "admin");

        var again = await Http.PostAsJsonAsync("/admin/workflows/Approval?instanceId=case-0001", new { deadlineDays = 7 });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        var late = await Http.PostAsync(new Uri(statusUri + "/raiseEvent/Approved", UriKind.Absolute), null);
        Assert.Equal(HttpStatusCode.Gone, late.StatusCode);

        var purge = await Http.DeleteAsync(new Uri(links.GetProperty("purgeHistoryDeleteUri").GetString()!));
        Assert.Equal(HttpStatusCode.OK, purge.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync(new Uri(statusUri))).StatusCode);
    }

    [Fact]
    public async Task UnknownInstanceOrWorkflow_Answers404WithCode()
    {
        var raise = await Http.PostAsJsonAsync("/admin/workflows/instances/nobody/raiseEvent/Approved", "x");
        var body = await raise.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.NotFound, raise.StatusCode);
        Assert.Equal(WorkflowErrorCodes.InstanceNotFound, body.GetProperty("code").GetString());

        var start = await Http.PostAsJsonAsync("/admin/workflows/NoSuchProcess", new { });
        Assert.Equal(HttpStatusCode.NotFound, start.StatusCode);
        Assert.Equal(WorkflowErrorCodes.UnknownWorkflow, (await start.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());

        var badJson = await Http.PostAsync(new Uri("/admin/workflows/Counter", UriKind.Relative), new StringContent("{not json", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, badJson.StatusCode);
    }

    [Fact]
    public async Task TerminateListAndStats_WorkWithTheAdminKeyOnly()
    {
        var start = await (await Http.PostAsync(new Uri("/admin/workflows/Counter", UriKind.Relative), null)).Content.ReadFromJsonAsync<JsonElement>();
        var id = start.GetProperty("id").GetString()!;
        await PollAsync(start.GetProperty("statusQueryGetUri").GetString()!, "Running");

        for (var i = 0; i < 2; i++)
        {
            using var raise = new HttpRequestMessage(HttpMethod.Post, $"/admin/workflows/instances/{id}/raiseEvent/inc") { Headers = { { "Idempotency-Key", "retry-me" } } };
            Assert.Equal(HttpStatusCode.Accepted, (await Http.SendAsync(raise)).StatusCode);
        }

        Assert.Equal(1, (await Http.GetFromJsonAsync<JsonElement>($"/admin/workflows/instances/{id}")).GetProperty("customStatus").GetInt32());
        var terminate = await Http.PostAsync(new Uri($"/admin/workflows/instances/{id}/terminate?reason=test", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Accepted, terminate.StatusCode);

        var list = await Http.GetFromJsonAsync<JsonElement>("/admin/workflows/instances?name=Counter&runtimeStatus=Terminated");
        Assert.Contains(list.EnumerateArray(), i => i.GetProperty("instanceId").GetString() == id && i.GetProperty("runtimeStatus").GetString() == "Terminated");
        Assert.Equal(HttpStatusCode.BadRequest, (await Http.GetAsync(new Uri("/admin/workflows/instances?runtimeStatus=Sleeping", UriKind.Relative))).StatusCode);

        var stats = await Http.GetFromJsonAsync<JsonElement>("/admin/workflows/stats");
        Assert.True(stats.GetProperty("countsByStatus").GetProperty("Terminated").GetInt32() >= 1);
        Assert.Equal(0, stats.GetProperty("poisonedWorkItems").GetInt32());
        Assert.True(stats.GetProperty("queueDepths").EnumerateObject().Count() == 4);

        using var staff = new HttpClient { BaseAddress = Http.BaseAddress };
        staff.DefaultRequestHeaders.Add("x-functions-key", StaffKey);
        Assert.Equal(HttpStatusCode.Forbidden, (await staff.GetAsync(new Uri("/admin/workflows/stats", UriKind.Relative))).StatusCode);
        using var anonymous = new HttpClient { BaseAddress = Http.BaseAddress };
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync(new Uri("/admin/workflows/Counter", UriKind.Relative), null)).StatusCode);

        var functions = await Http.GetFromJsonAsync<JsonElement>("/admin/functions");
        Assert.Contains(functions.EnumerateArray(), f => f.GetProperty("name").GetString() == "Approval" && f.GetProperty("trigger").GetString() == "workflow");
        Assert.Contains(functions.EnumerateArray(), f => f.GetProperty("name").GetString() == "RecordEffect" && f.GetProperty("trigger").GetString() == "activity");
    }

    private async Task<JsonElement> PollAsync(string uri, string status)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        JsonElement body = default;
        while (DateTime.UtcNow < deadline)
        {
            var response = await Http.GetAsync(new Uri(uri));
            body = await response.Content.ReadFromJsonAsync<JsonElement>();
            if (body.GetProperty("runtimeStatus").GetString() == status)
            {
                Assert.Equal(status is "Pending" or "Running" ? HttpStatusCode.Accepted : HttpStatusCode.OK, response.StatusCode);
                return body;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"{uri} never reached {status}: {body}");
    }
}
