#!/usr/bin/env bash
# Runs the whole test suite: installs what is missing, starts a fresh PostgreSQL and Tansu of its
# own (profile "test": ports 55532 and 19192, beside a running Tongban), builds, runs every test,
# and stops what it started, also when it fails or is interrupted.
#
# Two phases: first every test in parallel (in two halves), then, one at a time, the suites that
# must run alone: *RestartTests stop and start PostgreSQL or Tansu under the system, and the
# whole-system and two-region end-to-end suites start every service as a process (five to seven
# each), which beside two hundred parallel tests overloads the one local broker.
# Last, a short run of the fault tests (Scripts/faults.sh on this debug build, about 3 minutes):
# 1500 bundles while services are killed, then 500 while the broker loses everything; it fails on
# any lost or duplicated decision or licence.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash Scripts/setup.sh

# The tests, in a subshell: its PostgreSQL and Tansu (profile "test") and their variables end with it.
(
  export TONGBAN_PROFILE=test
  source Scripts/lib/infra.sh
  cleanup() {
    # A test process that crashed cannot stop the services it started: nothing of this build outlives the run.
    if [ -n "${TONGBAN_BIN_DIR:-}" ]; then pkill -KILL -f "^$TONGBAN_BIN_DIR/" 2>/dev/null || true; fi
    infra_stop
  }
  trap cleanup EXIT
  trap 'exit 130' INT TERM

  # Every run starts from an empty cluster and broker: nothing a previous run left can make a test pass.
  infra_stop
  rm -rf "$PROFILE_DIR"
  infra_start

  swift build --build-tests
  TONGBAN_BIN_DIR="$(swift build --show-bin-path)"
  export TONGBAN_BIN_DIR
  alone='RestartTests|WholeSystemTests|EndToEndTests'
  # The parallel tests in two halves, the services' suites and then the rest: all of them at once
  # (each creating its region's topics) have now and then stalled the one Tansu for a minute.
  services='IntakeTests|ApprovalTests|SealTests|EvaluationTests|RelayTests|SystemTests'
  swift test --skip-build --filter "$services" --skip "$alone"
  swift test --skip-build --skip "$alone|$services"
  swift test --skip-build --no-parallel --filter "$alone"
)

# The fault tests, on their own PostgreSQL and Tansu (profile "bench"), which faults.sh starts and stops.
bash Scripts/faults.sh --configuration debug --bundles 1500 --broker-bundles 500
