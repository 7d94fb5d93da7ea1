# Project-local infrastructure: a PostgreSQL cluster and a Tansu broker per profile, under
# .local/<profile>/. Sourced by run.sh, test.sh and infra.sh; set TONGBAN_PROFILE first
# ("run" or "test"; each has its own ports, so tests can run beside a running Tongban).

TONGBAN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TONGBAN_LOCAL_DIR="${TONGBAN_LOCAL_DIR:-$TONGBAN_ROOT/.local}"
TONGBAN_PROFILE="${TONGBAN_PROFILE:-run}"
PROFILE_DIR="$TONGBAN_LOCAL_DIR/$TONGBAN_PROFILE"
TANSU_BIN="$TONGBAN_LOCAL_DIR/tools/bin/tansu"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"

case "$TONGBAN_PROFILE" in
  run)  default_pg_port=55432; default_kafka_port=19092 ;;
  test) default_pg_port=55532; default_kafka_port=19192 ;;
  *)    default_pg_port=55632; default_kafka_port=19292 ;;
esac
PG_PORT="${TONGBAN_PG_PORT:-$default_pg_port}"
KAFKA_PORT="${TONGBAN_KAFKA_PORT:-$default_kafka_port}"
PG_DATA="$PROFILE_DIR/postgres/data"
PG_SOCKET_DIR="$PROFILE_DIR/postgres/socket"
PG_LOG="$PROFILE_DIR/logs/postgres.log"
TANSU_PID_FILE="$PROFILE_DIR/tansu.pid"
TANSU_LOG="$PROFILE_DIR/logs/tansu.log"

# The cluster's superuser; services get their own roles (created by `tongban database setup`).
PG_ADMIN_USER="tongban_admin"
PG_ADMIN_PASSWORD="${TONGBAN_PG_ADMIN_PASSWORD:-tongban-local-admin}"
PG_DATABASE="tongban"

export TONGBAN_KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:$KAFKA_PORT"
export TONGBAN_ADMIN_DATABASE_URL="postgresql://$PG_ADMIN_USER:$PG_ADMIN_PASSWORD@127.0.0.1:$PG_PORT/$PG_DATABASE"
export TONGBAN_PG_HOST="127.0.0.1" TONGBAN_PG_PORT="$PG_PORT" TONGBAN_PG_SOCKET_DIR="$PG_SOCKET_DIR" TONGBAN_KAFKA_PORT="$KAFKA_PORT"

infra_say() { printf '[%s] %s\n' "$TONGBAN_PROFILE" "$*" >&2; }

# PostgreSQL refuses to run as root: run its programs as the unprivileged `postgres` user then.
as_pg_user() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# port_taken PORT: something (a previous run's cluster, another clone's broker) already listens there.
# Starting beside it would fail for PostgreSQL and, for Tansu, silently talk to the other broker.
port_taken() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# refuse_taken_port NAME PORT VARIABLE: says who holds the port and how to choose another; fails.
refuse_taken_port() {
  infra_say "cannot start $1: 127.0.0.1:$2 is already in use by another process"
  if command -v ss >/dev/null; then ss -ltnpH "sport = :$2" >&2 || true; fi
  infra_say "stop that process, or choose another port with $3"
  return 1
}

pg_running() {
  [ -f "$PG_DATA/PG_VERSION" ] && as_pg_user "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1
}

