using System.Net.Http.Json;
using System.Net;
using System.Text.Json;
using System.Text;
using Collection.Functions.Hosting;
using Collection.Testing;

namespace Collection.Functions.Tests.Hosting;

/// <summary>A host as App Service Authentication runs it: the setting on, and App Service saying authentication is on.</summary>
public sealed class AppServicePrincipalFixture : IAsyncLifetime
{
    public AppHost Host { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Host = await AppHost.StartAsync(await AzuriteInstance.SharedAsync(), new Dictionary<string, string>
        {
            ["Keys:staff"] = "test-staff",
            [AppServicePrincipal.Setting] = "true",
            [AppServicePrincipal.PlatformSetting] = "True",
        });

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

/// <summary>
/// Issue 21: the console's 统一身份认证 sign-in behind App Service Authentication (Easy Auth) — the
/// <c>x-ms-client-principal</c> header's app roles become the key roles; a key stays the local way.
/// </summary>
public sealed class AppServicePrincipalTests(AppServicePrincipalFixture app) : IClassFixture<AppServicePrincipalFixture>
{
    /// <summary>The header as Easy Auth writes it for an Entra ID sign-in with these app roles.</summary>
    public static string Header(string user, params string[] roles)
    {
        var claims = new List<object> { new { typ = "preferred_username", val = user }, new { typ = "name", val = "张伟" } };
        claims.AddRange(roles.Select(r => new { typ = "roles", val = r }));
        var principal = new { auth_typ = "aad", claims, name_typ = "preferred_username", role_typ = "http://schemas.microsoft.com/ws/2008/06/identity/claims/role" };
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(principal)));
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> GetAsync(AppHost host, string path, string? principal)
    {
        using var client = host.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        if (principal is not null)
        {
            request.Headers.Add(AppServicePrincipal.Header, principal);
        }

        var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    [Fact]
    public async Task StaffAppRole_IsTheStaffRole_NamedAfterThePerson()
    {
        var (status, me) = await GetAsync(app.Host, "/api/me", Header("zhang.wei@bureau.example", "staff"));

        Assert.True(status == HttpStatusCode.OK, me.ToString());
        Assert.Equal(("staff", "entra:zhang.wei@bureau.example"), (me.GetProperty("role").GetString(), me.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task CommunityAppRoleOfATown_IsCommunityStaffOfThatTownOnly()
    {
        var (status, me) = await GetAsync(app.Host, "/api/me", Header("li.na@lindian.example", "community.林店街道"));
        var (otherStatus, other) = await GetAsync(app.Host, "/api/reports/luyang-2023/reminders?town=%E6%9D%8F%E6%9E%97%E8%A1%97%E9%81%93&format=csv",
            Header("li.na@lindian.example", "community.林店街道"));

        Assert.True(status == HttpStatusCode.OK, me.ToString());
        Assert.Equal(("community", "林店街道"), (me.GetProperty("role").GetString(), me.GetProperty("unit").GetString()));
        Assert.Equal((HttpStatusCode.Forbidden, "forbidden-unit"), (otherStatus, other.GetProperty("code").GetString()));
    }

    [Fact]
    public async Task SchoolAppRole_IsASchoolAdministratorOfThatSchool()
    {
        var (status, me) = await GetAsync(app.Host, "/api/me", Header("wang@school.example", "school.SCH001"));

        Assert.True(status == HttpStatusCode.OK, me.ToString());
        Assert.Equal("school", me.GetProperty("role").GetString());
        Assert.Equal("SCH001", Assert.Single(me.GetProperty("schools").EnumerateArray()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task StaticWebAppPrincipal_WithItsAssignedRoles_IsReadToo()
    {
        var swa = Convert.ToBase64String(Encoding.UTF8.GetBytes(
            """{"identityProvider":"aad","userId":"u1","userDetails":"zhao@tax.example","userRoles":["anonymous","authenticated","tax"]}"""));

        var (status, me) = await GetAsync(app.Host, "/api/me", swa);

        Assert.True(status == HttpStatusCode.OK, me.ToString());
        Assert.Equal(("tax", "entra:zhao@tax.example"), (me.GetProperty("role").GetString(), me.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task SignedInWithoutAnAppRoleOfTheApp_Answers403()
    {
        var (status, problem) = await GetAsync(app.Host, "/api/me", Header("guest@example.com", "Reader"));

        Assert.Equal((HttpStatusCode.Forbidden, "forbidden-role"), (status, problem.GetProperty("code").GetString()));
    }

    [Theory]
    [InlineData("not base64 !")]
    [InlineData("bnVsbA==")]
    [InlineData("eyJjbGFpbXMiOjF9")]
    public async Task UnreadableHeader_Answers401InvalidToken_WithChineseMessage(string header)
    {
        var (status, problem) = await GetAsync(app.Host, "/api/me", header);

        Assert.Equal((HttpStatusCode.Unauthorized, "invalid-token"), (status, problem.GetProperty("code").GetString()));
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detailZh").GetString()));
    }

    [Fact]
    public async Task AKey_StillWins_AndHealthSaysTheConsoleMayOfferTheSignIn()
    {
        using var client = app.Host.CreateClient("test-staff");
        client.DefaultRequestHeaders.Add(AppServicePrincipal.Header, Header("admin@example.com", "admin"));

        var me = await client.GetFromJsonAsync<JsonElement>(new Uri("/api/me", UriKind.Relative));
        var (_, health) = await GetAsync(app.Host, "/api/health", null);

        Assert.Equal(("staff", "staff"), (me.GetProperty("role").GetString(), me.GetProperty("name").GetString()));
        Assert.True(health.GetProperty("appServiceSignIn").GetBoolean());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("False")]
    public async Task WithoutAppServiceAuthentication_TheHeaderIsNotBelieved(string? platform)
    {
        // Anywhere but behind Easy Auth anyone could write the header: it must not sign anyone in.
        var settings = new Dictionary<string, string> { [AppServicePrincipal.Setting] = "true" };
        if (platform is not null)
        {
            settings[AppServicePrincipal.PlatformSetting] = platform;
        }

        await using var host = await AppHost.StartAsync(await AzuriteInstance.SharedAsync(), settings);

        var (status, problem) = await GetAsync(host, "/api/me", Header("mallory@example.com", "admin"));
        var (_, health) = await GetAsync(host, "/api/health", null);

        Assert.Equal((HttpStatusCode.Unauthorized, "missing-or-invalid-key"), (status, problem.GetProperty("code").GetString()));
        Assert.False(health.GetProperty("appServiceSignIn").GetBoolean());
    }
}
