#!/bin/sh
# azd postprovision: create each API key the app settings refer to (keys-<role>, keys-school-<code>)
# in Key Vault if it is missing, with a random value. Existing keys are never overwritten or printed:
# hand them out with `az keyvault secret show`. Runs before the code is deployed, so the app never
# starts with a Key Vault reference that points at nothing.
set -eu
: "${AZURE_KEY_VAULT_NAME:?run through azd (azd provision / azd up)}"

names="keys-admin keys-staff keys-approver keys-tax keys-community"
for code in $(echo "${SCHOOL_KEY_CODES:-}" | tr ',' ' '); do
  names="$names keys-school-$code"
done

for name in $names; do
  # The deployer's Key Vault Secrets Officer role can take a few minutes to reach the vault.
  attempt=0
  until az keyvault secret list --vault-name "$AZURE_KEY_VAULT_NAME" --query "[].name" -o tsv >/dev/null 2>&1; do
    attempt=$((attempt + 1))
    [ "$attempt" -lt 20 ] || { echo "No access to Key Vault $AZURE_KEY_VAULT_NAME (Key Vault Secrets Officer?)" >&2; exit 1; }
    sleep 15
  done
  if az keyvault secret show --vault-name "$AZURE_KEY_VAULT_NAME" --name "$name" --query id -o tsv >/dev/null 2>&1; then
    echo "$name: kept"
  else
    # 32 random bytes, URL-safe base64: goes in an x-functions-key header as is.
    value=$(openssl rand -base64 32 | tr '+/' '-_' | tr -d '=\n')
    az keyvault secret set --vault-name "$AZURE_KEY_VAULT_NAME" --name "$name" --value "$value" -o none
    echo "$name: created"
  fi
done
