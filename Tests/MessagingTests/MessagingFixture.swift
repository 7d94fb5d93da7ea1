import Foundation
import Kafka
import Logging
@testable import Messaging
import Metrics
import MetricsTestKit
import Postgres
import ServiceLifecycle
import TestSupport
import Testing

/// A service of its own for one test: a role and schema in the test PostgreSQL with messaging's
/// tables and an `effects` table, an event topic of 3 partitions and a dead-letter topic on Tansu,
/// a producer, and helpers to publish, consume and look.
final class MessagingFixture: Sendable {
    let service: String
    let topic: Topic
    let client: PostgresClient
    let admin: KafkaAdmin
    /// The producer the publisher and the consumer's dead letters use; a producer runs only once,
    /// so a test that stops and starts the system makes another with `makeProducer()`.
    let producer: KafkaProducer
    let logger: Logger
    static let effectsMigration = PostgresMigration(version: 2, name: "effects", sql: """
        CREATE TABLE effects (
            event_id  text    NOT NULL,
            case_key  text    NOT NULL,
            sequence  integer NOT NULL,
            applied   bigint  GENERATED ALWAYS AS IDENTITY
        );
        """)

    init() async throws {
        service = TestInfrastructure.uniqueName("msg").replacingOccurrences(of: "-", with: "_")
        topic = Topic(owner: service.replacingOccurrences(of: "_", with: "-"), event: "thing-happened", partitions: 3, summary: "test events", payload: .mapping([]))
        logger = Logger(label: "test.messaging")
        let password = "pw-\(UUID().uuidString)"
        let adminClient = PostgresClient(configuration: .init(url: TestInfrastructure.adminDatabaseURL), logger: logger)
        try await PostgresServiceSchema.setUp([PostgresServiceSchema(name: service, password: password)], on: adminClient)
        adminClient.close()
        client = PostgresClient(configuration: .init(url: TestInfrastructure.databaseURL(role: service, password: password)), logger: logger)
        _ = try await PostgresMigrator(schema: service, migrations: [MessagingTables.migration, Self.effectsMigration], logger: logger).migrate(on: client)

        let kafka = KafkaConfiguration(bootstrapServers: TestInfrastructure.kafkaBootstrapServers)
        admin = try KafkaAdmin(configuration: kafka, logger: logger)
        producer = try KafkaProducer(configuration: kafka, logger: logger)
        try await createTopics()
    }

    func makeProducer() throws -> KafkaProducer {
        try KafkaProducer(configuration: KafkaConfiguration(bootstrapServers: TestInfrastructure.kafkaBootstrapServers), logger: logger)
    }

    func createTopics() async throws {
        try await TopicSetup.ensure([topic, Topic.deadLetters(of: service)], admin: admin)
    }

    func kafka(group: String) -> KafkaConfiguration {
        var configuration = KafkaConfiguration(bootstrapServers: TestInfrastructure.kafkaBootstrapServers)
        configuration.groupID = group
        configuration.sessionTimeout = .seconds(6)
        configuration.heartbeatInterval = .seconds(1)
        return configuration
    }

    /// The event of a case's `sequence`-th step, as a service would write it.
    func event(key: String, sequence: Int) throws -> Envelope {
        try Envelope(source: "/tongban/130100/\(service)", type: topic.eventType, key: key, payload: Step(sequence: sequence))
    }

    /// Commits `events` to the outbox, as the state changes that caused them would.
    func record(_ events: [Envelope]) async throws {
        try await client.withTransaction { connection in
            for event in events { try await Outbox.append(event, to: self.topic, on: connection) }
        }
    }

    func publisher(producer: KafkaProducer? = nil, metrics: (any MetricsFactory)? = nil, afterSend: @escaping @Sendable () async throws -> Void = {}) -> OutboxPublisher {
        OutboxPublisher(service: service, client: client, producer: producer ?? self.producer, logger: logger, metricsFactory: metrics, afterSend: afterSend)
    }

    /// A consumer applying the events to `effects`: a row per application, so twice shows as two.
    func consumer(group: String, producer: KafkaProducer? = nil, metrics: (any MetricsFactory)? = nil) throws -> EventConsumer {
        try EventConsumer(service: service, topics: [topic.name], kafka: kafka(group: group), client: client, producer: producer ?? self.producer, logger: logger, metricsFactory: metrics) { envelope, connection in
            let step = try envelope.decode(Step.self)
            guard step.sequence >= 0 else { throw PermanentEventFailure("step \(step.sequence) of \(envelope.key) refers to nothing") }
            _ = try await connection.query("INSERT INTO effects (event_id, case_key, sequence) VALUES (\(envelope.id), \(envelope.key), \(step.sequence))")
        }
    }

    /// Every application of an event, in the order applied.
    func effects() async throws -> [Effect] {
        try await client.query("SELECT event_id, case_key, sequence FROM effects ORDER BY applied")
            .decode((String, String, Int).self)
            .map { Effect(eventID: $0.0, key: $0.1, sequence: $0.2) }
    }

    func waitForEffects(_ count: Int, timeout: Duration = .seconds(60)) async throws -> [Effect] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let applied = try await effects()
            if applied.count >= count { return applied }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try await effects()
    }

    /// Reads `topic` from the beginning with a group of its own until `count` messages came.
    func read(_ topic: String, count: Int, timeout: Duration = .seconds(60)) async throws -> [KafkaConsumerMessage] {
        let reader = try KafkaConsumer(configuration: kafka(group: TestInfrastructure.uniqueName("reader")), topics: [topic], logger: logger)
        return try await withThrowingTaskGroup(of: [KafkaConsumerMessage]?.self) { group in
            group.addTask { try await reader.run(); return nil }
            group.addTask {
                var messages: [KafkaConsumerMessage] = []
                let deadline = ContinuousClock.now + timeout
                for try await message in reader.messages {
                    messages.append(message)
                    if messages.count >= count || ContinuousClock.now > deadline { break }
                }
                return messages
            }
            group.addTask { try await Task.sleep(for: timeout); return [] }
            var result: [KafkaConsumerMessage] = []
            while let finished = try await group.next() {
                if let messages = finished { result = messages; break }
            }
            reader.triggerGracefulShutdown()
            group.cancelAll()
            return result
        }
    }

    deinit {
        client.close()
    }
}

struct Effect: Equatable {
    var eventID: String
    var key: String
    var sequence: Int
}

struct Step: Codable {
    var sequence: Int
}

/// Runs `services` for the duration of `body`, then stops them gracefully.
func running<Result: Sendable>(_ services: [any Service], _ body: @escaping @Sendable () async throws -> Result) async throws -> Result {
    try await withThrowingTaskGroup(of: Result?.self) { group in
        for service in services { group.addTask { try await service.run(); return nil } }
        group.addTask { try await body() }
        var result: Result?
        while let finished = try await group.next() {
            if let finished { result = finished; break }
        }
        group.cancelAll()
        return result!
    }
}
