#!/usr/bin/env bash
# The whole test suite: builds the asan+ubsan preset (warnings are errors), starts
# throwaway PostgreSQL and Redis on loopback for the cluster tests, runs ctest, then
# the server, bus and client tests under ThreadSanitizer
# (scripts/test-tsan.sh, docs/testing.md), and stops the services again.
# Usage: scripts/test.sh [preset]   (default: asan; other presets run no TSan pass)
# FASTCHAT_TSAN=0 leaves the TSan pass out (docs/testing.md).
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-asan}"
jobs="$(nproc)"

if [ -x scripts/test-services.sh ] && [ -z "${FASTCHAT_TEST_POSTGRES_URL:-}" ]; then
  # Services of this run only, on free ports: parallel runs (other checkouts, the
  # shared services of scripts/test-services.sh's defaults) never stop each other's.
  FASTCHAT_SERVICES_DIR="$(mktemp -d "${TMPDIR:-/tmp}/fastchat-services-XXXXXX")"
  export FASTCHAT_SERVICES_DIR FASTCHAT_PG_PORT=auto FASTCHAT_REDIS_PORT=auto
  trap 'scripts/test-services.sh stop >/dev/null 2>&1 || true; rm -rf "$FASTCHAT_SERVICES_DIR"' EXIT
  eval "$(scripts/test-services.sh start)"
fi

scripts/check-source.sh
cmake --preset "$preset"
if ! cmake --build --preset "$preset" -j "$jobs"; then
  # A compile once failed on a CI machine with no output at all (a killed compiler?).
  # Say what the machine had, then build the rest one job at a time: a real error
  # fails again, with its message; a passing hiccup does not fail the run.
  echo "build failed; disk, memory and the kernel's last words:" >&2
  df -h . "${TMPDIR:-/tmp}" >&2 || true
  free -m >&2 || true
  dmesg 2>/dev/null | tail -n 20 >&2 || true
  cmake --build --preset "$preset" -j 1
fi
# A test that needs PostgreSQL or Redis fails rather than skips here (tests/support/service_missing.h).
export FASTCHAT_REQUIRE_SERVICES=1
ctest --preset "$preset" -j "$jobs"
if [ "$preset" = asan ] && [ "${FASTCHAT_TSAN:-1}" = 1 ]; then
  scripts/test-tsan.sh
fi
