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
source Scripts/lib/services.sh
source Scripts/lib/partner.sh

stop_all() {
  # A service just forked and not yet started is a copy of this shell with these traps; stopped in
  # that moment (the fault tests restart what they just started), it must not stop everything.
  [ "$BASHPID" = "$$" ] || exit 130
  trap - EXIT INT TERM
  services_stop
  infra_stop
}
trap stop_all EXIT
trap 'exit 130' INT TERM

say_step() { printf '[run] %s\n' "$*" >&2; }
say_step "building"
swift build
BIN="$(swift build --show-bin-path)"

infra_start

say_step "setting up each service's database role, schema and keys"
services_prepare
# 北京 (110100) as a local partner region, so that 跨省通办 can be tried: TONGBAN_PARTNER=none leaves it out.
with_partner=false
if [ "${TONGBAN_PARTNER:-beijing}" != none ]; then with_partner=true; partner_prepare; fi
LOG_DIR="$SERVICES_LOG_DIR"
services_start
if $with_partner; then partner_start; fi
services_wait_ready 60 || exit 1
if $with_partner; then partner_wait_ready 60 || exit 1; fi

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
$($with_partner && printf '\n  partner region 北京 110100 (relay, approval, seal on ports %s, %s, %s; topics under "beijing.")\n' "${PARTNER_PORTS[relay]}" "${PARTNER_PORTS[approval]}" "${PARTNER_PORTS[seal]}")

  Play a working day:   $BIN/tongban demo

  A token for an officer (any role: tongban token issue --help):
    export TONGBAN_TOKEN_SIGNING_KEY_FILE=$TONGBAN_TOKEN_SIGNING_KEY_FILE
    $BIN/tongban token issue --role officer --subject officer-1 --department market-regulation --region 130100

Press Ctrl-C to stop everything.
INFO

# Stop everything when any service exits on its own: a half-running Tongban helps nobody.
set +e
wait -n "${SERVICE_PIDS[@]}"
status=$?
for service in "${!SERVICE_PIDS[@]}"; do
  kill -0 "${SERVICE_PIDS[$service]}" 2>/dev/null || say_step "$service exited with status $status; see $LOG_DIR/$service.log"
done
exit 1
