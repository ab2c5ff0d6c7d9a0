#!/usr/bin/env bash
# The dashboard test in headless Chromium. Usage: run.sh PATH/corio-serve
# Exits 77 (ctest: skipped) with a message when Chromium or Node is missing; ./scripts/deps.sh
# installs both.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
server="$1"
if [ ! -x /usr/bin/chromium ]; then
  echo "SKIP: /usr/bin/chromium is not installed (apt-get install chromium, or ./scripts/deps.sh)"
  exit 77
fi
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "SKIP: node and npm are needed (apt-get install nodejs npm, or ./scripts/deps.sh)"
  exit 77
fi
cd "$here"
# playwright-core, pinned by package-lock.json; reinstalled only when the lock file changed.
if [ ! -d node_modules/playwright-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
exec node dashboard.test.mjs "$server"
