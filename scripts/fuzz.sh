#!/usr/bin/env bash
# Builds the libFuzzer variants of the fuzzers (preset `fuzz`: clang, ASan+UBSan, every
# library instrumented) and runs each target, or the ones named, one after the other
# on one core, starting from its seed corpus (tests/fuzz/corpus/<target>). New inputs
# go to build/fuzz/corpus/<target>, crashes to build/fuzz/artifacts/<target>/, the
# output to build/fuzz/logs/<target>.log. docs/fuzzing.md describes the targets.
#
# Usage: scripts/fuzz.sh [--time SECONDS] [--runs N] [--no-build] [--list] [TARGET...]
#   --time S     stop each target after S seconds (default 60)
#   --runs N     stop each target after N executions (whichever comes first with --time)
#   --no-build   run the binaries already in build/fuzz
#   --list       print the targets and exit
# Exit status: 1 when a target crashed (or found a leak, a timeout, a sanitizer report).
set -euo pipefail
cd "$(dirname "$0")/.."

all_targets=(frame_decoder frame_scratch proxy_header request_router e2ee_bundle
  e2ee_ratchet_message e2ee_prekey_message e2ee_sender_key e2ee_state e2ee_device_message
  prekey_wire envelope open_content file_name file_assembler keystore session_file
  redis_payloads membership_record)
seconds=60
runs=-1
build=1
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --time) seconds="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --no-build) build=0; shift ;;
    --list) printf '%s\n' "${all_targets[@]}"; exit 0 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    -*) echo "unknown option $1" >&2; exit 2 ;;
    *) targets+=("$1"); shift ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")
for t in "${targets[@]}"; do
  if [ ! -d "tests/fuzz/corpus/$t" ]; then echo "no such fuzz target: $t" >&2; exit 2; fi
done

if [ "$build" = 1 ]; then
  if ! command -v clang++ >/dev/null; then
    echo "scripts/fuzz.sh needs clang (apt-get install clang)" >&2
    exit 2
  fi
  cmake --preset fuzz >/dev/null
  cmake --build --preset fuzz -j "${FUZZ_BUILD_JOBS:-2}" --target "${targets[@]}"
fi

out=build/fuzz
mkdir -p "$out/logs"
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
failed=()
printf '%-22s %12s %8s %8s %8s  %s\n' target executions seconds cov ft result
for t in "${targets[@]}"; do
  mkdir -p "$out/corpus/$t" "$out/artifacts/$t"
  log="$out/logs/$t.log"
  start=$(date +%s)
  status=ok
  # -rss_limit_mb: the request_router's server and ASan need more than the default.
  if ! "$out/tests/fuzz/$t" -max_total_time="$seconds" -runs="$runs" -print_final_stats=1 \
      -rss_limit_mb=4096 -timeout=30 -artifact_prefix="$out/artifacts/$t/" \
      "$out/corpus/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1; then
    status="FAILED (see $log)"
    failed+=("$t")
  fi
  elapsed=$(($(date +%s) - start))
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  printf '%-22s %12s %8s %8s %8s  %s\n' "$t" "${execs:-?}" "$elapsed" "${cov:-?}" "${ft:-?}" "$status"
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "crashed: ${failed[*]}" >&2
  exit 1
fi
