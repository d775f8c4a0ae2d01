// The function app on a Flex Consumption plan: .NET 10 isolated worker, package deployed to a blob
// container, storage and Key Vault reached with the user-assigned identity.

param name string
param planName string
param location string
param tags object
param identityId string
param identityClientId string
param storageAccountName string
param storageBlobEndpoint string
param storageQueueEndpoint string
param storageTableEndpoint string
param deploymentContainerName string
param applicationInsightsConnectionString string
param keyVaultUri string

@description('School codes that get their own key (Keys:school:<code>), e.g. [\'SCH001\', \'UNI001\'].')
param schoolCodes array

@description('Entra ID tenant whose tokens the app accepts beside keys; empty for keys only.')
param entraTenantId string

@description('The tokens\' audience (application ID URI or client ID of the API registration).')
param entraAudience string

@minValue(40)
@maxValue(1000)
param maximumInstanceCount int

@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int

// Key Vault secret names allow only letters, digits and '-'; Linux app setting names no ':'. So the
// secret keys-<role> becomes the setting Keys__<role>, which .NET configuration reads as Keys:<role>.
// Written out rather than generated, so the compiled template lists every setting plainly.
var roleKeySettings = [
  {
    name: 'Keys__admin'
    value: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/keys-admin)'
  }
  {
    name: 'Keys__staff'
    value: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/keys-staff)'
  }
  {
    name: 'Keys__approver'
    value: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/keys-approver)'
  }
  {
    name: 'Keys__tax'
    value: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/keys-tax)'
  }
  {
    name: 'Keys__community'
    value: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/keys-community)'
  }
]

// Keys:school:<code>, one per school code given at provision time.
var schoolKeySettings = [
  for code in schoolCodes: {
    name: 'Keys__school__${code}'
    value: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/keys-school-${code})'
  }
]

// Identity-based host storage (no connection string): the service URIs rather than accountName alone,
// so the same settings work in any Azure cloud (accountName implies the public endpoint suffix).
var storageSettings = [
  {
    name: 'AzureWebJobsStorage__accountName'
    value: storageAccountName
  }
  {
    name: 'AzureWebJobsStorage__blobServiceUri'
    value: storageBlobEndpoint
  }
  {
    name: 'AzureWebJobsStorage__queueServiceUri'
    value: storageQueueEndpoint
  }
  {
    name: 'AzureWebJobsStorage__tableServiceUri'
    value: storageTableEndpoint
  }
  {
    name: 'AzureWebJobsStorage__credential'
    value: 'managedidentity'
  }
  {
    name: 'AzureWebJobsStorage__clientId'
    value: identityClientId
  }
]

var telemetrySettings = [
  {
    name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
    value: applicationInsightsConnectionString
  }
  {
    name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
    value: 'ClientId=${identityClientId};Authorization=AAD'
  }
]

// Entra ID access tokens (v2.0) checked by the app itself, as keys are, so the same code runs locally.
// An empty authority means keys only.
var entraSettings = [
  {
    name: 'Entra__Authority'
    value: empty(entraTenantId) ? '' : '${environment().authentication.loginEndpoint}${entraTenantId}/v2.0'
  }
  {
    name: 'Entra__Audience'
    value: entraAudience
  }
]

// The timers' schedules in UTC: 00:05, 02:00 on the 5th and 01:00 daily in China (UTC+8, no daylight saving).
var timerSettings = [
  {
    name: 'ActivateCoverageSchedule'
    value: '0 5 16 * * *'
  }
  {
    name: 'SupplementaryEnrolmentSchedule'
    value: '0 0 18 4 * *'
  }
  {
    name: 'MonthlyReportsSchedule'
    value: '0 0 17 * * *'
  }
]

// No WEBSITE_TIME_ZONE: Linux Flex Consumption does not apply it to timer schedules (they run in UTC),
// and the app computes China dates with a fixed UTC+8 itself. See infra/README.md, "China time".
// No FUNCTIONS_WORKER_RUNTIME / FUNCTIONS_EXTENSION_VERSION: Flex Consumption takes the runtime from
// functionAppConfig.runtime and rejects those settings.

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    tier: 'FlexConsumption'
    name: 'FC1'
  }
  properties: {
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2024-11-01' = {
  name: name
  location: location
  // azd finds the service to deploy `api` to by this tag.
  tags: union(tags, { 'azd-service-name': 'api' })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references resolve with the user-assigned identity (default would be system-assigned).
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: concat(storageSettings, telemetrySettings, timerSettings, roleKeySettings, schoolKeySettings, entraSettings)
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }
}

output name string = app.name
output id string = app.id
output defaultHostName string = app.properties.defaultHostName
