#!/usr/bin/env bash
# One command from a fresh clone to a running host: installs Azurite (pinned in package-lock.json),
# creates local.settings.json, starts Azurite unless storage is elsewhere, builds and starts the host.
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -x node_modules/.bin/azurite ]; then
  echo "Installing Azurite (npm ci)..."
  npm ci --no-audit --no-fund --loglevel=error
fi
if [ ! -d web/node_modules ]; then
  echo "Installing the web console's packages (npm ci in web/)..."
  (cd web && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi
echo "Building the web console (web/dist)..."
(cd web && npm run build --silent -- --logLevel error)
if [ ! -f local.settings.json ]; then
  cp local.settings.sample.json local.settings.json
  echo "Created local.settings.json from local.settings.sample.json"
fi

setting() { # value of a "Values" entry: environment first, then local.settings.json
  local name=$1
  if [ -n "${!name:-}" ]; then printf '%s' "${!name}"; return; fi
  node -e 'const s=require("./local.settings.json");process.stdout.write(((s.Values||{})[process.argv[1]])||"")' "$name"
}
key() { node -e 'const s=require("./local.settings.json");process.stdout.write(((s.Values||{})["Keys:"+process.argv[1]])||"")' "$1"; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

storage=$(setting AzureWebJobsStorage)
azurite_pid=""
stop() { # TERM, then KILL after 10 s: Azurite closes its services on TERM but its node process may linger
  local pid=$1
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  trap - INT TERM EXIT
  if [ -n "${step_pid:-}" ]; then stop "$step_pid"; fi
  if [ -n "${host_pid:-}" ]; then stop "$host_pid"; echo "Host stopped."; fi
  if [ -n "$azurite_pid" ]; then stop "$azurite_pid"; echo "Azurite stopped (data kept in .azurite/)."; fi
}
# An interrupt ends the script wherever it comes: bash runs a trap only once a foreground command returns,
# and after a build that finished normally it would then go on to start the host. So long steps run in the
# background and are waited for (a wait returns at once on a trapped signal), and the handler exits.
trap cleanup EXIT
trap 'cleanup; exit 130' INT TERM
step() { "$@" & step_pid=$!; wait "$step_pid"; step_pid=""; }

if [ "$storage" = "UseDevelopmentStorage=true" ] || [ -z "$storage" ]; then
  if listening 10000 && listening 10001 && listening 10002; then
    echo "Using the Azurite already listening on 10000-10002."
  else
    mkdir -p .azurite
    node_modules/.bin/azurite --location .azurite --debug .azurite/debug.log --skipApiVersionCheck --loose \
      --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 > .azurite/azurite.log 2>&1 &
    azurite_pid=$!
    for _ in $(seq 1 60); do listening 10000 && listening 10001 && listening 10002 && break; sleep 0.5; done
    listening 10002 || { echo "Azurite did not start; see .azurite/azurite.log"; exit 1; }
    echo "Azurite started (data kept in .azurite/)."
  fi
else
  echo "Using the storage account in AzureWebJobsStorage."
fi

# Timer schedules (China time locally); a local.settings.json from before they were settings lacks them.
schedule=$(setting ActivateCoverageSchedule); export ActivateCoverageSchedule="${schedule:-0 5 0 * * *}"
schedule=$(setting SupplementaryEnrolmentSchedule); export SupplementaryEnrolmentSchedule="${schedule:-0 0 2 5 * *}"
schedule=$(setting MonthlyReportsSchedule); export MonthlyReportsSchedule="${schedule:-0 0 1 * * *}"

step dotnet build src/Collection.Functions -c Debug --nologo -v quiet -clp:ErrorsOnly
step dotnet build src/Collection.LocalHost -c Debug --nologo -v quiet -clp:ErrorsOnly
port="${PORT:-7071}"
url="http://localhost:$port"
cat <<INFO

Collection.Functions
  Web console      $url/              (sign in by pasting one of the development keys below)
  API base URL     $url/api           (health: $url/api/health)
  Function list    $url/admin/functions   (the local host's admin API, as Core Tools')
  Upload to        containers school-rosters, university-rosters, tax-returns, subsidy-lists
                   (Azurite blob endpoint http://127.0.0.1:10000/devstoreaccount1)
  Development keys admin=$(key admin) staff=$(key staff) approver=$(key approver)
                   tax=$(key tax) community=$(key community) school SCH001=$(key school:SCH001)
  Ctrl-C stops the host and Azurite.

INFO
# The local host plays Core Tools' part: it starts the app's worker from its build output (host.json,
# functions.metadata) with the Values of local.settings.json as app settings, and serves the console at /.
dotnet src/Collection.LocalHost/bin/Debug/net10.0/Collection.LocalHost.dll \
  --script-root src/Collection.Functions/bin/Debug/net10.0 --settings local.settings.json --port "$port" --console web/dist &
host_pid=$!
wait "$host_pid"
