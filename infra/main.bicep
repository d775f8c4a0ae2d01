// Collection.Functions in Azure: `azd up` provisions this, deploys src/Collection.Functions to it, and
// its hooks create the API keys (postprovision) and the blob trigger subscriptions (postdeploy).
// Plain resources, not Azure Verified Modules: those come from a registry, and this has to compile
// offline (tests/Collection.Infra.Tests runs bicep build and lint on it).
targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; names the resource group and seeds the resource names.')
param environmentName string

@minLength(1)
@description('Region for every resource; must offer Flex Consumption (az functionapp list-flexconsumption-locations).')
param location string

@description('Object id of the deployer (azd sets AZURE_PRINCIPAL_ID): may write the API keys to Key Vault.')
param principalId string = ''

@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
param principalType string = 'User'

@description('Comma-separated school codes that get a key of their own (Keys:school:<code>), e.g. SCH001,UNI001.')
param schoolCodes string = ''

@description('Entra ID tenant whose access tokens the API accepts beside function keys (app roles admin, staff, approver, tax, community, school.<code>). Empty: keys only.')
param entraTenantId string = ''

@description('The API app registration\'s application ID URI or client ID (the tokens\' audience). Needed with entraTenantId.')
param entraAudience string = ''

@description('Create the Event Grid subscriptions of the blob triggers. Needs the deployed app (its blobs_extension key); scripts/postdeploy.sh sets it after the first deploy.')
param blobTriggerSubscriptions bool = false

@description('Key Vault purge protection (production: true). While on, the vault name stays reserved 90 days after azd down.')
param keyVaultPurgeProtection bool = true

@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@allowed([
  'eastasia'
  'eastus2'
  'centralus'
  'westus2'
  'westeurope'
])
@description('Region of the web console (Static Web Apps are offered in these regions only); it calls the function app in its own region.')
param staticWebAppLocation string = 'eastasia'

var tags = {
  'azd-env-name': environmentName
}
var token = toLower(uniqueString(subscription().id, environmentName, location))
var functionAppName = 'func-${token}'
var storageAccountName = 'st${token}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(token, 7)}'
var deadLetterContainerName = 'blob-events-deadletter'
var systemTopicName = 'evgt-${token}'
var keyVaultName = 'kv-${token}'
var applicationInsightsName = 'appi-${token}'
var staticWebAppName = 'stapp-${token}'
var schools = filter(map(split(schoolCodes, ','), code => trim(code)), code => !empty(code))

resource rg 'Microsoft.Resources/resourceGroups@2024-11-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: storageAccountName
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    deadLetterContainerName: deadLetterContainerName
    // Upload containers (one blob-triggered function each) and the containers results and reports go
    // to: the constants in src/Collection.Functions (RosterBlobs, TaxReturnsFunction,
    // SubsidyListsFunction, LastYearRollsFunction, MobilisationLists). The app creates them if missing; here they exist
    // before the first upload, and Event Grid subscriptions filter on them.
    containers: [
      'school-rosters'
      'university-rosters'
      'roster-results'
      'tax-returns'
      'tax-returns-results'
      'subsidy-lists'
      'subsidy-lists-results'
      'last-year-rolls'
      'last-year-rolls-results'
      'reports'
    ]
    // The book of record (LedgerTables, SubsidyTables, RefundTables, SettlementTables; no prefix in
    // Azure). Not RuntimeBlobReceipts/RuntimeTimerRuns: those are the local host's; in Azure the
    // blobs extension and the timer keep their state in azure-webjobs-hosts. Durable's task hub
    // tables, queues and lease containers are created at run time by the extension.
    tables: [
      'enrolments'
      'ledgertransactions'
      'employeeinsurance'
      'subsidyidentities'
      'subsidysettlements'
      'refundclaims'
      'lastyearroll'
      'ledgerremittances'
      'personfacts'
      'subsidytransfers'
      'reporttargets'
      'jobruns'
    ]
    // The app declares no queue of its own. The blobs extension moves a blob that failed
    // maxDequeueCount times (host.json) here; created up front so it can be watched from day one.
    queues: [
      'webjobs-blobtrigger-poison'
    ]
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${token}'
    applicationInsightsName: applicationInsightsName
    location: location
    tags: tags
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: keyVaultName
    location: location
    tags: tags
    purgeProtection: keyVaultPurgeProtection
  }
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  // Names are passed as known values (what-if can then predict the role assignments), so the order
  // is explicit.
  dependsOn: [
    storage
    keyVault
    monitoring
  ]
  params: {
    name: 'id-${functionAppName}'
    location: location
    tags: tags
    storageAccountName: storageAccountName
    keyVaultName: keyVaultName
    applicationInsightsName: applicationInsightsName
    deployerPrincipalId: principalId
    deployerPrincipalType: principalType
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  scope: rg
  params: {
    name: functionAppName
    planName: 'plan-${token}'
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    storageBlobEndpoint: storage.outputs.blobEndpoint
    storageQueueEndpoint: storage.outputs.queueEndpoint
    storageTableEndpoint: storage.outputs.tableEndpoint
    deploymentContainerName: deploymentContainerName
    applicationInsightsConnectionString: monitoring.outputs.connectionString
    keyVaultUri: keyVault.outputs.uri
    schoolCodes: schools
    entraTenantId: entraTenantId
    entraAudience: entraAudience
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
  }
}

module blobEvents 'modules/blob-events.bicep' = {
  name: 'blob-events'
  scope: rg
  dependsOn: [
    storage
  ]
  params: {
    name: systemTopicName
    location: location
    tags: tags
    storageAccountName: storageAccountName
  }
}

module blobSubscriptions 'modules/blob-subscriptions.bicep' = if (blobTriggerSubscriptions) {
  name: 'blob-subscriptions'
  scope: rg
  dependsOn: [
    functionApp
    blobEvents
  ]
  // The blob-triggered functions and their containers: the module's blobFunctions default, which
  // scripts/postdeploy.sh deploys too.
  params: {
    functionAppName: functionAppName
    systemTopicName: systemTopicName
    storageAccountName: storageAccountName
    deadLetterContainerName: deadLetterContainerName
  }
}

// azd stores these in the environment; the hooks read them.
// The web console, with the function app as the backend of its /api/* (README: "The web console").
module console 'modules/staticwebapp.bicep' = {
  name: 'console'
  scope: rg
  params: {
    name: staticWebAppName
    location: staticWebAppLocation
    tags: tags
    functionAppId: functionApp.outputs.id
    functionAppLocation: location
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_URL string = 'https://${functionApp.outputs.defaultHostName}'
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_KEY_VAULT_NAME string = keyVault.outputs.name
output AZURE_EVENTGRID_SYSTEM_TOPIC_NAME string = blobEvents.outputs.name
output AZURE_BLOB_EVENTS_DEADLETTER_CONTAINER string = deadLetterContainerName
output SCHOOL_KEY_CODES string = join(schools, ',')
output AZURE_STATIC_WEB_APP_NAME string = console.outputs.name
output AZURE_CONSOLE_URL string = 'https://${console.outputs.defaultHostName}'
