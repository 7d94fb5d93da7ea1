#!/bin/bash
# One Apache Kafka node in KRaft mode, broker and controller in one process: SASL/SCRAM for clients
# and between brokers, SASL/PLAIN between brokers and controllers (KRaft's controllers cannot check
# SCRAM, whose credentials live in the metadata they serve), and ACLs with nothing allowed unless
# granted. The compose file gives each node its id, addresses and the cluster's replication factor.
set -euo pipefail
: "${KAFKA_NODE_ID:?}" "${KAFKA_CLUSTER_ID:?}" "${KAFKA_CONTROLLER_QUORUM_VOTERS:?}" "${KAFKA_ADMIN_PASSWORD:?}"
: "${KAFKA_ADVERTISED_HOST:?}" "${KAFKA_EXTERNAL_ADVERTISED:?}" "${REPLICATION_FACTOR:?}" "${MIN_INSYNC_REPLICAS:?}"

config=/tmp/server.properties
cat >"$config" <<PROPERTIES
process.roles=broker,controller
node.id=${KAFKA_NODE_ID}
controller.quorum.voters=${KAFKA_CONTROLLER_QUORUM_VOTERS}
listeners=INTERNAL://:9092,EXTERNAL://:29092,CONTROLLER://:9093
advertised.listeners=INTERNAL://${KAFKA_ADVERTISED_HOST}:9092,EXTERNAL://${KAFKA_EXTERNAL_ADVERTISED}
listener.security.protocol.map=INTERNAL:SASL_PLAINTEXT,EXTERNAL:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT
inter.broker.listener.name=INTERNAL
controller.listener.names=CONTROLLER
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.internal.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${KAFKA_ADMIN_PASSWORD}";
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="${KAFKA_ADMIN_PASSWORD}" user_admin="${KAFKA_ADMIN_PASSWORD}";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:admin
allow.everyone.if.no.acl.found=false
# Topics that services recreate after a loss get the same durability as those kafka-setup made.
default.replication.factor=${REPLICATION_FACTOR}
min.insync.replicas=${MIN_INSYNC_REPLICAS}
offsets.topic.replication.factor=${REPLICATION_FACTOR}
transaction.state.log.replication.factor=${REPLICATION_FACTOR}
transaction.state.log.min.isr=${MIN_INSYNC_REPLICAS}
auto.create.topics.enable=false
unclean.leader.election.enable=false
group.initial.rebalance.delay.ms=0
log.dirs=/var/lib/kafka/data
PROPERTIES

# The admin user must exist before the brokers can talk to each other, so it is written into the
# metadata log when the node is formatted; every other user is made by kafka-setup. A node that
# is already formatted keeps its data.
/opt/kafka/bin/kafka-storage.sh format --ignore-formatted --cluster-id "$KAFKA_CLUSTER_ID" --config "$config" \
  --add-scram "SCRAM-SHA-512=[name=admin,password=${KAFKA_ADMIN_PASSWORD}]"
exec /opt/kafka/bin/kafka-server-start.sh "$config"
