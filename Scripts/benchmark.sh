#!/usr/bin/env bash
# Runs one benchmark: Scripts/benchmark.sh NAME [options]   (NAME as in `tongban-bench --help`)
# Installs what is missing, the reference tools included, starts a PostgreSQL and Tansu of its own
# (profile "bench": ports 55632 and 19292), builds in release mode, runs the benchmark, and stops
# what it started.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

bash Scripts/setup.sh --benchmark-tools

export TONGBAN_PROFILE=bench
source Scripts/lib/infra.sh
trap infra_stop EXIT
trap 'exit 130' INT TERM

infra_stop
rm -rf "$PROFILE_DIR"
infra_start

swift build -c release --product tongban-bench
"$(swift build -c release --show-bin-path)/tongban-bench" "$@"
