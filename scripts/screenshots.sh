#!/usr/bin/env bash
# Regenerates the desktop client's screenshots in docs/desktop/ (login, the server's
# key on first use, a conversation with an inline image, a group, a transfer in
# progress). Runs the end-to-end desktop
# test under a private Xvfb: a real fastchat-server, the `fastchat` CLI as Bob and the
# desktop as Alice; the test saves each screen as it gets there.
# Usage: scripts/screenshots.sh [preset]   (default: release; built if needed)
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" --target desktop_e2e_test fastchat fastchat-server
out="$(pwd)/docs/desktop"
mkdir -p "$out"
export FASTCHAT_SCREENSHOT_DIR="$out" QT_QPA_PLATFORM=xcb
# Qt leaks a little in its own libraries at exit; see tests/desktop/lsan_qt.supp.
export LSAN_OPTIONS="suppressions=$(pwd)/tests/desktop/lsan_qt.supp:print_suppressions=0"
xvfb-run -a -s "-screen 0 1280x800x24" "build/$preset/tests/desktop/desktop_e2e_test"
ls -l "$out"/*.png
