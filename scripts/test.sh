#!/usr/bin/env bash
# `npm test`: every suite. Unit and integration tests run on PGlite always and also on
# PostgreSQL when TEST_DATABASE_URL is set (see README). Browser tests run when Chromium
# is installed and say clearly that they were skipped when it is not.
set -euo pipefail
export NEXT_TELEMETRY_DISABLED=1

if [ -n "${TEST_DATABASE_URL:-}" ]; then
  echo "Engines: PGlite and PostgreSQL (${TEST_DATABASE_URL%%@*}@…)"
else
  echo "Engines: PGlite only (set TEST_DATABASE_URL to also run every suite on PostgreSQL)"
fi

npx vitest run "$@"

if [ -f vitest.e2e.config.ts ]; then
  if [ -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
    npx vitest run --config vitest.e2e.config.ts
  else
    echo "SKIPPED: browser (e2e) tests: Chromium not found at ${CHROMIUM_PATH:-/usr/bin/chromium} (apt-get install -y chromium)."
  fi
fi
