// One Event Grid subscription per blob-triggered function: BlobCreated in the function's container,
// delivered to the blobs extension's webhook on the app. The webhook is authorised by the host's
// blobs_extension system key, read here with listKeys at deployment time. The host creates that key
// when it first starts with the blob extension, i.e. after the code is deployed, and Event Grid
// validates the webhook when the subscription is created, which only the deployed app can answer.
// So this module runs after `azd deploy` (scripts/postdeploy.sh), and from main.bicep once
// BLOB_TRIGGER_SUBSCRIPTIONS=true.

param functionAppName string
param systemTopicName string
param storageAccountName string
param deadLetterContainerName string

@description('Blob-triggered functions (names as in functions.metadata) and the container each watches.')
param blobFunctions array = [
  {
    name: 'SchoolRosters'
    container: 'school-rosters'
  }
  {
    name: 'UniversityRosters'
    container: 'university-rosters'
  }
  {
    name: 'TaxReturns'
    container: 'tax-returns'
  }
  {
    name: 'SubsidyLists'
    container: 'subsidy-lists'
  }
  {
    name: 'LastYearRolls'
    container: 'last-year-rolls'
  }
]

resource app 'Microsoft.Web/sites@2024-11-01' existing = {
  name: functionAppName
}

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: storageAccountName
}

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' existing = {
  name: systemTopicName
}

// A system key of the Functions host; it goes into the webhook URL Event Grid calls, never into an output.
var blobsExtensionKey = listKeys('${app.id}/host/default', '2024-11-01').systemKeys.blobs_extension

resource subscriptions 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = [
  for function in blobFunctions: {
    parent: topic
    name: toLower(function.name)
    properties: {
      destination: {
        endpointType: 'WebHook'
        properties: {
          endpointUrl: 'https://${app.properties.defaultHostName}/runtime/webhooks/blobs?functionName=Host.Functions.${function.name}&code=${blobsExtensionKey}'
          // One blob per delivery: a roster takes a while, and a batch would retry every blob in it.
          maxEventsPerBatch: 1
        }
      }
      eventDeliverySchema: 'EventGridSchema'
      filter: {
        includedEventTypes: [
          'Microsoft.Storage.BlobCreated'
        ]
        // The trailing '/' keeps school-rosters from matching a container named school-rosters-x.
        subjectBeginsWith: '/blobServices/default/containers/${function.container}/'
      }
      // Nothing a person uploaded is silently dropped: a day of retries, then the event is kept.
      retryPolicy: {
        maxDeliveryAttempts: 30
        eventTimeToLiveInMinutes: 1440
      }
      deadLetterWithResourceIdentity: {
        identity: {
          type: 'SystemAssigned'
        }
        deadLetterDestination: {
          endpointType: 'StorageBlob'
          properties: {
            resourceId: storage.id
            blobContainerName: deadLetterContainerName
          }
        }
      }
    }
  }
]

output subscriptionNames array = [for (function, i) in blobFunctions: subscriptions[i].name]
