#!/usr/bin/env bash
# The data-plane figures of docs/performance.md ("Shared-nothing loops"): dm at a fixed
# 5000 msgs/s, one group of 1000 at a fixed 10 msgs/s, and login, each against a fresh
# release fastchat-server with 1 and then 2 event loops (--threads). With BASE_BUILD,
# each run is made first with that build's server (the "before"), then with BUILD's,
# back to back, so both see the same load on the machine. Prints one line per step
# with the server's CPU per delivery (per login for login).
#   BUILD=build/release BASE_BUILD=../base/build/release OUT=bench-loops ROUNDS=2 bench/loops_ab.sh
# LOOPS="1 2" and SCENARIOS="dm5k group10 login" (the defaults) choose what runs.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build/release}
OUT=${OUT:-bench-loops}
ROUNDS=${ROUNDS:-2}
LOOPS=${LOOPS:-1 2}
SCENARIOS=${SCENARIOS:-dm5k group10 login}
HOME_DIR=${BENCH_HOME:-bench-home}
PORT=${PORT:-7640}
BENCH="$BUILD/apps/fastchat-bench/fastchat-bench"
SERVER_BIN="$BUILD/apps/fastchat-server/fastchat-server"
BASE_BIN="${BASE_BUILD:+$BASE_BUILD/apps/fastchat-server/fastchat-server}"
mkdir -p "$OUT"

# shellcheck source=bench/server_control.sh
. bench/server_control.sh
start_server() {  # start_server BINARY LOOPS
  start_fastchat_server "$1" --threads "$2"
}

run_one() {  # run_one NAME BINARY LOOPS SCENARIO ARGS...
  local name=$1 binary=$2 loops=$3
  shift 3
  echo "=== $name"
  start_server "$binary" "$loops"
  "$BENCH" "$@" --server "127.0.0.1:$PORT" --server-pid "$SERVER_PID" --home "$HOME_DIR" \
    --out "$OUT/$name" >"$OUT/$name.txt" 2>&1 || echo "$name: bench exit $?"
  stop_server
}
run() {  # run NAME LOOPS SCENARIO ARGS...
  local name=$1
  shift
  if [ -n "$BASE_BIN" ]; then run_one "$name-before" "$BASE_BIN" "$@"; fi
  run_one "$name" "$SERVER_BIN" "$@"
}

# One line per step: deliveries and the server's CPU per delivery; for login, logins/s
# and the server's CPU per login (its CPU share over the step, over the logins).
summary() {
  python3 - "$OUT" <<'PY'
import glob, json, os, sys
for path in sorted(glob.glob(os.path.join(sys.argv[1], "*", "report.json"))):
    name = os.path.basename(os.path.dirname(path))
    for step in json.load(open(path))["steps"]:
        figures = step.get("figures", {})
        line = f"{name:18s} {step['label'][:22]:22s} delivered={step['delivered']} lost={step['lost']} dup={step['duplicated']}"
        if "server_cpu_us_per_delivery" in figures:
            line += f" server_us_per_delivery={figures['server_cpu_us_per_delivery']:.1f}"
        cpu = step.get("server_cpu_percent")
        if "logins_per_s" in figures and cpu is not None and step["acknowledged"]:
            per_login = cpu / 100 * step["seconds"] * 1e6 / step["acknowledged"]
            line += f" logins_per_s={figures['logins_per_s']:.0f} server_us_per_login={per_login:.0f}"
        line += f" runqueue={step.get('server_runqueue_ratio')}"
        print(line)
PY
}

for round in $(seq "$ROUNDS"); do
  for loops in $LOOPS; do
    for scenario in $SCENARIOS; do
      case $scenario in
        dm5k) run "r$round-dm5k-l$loops" "$loops" dm --users 1000 --duration 5 --rate 5000 \
          --sources 4 --no-ceiling ;;
        group10) run "r$round-group10-l$loops" "$loops" group --users 1000 --group-size 1000 \
          --group-senders 8 --duration 5 --rate 10 --no-ceiling ;;
        login) run "r$round-login-l$loops" "$loops" login --users 200 --duration 5 --sources 16 ;;
      esac
    done
  done
done
summary | tee "$OUT/summary.txt"
