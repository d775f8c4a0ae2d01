#!/usr/bin/env bash
# Runs every test. Installs what is missing (Azurite from package-lock.json); integration tests
# start their own in-memory Azurite on free ports and stop it.
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -x node_modules/.bin/azurite ]; then
  echo "Installing Azurite (npm ci)..."
  npm ci --no-audit --no-fund --loglevel=error
fi

results=$(mktemp -d)
status=0
dotnet test Collection.Functions.sln -c Release --nologo \
  --logger "trx;LogFilePrefix=results" --logger "console;verbosity=minimal" --results-directory "$results" "$@" || status=$?

# One closing line over every test project: 'N passed, N failed'.
passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters"); e=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${t:-0} - ${e:-0}))
done
rm -rf "$results"
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
