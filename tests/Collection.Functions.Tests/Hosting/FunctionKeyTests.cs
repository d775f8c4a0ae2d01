using System.Net.Http.Json;
using System.Net;
using System.Text.Json;
using Collection.Testing;
using Microsoft.Extensions.Configuration;

namespace Collection.Functions.Tests.Hosting;

public sealed class FunctionKeyFixture : AppFixture
{
    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["Keys:admin"] = "test-admin",
        ["Keys:staff"] = "test-staff-old, test-staff",
        ["Keys:school:SCH9"] = "test-school",
    };
}

/// <summary>The app's own keys and roles (worker middleware), on an admin-only function: a job's run history.</summary>
public sealed class FunctionKeyTests(FunctionKeyFixture app) : IClassFixture<FunctionKeyFixture>
{
    private const string AdminOnly = "/api/jobs/ActivateCoverage/runs";

    [Fact]
    public async Task AdminEndpoint_WithoutKey_Answers401ProblemDetails()
    {
        using var client = app.Host.CreateClient();

        var response = await client.GetAsync(new Uri(AdminOnly, UriKind.Relative));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("missing-or-invalid-key", problem.GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("wrong")]
    [InlineData("TEST-ADMIN")]
    [InlineData("test-admi")]
    public async Task AdminEndpoint_WithWrongKey_Answers401(string key)
    {
        using var client = app.Host.CreateClient();
        client.DefaultRequestHeaders.Add("x-functions-key", key);

        var response = await client.GetAsync(new Uri(AdminOnly, UriKind.Relative));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("test-staff")]
    [InlineData("test-staff-old")]
    [InlineData("test-school")]
    public async Task AdminEndpoint_WithOtherRole_Answers403ProblemDetails(string key)
    {
        using var client = app.Host.CreateClient();
        client.DefaultRequestHeaders.Add("x-functions-key", key);

        var response = await client.GetAsync(new Uri(AdminOnly, UriKind.Relative));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("forbidden-role", problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task BearerToken_WhereEntraIsNotConfigured_Answers401InvalidToken()
    {
        using var client = app.Host.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "eyJhbGciOiJub25lIn0.eyJyb2xlcyI6WyJhZG1pbiJdfQ.");

        var response = await client.GetAsync(new Uri(AdminOnly, UriKind.Relative));
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("invalid-token", problem.GetProperty("code").GetString());
    }

    [Fact]
    public async Task AdminEndpoint_WithAdminKeyInHeaderOrQuery_Answers200()
    {
        using var client = app.Host.CreateClient();

        var byQuery = await client.GetAsync(new Uri(AdminOnly + "?code=test-admin", UriKind.Relative));
        client.DefaultRequestHeaders.Add("x-functions-key", "test-admin");
        var byHeader = await client.GetAsync(new Uri(AdminOnly, UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, byQuery.StatusCode);
        Assert.Equal(HttpStatusCode.OK, byHeader.StatusCode);
    }

    [Fact]
    public async Task Health_NeedsNoKey()
    {
        using var client = app.Host.CreateClient();

        var response = await client.GetAsync(new Uri("/api/health", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public void UnresolvedKeyVaultReference_IsNeverAKey()
    {
        const string reference = "@Microsoft.KeyVault(SecretUri=https://kv.vault.azure.net/secrets/keys-admin)";
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Keys:admin"] = reference, ["Keys:staff"] = "test-staff" })
            .Build();
        var keys = new Collection.Functions.Hosting.FunctionKeyStore(configuration);

        Assert.Null(keys.Authenticate(reference));
        Assert.NotNull(keys.Authenticate("test-staff"));
    }

    [Fact]
    public void CommunityKeys_UnscopedSeeEveryUnit_ScopedCarryTheirUnit()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Keys:community"] = "test-community", ["Keys:community:新华街社区"] = "test-xinhua, test-xinhua-new" })
            .Build();
        var keys = new Collection.Functions.Hosting.FunctionKeyStore(configuration);

        var unscoped = keys.Authenticate("test-community");
        var scoped = keys.Authenticate("test-xinhua-new");

        Assert.True(unscoped!.IsInRole(Collection.Functions.Hosting.FunctionRoles.Community));
        Assert.Null(Collection.Functions.Hosting.PrincipalExtensions.OwnUnit(unscoped));
        Assert.True(scoped!.IsInRole(Collection.Functions.Hosting.FunctionRoles.Community));
        Assert.Equal("新华街社区", Collection.Functions.Hosting.PrincipalExtensions.OwnUnit(scoped));
        Assert.Equal("community:新华街社区", Collection.Functions.Hosting.PrincipalExtensions.Actor(scoped));
        Assert.Null(keys.Authenticate("新华街社区"));
    }
}
