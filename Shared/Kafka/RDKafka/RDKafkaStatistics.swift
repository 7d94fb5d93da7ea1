import CoreMetrics
import Foundation
import Synchronization

/// The parts of librdkafka's statistics JSON (STATISTICS.md) that Tongban watches.
struct RDKafkaStatistics: Decodable {
    struct Topic: Decodable {
        var partitions: [String: Partition]
    }

    struct Partition: Decodable {
        var partition: Int
        /// -1 when unknown (not assigned, or no committed offset yet).
        var consumerLag: Int64?
    }

    struct ConsumerGroup: Decodable {
        var rebalanceCnt: Int64?
        var assignmentSize: Int64?
    }

    /// Messages in the producer's queues (the producer's queue depth).
    var msgCnt: Int64
    var msgSize: Int64
    /// Events waiting for the application to poll them.
    var replyq: Int64
    var txmsgs: Int64?
    var rxmsgs: Int64?
    var topics: [String: Topic]?
    var cgrp: ConsumerGroup?
}

/// Turns each statistics report into metrics. Every metric has fixed dimensions: the client, and
/// for consumer lag the group, topic and partition; never anything per message.
final class RDKafkaStatisticsRecorder: Sendable {
    private struct Totals {
        var sent: Int64 = 0
        var received: Int64 = 0
        var rebalances: Int64 = 0
        var lagGauges: [KafkaTopicPartition: Gauge] = [:]
    }

    private let factory: any MetricsFactory
    private let clientDimensions: [(String, String)]
    private let group: String
    private let queuedMessages: Gauge
    private let queuedBytes: Gauge
    private let replyQueue: Gauge
    private let messagesSent: Counter
    private let messagesReceived: Counter
    private let rebalances: Counter
    private let assignedPartitions: Gauge
    private let totals = Mutex(Totals())

    /// A recorder for a client of `configuration`, nil when its statistics are off. Without a
    /// factory of its own the metrics go to the bootstrapped `MetricsSystem`.
    convenience init?(_ configuration: KafkaConfiguration, role: KafkaConfiguration.ClientRole, factory: (any MetricsFactory)?) {
        guard configuration.statisticsInterval != nil else { return nil }
        self.init(
            factory: factory ?? MetricsSystem.factory,
            clientID: configuration.clientID,
            role: role,
            group: role == .consumer ? configuration.groupID : nil
        )
    }

    init(factory: any MetricsFactory, clientID: String, role: KafkaConfiguration.ClientRole, group: String?) {
        self.factory = factory
        let dimensions = [("client_id", clientID), ("role", role.rawValue)]
        clientDimensions = dimensions
        self.group = group ?? ""
        queuedMessages = Gauge(label: "kafka_client_queued_messages", dimensions: dimensions, factory: factory)
        queuedBytes = Gauge(label: "kafka_client_queued_bytes", dimensions: dimensions, factory: factory)
        replyQueue = Gauge(label: "kafka_client_reply_queue_events", dimensions: dimensions, factory: factory)
        messagesSent = Counter(label: "kafka_client_messages_sent", dimensions: dimensions, factory: factory)
        messagesReceived = Counter(label: "kafka_client_messages_received", dimensions: dimensions, factory: factory)
        let groupDimensions = dimensions + [("group", self.group)]
        rebalances = Counter(label: "kafka_consumer_rebalances", dimensions: groupDimensions, factory: factory)
        assignedPartitions = Gauge(label: "kafka_consumer_assigned_partitions", dimensions: groupDimensions, factory: factory)
    }

    /// Records one report; a report that does not parse is dropped (the next one comes soon).
    func record(json: UnsafeRawBufferPointer) {
        guard let statistics = try? Self.decoder.decode(RDKafkaStatistics.self, from: Data(json)) else { return }
        queuedMessages.record(statistics.msgCnt)
        queuedBytes.record(statistics.msgSize)
        replyQueue.record(statistics.replyq)
        if let assignment = statistics.cgrp?.assignmentSize { assignedPartitions.record(assignment) }

        let lags: [KafkaTopicPartition: Int64] = (statistics.topics ?? [:]).reduce(into: [:]) { lags, topic in
            // Partition -1 is librdkafka's holding place for messages without a partition yet.
            for partition in topic.value.partitions.values where partition.partition >= 0 {
                lags[KafkaTopicPartition(topic: topic.key, partition: partition.partition)] = partition.consumerLag ?? -1
            }
        }
        let (sent, received, rebalanced, gauges) = totals.withLock { totals in
            defer {
                totals.sent = max(totals.sent, statistics.txmsgs ?? 0)
                totals.received = max(totals.received, statistics.rxmsgs ?? 0)
                totals.rebalances = max(totals.rebalances, statistics.cgrp?.rebalanceCnt ?? 0)
            }
            for partition in lags.keys where totals.lagGauges[partition] == nil && lags[partition]! >= 0 {
                totals.lagGauges[partition] = Gauge(
                    label: "kafka_consumer_lag_messages",
                    dimensions: clientDimensions + [
                        ("group", group), ("topic", partition.topic), ("partition", "\(partition.partition)"),
                    ],
                    factory: factory
                )
            }
            return (
                (statistics.txmsgs ?? 0) - totals.sent,
                (statistics.rxmsgs ?? 0) - totals.received,
                (statistics.cgrp?.rebalanceCnt ?? 0) - totals.rebalances,
                totals.lagGauges
            )
        }
        if sent > 0 { messagesSent.increment(by: sent) }
        if received > 0 { messagesReceived.increment(by: received) }
        if rebalanced > 0 { rebalances.increment(by: rebalanced) }
        // A partition this client no longer owns has no lag here: its new owner reports it.
        for (partition, gauge) in gauges {
            gauge.record(max(lags[partition] ?? 0, 0))
        }
    }

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }()
}
