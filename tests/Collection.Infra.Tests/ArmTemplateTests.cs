using System.Text.Json.Nodes;

namespace Collection.Infra.Tests;

/// <summary>What issue 16 asks infra/ to deploy, checked in the ARM template main.bicep compiles to.</summary>
public class ArmTemplateTests
{
    // The app's storage names: constants in src/Collection.Functions (RosterBlobs, TaxReturnsFunction,
    // SubsidyListsFunction, LastYearRollsFunction, MobilisationLists, LedgerTables, SubsidyTables, RefundTables, SettlementTables, LastYearTables).
    private static readonly string[] AppContainers =
        ["school-rosters", "university-rosters", "roster-results", "tax-returns", "tax-returns-results", "subsidy-lists", "subsidy-lists-results", "last-year-rolls", "last-year-rolls-results", "reports"];

    private static readonly string[] AppTables =
        ["enrolments", "ledgertransactions", "employeeinsurance", "subsidyidentities", "subsidysettlements", "refundclaims", "lastyearroll",
         "ledgerremittances", "personfacts", "subsidytransfers", "reporttargets", "jobruns"];

    private static readonly string[] AppQueues = ["webjobs-blobtrigger-poison"];

    // The blob-triggered functions and the container each watches (AppFunctions.Register).
    private static readonly Dictionary<string, string> BlobFunctions = new()
    {
        ["SchoolRosters"] = "school-rosters",
        ["UniversityRosters"] = "university-rosters",
        ["TaxReturns"] = "tax-returns",
        ["SubsidyLists"] = "subsidy-lists",
        ["LastYearRolls"] = "last-year-rolls",
    };

    private static ArmTemplate Arm => ArmTemplate.Main;

