#!/usr/bin/env bash
# Throwaway PostgreSQL and Redis on loopback for the cluster tests and benchmarks.
#
#   scripts/test-services.sh start [postgres|redis]   start (both by default); prints
#                                                     export lines for eval
#   scripts/test-services.sh stop [postgres|redis]    stop (both by default)
#   scripts/test-services.sh restart postgres         pg_ctl restart (fast shutdown)
#   scripts/test-services.sh env                      print the export lines only
#   scripts/test-services.sh status
#
# Typical use:  eval "$(scripts/test-services.sh start)"  ...  scripts/test-services.sh stop
#
# Everything lives in $FASTCHAT_SERVICES_DIR (default /tmp/fastchat-services): the
# database cluster (initdb'd on first start, kept between runs), logs and sockets.
# Ports: $FASTCHAT_PG_PORT (55432) and $FASTCHAT_REDIS_PORT (56379), on 127.0.0.1 only;
# "auto" picks free ones and remembers them in the services dir, so that runs with
# services dirs of their own (scripts/test.sh) never meet.
# PostgreSQL keeps fsync and synchronous_commit on, as in production: the tests check
# durability, not a tuned-down server. Authentication is "trust" on loopback: this is a
# throwaway cluster for tests, never one holding data. Safe to run twice: a running
# service is left alone. As root, PostgreSQL runs as the "postgres" user.
set -euo pipefail

PG_BIN="${FASTCHAT_PG_BIN:-/usr/lib/postgresql/15/bin}"
DIR="${FASTCHAT_SERVICES_DIR:-/tmp/fastchat-services}"
PG_PORT="${FASTCHAT_PG_PORT:-55432}"
REDIS_PORT="${FASTCHAT_REDIS_PORT:-56379}"
PG_USER="fastchat"
PG_DB="fastchat_test"
PGDATA="$DIR/pgdata"
PG_LOG="$DIR/postgres.log"
REDIS_PID="$DIR/redis.pid"

log() { echo "test-services: $*" >&2; }
die() {
  log "$*"
  exit 1
}

# Runs a PostgreSQL tool as the cluster's owner (initdb and postgres refuse root).
as_pg_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_running() {
  [ -f "$PGDATA/PG_VERSION" ] && as_pg_owner "$PG_BIN/pg_ctl" status -D "$PGDATA" >/dev/null 2>&1
}

port_in_use() {
  (echo >"/dev/tcp/127.0.0.1/$1") >/dev/null 2>&1
}

# A free port for "auto", chosen once per services dir and service.
resolve_port() {
  local name="$1" port="$2" file="$DIR/$1.port"
  if [ "$port" != auto ]; then
    echo "$port"
  elif [ -f "$file" ]; then
    cat "$file"
  else
    for _ in $(seq 100); do
      port=$((20000 + RANDOM % 30000))
      if ! port_in_use "$port"; then
        mkdir -p "$DIR"
        echo "$port" >"$file"
        echo "$port"
        return
      fi
    done
    die "no free port for $name"
  fi
}

pg_url() { echo "postgresql://$PG_USER@127.0.0.1:$PG_PORT/$PG_DB"; }
# Redis has one ACL user with a random password (the default user is off), as a
# deployment should: every cluster test then logs in to Redis.
REDIS_USER="fastchat"
redis_password() {
  local file="$DIR/redis.password"
  if [ ! -s "$file" ]; then
    mkdir -p "$DIR"
    (umask 077 && head -c 18 /dev/urandom | base64 | tr '+/' '-_' >"$file")
  fi
  cat "$file"
}
redis_url() { echo "redis://$REDIS_USER:$(redis_password)@127.0.0.1:$REDIS_PORT"; }

# PostgreSQL also speaks TLS, with a certificate for "localhost" from a test CA of its
# own (PG_TLS/ca.pem); PG_TLS/other-ca.pem is an unrelated CA, for tests that must be
# refused. Made once per services dir.
PG_TLS="$DIR/pg-tls"
pg_tls_files() {
  [ -s "$PG_TLS/server.key" ] && return
  command -v openssl >/dev/null || die "openssl not found (apt-get install openssl)"
  mkdir -p "$PG_TLS"
  (
    cd "$PG_TLS"
    for ca in ca other-ca; do
      openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
        -subj "/CN=fastchat test $ca" -keyout "$ca.key" -out "$ca.pem" 2>/dev/null
    done
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
      -keyout server.key -out server.csr 2>/dev/null
    printf 'subjectAltName=DNS:localhost\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile server.ext -out server.crt 2>/dev/null
    chmod 0600 server.key ca.key other-ca.key
  ) || die "cannot make the test TLS files in $PG_TLS"
  [ "$(id -u)" = 0 ] && chown -R postgres: "$PG_TLS"
  return 0
}

print_env() {
  echo "export FASTCHAT_TEST_POSTGRES_URL=$(pg_url)"
  echo "export FASTCHAT_TEST_POSTGRES_TLS_DIR=$PG_TLS"
  echo "export FASTCHAT_TEST_REDIS_URL=$(redis_url)"
}

