#!/bin/bash
# Makes a region's Kafka cluster ready for Tongban, once, before any service starts (and harmlessly
# again at every `docker compose up`): the SASL/SCRAM users, every topic of the topic registry
# (Shared/Messaging/Topic.swift; Docs/asyncapi.yaml lists the same) with its partitions, retention
# and the cluster's replication factor, and the ACLs that let each user reach only what it needs.
# A test (Tests/DocsTests/ComposeTests.swift) holds these lines to the registry and the services' code.
set -euo pipefail
: "${KAFKA_BOOTSTRAP_SERVERS:?}" "${KAFKA_ADMIN_PASSWORD:?}" "${REPLICATION_FACTOR:?}" "${MIN_INSYNC_REPLICAS:?}"
: "${DEPARTMENT_USER:?}" "${PARTNER_REGION:?}"

bin=/opt/kafka/bin
admin=/tmp/admin.properties
cat >"$admin" <<PROPERTIES
security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${KAFKA_ADMIN_PASSWORD}";
PROPERTIES
kafka() { local tool="$1"; shift; "$bin/$tool" --bootstrap-server "$KAFKA_BOOTSTRAP_SERVERS" --command-config "$admin" "$@"; }

# user NAME PASSWORD: a SCRAM-SHA-512 login (its password replaced if it exists).
user() { kafka kafka-configs.sh --alter --entity-type users --entity-name "$1" --add-config "SCRAM-SHA-512=[password=$2]" >/dev/null; }
# topic NAME PARTITIONS RETENTION_MS
topic() {
  kafka kafka-topics.sh --create --if-not-exists --topic "$1" --partitions "$2" \
    --replication-factor "$REPLICATION_FACTOR" --config "retention.ms=$3" --config "min.insync.replicas=$MIN_INSYNC_REPLICAS"
}
allow() { local principal="User:$1"; shift; kafka kafka-acls.sh --add --allow-principal "$principal" "$@" >/dev/null; }
# produce USER TOPIC: write (and the idempotent producer that comes with it) and describe.
produce() { allow "$1" --operation Write --operation Describe --topic "$2"; }
# consume USER TOPIC: read and describe.
consume() { allow "$1" --operation Read --operation Describe --topic "$2"; }
# group USER GROUP: join and commit offsets in that one consumer group.
group() { allow "$1" --operation Read --operation Describe --group "$2"; }
# group_prefix USER PREFIX: any consumer group whose name starts with PREFIX.
group_prefix() { allow "$1" --operation Read --operation Describe --group "$2" --resource-pattern-type prefixed; }
# provision USER: create Tongban's topics (not read or write them). Every service recreates missing
# topics at start-up and every 30 s — the way back after a broker lost its log — and Kafka answers
# a CreateTopics it may not make with an authorisation error even when the topic exists.
provision() { allow "$1" --operation Create --topic tongban. --resource-pattern-type prefixed; }

echo "users"
user intake "${INTAKE_KAFKA_PASSWORD:?}"
user relay "${RELAY_KAFKA_PASSWORD:?}"
user approval "${APPROVAL_KAFKA_PASSWORD:?}"
user seal "${SEAL_KAFKA_PASSWORD:?}"
user evaluation "${EVALUATION_KAFKA_PASSWORD:?}"
user "$DEPARTMENT_USER" "${DEPARTMENT_KAFKA_PASSWORD:?}"
user "partner-$PARTNER_REGION" "${PARTNER_KAFKA_PASSWORD:?}"

echo "topics (replication factor $REPLICATION_FACTOR)"
topic tongban.intake.case-submitted.v1 6 604800000
topic tongban.intake.materials-supplemented.v1 6 604800000
topic tongban.intake.material-chunk.v1 6 604800000
topic tongban.intake.case-withdrawn.v1 6 604800000
topic tongban.relay.case-received.v1 6 604800000
topic tongban.relay.material-chunk.v1 6 604800000
topic tongban.relay.materials-supplemented.v1 6 604800000
topic tongban.relay.case-withdrawn.v1 6 604800000
topic tongban.relay.partner-update.v1 6 604800000
topic tongban.relay.inbox.v1 6 604800000
topic tongban.relay.quarantine.v1 1 2592000000
topic tongban.approval.tasks-opened.v1 6 604800000
topic tongban.approval.supplement-requested.v1 6 604800000
topic tongban.approval.task-resumed.v1 6 604800000
topic tongban.approval.task-decided.v1 6 604800000
topic tongban.approval.bundle-decided.v1 6 604800000
topic tongban.approval.decision-revoked.v1 6 604800000
topic tongban.seal.licences-issued.v1 6 604800000
topic tongban.evaluation.alert-raised.v1 6 604800000
topic tongban.intake.dlq.v1 1 2592000000
topic tongban.relay.dlq.v1 1 2592000000
topic tongban.approval.dlq.v1 1 2592000000
topic tongban.seal.dlq.v1 1 2592000000
topic tongban.evaluation.dlq.v1 1 2592000000

