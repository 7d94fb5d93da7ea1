#!/usr/bin/env bash
# Writes Compose/.env once: a random password for every database role and Kafka user, the seal
# key-encryption key and the Kafka cluster ids, for both the home region and the trial partner.
# It never overwrites an existing .env (its passwords are already in the volumes). Docker Compose
# reads .env from the compose file's folder; keep it out of git (it is ignored) and off shared disks.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if [ -f .env ]; then
  echo "Compose/.env exists; keeping it" >&2
  exit 0
fi
secret() { openssl rand -base64 24 | tr '+/' '-_' | tr -d '='; }
cluster_id() { openssl rand -base64 16 | tr '+/' '-_' | tr -d '=' | cut -c1-22; }
umask 077
{
  echo "# Made by Compose/make-env.sh on $(date -u +%Y-%m-%dT%H:%M:%SZ). Docs/configuration.md explains each."
  for prefix in "" PARTNER_; do
    echo "${prefix}PG_ADMIN_PASSWORD=$(secret)"
    for service in INTAKE RELAY APPROVAL SEAL EVALUATION; do
      echo "${prefix}${service}_DB_PASSWORD=$(secret)"
      echo "${prefix}${service}_KAFKA_PASSWORD=$(secret)"
    done
    echo "${prefix}KAFKA_ADMIN_PASSWORD=$(secret)"
    echo "${prefix}KAFKA_CLUSTER_ID=$(cluster_id)"
    echo "${prefix}DEPARTMENT_KAFKA_PASSWORD=$(secret)"
    echo "${prefix}SEAL_KEY_ENCRYPTION_KEY=$(openssl rand -base64 32)"
  done
  echo "PARTNER_TO_HOME_INBOX_PASSWORD=$(secret)"
  echo "HOME_TO_PARTNER_INBOX_PASSWORD=$(secret)"
} >.env
echo "wrote Compose/.env" >&2
