#!/usr/bin/env bash
# Runs every test. Installs what is missing (Azurite from package-lock.json); integration tests
# start their own in-memory Azurite on free ports and stop it.
# Arguments go to `dotnet test` (e.g. ./test.sh --filter FullyQualifiedName~Remittance): a run with arguments is a
# targeted run of the .NET tests only and skips the browser tests; without arguments everything runs.
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

# Browser tests of the web console: Playwright in Debian's Chromium (Playwright's own browser download cannot
# work here) against a real local host and Azurite that web/e2e/global-setup.js starts on free ports.
# A Chinese font too, or the screenshots show boxes for every character. Skipped when arguments were given.
web_status=0
if [ "$#" -ne 0 ]; then
  echo "Browser tests (web/e2e) skipped: arguments were given to dotnet test."
else
  browser_packages=""
  [ -x /usr/bin/chromium ] || browser_packages="chromium"
  fc-list :lang=zh 2>/dev/null | grep -q . || browser_packages="$browser_packages fonts-wqy-microhei"
  if [ -n "$browser_packages" ]; then
    echo "Installing$browser_packages (apt-get install -y)..."
    sudo_=""; [ "$(id -u)" -eq 0 ] || sudo_="sudo"
    # shellcheck disable=SC2086
    $sudo_ apt-get install -y $browser_packages >/dev/null || { $sudo_ apt-get update >/dev/null && $sudo_ apt-get install -y $browser_packages >/dev/null; }
  fi
  if [ ! -d web/node_modules ]; then
    echo "Installing the web console's packages (npm ci in web/)..."
    (cd web && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  fi
  (cd web && npm run build --silent -- --logLevel error && rm -f test-results/results.json && COLLECTION_CONFIGURATION=Release npx playwright test) || web_status=$?
  [ "$status" -ne 0 ] || status=$web_status
fi

# One closing line over every test project and the browser tests: 'N passed, N failed, N skipped'.
passed=0; failed=0; skipped=0
# A test project that left no results did not run to the end (its build or test host stopped): say so.
projects=$(ls tests/*.Tests/*.Tests.csproj | wc -l); reported=$(ls "$results"/*.trx 2>/dev/null | wc -l)
if [ "$#" -eq 0 ] && [ "$reported" -lt "$projects" ]; then
  echo "Only $reported of $projects test projects reported results."
  failed=$((failed + projects - reported)); [ "$status" -ne 0 ] || status=1
fi
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
  t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters"); e=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${t:-0} - ${e:-0}))
done
rm -rf "$results"
if [ "$#" -eq 0 ] && [ -f web/test-results/results.json ]; then
  read -r p f e <<<"$(node -e 'const s=require("./web/test-results/results.json").stats;console.log(s.expected+s.flaky,s.unexpected,s.skipped)')"
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + e))
  echo "Browser tests (web/e2e): $p passed, $f failed, $e skipped"
elif [ "$web_status" -ne 0 ]; then
  failed=$((failed + 1)); echo "Browser tests (web/e2e) did not run to the end"
fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
