#!/bin/sh
# azd postdeploy: subscribe the blob-triggered functions to the storage account's Event Grid system
# topic. Not part of provisioning on the first `azd up`: the webhook needs the host's blobs_extension
# key, which exists only once the deployed app has started, and Event Grid checks the webhook when
# the subscription is created. infra/modules/blob-subscriptions.bicep reads the key itself (listKeys),
# so it never passes through this script. Later provisions include the module (BLOB_TRIGGER_SUBSCRIPTIONS).
set -eu
: "${AZURE_RESOURCE_GROUP:?run through azd (azd deploy / azd up)}"
cd "$(dirname "$0")/.."

# The host writes its system keys at first start; wait for blobs_extension (a few minutes at most).
attempt=0
until [ -n "$(az functionapp keys list -g "$AZURE_RESOURCE_GROUP" -n "$AZURE_FUNCTION_APP_NAME" --query systemKeys.blobs_extension -o tsv 2>/dev/null)" ]; do
  attempt=$((attempt + 1))
  [ "$attempt" -lt 40 ] || { echo "The app has no blobs_extension key yet: is it running (https://$AZURE_FUNCTION_APP_NAME...)?" >&2; exit 1; }
  # A request starts the app if it is scaled to zero.
  curl -s -o /dev/null "${AZURE_FUNCTION_APP_URL:-}/" || true
  sleep 15
done

az deployment group create -g "$AZURE_RESOURCE_GROUP" -n blob-subscriptions \
  -f modules/blob-subscriptions.bicep \
  -p functionAppName="$AZURE_FUNCTION_APP_NAME" systemTopicName="$AZURE_EVENTGRID_SYSTEM_TOPIC_NAME" \
     storageAccountName="$AZURE_STORAGE_ACCOUNT_NAME" deadLetterContainerName="$AZURE_BLOB_EVENTS_DEADLETTER_CONTAINER" \
  -o none
azd env set BLOB_TRIGGER_SUBSCRIPTIONS true
echo "Blob trigger subscriptions: SchoolRosters, UniversityRosters, TaxReturns, SubsidyLists, LastYearRolls"