    [Fact]
    public void Function_app_is_dotnet_isolated_10_on_a_flex_consumption_plan()
    {
        var app = Assert.Single(Arm.OfType("Microsoft.Web/sites"));
        var plan = Assert.Single(Arm.OfType("Microsoft.Web/serverfarms"));

        Assert.Contains("functionapp", app.Node["kind"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("linux", app.Node["kind"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("FlexConsumption", plan.Node["sku"]!["tier"]!.GetValue<string>());
        Assert.Equal("FC1", plan.Node["sku"]!["name"]!.GetValue<string>());
        Assert.True(plan.Properties["reserved"]!.GetValue<bool>());
        Assert.Same(plan.Template, app.Template);
        Assert.Contains("Microsoft.Web/serverfarms", app.Properties["serverFarmId"]!.GetValue<string>(), StringComparison.Ordinal);

        var config = app.Properties["functionAppConfig"]!;
        Assert.Equal("dotnet-isolated", config["runtime"]!["name"]!.GetValue<string>());
        Assert.Equal("10.0", config["runtime"]!["version"]!.GetValue<string>());
        Assert.Equal("blobContainer", config["deployment"]!["storage"]!["type"]!.GetValue<string>());
        Assert.Equal("UserAssignedIdentity", config["deployment"]!["storage"]!["authentication"]!["type"]!.GetValue<string>());
        // azd deploys the service `api` (azure.yaml) to the resource with this tag.
        Assert.Contains("createObject('azd-service-name', 'api')", app.Node["tags"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public void Storage_account_has_every_container_table_and_queue_the_app_uses()
    {
        var account = Assert.Single(Arm.OfType("Microsoft.Storage/storageAccounts"));
        Assert.False(account.Properties["allowSharedKeyAccess"]!.GetValue<bool>());
        Assert.False(account.Properties["allowBlobPublicAccess"]!.GetValue<bool>());

        AssertLoopCreates("Microsoft.Storage/storageAccounts/blobServices/containers", "containers", AppContainers);
        AssertLoopCreates("Microsoft.Storage/storageAccounts/tableServices/tables", "tables", AppTables);
        AssertLoopCreates("Microsoft.Storage/storageAccounts/queueServices/queues", "queues", AppQueues);

        // Besides the app's: the Flex Consumption package container and the Event Grid dead letters.
        Assert.Equal(3, Arm.OfType("Microsoft.Storage/storageAccounts/blobServices/containers").Count());
    }

    [Fact]
    public void Identity_has_the_roles_the_app_needs_instead_of_connection_strings()
    {
        var identity = Assert.Single(Arm.OfType("Microsoft.ManagedIdentity/userAssignedIdentities"));
        var assignments = Arm.OfType("Microsoft.Authorization/roleAssignments").Where(r => ReferenceEquals(r.Template, identity.Template)).ToList();
        var expected = new Dictionary<string, string>
        {
            ["b7e6dc6d-f1e8-4753-8033-0f276bb0955b"] = "Storage Blob Data Owner",
            ["974c5e8b-45b9-4653-ba55-5f855dd0fb88"] = "Storage Queue Data Contributor",
            ["0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"] = "Storage Table Data Contributor",
            ["4633458b-17de-408a-b874-0445c86b69e6"] = "Key Vault Secrets User",
            ["3913510d-42f4-4e42-8a64-420c390055eb"] = "Monitoring Metrics Publisher",
        };
        foreach (var (roleId, role) in expected)
        {
            var assignment = assignments.SingleOrDefault(a => a.Properties["roleDefinitionId"]!.GetValue<string>().Contains($"'{roleId}'", StringComparison.Ordinal));
            Assert.True(assignment is not null, $"No role assignment of {role} ({roleId}).");
            Assert.Contains("Microsoft.ManagedIdentity/userAssignedIdentities", assignment.Properties["principalId"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Null(assignment.Node["condition"]);
        }

        var app = Assert.Single(Arm.OfType("Microsoft.Web/sites"));
        Assert.Equal("UserAssigned", app.Node["identity"]!["type"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(app.Properties["keyVaultReferenceIdentity"]?.GetValue<string>()));

        var settings = AppSettings(app);
        Assert.Equal("managedidentity", settings["AzureWebJobsStorage__credential"]);
        Assert.True(settings.ContainsKey("AzureWebJobsStorage__accountName"));
        Assert.True(settings.ContainsKey("AzureWebJobsStorage__clientId"));
        Assert.False(settings.ContainsKey("AzureWebJobsStorage"), "AzureWebJobsStorage as a connection string");
        Assert.DoesNotContain(settings.Values, v => v.Contains("AccountKey", StringComparison.OrdinalIgnoreCase) || v.Contains("listKeys", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void Api_keys_are_key_vault_references()
    {
        var vault = Assert.Single(Arm.OfType("Microsoft.KeyVault/vaults"));
        Assert.True(vault.Properties["enableRbacAuthorization"]!.GetValue<bool>());

        var app = Assert.Single(Arm.OfType("Microsoft.Web/sites"));
        var settings = AppSettings(app);
        foreach (var role in new[] { "admin", "staff", "approver", "tax", "community" })
        {
            Assert.True(settings.TryGetValue($"Keys__{role}", out var value), $"No setting Keys__{role}.");
            Assert.Contains("@Microsoft.KeyVault(SecretUri=", value, StringComparison.Ordinal);
            Assert.Contains($"secrets/keys-{role})", value, StringComparison.Ordinal);
        }

        // Keys:school:<code>: one setting per school code, from a loop over the parameter.
        var school = Assert.Single(settings, s => s.Key.Contains("Keys__school__", StringComparison.Ordinal));
        Assert.Equal("[format('Keys__school__{0}', parameters('schoolCodes')[copyIndex('schoolKeySettings')])]", school.Key);
        Assert.Contains("@Microsoft.KeyVault(SecretUri=", school.Value, StringComparison.Ordinal);
        Assert.Contains("secrets/keys-school-", school.Value, StringComparison.Ordinal);

        Assert.DoesNotContain(Arm.Resources, r => r.Type == "Microsoft.KeyVault/vaults/secrets");
    }

    [Fact]
    public void Entra_id_tokens_are_accepted_from_the_given_tenant_only_when_one_is_given()
    {
        var settings = AppSettings(Assert.Single(Arm.OfType("Microsoft.Web/sites")));

        var authority = settings["Entra__Authority"];
        Assert.Contains("empty(parameters('entraTenantId'))", authority, StringComparison.Ordinal);
        Assert.Contains("/v2.0", authority, StringComparison.Ordinal);
        Assert.Equal("[parameters('entraAudience')]", settings["Entra__Audience"]);
    }

    [Fact]
    public void Application_insights_on_log_analytics_receives_the_app_telemetry_by_identity()
    {
        var insights = Assert.Single(Arm.OfType("Microsoft.Insights/components"));
        Assert.Single(Arm.OfType("Microsoft.OperationalInsights/workspaces"));
        Assert.True(insights.Properties["DisableLocalAuth"]!.GetValue<bool>());

        var settings = AppSettings(Assert.Single(Arm.OfType("Microsoft.Web/sites")));
        Assert.True(settings.ContainsKey("APPLICATIONINSIGHTS_CONNECTION_STRING"));
        Assert.Contains("Authorization=AAD", settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"], StringComparison.Ordinal);
    }

    [Fact]
    public void Each_blob_triggered_function_has_an_event_grid_subscription_to_its_container()
    {
        var topic = Assert.Single(Arm.OfType("Microsoft.EventGrid/systemTopics"));
        Assert.Equal("Microsoft.Storage.StorageAccounts", topic.Properties["topicType"]!.GetValue<string>());
        Assert.Contains("Microsoft.Storage/storageAccounts", topic.Properties["source"]!.GetValue<string>(), StringComparison.Ordinal);

        var subscription = Assert.Single(Arm.OfType("Microsoft.EventGrid/systemTopics/eventSubscriptions"));
        Assert.Equal("[length(parameters('blobFunctions'))]", subscription.CopyCount);
        var functions = subscription.Parameter("blobFunctions")!.AsArray()
            .ToDictionary(f => f!["name"]!.GetValue<string>(), f => f!["container"]!.GetValue<string>());
        Assert.Equal(BlobFunctions.OrderBy(p => p.Key), functions.OrderBy(p => p.Key));

        var destination = subscription.Properties["destination"]!;
        Assert.Equal("WebHook", destination["endpointType"]!.GetValue<string>());
        var url = destination["properties"]!["endpointUrl"]!.GetValue<string>();
        Assert.Contains("/runtime/webhooks/blobs?functionName=Host.Functions.{1}&code={2}", url, StringComparison.Ordinal);
        Assert.Contains("parameters('blobFunctions')[copyIndex()].name", url, StringComparison.Ordinal);
        Assert.Contains("systemKeys.blobs_extension", url, StringComparison.Ordinal);

        var filter = subscription.Properties["filter"]!;
        Assert.Equal(["Microsoft.Storage.BlobCreated"], filter["includedEventTypes"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.Equal(
            "[format('/blobServices/default/containers/{0}/', parameters('blobFunctions')[copyIndex()].container)]",
            filter["subjectBeginsWith"]!.GetValue<string>());
        Assert.NotNull(subscription.Properties["deadLetterWithResourceIdentity"]);

        // Created once the app is deployed (its blobs_extension key exists only then).
        Assert.Equal("[parameters('blobTriggerSubscriptions')]", subscription.Deployment!.Node["condition"]!.GetValue<string>());
    }

    [Fact]
    public void Web_console_is_a_standard_static_web_app_with_the_function_app_as_its_api_backend()
    {
        var site = Assert.Single(Arm.OfType("Microsoft.Web/staticSites"));
        var backend = Assert.Single(Arm.OfType("Microsoft.Web/staticSites/linkedBackends"));

        // Linked backends need the Standard plan; azd deploys the service `web` (azure.yaml) to the tagged site.
        Assert.Equal("Standard", site.Node["sku"]!["name"]!.GetValue<string>());
        Assert.Contains("createObject('azd-service-name', 'web')", site.Node["tags"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("[parameters('functionAppId')]", backend.Properties["backendResourceId"]!.GetValue<string>());
        Assert.Contains("outputs.id.value", backend.Parameter("functionAppId")!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("AZURE_CONSOLE_URL", Arm.Root["outputs"]!.AsObject().Select(o => o.Key));
    }

    [Fact]
    public void Outputs_give_the_hooks_what_they_read_and_no_secret()
    {
        var outputs = Arm.Root["outputs"]!.AsObject();
        foreach (var name in new[] { "AZURE_RESOURCE_GROUP", "AZURE_FUNCTION_APP_NAME", "AZURE_KEY_VAULT_NAME", "AZURE_STORAGE_ACCOUNT_NAME", "AZURE_EVENTGRID_SYSTEM_TOPIC_NAME", "AZURE_BLOB_EVENTS_DEADLETTER_CONTAINER", "SCHOOL_KEY_CODES" })
        {
            Assert.True(outputs.ContainsKey(name), $"No output {name}.");
        }

        Assert.DoesNotContain(outputs, o => o.Value!.ToJsonString().Contains("listKeys", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>A copy loop of <c>type</c> over the module parameter <c>parameter</c>, whose value holds every expected name.</summary>
    [Fact]
    public void Every_table_the_app_names_is_in_the_list()
    {
        // The app names its tables as <prefix> + "name" (the prefix isolates tests; none in Azure): a table added in
        // code and forgotten here would be created at run time only, outside what infra/ says the account holds.
        var source = Path.GetFullPath(Path.Combine(Bicep.InfraDirectory, "..", "src", "Collection.Functions"));
        var named = Directory.EnumerateFiles(source, "*.cs", SearchOption.AllDirectories)
            .SelectMany(f => System.Text.RegularExpressions.Regex.Matches(File.ReadAllText(f), @"Prefix \+ ""([a-z]+)""").Select(m => m.Groups[1].Value))
            .ToHashSet(StringComparer.Ordinal);

        Assert.NotEmpty(named);
        Assert.Empty(named.Except(AppTables, StringComparer.Ordinal));
    }

    private static void AssertLoopCreates(string type, string parameter, string[] expected)
    {
        var loop = Assert.Single(Arm.OfType(type), r => r.CopyCount is not null);
        Assert.Equal($"[length(parameters('{parameter}'))]", loop.CopyCount);
        Assert.Contains($"parameters('{parameter}')[copyIndex()]", loop.Node["name"]!.GetValue<string>(), StringComparison.Ordinal);
        var names = loop.Parameter(parameter)!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        Assert.Equal(expected.Order(StringComparer.Ordinal), names.Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// The site's app settings by name: <c>siteConfig.appSettings</c> is <c>[concat(variables('a'), …)]</c>
    /// over variables that are JSON arrays of {name, value} (or a copy loop of one such object).
    /// </summary>
    private static Dictionary<string, string> AppSettings(ArmResource app)
    {
        var expression = app.Properties["siteConfig"]!["appSettings"]!.GetValue<string>();
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var variable in ArmTemplate.VariableReferences(expression))
        {
            var value = app.Variable(variable) ?? throw new InvalidOperationException($"No variable {variable}.");
            var entries = value is JsonArray array ? array.Select(e => e!) : [value["input"]!];
            foreach (var entry in entries)
            {
                settings.Add(entry["name"]!.GetValue<string>(), entry["value"]!.GetValue<string>());
            }
        }

        return settings;
    }
}
