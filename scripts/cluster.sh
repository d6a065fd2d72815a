#!/usr/bin/env bash
# A local fastchat cluster on loopback: PostgreSQL, Redis, one balancer, N servers.
#
#   scripts/cluster.sh up [N]    start (N servers, default 3); prints where all listen
#   scripts/cluster.sh down      stop everything it started
#   scripts/cluster.sh status    what is running
#
# State lives in $FASTCHAT_CLUSTER_DIR (default ./cluster-data): PostgreSQL and Redis
# (through scripts/test-services.sh), each server's data dir and log, the shared server
# secret, pid files. Binaries come from $FASTCHAT_BUILD (default build/release).
# Ports: balancer 7700 (admin 9700), servers 7601.. (admin 9601..).
set -euo pipefail
cd "$(dirname "$0")/.."

DIR="$(realpath -m "${FASTCHAT_CLUSTER_DIR:-./cluster-data}")"
BUILD="${FASTCHAT_BUILD:-build/release}"
SERVER_BIN="$BUILD/apps/fastchat-server/fastchat-server"
BALANCER_BIN="$BUILD/apps/fastchat-balancer/fastchat-balancer"
BALANCER_PORT="${FASTCHAT_BALANCER_PORT:-7700}"

export FASTCHAT_SERVICES_DIR="$DIR/services"
export FASTCHAT_PG_PORT="${FASTCHAT_PG_PORT:-auto}" FASTCHAT_REDIS_PORT="${FASTCHAT_REDIS_PORT:-auto}"

log() { echo "cluster: $*" >&2; }
die() {
  log "$*"
  exit 1
}

# Waits (bounded) for a process to write its ready file.
wait_ready() {
  local file=$1 pid=$2
  for _ in $(seq 200); do
    [ -s "$file" ] && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}

start_daemon() {  # name, ready file, command...
  local name=$1 ready=$2
  shift 2
  rm -f "$ready"
  "$@" >"$DIR/$name.log" 2>&1 &
  local pid=$!
  echo "$pid" >"$DIR/$name.pid"
  wait_ready "$ready" "$pid" || die "$name did not start; see $DIR/$name.log"
}

up() {
  local n=${1:-3}
  [ -x "$SERVER_BIN" ] && [ -x "$BALANCER_BIN" ] ||
    die "build first: cmake --preset release && cmake --build --preset release"
  mkdir -p "$DIR"
  chmod 0755 "$DIR"
  eval "$(scripts/test-services.sh start)"
  local db=$FASTCHAT_TEST_POSTGRES_URL redis=$FASTCHAT_TEST_REDIS_URL
  # The Redis URL holds its password: the daemons take it from the environment, never
  # from their command lines (which `ps` shows).
  export FASTCHAT_REDIS_URL="$redis"
  # One TLS identity for the whole cluster (docs/deployment.md, "TLS certificates"):
  # a self-signed certificate made once, given to every server and the balancer.
  local fingerprint
  mkdir -p "$DIR/tls"
  fingerprint=$("$SERVER_BIN" --data-dir "$DIR/tls" --print-fingerprint) ||
    die "cannot make the cluster's TLS identity in $DIR/tls"
  local tls=(--tls-cert "$DIR/tls/tls-cert.pem" --tls-key "$DIR/tls/tls-key.pem")
  for i in $(seq 1 "$n"); do
    local port=$((7600 + i))
    mkdir -p "$DIR/server$i"
    start_daemon "server$i" "$DIR/server$i/ready" "$SERVER_BIN" \
      --listen "127.0.0.1:$port" --data-dir "$DIR/server$i" --db "$db" \
      --secret-file "$DIR/server.key" --server-id "server$i" --name "server$i" \
      --admin-listen "127.0.0.1:$((9600 + i))" --ready-file "$DIR/server$i/ready" "${tls[@]}"
    log "server$i on 127.0.0.1:$port (metrics http://127.0.0.1:$((9600 + i))/metrics)"
  done
  start_daemon balancer "$DIR/balancer.ready" "$BALANCER_BIN" \
    --listen "127.0.0.1:$BALANCER_PORT" \
    --admin-listen "127.0.0.1:9700" --ready-file "$DIR/balancer.ready" "${tls[@]}"
  log "balancer on 127.0.0.1:$BALANCER_PORT (metrics http://127.0.0.1:9700/metrics)"
  log "TLS key fingerprint of the cluster: $fingerprint"
  log "PostgreSQL $db, Redis $redis"
  echo
  echo "Point clients at the balancer:"
  echo "  $BUILD/apps/fastchat/fastchat --server 127.0.0.1:$BALANCER_PORT --home /tmp/alice register alice"
  echo "Stop everything: scripts/cluster.sh down"
}

down() {
  local pidfile
  for pidfile in "$DIR"/*.pid; do
    [ -e "$pidfile" ] || continue
    local pid
    pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid"
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
      kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
      log "stopped $(basename "$pidfile" .pid)"
    fi
    rm -f "$pidfile"
  done
  [ -d "$FASTCHAT_SERVICES_DIR" ] && scripts/test-services.sh stop || true
}

status() {
  local pidfile
  for pidfile in "$DIR"/*.pid; do
    [ -e "$pidfile" ] || continue
    local name
    name="$(basename "$pidfile" .pid)"
    if kill -0 "$(cat "$pidfile")" 2>/dev/null; then echo "$name: running"; else echo "$name: dead"; fi
  done
  [ -d "$FASTCHAT_SERVICES_DIR" ] && scripts/test-services.sh status || true
}

case "${1:-}" in
  up) up "${2:-3}" ;;
  down) down ;;
  status) status ;;
  *) die "usage: scripts/cluster.sh up [N] | down | status" ;;
esac
