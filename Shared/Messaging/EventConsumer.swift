import Foundation
public import Kafka
public import Logging
public import Metrics
import Plumbing
public import Postgres
public import ServiceLifecycle

/// What a handler throws when an event can never be applied (it names a case this service has
/// never heard of, say): the event goes to the dead-letter topic with `reason`, and the partition
/// moves on.
public struct PermanentEventFailure: Error, CustomStringConvertible {
    public var reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// Applies events from Kafka to the service's database, each exactly once: the transaction that
/// runs an event's handler also records its id in the inbox, and the Kafka offsets are committed
/// only after every transaction of their batch committed. A redelivered event finds its id and
/// changes nothing. One case's events are applied in the order they came, different cases' side by
/// side; the events of a batch that share a lane go in one transaction, and should one fail, one
/// transaction each (see `process(_:)` for a batch).
///
/// - An unreadable message (not an envelope, wrong payload) or a `PermanentEventFailure` goes to
///   `tongban.<service>.dlq.v1` with the original key, headers and value plus the reason.
/// - A transient failure (the database is down, a serialization conflict) is retried with backoff
///   for as long as it takes: the message is not lost and the partition waits.
/// - Any other error is retried a few times, then dead-lettered, so that a bug cannot stop a partition.
public final class EventConsumer: Service, Sendable {
    public typealias Handler = @Sendable (Envelope, PostgresConnection) async throws -> Void

    let service: String
    let consumer: KafkaConsumer
    let producer: KafkaProducer
    let client: PostgresClient
    let handler: Handler
    let logger: Logger
    let deadLetterTopic: String
    let appliedCounter: Counter
    let duplicateCounter: Counter
    let deadLetterCounter: Counter
    static let attemptsForUnknownErrors = 5

    /// `kafka` must carry the consumer group (e.g. `tongban.approval`); `producer` sends dead letters
    /// to the service's dead-letter topic in `namespace`.
    public init(
        service: String,
        namespace: String = "",
        topics: [String],
        kafka: KafkaConfiguration,
        client: PostgresClient,
        producer: KafkaProducer,
        logger: Logger,
        metricsFactory: (any MetricsFactory)? = nil,
        handler: @escaping Handler
    ) throws(KafkaError) {
        consumer = try KafkaConsumer(configuration: kafka, topics: topics, logger: logger, metricsFactory: metricsFactory)
        self.service = service
        self.producer = producer
        self.client = client
        self.handler = handler
        self.logger = logger
        deadLetterTopic = Topic.deadLetters(of: service).inNamespace(namespace).name
        let factory = metricsFactory ?? MetricsSystem.factory
        appliedCounter = Counter(label: "events_applied_total", dimensions: [("service", service)], factory: factory)
        duplicateCounter = Counter(label: "events_duplicate_total", dimensions: [("service", service)], factory: factory)
        deadLetterCounter = Counter(label: "events_dead_lettered_total", dimensions: [("service", service)], factory: factory)
    }

