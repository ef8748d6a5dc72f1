#!/usr/bin/env bash
# Installs everything the tests need — npm packages, Debian's chromium and CJK fonts for
# the browser tests — idempotently, then runs every test. README's test command and .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

# npm packages: a clean install from the lock file when node_modules is missing or stale.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

# Debian chromium + fonts-noto-cjk (never a downloaded browser), and certutil (libnss3-tools),
# with which the browser tests make chromium trust the server's generated CA.
need=()
# CHROMIUM_PATH names another chromium to use (scripts/chromium.ts): then none is installed.
[ -n "${CHROMIUM_PATH:-}" ] || command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v certutil >/dev/null 2>&1 || need+=(libnss3-tools)
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
# Everything on the default (fast) crypto backends, then the crypto and reliability suites again
# on the reference, @noble/curves alone (crypto/backend.ts): no regression with either backend.
status=0
npx vitest run --reporter=default --reporter=json --outputFile=test-artifacts/vitest.json || status=$?
PIAOJUE_CRYPTO=reference npx vitest run tests/crypto tests/reliability --reporter=default --reporter=json --outputFile=test-artifacts/vitest-reference.json || status=$?
# One plain closing line with the counts of both runs.
node -e "
const fs = require('fs');
const runs = ['vitest.json', 'vitest-reference.json'].map((f) => JSON.parse(fs.readFileSync('test-artifacts/' + f, 'utf8')));
const sum = (k) => runs.reduce((n, r) => n + r[k], 0);
console.log(sum('numPassedTests') + ' passed, ' + sum('numFailedTests') + ' failed' + (sum('numPendingTests') ? ', ' + sum('numPendingTests') + ' skipped' : '') +
  ' (' + runs[0].numPassedTests + ' on the fast backends, ' + runs[1].numPassedTests + ' crypto and reliability tests again on the reference)');
"
exit $status
