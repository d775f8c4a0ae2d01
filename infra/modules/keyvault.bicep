// The vault for the API keys (Keys:<role>, Keys:school:<code>). Access by Azure RBAC only: the app's
// identity reads secrets (Key Vault Secrets User), the deployer writes them (Secrets Officer).
// The secrets themselves are not in the template: their values would pass through deployment
// history; scripts/postprovision.sh creates each missing one with a random value.

param name string
param location string
param tags object

@description('Purge protection keeps deleted secrets recoverable for 90 days; it also reserves the vault name for that long after azd down.')
param purgeProtection bool

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    // ARM accepts only true or absent here (it cannot be turned off once on).
    enablePurgeProtection: purgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
  }
}

output name string = vault.name
output uri string = vault.properties.vaultUri
