#!/usr/bin/env bash
# Runs the whole test suite: installs what is missing, starts a fresh PostgreSQL and Tansu of its
# own (profile "test": ports 55532 and 19192, beside a running Tongban), builds, runs every test,
# and stops what it started, also when it fails or is interrupted. Extra arguments go to
# `swift test` (e.g. --filter Ground).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash Scripts/setup.sh

export TONGBAN_PROFILE=test
source Scripts/lib/infra.sh
trap infra_stop EXIT
trap 'exit 130' INT TERM

# Every run starts from an empty cluster and broker: nothing a previous run left can make a test pass.
infra_stop
rm -rf "$PROFILE_DIR"
infra_start

swift build --build-tests
TONGBAN_BIN_DIR="$(swift build --show-bin-path)"
export TONGBAN_BIN_DIR
swift test --skip-build "$@"
