# Sourced by the bench scripts: one fresh fastchat-server at a time on 127.0.0.1:$PORT,
# its data in a temporary directory that stop_server removes (also on exit).
#   start_fastchat_server BINARY [SERVER_OPTION...]   waits until it is ready
#   stop_server
SERVER_PID=""
DATA=""
start_fastchat_server() {
  local binary=$1
  shift
  DATA=$(mktemp -d "${TMPDIR:-/tmp}/fastchat-bench-data-XXXXXX")
  "$binary" --listen "127.0.0.1:$PORT" --data-dir "$DATA" --ready-file "$DATA/ready" \
    --log-level warn "$@" >"$DATA/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 100); do [ -s "$DATA/ready" ] && return 0; sleep 0.1; done
  echo "server did not start" >&2
  exit 1
}
stop_server() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" && wait "$SERVER_PID" || true
  SERVER_PID=""
  rm -rf "$DATA"
}
trap stop_server EXIT
