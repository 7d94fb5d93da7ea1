#!/usr/bin/env bash
# Runs Tongban locally: installs what is missing, starts the project-local PostgreSQL and Tansu
# (profile "run": ports 55432 and 19092), builds and starts the five services, and prints where
# they are. Ctrl-C stops the services first, then the broker and the database.
# Service logs (JSON lines) go to .local/run/logs/<service>.log.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash Scripts/setup.sh

export TONGBAN_PROFILE=run
source Scripts/lib/infra.sh

services=(intake relay approval seal evaluation)
declare -A default_ports=([intake]=8081 [relay]=8082 [approval]=8083 [seal]=8084 [evaluation]=8085)
declare -A pids=()

stop_all() {
  trap - EXIT INT TERM
  local service pid
  for service in "${!pids[@]}"; do kill -TERM "${pids[$service]}" 2>/dev/null || true; done
  for service in "${!pids[@]}"; do
    pid="${pids[$service]}"
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      infra_say "$service did not stop within 15 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  infra_stop
}
trap stop_all EXIT
trap 'exit 130' INT TERM

say_step() { printf '[run] %s\n' "$*" >&2; }
say_step "building"
swift build
BIN="$(swift build --show-bin-path)"

infra_start

# A login role and a schema per service; TONGBAN_<SERVICE>_DB_PASSWORD overrides the local default.
say_step "setting up each service's database role and schema"
"$BIN/tongban" database setup | sed "s/^/[run]   /" >&2

LOG_DIR="$PROFILE_DIR/logs"
mkdir -p "$LOG_DIR"

# Bearer tokens: a local key pair plays the identity provider's part (kept across runs).
TOKEN_DIR="$PROFILE_DIR/tokens"
"$BIN/tongban" token keygen --directory "$TOKEN_DIR" >/dev/null
export TONGBAN_TOKEN_JWKS_FILE="$TOKEN_DIR/verification-keys.jwks"
export TONGBAN_TOKEN_SIGNING_KEY_FILE="$TOKEN_DIR/signing-key.jwk"

# Seal wraps its seal keys with this key; a local one is made once and kept, so the seal keys in
# the local database stay usable across runs. Production passes its own from a secret store.
SEAL_KEK_FILE="$PROFILE_DIR/seal-key-encryption-key"
if [ ! -s "$SEAL_KEK_FILE" ]; then
  (umask 077; head -c 32 /dev/urandom | base64 >"$SEAL_KEK_FILE")
fi
export TONGBAN_SEAL_KEY_ENCRYPTION_KEY="${TONGBAN_SEAL_KEY_ENCRYPTION_KEY:-$(cat "$SEAL_KEK_FILE")}"
export TONGBAN_SEAL_PUBLIC_URL="${TONGBAN_SEAL_PUBLIC_URL:-http://127.0.0.1:${TONGBAN_SEAL_PORT:-${default_ports[seal]}}}"

# The relay: this region's envelope signing key (kept across runs) and a partner registry with no
# partners yet; add partner regions to .local/run/relay/partners.json (see Docs/relay.md).
RELAY_DIR="$PROFILE_DIR/relay"
"$BIN/tongban" relay keygen --region "${TONGBAN_REGION:-130100}" --directory "$RELAY_DIR" >/dev/null
[ -f "$RELAY_DIR/partners.json" ] || printf '{"partners": []}\n' >"$RELAY_DIR/partners.json"
export TONGBAN_RELAY_SIGNING_KEY_FILE="$RELAY_DIR/relay-signing-key.jwk"
export TONGBAN_RELAY_PARTNERS_FILE="$RELAY_DIR/partners.json"
for service in "${services[@]}"; do
  upper="${service^^}"
  port_var="TONGBAN_${upper}_PORT"
  port="${!port_var:-${default_ports[$service]}}"
  export "TONGBAN_${upper}_URL=http://127.0.0.1:$port"
  password_var="TONGBAN_${upper}_DB_PASSWORD"
  password="${!password_var:-$service-local-password}"
  TONGBAN_HTTP_PORT="$port" TONGBAN_DATABASE_URL="postgresql://$service:$password@127.0.0.1:$PG_PORT/$PG_DATABASE" \
    "$BIN/$service" >>"$LOG_DIR/$service.log" 2>&1 &
  pids[$service]=$!
done

if ! "$BIN/tongban" status --wait 60 >/dev/null; then
  "$BIN/tongban" status >&2 || true
  say_step "not every service came up; see $LOG_DIR"
  exit 1
fi

cat <<INFO

Tongban is running.

  intake       $TONGBAN_INTAKE_URL
  relay        $TONGBAN_RELAY_URL
  approval     $TONGBAN_APPROVAL_URL
  seal         $TONGBAN_SEAL_URL
  evaluation   $TONGBAN_EVALUATION_URL

  PostgreSQL   127.0.0.1:$PG_PORT, database $PG_DATABASE   (psql -h 127.0.0.1 -p $PG_PORT -U $PG_ADMIN_USER $PG_DATABASE)
  Kafka        $TONGBAN_KAFKA_BOOTSTRAP_SERVERS (Tansu)   (kcat -b $TONGBAN_KAFKA_BOOTSTRAP_SERVERS -L)
  logs         $LOG_DIR

  A token for an officer (any role: tongban token issue --help):
    export TONGBAN_TOKEN_SIGNING_KEY_FILE=$TONGBAN_TOKEN_SIGNING_KEY_FILE
    $BIN/tongban token issue --role officer --subject officer-1 --department market-regulation --region 130100

Press Ctrl-C to stop everything.
INFO

# Stop everything when any service exits on its own: a half-running Tongban helps nobody.
set +e
wait -n "${pids[@]}"
status=$?
for service in "${!pids[@]}"; do
  kill -0 "${pids[$service]}" 2>/dev/null || say_step "$service exited with status $status; see $LOG_DIR/$service.log"
done
exit 1
