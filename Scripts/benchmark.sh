#!/usr/bin/env bash
# Runs one benchmark: Scripts/benchmark.sh NAME [options]   (NAME as in `tongban-bench --help`)
# Installs what is missing, the reference tools included, starts a PostgreSQL and Tansu of its own
# (profile "bench": ports 55632 and 19292), builds in release mode, runs the benchmark, and stops
# what it started. `system` also starts the five services (release build, HTTP ports 9181–9185;
# logs in .local/bench/logs) and measures them; `transfer` starts them and the partner region 北京
# (as Scripts/run.sh does) and measures materials handed over between the two.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash Scripts/setup.sh --benchmark-tools

export TONGBAN_PROFILE=bench
source Scripts/lib/infra.sh
source Scripts/lib/services.sh

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

infra_stop
rm -rf "$PROFILE_DIR"
infra_start

if [ "${1:-}" = system ] || [ "${1:-}" = transfer ]; then
  swift build -c release
  BIN="$(swift build -c release --show-bin-path)"
  # librdkafka's statistics (consumer lag on /metrics) every second rather than every ten.
  export TONGBAN_KAFKA_STATISTICS_INTERVAL_MS="${TONGBAN_KAFKA_STATISTICS_INTERVAL_MS:-1000}"
  services_prepare
  # transfer: the partner region 北京 beside, as Scripts/run.sh starts it.
  if [ "$1" = transfer ]; then source Scripts/lib/partner.sh; partner_prepare; fi
  services_start
  if [ "$1" = transfer ]; then partner_start; partner_wait_ready 120; fi
  services_wait_ready 120
  export TONGBAN_SERVICE_PID_DIR="$SERVICES_PID_DIR"
else
  swift build -c release --product tongban-bench
  BIN="$(swift build -c release --show-bin-path)"
fi
# Line-buffered, so progress shows as it happens when the output goes to a file or a pipe.
stdbuf -oL "$BIN/tongban-bench" "$@"
