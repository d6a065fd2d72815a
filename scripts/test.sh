#!/usr/bin/env bash
# The whole test suite: builds the asan+ubsan preset (warnings are errors), starts
# throwaway PostgreSQL and Redis on loopback for the cluster tests, runs ctest, and
# stops the services again. Usage: scripts/test.sh [preset]   (default: asan)
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-asan}"
jobs="$(nproc)"

if [ -x scripts/test-services.sh ] && [ -z "${FASTCHAT_TEST_POSTGRES_URL:-}" ]; then
  eval "$(scripts/test-services.sh start)"
  trap 'scripts/test-services.sh stop >/dev/null 2>&1 || true' EXIT
fi

cmake --preset "$preset"
cmake --build --preset "$preset" -j "$jobs"
ctest --preset "$preset" -j "$jobs"