    public func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.consumer.run() }
            group.addTask {
                while true {
                    let batch = try await self.consumer.messages.nextBatch(maximum: Self.batchSize)
                    if batch.isEmpty { return }
                    await self.process(batch)
                    do {
                        // Every message of the batch is applied or set aside: the highest offset of
                        // each partition goes into one commit.
                        var last: [KafkaTopicPartition: KafkaConsumerMessage] = [:]
                        for message in batch where message.offset >= last[message.topicPartition]?.offset ?? -1 {
                            last[message.topicPartition] = message
                        }
                        for message in last.values { try self.consumer.storeOffset(message) }
                        try await self.consumer.commit()
                    } catch {
                        // The partition moved to another member during a rebalance; it reads the
                        // messages again and its inbox drops them.
                        self.logger.info("offsets not committed", metadata: ["error": "\(error)"])
                    }
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    /// Most messages applied between two commits.
    static let batchSize = 64
    /// Keys whose events are applied at the same time, each in its own transaction.
    static let concurrentKeys = 4

    /// Applies a batch: one key's events one after another in the order they came (so a case's
    /// events keep their order, whichever topics they came from), different keys' side by side, so
    /// that a backlog is worked through on several connections rather than one commit at a time.
    func process(_ batch: [KafkaConsumerMessage]) async {
        guard batch.count > 1 else {
            if let message = batch.first { await process(message) }
            return
        }
        var lanes = [[KafkaConsumerMessage]](repeating: [], count: Self.concurrentKeys)
        for message in batch {
            lanes[Self.lane(of: message.key)].append(message)
        }
        await withTaskGroup(of: Void.self) { group in
            for lane in lanes where !lane.isEmpty {
                group.addTask {
                    if lane.count > 1, await self.applyTogether(lane) { return }
                    for message in lane { await self.process(message) }
                }
            }
        }
    }

    /// The usual case for a lane of a batch: all its events in one transaction, so one commit
    /// instead of one per event. Any failure rolls them all back and returns false; the caller then
    /// applies them one by one, with their retries and dead letters.
    func applyTogether(_ messages: [KafkaConsumerMessage]) async -> Bool {
        var envelopes: [Envelope] = []
        for message in messages {
            guard let envelope = try? Envelope(key: message.key, headers: message.headers.map { ($0.key, $0.value ?? []) }, value: message.value) else {
                return false
            }
            envelopes.append(envelope)
        }
        do {
            let applied = try await client.withTransaction { connection in
                var applied = 0
                for (message, envelope) in zip(messages, envelopes) {
                    guard try await Self.recordInInbox(envelope, message, on: connection) else { continue }
                    try await self.handler(envelope, connection)
                    applied += 1
                }
                return applied
            }
            if applied > 0 { appliedCounter.increment(by: applied) }
            if applied < messages.count { duplicateCounter.increment(by: messages.count - applied) }
            return true
        } catch {
            return false
        }
    }

    /// FNV-1a of the key: the same key always takes the same lane.
    static func lane(of key: [UInt8]?) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in key ?? [] {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return Int(hash % UInt64(concurrentKeys))
    }

    /// Applies one message, or sets it aside; returns only when one of the two has happened.
    func process(_ message: KafkaConsumerMessage) async {
        let envelope: Envelope
        do {
            envelope = try Envelope(
                key: message.key,
                headers: message.headers.map { ($0.key, $0.value ?? []) },
                value: message.value
            )
        } catch {
            await deadLetter(message, reason: error.description)
            return
        }
        var logger = logger
        logger[metadataKey: "case.number"] = "\(envelope.key)"
        logger[metadataKey: "event.id"] = "\(envelope.id)"
        var backoff = Backoff()
        var attempt = 0
        while true {
            attempt += 1
            do {
                let applied = try await client.withTransaction { connection in
                    guard try await Self.recordInInbox(envelope, message, on: connection) else { return false }
                    try await self.handler(envelope, connection)
                    return true
                }
                (applied ? appliedCounter : duplicateCounter).increment()
                return
            } catch let failure as PermanentEventFailure {
                await deadLetter(message, reason: failure.reason)
                return
            } catch let failure as EnvelopeError {
                await deadLetter(message, reason: failure.description)
                return
            } catch let failure as PostgresError where failure.isTransient {
                logger.warning("database unavailable; retrying the event", metadata: ["error": "\(failure)", "retry.in_ms": "\(backoff.delay.wholeMilliseconds)"])
            } catch {
                guard attempt < Self.attemptsForUnknownErrors, !Task.isCancelled else {
                    await deadLetter(message, reason: "not applied after \(attempt) attempts: \(error)")
                    return
                }
                logger.warning("event failed; retrying", metadata: ["error": "\(error)", "attempt": "\(attempt)"])
            }
            await backoff.pause()
        }
    }

    /// Records the event as applied; false when it was already (a redelivery).
    static func recordInInbox(_ envelope: Envelope, _ message: KafkaConsumerMessage, on connection: PostgresConnection) async throws -> Bool {
        let recorded = try await connection.query("""
            INSERT INTO inbox (event_id, topic, kafka_partition, kafka_offset)
            VALUES (\(envelope.id), \(message.topic), \(message.partition), \(message.offset))
            ON CONFLICT (event_id) DO NOTHING
            RETURNING 1
            """)
        return !recorded.isEmpty
    }

    /// Sends the message, unchanged, to the dead-letter topic with the reason; retries until the broker has it.
    func deadLetter(_ message: KafkaConsumerMessage, reason: String) async {
        let added = [
            KafkaHeader(key: "dlq_reason", value: reason),
            KafkaHeader(key: "dlq_topic", value: message.topic),
            KafkaHeader(key: "dlq_partition", value: String(message.partition)),
            KafkaHeader(key: "dlq_offset", value: String(message.offset)),
            KafkaHeader(key: "dlq_time", value: Envelope.formatTime(Date())),
        ]
        let letter = KafkaProducerMessage(topic: deadLetterTopic, key: message.key, value: message.value, headers: message.headers + added)
        let sent: Void? = await retryUntilSuccess(failed: { error, _ in
            logger.error("dead-letter topic unreachable; retrying", metadata: ["error": "\(error)"])
        }) {
            _ = try await producer.sendAndAwait(letter)
        }
        guard sent != nil else { return }
        deadLetterCounter.increment()
        logger.warning("event set aside in the dead-letter topic", metadata: [
            "kafka.topic": "\(message.topic)", "kafka.partition": "\(message.partition)", "kafka.offset": "\(message.offset)", "reason": "\(reason)",
        ])
    }
}
