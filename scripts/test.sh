#!/usr/bin/env bash
# Installs everything the tests need — npm packages, Debian's chromium and CJK fonts for
# the browser tests — idempotently, then runs every test. README's test command and .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

# npm packages: a clean install from the lock file when node_modules is missing or stale.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

# Debian chromium + fonts-noto-cjk (never a downloaded browser).
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# Every test: the type check, then vitest (crypto, server, reliability and browser suites).
npx tsc --noEmit -p .
mkdir -p test-artifacts
npx vitest run --reporter=default --reporter=json --outputFile=test-artifacts/vitest.json
# One plain closing line with the counts.
node -e "const r = JSON.parse(require('fs').readFileSync('test-artifacts/vitest.json', 'utf8')); console.log(r.numPassedTests + ' passed, ' + r.numFailedTests + ' failed' + (r.numPendingTests ? ', ' + r.numPendingTests + ' skipped' : ''))"
