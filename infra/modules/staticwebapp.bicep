// The web console (web/dist, deployed by azd as service `web`) as an Azure Static Web App whose /api/* is the
// function app, linked as its backend: one origin for the console and the API, no CORS. Linked backends need
// the Standard plan. The console signs in with the person's function key, sent as x-functions-key, which the
// app checks itself (Hosting/FunctionAccess.cs), as it does when called directly.

@description('Static Web App name.')
param name string

@description('Region of the Static Web App (the service is offered in a few regions only).')
param location string

param tags object

@description('Resource id of the function app linked as the backend of /api/*.')
param functionAppId string

@description('Region of the function app.')
param functionAppLocation string

resource site 'Microsoft.Web/staticSites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': 'web' })
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    allowConfigFileUpdates: true
    stagingEnvironmentPolicy: 'Disabled'
    buildProperties: {
      skipGithubActionWorkflowGeneration: true
    }
  }
}

resource backend 'Microsoft.Web/staticSites/linkedBackends@2024-04-01' = {
  parent: site
  name: 'api'
  properties: {
    backendResourceId: functionAppId
    region: functionAppLocation
  }
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostname
