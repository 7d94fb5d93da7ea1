#!/usr/bin/env bash
# The fault tests: Scripts/faults.sh [--bundles N] [--rate R] [--broker-bundles N] [--phase kills|broker|all]
#                                    [--configuration release|debug]
# Starts the bench profile's PostgreSQL and Tansu (ports 55632 and 19292) and the five services
# (release build, HTTP ports 9181–9185), then:
#   1. kills: while N bundles are submitted at R per second, kill -9 a randomly chosen service every
#      few seconds and start it again, until every bundle is submitted;
#   2. broker restart: while more bundles are submitted, restart Tansu (it loses every topic and
#      offset), restart every service, wait for them to recreate their topics, and replay every
#      service's whole outbox with `tongban replay --all` (consumers may have been far behind: an
#      event published long before the loss may not have reached every consumer);
#   3. checks, in the services' schemas, that every accepted bundle is decided exactly once and
#      licensed at most once, and that no accepted application is missing (tongban-bench faults check).
# Exits non-zero on any loss or duplicate. Logs in .local/bench/logs, accepted cases in .local/bench/faults.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bundles=4000
rate=40
broker_bundles=1000
phase=all
# Release, as deployed; debug reuses the test command's build (much quicker from a clean clone).
configuration=release
usage="usage: $0 [--bundles N] [--rate PER_SECOND] [--broker-bundles N] [--phase kills|broker|all] [--configuration release|debug]"
while [ $# -gt 0 ]; do
  case "$1" in
    --bundles) bundles="$2"; shift 2 ;;
    --rate) rate="$2"; shift 2 ;;
    --broker-bundles) broker_bundles="$2"; shift 2 ;;
    --phase) phase="$2"; shift 2 ;;
    --configuration) configuration="$2"; shift 2 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
done
case "$phase" in kills|broker|all) ;; *) echo "$usage" >&2; exit 2 ;; esac
case "$configuration" in release|debug) ;; *) echo "$usage" >&2; exit 2 ;; esac

bash Scripts/setup.sh

export TONGBAN_PROFILE=bench
source Scripts/lib/infra.sh
source Scripts/lib/services.sh

say() { printf '[faults] %s\n' "$*" >&2; }
stop_all() {
  # A service just forked and not yet started is a copy of this shell with these traps; stopped in
  # that moment (the fault tests restart what they just started), it must not stop everything.
  [ "$BASHPID" = "$$" ] || exit 130
  trap - EXIT INT TERM
  [ -n "${load_pid:-}" ] && kill -TERM "$load_pid" 2>/dev/null || true
  services_stop
  infra_stop
}
trap stop_all EXIT
trap 'exit 130' INT TERM

started=$(date +%s)
infra_stop
rm -rf "$PROFILE_DIR"
infra_start

swift build -c "$configuration"
BIN="$(swift build -c "$configuration" --show-bin-path)"
services_prepare
services_start
services_wait_ready 120

# No Swift crash backtracer: it inherits a crashed service's listening socket and can hold the port
# for minutes, so that the restarted service cannot bind it. Crashes are counted below and logged.
export SWIFT_BACKTRACE=enable=no

FAULT_DIR="$PROFILE_DIR/faults"
mkdir -p "$FAULT_DIR"

# A supervisor's part: a service that exited without being killed here stopped itself (a crash or a
# fatal Kafka error); count it and start it again, as systemd or Kubernetes would.
crashes=0
restart_crashed() {
  local service
  for service in "${TONGBAN_SERVICES[@]}"; do
    if ! kill -0 "${SERVICE_PIDS[$service]}" 2>/dev/null; then
      crashes=$((crashes + 1))
      say "$service exited by itself (#$crashes; see $SERVICES_LOG_DIR/$service.log); starting it again"
      service_start "$service"
    fi
  done
}

