#!/usr/bin/env bash
# From a fresh Debian 12 checkout: install packages, build a release, and start a
# single-node server on the embedded store (127.0.0.1:7600, data in ./fastchat-data).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake --preset release
cmake --build --preset release
echo
echo "Server starting on 127.0.0.1:7600. In another terminal, chat with:"
echo "  ./build/release/apps/fastchat/fastchat register alice"
echo "  ./build/release/apps/fastchat/fastchat chat"
echo "or with the desktop client:"
echo "  ./build/release/apps/fastchat-desktop/fastchat-desktop"
echo
exec ./build/release/apps/fastchat-server/fastchat-server --listen 127.0.0.1:7600 --data-dir ./fastchat-data
