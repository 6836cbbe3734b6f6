#!/usr/bin/env bash
# The README's test command: installs what the tests need where it is missing (Debian's nats-server,
# prometheus, prometheus-pushgateway and chromium; npm packages), then lints, type-checks and tests,
# and ends with the list of tests that were skipped (and why, where their titles say).
# The Debian packages are installed for their programs only: their services are neither started nor
# left enabled, and an apt or dpkg run already going (unattended upgrades) is waited for.
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/apt-install.sh

need=()
command -v nats-server >/dev/null 2>&1 || need+=(nats-server)
command -v promtool >/dev/null 2>&1 || need+=(prometheus)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v prometheus-pushgateway >/dev/null 2>&1 || need+=(prometheus-pushgateway)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]} (apt-get; services not started or enabled)"
  install_without_services "${need[@]}"
fi

npm ci --no-audit --no-fund
npx eslint .
npx prettier --check .
npx tsc -p tsconfig.json
report=$(mktemp -t weft-vitest-XXXXXX.json)
trap 'rm -f "$report"' EXIT
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" || status=$?
echo
[ ! -s "$report" ] || npx tsx scripts/skipped-tests.ts "$report"
exit $status
