import Foundation
public import Kafka
public import Logging
public import Metrics
import Plumbing
public import Postgres
public import ServiceLifecycle

/// Moves events from the service's outbox to Kafka. Several instances may run at once: each batch
/// locks some lanes (`FOR UPDATE SKIP LOCKED`), so a key's events are sent by one publisher at a
/// time and in the order they were written. A row is marked published only after the broker
/// acknowledged it; a publisher that dies before that leaves the row to be sent again, and
/// consumers' inboxes drop the duplicate.
public final class OutboxPublisher: Service, Sendable {
    public struct Configuration: Sendable {
        /// Most events in one transaction.
        public var batchSize = 500
        /// Lanes locked per batch; fewer than all lets several publishers share the work.
        public var lanesPerBatch = MessagingTables.laneCount / 2
        /// How long to wait when the outbox is empty.
        public var idleInterval: Duration = .milliseconds(50)
        /// How long published events stay in the outbox for replay.
        public var retention: Duration = .seconds(7 * 24 * 3600)
        /// How often old published events are pruned and the backlog gauge refreshed.
        public var housekeepingInterval: Duration = .seconds(5)

        public init() {}
    }

    let service: String
    let client: PostgresClient
    let producer: KafkaProducer
    let configuration: Configuration
    let logger: Logger
    let backlogGauge: Gauge
    let publishedCounter: Counter
    /// Runs after a batch was sent and before it is marked published: tests make a publisher die there.
    let afterSend: @Sendable () async throws -> Void

    public convenience init(service: String, client: PostgresClient, producer: KafkaProducer, configuration: Configuration = .init(), logger: Logger, metricsFactory: (any MetricsFactory)? = nil) {
        self.init(service: service, client: client, producer: producer, configuration: configuration, logger: logger, metricsFactory: metricsFactory, afterSend: {})
    }

    init(service: String, client: PostgresClient, producer: KafkaProducer, configuration: Configuration = .init(), logger: Logger, metricsFactory: (any MetricsFactory)?, afterSend: @escaping @Sendable () async throws -> Void) {
        self.afterSend = afterSend
        self.service = service
        self.client = client
        self.producer = producer
        self.configuration = configuration
        self.logger = logger
        let factory = metricsFactory ?? MetricsSystem.factory
        backlogGauge = Gauge(label: "outbox_backlog", dimensions: [("service", service)], factory: factory)
        publishedCounter = Counter(label: "outbox_published_total", dimensions: [("service", service)], factory: factory)
    }

    /// Publishes until graceful shutdown; a batch in flight finishes first.
    public func run() async throws {
        await cancelWhenGracefulShutdown { await self.publishUntilCancelled() }
    }

    func publishUntilCancelled() async {
        var lastHousekeeping = ContinuousClock.now - configuration.housekeepingInterval
        // A failed batch (the broker or the database away) was rolled back and is sent again.
        await repeatUntilCancelled(idle: configuration.idleInterval, logger: logger, failure: "outbox batch failed; retrying") {
            if ContinuousClock.now - lastHousekeeping >= configuration.housekeepingInterval {
                try await housekeeping()
                lastHousekeeping = .now
            }
            return try await publishBatch() > 0
        }
    }

    /// Sends one batch and marks it published; returns how many events it moved.
    @discardableResult
    public func publishBatch() async throws -> Int {
        try await client.withTransaction { connection in
            let lanes = try await connection.query("""
                SELECT lane FROM outbox_lanes
                WHERE EXISTS (SELECT 1 FROM outbox WHERE outbox.lane = outbox_lanes.lane AND published_at IS NULL)
                ORDER BY random() LIMIT \(self.configuration.lanesPerBatch)
                FOR UPDATE SKIP LOCKED
                """).decode(Int16.self)
            guard !lanes.isEmpty else { return 0 }
            let rows = try await connection.query("""
                SELECT position, event_id, topic, event_key, event_type, source, occurred_at, payload
                FROM outbox
                WHERE published_at IS NULL AND lane = ANY(\(lanes))
                ORDER BY position
                LIMIT \(self.configuration.batchSize)
                """).decode((Int64, String, String, String, String, String, Date, Data).self)
            guard !rows.isEmpty else { return 0 }

            // Sent in outbox order, so each case's events keep their order; one failure rolls the
            // whole batch back, to be sent again (consumers drop the ones that did arrive).
            let messages = rows.map { (_, id, topic, key, type, source, time, payload) in
                let envelope = Envelope(id: id, source: source, type: type, time: time, key: key, data: Array(payload))
                return KafkaProducerMessage(
                    topic: topic,
                    key: Array(key.utf8),
                    value: envelope.data,
                    headers: envelope.headers.map { KafkaHeader(key: $0.name, value: $0.value) }
                )
            }
            for verdict in await self.producer.sendAndAwait(messages) {
                _ = try verdict.get()
            }
            try await self.afterSend()
            _ = try await connection.query("""
                UPDATE outbox SET published_at = now() WHERE position = ANY(\(rows.map(\.0)))
                """)
            self.publishedCounter.increment(by: rows.count)
            return rows.count
        }
    }

    /// Prunes events published longer ago than the retention, and refreshes the backlog gauge.
    func housekeeping() async throws {
        let cutoff = Date().addingTimeInterval(-Double(configuration.retention.components.seconds))
        _ = try await client.query("DELETE FROM outbox WHERE published_at < \(cutoff)")
        backlogGauge.record(try await Outbox.backlog(on: client))
    }
}
