#!/usr/bin/env bash
# TLS beside plaintext, back to back on the same machine (docs/performance.md, "TLS"):
# each scenario runs once over TLS and right after once over plaintext (server and
# bench --insecure-plaintext), each against a fresh server, reports under
# OUT/tls/<scenario>/ and OUT/plaintext/<scenario>/.
#   BUILD=build/release OUT=bench-tls bench/tls_vs_plaintext.sh [scenario...]
# Scenarios as bench/run_all.sh names them; default: dm dm5k login idle2000.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-bench-tls}
SCENARIOS=("$@")
[ ${#SCENARIOS[@]} -eq 0 ] && SCENARIOS=(dm dm5k login idle2000)
for scenario in "${SCENARIOS[@]}"; do
  OUT="$OUT/tls" bench/run_all.sh "$scenario"
  FASTCHAT_BENCH_PLAINTEXT=1 OUT="$OUT/plaintext" bench/run_all.sh "$scenario"
done
