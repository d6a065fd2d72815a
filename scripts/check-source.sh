#!/usr/bin/env bash
# Static checks of the source tree, run by scripts/test.sh before building:
# every C++ file is clang-formatted, and no library in src/ includes a layer above it
# (DESIGN §8: apps -> server/client/balancer -> store/cluster/crypto/protocol -> common),
# and inside the store neither backend includes the other, nor the core either of them.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0

if ! git ls-files -z '*.cpp' '*.h' | xargs -0 clang-format --dry-run --Werror 2>/tmp/fastchat-format.$$; then
  grep "error:" /tmp/fastchat-format.$$ | cut -d: -f1 | sort -u | sed 's/^/not clang-formatted: /'
  echo "run: git ls-files '*.cpp' '*.h' | xargs clang-format -i"
  status=1
fi
rm -f /tmp/fastchat-format.$$

# The folders of src/ each library may include from (its own is always allowed).
declare -A allowed=(
  [common]=""
  [protocol]="common"
  [crypto]="common"
  [tls]="common"
  [store]="common"
  [cluster]="common"
  [ops]="common"
  [client]="common protocol crypto tls"
  [server]="common protocol crypto tls store cluster ops"
  [balancer]="common protocol tls cluster ops"
)
for dir in src/*/; do
  layer="$(basename "$dir")"
  if [ -z "${allowed[$layer]+set}" ]; then
    echo "src/$layer: a library unknown to scripts/check-source.sh; give it its layer"
    status=1
    continue
  fi
  while IFS= read -r line; do
    file="${line%%:*}"
    used="$(sed -E 's/.*#include "([a-z_]+)\/.*/\1/' <<<"$line")"
    [ "$used" = "$layer" ] && continue
    [ -d "src/$used" ] || continue  # not one of ours (e.g. the generated fastchat.pb.h)
    if [[ " ${allowed[$layer]} " != *" $used "* ]]; then
      echo "$file includes $used/, a layer src/$layer must not depend on"
      status=1
    fi
  done < <(grep -rnoE '#include "[a-z_]+/[^"]+"' "$dir" || true)
done

# Inside the store (src/store/CMakeLists.txt): each backend is a library of its own on
# the core (src/store/*), which includes no backend; only open_store.cpp sees both.
store_backend_include() {  # store_backend_include FILES_OR_DIRS BACKEND
  grep -rnoE "#include \"store/$2/[^\"]+\"" $1 2>/dev/null || true
}
while IFS= read -r line; do
  [ -n "$line" ] || continue
  echo "${line%%:*} includes a store backend, which the store core must not depend on"
  status=1
done < <(for backend in sqlite postgres; do
           store_backend_include "$(ls src/store/*.h src/store/*.cpp | grep -v '/open_store\.')" "$backend"
         done)
for pair in "sqlite postgres" "postgres sqlite"; do
  read -r backend other <<<"$pair"
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    echo "${line%%:*} includes store/$other/, another store backend"
    status=1
  done < <(store_backend_include "src/store/$backend" "$other")
done
exit $status
