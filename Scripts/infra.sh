#!/usr/bin/env bash
# Start, stop or show the project-local PostgreSQL and Tansu of a profile (default "run").
#   Scripts/infra.sh start|stop|status [run|test]
set -euo pipefail
export TONGBAN_PROFILE="${2:-${TONGBAN_PROFILE:-run}}"
source "$(dirname "${BASH_SOURCE[0]}")/lib/infra.sh"
case "${1:-status}" in
  start) infra_start ;;
  stop) infra_stop ;;
  status) infra_status ;;
  *) echo "usage: $0 start|stop|status [run|test]" >&2; exit 2 ;;
esac
