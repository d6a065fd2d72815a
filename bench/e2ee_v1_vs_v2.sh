#!/usr/bin/env bash
# E2EE v1 beside v2, back to back on the same machine (docs/performance.md, "E2EE v1
# and v2"): each scenario runs once with --e2ee v1 and right after once with --e2ee v2,
# each against a fresh server, reports under OUT/v1/<scenario>/ and OUT/v2/<scenario>/.
#   BUILD=build/release OUT=bench-e2ee bench/e2ee_v1_vs_v2.sh [scenario...]
# Scenarios as bench/run_all.sh names them; default: dm5k dm group10 group offline.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-bench-e2ee}
SCENARIOS=("$@")
[ ${#SCENARIOS[@]} -eq 0 ] && SCENARIOS=(dm5k dm group10 group offline)
for scenario in "${SCENARIOS[@]}"; do
  FASTCHAT_BENCH_E2EE=v1 OUT="$OUT/v1" bench/run_all.sh "$scenario"
  FASTCHAT_BENCH_E2EE=v2 OUT="$OUT/v2" bench/run_all.sh "$scenario"
done
