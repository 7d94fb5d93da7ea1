#!/usr/bin/env bash
# Start, stop or show the project-local PostgreSQL and Tansu of a profile (default "run").
#   Scripts/infra.sh start|stop|status [run|test]
#   Scripts/infra.sh start-postgres|stop-postgres|start-tansu|stop-tansu [run|test]
# Ports follow the profile unless TONGBAN_PG_PORT / TONGBAN_KAFKA_PORT say otherwise; tests use
# the single-component forms to restart a server under a running system.
set -euo pipefail
export TONGBAN_PROFILE="${2:-${TONGBAN_PROFILE:-run}}"
source "$(dirname "${BASH_SOURCE[0]}")/lib/infra.sh"
case "${1:-status}" in
  start) infra_start ;;
  stop) infra_stop ;;
  status) infra_status ;;
  start-postgres) postgres_start ;;
  stop-postgres) postgres_stop ;;
  start-tansu) tansu_start ;;
  stop-tansu) tansu_stop ;;
  *) echo "usage: $0 start|stop|status|start-postgres|stop-postgres|start-tansu|stop-tansu [run|test]" >&2; exit 2 ;;
esac
