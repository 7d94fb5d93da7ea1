# The five Tongban services as local processes: their keys, roles and environment, and starting,
# restarting and stopping them. Sourced after lib/infra.sh by run.sh, benchmark.sh and faults.sh;
# set BIN to the folder of the built executables first.
#   services_prepare         database roles and schemas, tokens, seal and relay keys, the environment
#   service_start NAME       starts one service (again, after a crash) in the background
#   services_start           starts all five
#   services_wait_ready      waits until every service answers /healthz
#   services_stop            SIGTERM, then SIGKILL after 15 s, for each one still running
# Each service's PID is in SERVICE_PIDS[NAME] and in $SERVICES_PID_DIR/NAME.pid; logs (JSON lines)
# go to $SERVICES_LOG_DIR/NAME.log.

TONGBAN_SERVICES=(intake relay approval seal evaluation)
declare -A SERVICE_PIDS=()
SERVICES_LOG_DIR="$PROFILE_DIR/logs"
SERVICES_PID_DIR="$PROFILE_DIR/pids"

# HTTP ports: 8081–8085 in the run profile, 9181–9185 in the others, so a benchmark can run beside a
# running Tongban; TONGBAN_<SERVICE>_PORT overrides one.
services_port() {
  local service="$1" base index=0 name
  if [ "$TONGBAN_PROFILE" = run ]; then base=8080; else base=9180; fi
  for name in "${TONGBAN_SERVICES[@]}"; do
    index=$((index + 1))
    [ "$name" = "$service" ] && break
  done
  local port_var="TONGBAN_${service^^}_PORT"
  printf '%s\n' "${!port_var:-$((base + index))}"
}

services_prepare() {
  mkdir -p "$SERVICES_LOG_DIR" "$SERVICES_PID_DIR"
  # A login role and a schema per service; TONGBAN_<SERVICE>_DB_PASSWORD overrides the local default.
  "$BIN/tongban" database setup | sed "s/^/[$TONGBAN_PROFILE]   /" >&2

  # Bearer tokens: a local key pair plays the identity provider's part (kept across runs).
  local token_dir="$PROFILE_DIR/tokens"
  "$BIN/tongban" token keygen --directory "$token_dir" >/dev/null
  export TONGBAN_TOKEN_JWKS_FILE="$token_dir/verification-keys.jwks"
  export TONGBAN_TOKEN_SIGNING_KEY_FILE="$token_dir/signing-key.jwk"

  # Seal wraps its seal keys with this key; a local one is made once and kept, so the seal keys in
  # the local database stay usable across runs. Production passes its own from a secret store.
  local kek_file="$PROFILE_DIR/seal-key-encryption-key"
  if [ ! -s "$kek_file" ]; then
    (umask 077; head -c 32 /dev/urandom | base64 >"$kek_file")
  fi
  export TONGBAN_SEAL_KEY_ENCRYPTION_KEY="${TONGBAN_SEAL_KEY_ENCRYPTION_KEY:-$(cat "$kek_file")}"
  export TONGBAN_SEAL_PUBLIC_URL="${TONGBAN_SEAL_PUBLIC_URL:-http://127.0.0.1:$(services_port seal)}"

  # The relay: this region's envelope signing key (kept across runs) and a partner registry with no
  # partners yet; add partner regions to $PROFILE_DIR/relay/partners.json (see Docs/relay.md).
  local relay_dir="$PROFILE_DIR/relay"
  "$BIN/tongban" relay keygen --region "${TONGBAN_REGION:-130100}" --directory "$relay_dir" >/dev/null
  [ -f "$relay_dir/partners.json" ] || printf '{"partners": []}\n' >"$relay_dir/partners.json"
  export TONGBAN_RELAY_SIGNING_KEY_FILE="$relay_dir/relay-signing-key.jwk"
  export TONGBAN_RELAY_PARTNERS_FILE="$relay_dir/partners.json"

  local service
  for service in "${TONGBAN_SERVICES[@]}"; do
    export "TONGBAN_${service^^}_URL=http://127.0.0.1:$(services_port "$service")"
  done
}

service_start() {
  local service="$1" upper="${1^^}"
  local password_var="TONGBAN_${upper}_DB_PASSWORD"
  local password="${!password_var:-$service-local-password}"
  TONGBAN_HTTP_PORT="$(services_port "$service")" \
    TONGBAN_DATABASE_URL="postgresql://$service:$password@127.0.0.1:$PG_PORT/$PG_DATABASE" \
    "$BIN/$service" >>"$SERVICES_LOG_DIR/$service.log" 2>&1 &
  SERVICE_PIDS[$service]=$!
  printf '%s\n' "$!" >"$SERVICES_PID_DIR/$service.pid"
}

services_start() {
  local service
  for service in "${TONGBAN_SERVICES[@]}"; do service_start "$service"; done
}

services_wait_ready() {
  if ! "$BIN/tongban" status --wait "${1:-60}" >/dev/null; then
    "$BIN/tongban" status >&2 || true
    infra_say "not every service came up; see $SERVICES_LOG_DIR"
    return 1
  fi
}

services_stop() {
  local service pid
  for service in "${!SERVICE_PIDS[@]}"; do kill -TERM "${SERVICE_PIDS[$service]}" 2>/dev/null || true; done
  for service in "${!SERVICE_PIDS[@]}"; do
    pid="${SERVICE_PIDS[$service]}"
    for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
      infra_say "$service did not stop within 15 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$SERVICES_PID_DIR/$service.pid"
  done
  SERVICE_PIDS=()
}