supervise_load() {
  while kill -0 "$load_pid" 2>/dev/null; do restart_crashed; sleep 1; done
  set +e
  wait "$load_pid"
  load_status=$?
  set -e
  load_pid=""
  [ "$load_status" -eq 0 ] || { say "the load failed (status $load_status)"; exit 1; }
}
# --- 1. kill -9 of random services under load ------------------------------------------------
kills=0
accepted_files=()
if [ "$phase" != broker ]; then
  say "phase 1: $bundles bundles at $rate/s, killing a random service 2–6 s after every service answers again"
  stdbuf -oL "$BIN/tongban-bench" faults load --bundles "$bundles" --rate "$rate" --first-sequence 0 \
    --accepted-file "$FAULT_DIR/accepted-kills.txt" --submitted-marker "$FAULT_DIR/submitted-kills" &
  load_pid=$!
  sleep 3
  while [ ! -e "$FAULT_DIR/submitted-kills" ] && kill -0 "$load_pid" 2>/dev/null; do
    restart_crashed
    victim="${TONGBAN_SERVICES[$((RANDOM % ${#TONGBAN_SERVICES[@]}))]}"
    kill -KILL "${SERVICE_PIDS[$victim]}" 2>/dev/null || true
    wait "${SERVICE_PIDS[$victim]}" 2>/dev/null || true
    kills=$((kills + 1))
    # Down for 0.2–1.5 s, as a crash-looping or rescheduled instance would be.
    sleep "0.$((RANDOM % 8 + 2))"; [ $((RANDOM % 2)) -eq 0 ] && sleep 1
    service_start "$victim"
    say "kill $kills: $victim (restarted as pid ${SERVICE_PIDS[$victim]})"
    # The next kill waits until every service answers again: on a machine busy beside the run (a
    # release build), kills every few seconds regardless came faster than restarts, intake was
    # down more than up, and an application waited out its 600 s (two runs so). Now the faults
    # come as fast as the machine recovers from them, never faster.
    services_wait_ready 120 || say "not every service answers after kill $kills; killing on"
    sleep "$((RANDOM % 5 + 2))"
  done
  supervise_load
  accepted_files+=(--accepted-file "$FAULT_DIR/accepted-kills.txt")
fi
phase1_done=$(date +%s)

# --- 2. broker restart and replay -------------------------------------------------------------
broker_restarts=0
if [ "$phase" != kills ]; then
  say "phase 2: $broker_bundles bundles at $rate/s; Tansu restarted (losing every topic) after 5 s"
  stdbuf -oL "$BIN/tongban-bench" faults load --bundles "$broker_bundles" --rate "$rate" --first-sequence 500000 \
    --accepted-file "$FAULT_DIR/accepted-broker.txt" --submitted-marker "$FAULT_DIR/submitted-broker" &
  load_pid=$!
  sleep 5
  tansu_stop
  # Tansu binds its port without SO_REUSEADDR: it starts again only once the old connections have
  # left TIME_WAIT (up to a minute), so the broker is away that long.
  port_free() { ! ss -Htan "( sport = :$KAFKA_PORT )" | grep -q .; }
  wait_for "the broker's port" 120 port_free
  tansu_start
  phase2_restarted=$(date +%s)
  # The operator's recovery after a broker lost its log (Docs/operations.md, replay): every service
  # restarted, so that no client keeps state the broker forgot (librdkafka does not fully follow a
  # topic created again under a new id); then each outbox replayed (all of it: inboxes drop what
  # was applied already). A service whose producer the broker forgot has stopped by itself by then.
  sleep 5
  restart_crashed
  say "Tansu is back, empty; restarting every service"
  for service in "${TONGBAN_SERVICES[@]}"; do
    kill -TERM "${SERVICE_PIDS[$service]}" 2>/dev/null || true
  done
  for service in "${TONGBAN_SERVICES[@]}"; do
    for _ in $(seq 150); do kill -0 "${SERVICE_PIDS[$service]}" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "${SERVICE_PIDS[$service]}" 2>/dev/null || true
    wait "${SERVICE_PIDS[$service]}" 2>/dev/null || true
    service_start "$service"
  done
  # A service may crash again on its way up (see above): start it again until all five answer.
  for _ in $(seq 60); do
    restart_crashed
    "$BIN/tongban" status >/dev/null 2>&1 && break
    sleep 2
  done
  services_wait_ready 10
  say "waiting for the services to recreate their topics"
  wait_for "the topics" 90 bash -c "kcat -b 127.0.0.1:$KAFKA_PORT -L -m 2 2>/dev/null | grep -q 'tongban.seal.licences-issued.v1'"
  for service in "${TONGBAN_SERVICES[@]}"; do
    password_var="TONGBAN_${service^^}_DB_PASSWORD"
    "$BIN/tongban" replay --service "$service" --all \
      --database-url "postgresql://$service:${!password_var:-$service-local-password}@127.0.0.1:$PG_PORT/$PG_DATABASE" | tail -1 | sed 's/^/[faults]   replay /' >&2
  done
  say "recovered $(( $(date +%s) - phase2_restarted )) s after the broker restart"
  supervise_load
  broker_restarts=1
  accepted_files+=(--accepted-file "$FAULT_DIR/accepted-broker.txt")
fi

# --- 3. checks --------------------------------------------------------------------------------
stdbuf -oL "$BIN/tongban-bench" faults check "${accepted_files[@]}" \
  --kills "$kills" --broker-restarts "$broker_restarts" --crashes "$crashes"
finished=$(date +%s)
say "took $((finished - started)) s in all (kills phase $((phase1_done - started)) s including build and start-up)"
