#!/usr/bin/env bash
# The ThreadSanitizer run (preset `tsan`): builds only the test executables of the
# server, the bus (cluster) and the client, and runs them. scripts/test.sh calls it
# after the ASan suite, with PostgreSQL and Redis already started; run alone, the
# cluster tests need FASTCHAT_TEST_POSTGRES_URL and redis-server (or they skip).
# Usage: scripts/test-tsan.sh [ctest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="$(nproc)"
# The executables whose tests run under TSan (ctest labels, tests/CMakeLists.txt):
# every test executable of the server, the bus and the client (docs/testing.md).
targets=(server_test cluster_test client_test client_e2e_test client_e2e_cluster_test
  cluster_server_test cluster_fault_test server_integration_test server_integration_cluster_test)
labels="^($(IFS='|'; echo "${targets[*]}"))\$"

cmake --preset tsan
cmake --build --preset tsan -j "$jobs" --target "${targets[@]}"
# TSan maps its shadow at fixed addresses; kernels with a high vm.mmap_rnd_bits can
# place the program on top of it ("unexpected memory mapping"). Without address
# randomization (setarch -R) it always fits.
run=()
if setarch "$(uname -m)" -R true 2>/dev/null; then run=(setarch "$(uname -m)" -R); fi
"${run[@]}" ctest --preset tsan -j "$jobs" -L "$labels" "$@"
