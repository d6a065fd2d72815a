#!/usr/bin/env bash
# Runs the fastchat-bench scenarios of docs/performance.md against a fresh release
# fastchat-server on this machine (one fresh server per scenario, data on disk) and
# writes each report under OUT/<scenario>/ (report.json, steps.csv, latency.png).
#   BUILD=build-bench-rel OUT=bench-results bench/run_all.sh [scenario...]
# Build first: cmake -S . -B build-bench-rel -G Ninja -DCMAKE_BUILD_TYPE=Release &&
#   ninja -C build-bench-rel fastchat-server fastchat-bench
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-bench-rel}
OUT=${OUT:-bench-results}
HOME_DIR=${BENCH_HOME:-bench-home}
PORT=${PORT:-7600}
BENCH="$BUILD/apps/fastchat-bench/fastchat-bench"
SERVER_BIN="$BUILD/apps/fastchat-server/fastchat-server"
mkdir -p "$OUT"

# TLS by default, as clients run; FASTCHAT_BENCH_PLAINTEXT=1 measures plaintext
# (server and bench both --insecure-plaintext) for the comparison.
TRANSPORT=()
[ "${FASTCHAT_BENCH_PLAINTEXT:-0}" = 1 ] && TRANSPORT=(--insecure-plaintext)
# E2EE v2 (Double Ratchet, Sender Keys) by default, as clients run; FASTCHAT_BENCH_E2EE=v1
# measures v1 for the comparison (bench/e2ee_v1_vs_v2.sh). Only for message scenarios.
E2EE=${FASTCHAT_BENCH_E2EE:-v2}

# shellcheck source=bench/server_control.sh
. bench/server_control.sh
start_server() {  # start_server [SERVER_OPTION...]
  start_fastchat_server "$SERVER_BIN" "${TRANSPORT[@]}" "$@"
}

run() {  # run NAME SCENARIO ARGS...
  local name=$1
  shift
  echo "=== $name: fastchat-bench $*"
  # offline's two senders fill the backlog far above the per-sender send limit (100/s,
  # bursts of 1000): off for it, as that limit is not what the scenario measures.
  if [ "$1" = offline ]; then start_server --send-per-second 0; else start_server; fi
  local e2ee=()
  case "$1" in dm | group | offline | balance) e2ee=(--e2ee "$E2EE") ;; esac
  "$BENCH" "$@" "${TRANSPORT[@]}" "${e2ee[@]}" --server "127.0.0.1:$PORT" --server-pid "$SERVER_PID" --home "$HOME_DIR" \
    --out "$OUT/$name" | tee "$OUT/$name.txt"
  stop_server
}

want() { [ -z "$SELECTED" ] || [[ " $SELECTED " == *" $1 "* ]]; }
SELECTED="$*"
want dm && run dm dm --users 1000 --duration 5 --max --rate 5000 --sources 4
want group && run group group --users 1000 --group-size 1000 --group-senders 8 --duration 5 --max --rate 10
want group100 && run group100 group --users 1000 --group-size 100 --duration 5 --max --rate 200
want login && run login login --users 200 --duration 5 --sources 16
want login1000 && run login1000 login --users 1000 --duration 5 --sources 16
want offline && run offline offline --users 1 --backlog 100000
want offline100 && run offline100 offline --users 100 --backlog 1000
want idle && run idle idle --users 19000 --duration 10 --sources 8
# The TLS-against-plaintext comparison (bench/tls_vs_plaintext.sh): a fixed dm load
# (server CPU per message) and 2000 idle connections.
want dm5k && run dm5k dm --users 1000 --duration 5 --rate 5000 --sources 4 --no-ceiling
want idle2000 && run idle2000 idle --users 2000 --duration 5 --sources 2
# E2EE v1 against v2 (bench/e2ee_v1_vs_v2.sh): fixed loads, for the CPU per delivery.
want group10 && run group10 group --users 1000 --group-size 1000 --group-senders 8 --duration 5 --rate 10 --no-ceiling
exit 0  # the last `want` above is false whenever its scenario was not asked for