echo "ACLs"
# intake: its case events out; approval's, seal's and the relay's news about its cases in.
provision intake
produce intake tongban.intake.case-submitted.v1
produce intake tongban.intake.materials-supplemented.v1
produce intake tongban.intake.material-chunk.v1
produce intake tongban.intake.case-withdrawn.v1
produce intake tongban.intake.dlq.v1
consume intake tongban.relay.case-received.v1
consume intake tongban.approval.tasks-opened.v1
consume intake tongban.approval.supplement-requested.v1
consume intake tongban.approval.task-resumed.v1
consume intake tongban.approval.task-decided.v1
consume intake tongban.approval.bundle-decided.v1
consume intake tongban.approval.decision-revoked.v1
consume intake tongban.seal.licences-issued.v1
consume intake tongban.relay.partner-update.v1
group intake tongban.intake

# approval: accepted cases (this region's and handed-over ones) in; tasks and decisions out.
provision approval
produce approval tongban.approval.tasks-opened.v1
produce approval tongban.approval.supplement-requested.v1
produce approval tongban.approval.task-resumed.v1
produce approval tongban.approval.task-decided.v1
produce approval tongban.approval.bundle-decided.v1
produce approval tongban.approval.decision-revoked.v1
produce approval tongban.approval.dlq.v1
consume approval tongban.intake.case-submitted.v1
consume approval tongban.relay.case-received.v1
consume approval tongban.relay.material-chunk.v1
consume approval tongban.relay.materials-supplemented.v1
consume approval tongban.relay.case-withdrawn.v1
consume approval tongban.intake.materials-supplemented.v1
consume approval tongban.intake.case-withdrawn.v1
group approval tongban.approval

# seal: decisions in, licences out.
provision seal
produce seal tongban.seal.licences-issued.v1
produce seal tongban.seal.dlq.v1
consume seal tongban.approval.bundle-decided.v1
consume seal tongban.approval.decision-revoked.v1
group seal tongban.seal

# evaluation: every case clock's events in, alerts out.
provision evaluation
produce evaluation tongban.evaluation.alert-raised.v1
produce evaluation tongban.evaluation.dlq.v1
consume evaluation tongban.intake.case-submitted.v1
consume evaluation tongban.relay.case-received.v1
consume evaluation tongban.relay.case-withdrawn.v1
consume evaluation tongban.intake.case-withdrawn.v1
consume evaluation tongban.relay.partner-update.v1
consume evaluation tongban.approval.tasks-opened.v1
consume evaluation tongban.approval.supplement-requested.v1
consume evaluation tongban.approval.task-resumed.v1
consume evaluation tongban.approval.task-decided.v1
consume evaluation tongban.approval.bundle-decided.v1
consume evaluation tongban.approval.decision-revoked.v1
consume evaluation tongban.seal.licences-issued.v1
group evaluation tongban.evaluation

# relay: this region's events about handed-over cases and its inbox in; what partners sent out.
provision relay
produce relay tongban.relay.case-received.v1
produce relay tongban.relay.material-chunk.v1
produce relay tongban.relay.materials-supplemented.v1
produce relay tongban.relay.case-withdrawn.v1
produce relay tongban.relay.partner-update.v1
produce relay tongban.relay.quarantine.v1
produce relay tongban.relay.dlq.v1
consume relay tongban.intake.case-submitted.v1
consume relay tongban.intake.material-chunk.v1
consume relay tongban.intake.materials-supplemented.v1
consume relay tongban.intake.case-withdrawn.v1
consume relay tongban.approval.tasks-opened.v1
consume relay tongban.approval.supplement-requested.v1
consume relay tongban.approval.task-resumed.v1
consume relay tongban.approval.task-decided.v1
consume relay tongban.approval.bundle-decided.v1
consume relay tongban.approval.decision-revoked.v1
consume relay tongban.seal.licences-issued.v1
consume relay tongban.relay.inbox.v1
group relay tongban.relay
group relay tongban.relay-inbox

# A department's system (Docs/integration-department.md): the decision topics, read-only, in
# consumer groups named after it; nothing else. Repeat these lines for each department.
consume "$DEPARTMENT_USER" tongban.approval.task-decided.v1
consume "$DEPARTMENT_USER" tongban.approval.bundle-decided.v1
consume "$DEPARTMENT_USER" tongban.approval.decision-revoked.v1
group_prefix "$DEPARTMENT_USER" "$DEPARTMENT_USER."

# A partner region's relay writes its signed envelopes into this region's inbox, and nothing else.
# Its producer is not idempotent (its partner settings turn that off), so Write is all it needs.
produce "partner-$PARTNER_REGION" tongban.relay.inbox.v1

echo "ready"