postgres_start() {
  mkdir -p "$PROFILE_DIR/logs" "$PROFILE_DIR/postgres"
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$PROFILE_DIR/postgres" "$PROFILE_DIR/logs"; fi
  if [ ! -f "$PG_DATA/PG_VERSION" ]; then
    infra_say "initialising a PostgreSQL cluster in $PG_DATA"
    rm -rf "$PG_DATA"
    local pwfile
    pwfile="$(mktemp)"
    printf '%s\n' "$PG_ADMIN_PASSWORD" >"$pwfile"
    if [ "$(id -u)" -eq 0 ]; then chown postgres "$pwfile"; fi
    as_pg_user "$PG_BIN/initdb" -D "$PG_DATA" -U "$PG_ADMIN_USER" --pwfile="$pwfile" \
      --auth-local=scram-sha-256 --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
    as_pg_user mkdir -p "$PG_SOCKET_DIR"
    as_pg_user tee -a "$PG_DATA/postgresql.conf" >/dev/null <<EOF
# Tongban's local cluster: loopback only, a port and socket directory of the project's own.
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCKET_DIR'
max_connections = 200
EOF
  fi
  if pg_running; then
    infra_say "PostgreSQL already running on 127.0.0.1:$PG_PORT"
  else
    if port_taken "$PG_PORT"; then refuse_taken_port PostgreSQL "$PG_PORT" TONGBAN_PG_PORT; return 1; fi
    as_pg_user mkdir -p "$PG_SOCKET_DIR"
    # pg_ctl puts the postmaster in a session of its own, so a Ctrl-C in the terminal reaches the
    # services and not the database under them; the scripts stop the database after the services.
    as_pg_user "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start >/dev/null \
      || { tail -20 "$PG_LOG" >&2; return 1; }
  fi
  if ! PGPASSWORD="$PG_ADMIN_PASSWORD" "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_ADMIN_USER" -d postgres -Atqc \
      "SELECT 1 FROM pg_database WHERE datname = '$PG_DATABASE'" | grep -q 1; then
    PGPASSWORD="$PG_ADMIN_PASSWORD" "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U "$PG_ADMIN_USER" "$PG_DATABASE"
  fi
  infra_say "PostgreSQL ready on 127.0.0.1:$PG_PORT (database $PG_DATABASE)"
}

pg_ready() {
  "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -d postgres
}

postgres_stop() {
  if pg_running; then
    as_pg_user "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null
    infra_say "PostgreSQL stopped"
  fi
}

tansu_pid() {
  local pid
  [ -f "$TANSU_PID_FILE" ] || return 1
  pid="$(cat "$TANSU_PID_FILE")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q tansu "/proc/$pid/cmdline" 2>/dev/null || return 1
  printf '%s\n' "$pid"
}

kafka_ready() {
  kcat -b "127.0.0.1:$KAFKA_PORT" -L -m 2 >/dev/null 2>&1
}

tansu_start() {
  mkdir -p "$PROFILE_DIR/logs"
  if tansu_pid >/dev/null; then
    infra_say "Tansu already running on 127.0.0.1:$KAFKA_PORT"
    return 0
  fi
  if port_taken "$KAFKA_PORT"; then refuse_taken_port Tansu "$KAFKA_PORT" TONGBAN_KAFKA_PORT; return 1; fi
  # A session of its own, like the postmaster: Ctrl-C stops the services first, then the scripts stop Tansu.
  setsid "$TANSU_BIN" broker \
    --listener-url "tcp://127.0.0.1:$KAFKA_PORT" \
    --advertised-listener-url "tcp://127.0.0.1:$KAFKA_PORT" \
    --storage-engine "memory://tansu/" >"$TANSU_LOG" 2>&1 </dev/null &
  echo $! >"$TANSU_PID_FILE"
  wait_for "Tansu" 30 kafka_ready || { tail -20 "$TANSU_LOG" >&2; return 1; }
  infra_say "Tansu ready on 127.0.0.1:$KAFKA_PORT"
}

tansu_stop() {
  local pid
  if pid="$(tansu_pid)"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    infra_say "Tansu stopped"
  fi
  rm -f "$TANSU_PID_FILE"
}

# wait_for NAME SECONDS COMMAND...: polls COMMAND every 0.2 s until it succeeds.
wait_for() {
  local name="$1" seconds="$2"
  shift 2
  local tries=$((seconds * 5))
  while [ "$tries" -gt 0 ]; do
    "$@" && return 0
    sleep 0.2
    tries=$((tries - 1))
  done
  infra_say "$name did not become ready within ${seconds}s"
  return 1
}

# `&&`, not two lines: callers run this where errexit is off (a function called beside `||`).
infra_start() {
  postgres_start && tansu_start
}

infra_stop() {
  tansu_stop
  postgres_stop
}

infra_status() {
  if pg_running; then echo "postgres  up    127.0.0.1:$PG_PORT  data $PG_DATA"; else echo "postgres  down"; fi
  if tansu_pid >/dev/null; then echo "tansu     up    127.0.0.1:$KAFKA_PORT"; else echo "tansu     down"; fi
}