make_dir() {
  mkdir -p "$DIR"
  chmod 0755 "$DIR"
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$DIR"
    runuser -u postgres -- test -w "$DIR" ||
      die "the postgres user cannot reach $DIR (a parent directory is private?); set FASTCHAT_SERVICES_DIR"
  fi
}

pg_start() {
  [ -x "$PG_BIN/initdb" ] || die "PostgreSQL not found in $PG_BIN (apt-get install postgresql)"
  if pg_running; then
    log "postgres already running on port $PG_PORT"
    return
  fi
  port_in_use "$PG_PORT" && die "port $PG_PORT is taken by something else (set FASTCHAT_PG_PORT)"
  make_dir
  if [ ! -f "$PGDATA/PG_VERSION" ]; then
    log "initdb $PGDATA"
    # --no-sync: a crash during initdb only costs a new initdb; the server runs with fsync.
    as_pg_owner "$PG_BIN/initdb" -D "$PGDATA" -U "$PG_USER" --auth=trust --encoding=UTF8 --no-sync \
      --locale=C.UTF-8 >"$DIR/initdb.log" 2>&1 || die "initdb failed, see $DIR/initdb.log"
  fi
  pg_tls_files
  log "starting postgres on 127.0.0.1:$PG_PORT"
  as_pg_owner "$PG_BIN/pg_ctl" start -D "$PGDATA" -l "$PG_LOG" -w -t 60 -o \
    "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories=$DIR \
     -c fsync=on -c synchronous_commit=on -c max_connections=300 \
     -c ssl=on -c ssl_cert_file=$PG_TLS/server.crt -c ssl_key_file=$PG_TLS/server.key" >/dev/null ||
    die "postgres did not start, see $PG_LOG"
  local exists
  exists="$(as_pg_owner "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d postgres \
    -Atqc "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'")"
  if [ "$exists" != 1 ]; then
    as_pg_owner "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_USER" -d postgres -qc \
      "CREATE DATABASE $PG_DB" >/dev/null
  fi
}

pg_stop() {
  if pg_running; then
    log "stopping postgres"
    as_pg_owner "$PG_BIN/pg_ctl" stop -D "$PGDATA" -m fast -w -t 60 >/dev/null
  fi
}

pg_restart() {
  pg_running || die "postgres is not running"
  log "restarting postgres"
  as_pg_owner "$PG_BIN/pg_ctl" restart -D "$PGDATA" -m fast -w -t 60 -l "$PG_LOG" >/dev/null
}

redis_running() {
  [ -f "$REDIS_PID" ] && kill -0 "$(cat "$REDIS_PID")" 2>/dev/null
}

redis_start() {
  command -v redis-server >/dev/null || die "redis-server not found (apt-get install redis-server)"
  if redis_running; then
    log "redis already running on port $REDIS_PORT"
    return
  fi
  port_in_use "$REDIS_PORT" && die "port $REDIS_PORT is taken by something else (set FASTCHAT_REDIS_PORT)"
  make_dir
  log "starting redis on 127.0.0.1:$REDIS_PORT"
  local password
  password="$(redis_password)"
  # The ACL rules come on stdin (a config file "-"), so that the password is in no
  # process's command line.
  printf 'user default off\nuser %s on >%s ~* &* +@all\n' "$REDIS_USER" "$password" |
    redis-server - --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
      --daemonize yes --pidfile "$REDIS_PID" --logfile "$DIR/redis.log" --dir "$DIR" >/dev/null
  for _ in $(seq 50); do
    REDISCLI_AUTH="$password" redis-cli --user "$REDIS_USER" -h 127.0.0.1 -p "$REDIS_PORT" \
      ping 2>/dev/null | grep -q PONG && return
    sleep 0.1
  done
  die "redis did not start, see $DIR/redis.log"
}

redis_stop() {
  if redis_running; then
    log "stopping redis"
    local pid
    pid="$(cat "$REDIS_PID")"
    kill "$pid"
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
  fi
  rm -f "$REDIS_PID"
}

status() {
  if pg_running; then echo "postgres: running, $(pg_url)"; else echo "postgres: stopped"; fi
  if redis_running; then echo "redis: running, $(redis_url)"; else echo "redis: stopped"; fi
}

PG_PORT="$(resolve_port postgres "$PG_PORT")"
REDIS_PORT="$(resolve_port redis "$REDIS_PORT")"

command="${1:-}"
which="${2:-all}"
case "$which" in
  all | postgres | redis) ;;
  *) die "unknown service '$which' (postgres or redis)" ;;
esac
case "$command" in
  start)
    [ "$which" = redis ] || pg_start
    [ "$which" = postgres ] || redis_start
    print_env
    ;;
  stop)
    [ "$which" = redis ] || pg_stop
    [ "$which" = postgres ] || redis_stop
    ;;
  restart)
    [ "$which" = postgres ] || die "usage: $0 restart postgres"
    pg_restart
    ;;
  env) print_env ;;
  status) status ;;
  *) die "usage: $0 start|stop [postgres|redis] | restart postgres | env | status" ;;
esac
