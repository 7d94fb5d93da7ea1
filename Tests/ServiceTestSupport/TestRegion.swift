public import Foundation
public import Kafka
public import Logging
public import Messaging
import Postgres
public import ServiceKit
import Synchronization
import TestSupport

/// One Tongban deployment for one test, beside every other test on the same PostgreSQL and Tansu:
/// its own topic namespace (so its services see only its own events), a schema and role per
/// service it runs, and its own token signing key. Services are built from `runtime(for:)` exactly
/// as `ServiceRunner` builds them from the environment.
public final class TestRegion: Sendable {
    public let namespace: String
    public let region: String
    /// The Kafka cluster and database this region runs on: the shared test ones unless told otherwise.
    public let cluster: TestCluster
    public let signingKey = TokenSigningKey.generate()
    public let logger: Logger
    let producerConfiguration: KafkaConfiguration

    public init(region: String = "130100", cluster: TestCluster = .shared) throws {
        namespace = TestInfrastructure.uniqueName("t")
        self.region = region
        self.cluster = cluster
        var logger = Logger(label: "tongban.test")
        logger.logLevel = ProcessInfo.processInfo.environment["TONGBAN_TEST_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
        self.logger = logger
        var kafka = KafkaConfiguration(bootstrapServers: cluster.kafkaBootstrapServers)
        // A broker the test stops must not leave the region's publishing waiting five minutes.
        kafka.messageTimeout = .seconds(30)
        kafka.statisticsInterval = nil
        producerConfiguration = kafka
    }

    /// A runtime for `service` on a schema and role of its own (`<service>_<suffix>`), in this
    /// region's topic namespace. `environment` adds or overrides variables.
    public func runtime(for service: ServiceName, environment extra: [String: String] = [:], logger: Logger? = nil) async throws -> ServiceRuntime {
        let environment = try await environment(for: service, extra: extra)
        let configuration = try ServiceConfiguration(service: service, environment: EnvironmentVariables(environment))
        let verifier = try await TokenVerifier(jwks: signingKey.verificationJWKS, issuer: configuration.tokenIssuer, audience: configuration.tokenAudience)
        return try ServiceRuntime(configuration: configuration, logger: logger ?? self.logger, metrics: ServiceMetrics(), tokenVerifier: verifier)
    }

    /// The environment `service` runs with in this region — in a test's runtime or as its real
    /// executable: a schema and login role of its own (`<service>_<suffix>`, made now), this
    /// region's broker, topic namespace and token keys, and any HTTP port. `extra` adds or overrides.
    public func environment(for service: ServiceName, extra: [String: String] = [:]) async throws -> [String: String] {
        let schema = "\(service.rawValue)_\(namespace.dropFirst(2))".replacingOccurrences(of: "-", with: "_")
        let password = "pw-\(UUID().uuidString)"
        let admin = PostgresClient(configuration: .init(url: cluster.adminDatabaseURL), logger: self.logger)
        defer { admin.close() }
        try await PostgresServiceSchema.setUp([PostgresServiceSchema(name: schema, password: password)], on: admin)
        var environment = [
            "TONGBAN_DATABASE_URL": cluster.databaseURL(role: schema, password: password),
            "TONGBAN_DATABASE_SCHEMA": schema,
            "TONGBAN_TOKEN_JWKS": signingKey.verificationJWKS,
            "TONGBAN_HTTP_PORT": "0",
            "TONGBAN_KAFKA_BOOTSTRAP_SERVERS": cluster.kafkaBootstrapServers,
            "TONGBAN_TOPIC_NAMESPACE": namespace,
            "TONGBAN_REGION": region,
        ]
        environment.merge(extra) { _, new in new }
        return environment
    }

    /// `topic` in this region's namespace.
    public func topic(_ topic: Topic) -> Topic {
        topic.inNamespace(namespace)
    }

    /// A bearer token for `principal`, as the identity provider would issue it.
    public func token(_ principal: Principal, lifetime: Duration = .seconds(3600)) async throws -> String {
        try await signingKey.issueToken(for: principal, issuer: "tongban-local", audience: "tongban", lifetime: lifetime)
    }

    /// Publishes an event as another service would, straight to this region's `topic`.
    public func publish<Payload: Encodable>(_ payload: Payload, to topic: Topic, key: String, source: String? = nil, id: String = UUID().uuidString.lowercased()) async throws -> Envelope {
        let envelope = try Envelope(source: source ?? "/tongban/\(region)/\(topic.owner)", type: topic.eventType, key: key, payload: payload, id: id)
        try await publish(envelope, to: topic)
        return envelope
    }

    /// Publishes `envelope` unchanged (say, a second time) to this region's `topic`.
    public func publish(_ envelope: Envelope, to topic: Topic) async throws {
        try await TopicSetup.ensure([self.topic(topic)], admin: KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: cluster.kafkaBootstrapServers), logger: logger))
        let message = KafkaProducerMessage(
            topic: self.topic(topic).name,
            key: Array(envelope.key.utf8),
            value: envelope.data,
            headers: envelope.headers.map { KafkaHeader(key: $0.name, value: $0.value) }
        )
        // A producer's delivery reports come only while it runs: one runs for this message.
        let producer = try KafkaProducer(configuration: producerConfiguration, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await producer.run() }
            do {
                _ = try await producer.sendAndAwait(message)
            } catch {
                producer.triggerGracefulShutdown()
                throw error
            }
            producer.triggerGracefulShutdown()
            try await group.waitForAll()
        }
    }

    /// Reads this region's `topic` from the beginning until `count` events whose key is `key`
    /// (every event when nil) arrived, or `timeout` passed; returns what came.
    public func events(on topic: Topic, key: String? = nil, count: Int = 1, timeout: Duration = .seconds(60)) async throws -> [Envelope] {
        try await messages(on: topic, key: key, count: count, timeout: timeout).map(Self.envelope)
    }

    /// For a test that expects exactly `count` events: reads until `count` arrived (or `timeout`
    /// passed), then on for `settle` more, so that a duplicate shows. The wait for more starts once
    /// the expected ones are in, never before the reader has joined its group: a second reader with
    /// a window of its own once saw nothing while its join took longer than the window, and the
    /// test counted zero events where there was one.
    public func events(on topic: Topic, key: String? = nil, exactly count: Int, settle: Duration = .seconds(5), timeout: Duration = .seconds(60)) async throws -> [Envelope] {
        try await messages(on: topic, key: key, count: count, timeout: timeout, settle: settle).map(Self.envelope)
    }

    static func envelope(_ message: KafkaConsumerMessage) throws -> Envelope {
        try Envelope(key: message.key, headers: message.headers.map { ($0.key, $0.value ?? []) }, value: message.value)
    }

    /// Like `events`, but the Kafka messages as they are (dead letters, quarantined messages: their
    /// `dlq_*` headers). With `settle`, reading goes on for that long after `count` arrived.
    public func messages(on topic: Topic, key: String? = nil, count: Int = 1, timeout: Duration = .seconds(60), settle: Duration? = nil) async throws -> [KafkaConsumerMessage] {
        var kafka = KafkaConfiguration(bootstrapServers: cluster.kafkaBootstrapServers)
        kafka.groupID = TestInfrastructure.uniqueName("reader")
        kafka.autoOffsetReset = .earliest
        kafka.statisticsInterval = nil
        let reader = try KafkaConsumer(configuration: kafka, topics: [self.topic(topic).name], logger: logger)
        // What came so far, also when the timeout ends the wait: a test that expects one event and
        // asks for two, to see that no second one follows, gets the one.
        let received = ReceivedMessages()
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask { try await reader.run(); return false }
            group.addTask {
                for try await message in reader.messages {
                    let enough = received.messages.withLock { messages in
                        if key == nil || message.key.map({ String(decoding: $0, as: UTF8.self) }) == key { messages.append(message) }
                        return messages.count >= count
                    }
                    if enough {
                        guard settle != nil else { break }
                        received.completedAt.withLock { $0 = $0 ?? .now }
                    }
                }
                return true
            }
            if let settle {
                // Ends the read `settle` after the expected messages were all in.
                group.addTask {
                    while true {
                        if let completed = received.completedAt.withLock({ $0 }), ContinuousClock.now >= completed + settle { return true }
                        try await Task.sleep(for: .milliseconds(100))
                    }
                }
            }
            group.addTask { try await Task.sleep(for: timeout); return true }
            while let finished = try await group.next() {
                if finished { break }
            }
            reader.triggerGracefulShutdown()
            group.cancelAll()
        }
        return received.messages.withLock { $0 }
    }
}

private final class ReceivedMessages: Sendable {
    let messages = Mutex<[KafkaConsumerMessage]>([])
    /// When the expected count was reached, for a read that settles after it.
    let completedAt = Mutex<ContinuousClock.Instant?>(nil)
}

/// Where a test region runs: a Kafka cluster and a database on the test PostgreSQL. Every region
/// shares the test profile's unless it is another region's stand-in (跨省通办 tests: a partner with
/// a broker and a database of its own).
public struct TestCluster: Sendable {
    public var kafkaBootstrapServers: String
    /// The cluster superuser's URL, on this cluster's database.
    public var adminDatabaseURL: String

    public init(kafkaBootstrapServers: String, adminDatabaseURL: String) {
        self.kafkaBootstrapServers = kafkaBootstrapServers
        self.adminDatabaseURL = adminDatabaseURL
    }

    /// The test profile's PostgreSQL database and Tansu broker.
    public static var shared: TestCluster {
        TestCluster(kafkaBootstrapServers: TestInfrastructure.kafkaBootstrapServers, adminDatabaseURL: TestInfrastructure.adminDatabaseURL)
    }

    /// A cluster with `kafkaBootstrapServers` (a broker the test started, say) and a new database of
    /// its own on the test PostgreSQL, made through the admin URL.
    public static func withOwnDatabase(kafkaBootstrapServers: String, logger: Logger) async throws -> TestCluster {
        let name = TestInfrastructure.uniqueName("tongban").replacingOccurrences(of: "-", with: "_")
        let admin = PostgresClient(configuration: .init(url: TestInfrastructure.adminDatabaseURL), logger: logger)
        defer { admin.close() }
        _ = try await admin.query("CREATE DATABASE \(identifier: name)")
        return TestCluster(kafkaBootstrapServers: kafkaBootstrapServers, adminDatabaseURL: Self.replacingDatabase(in: TestInfrastructure.adminDatabaseURL, with: name))
    }

    /// The URL `role` logs in with, on this cluster's database.
    public func databaseURL(role: String, password: String) -> String {
        guard let scheme = adminDatabaseURL.range(of: "://"), let at = adminDatabaseURL[scheme.upperBound...].firstIndex(of: "@") else {
            return TestInfrastructure.databaseURL(role: role, password: password)
        }
        return String(adminDatabaseURL[..<scheme.upperBound]) + "\(role):\(password)" + String(adminDatabaseURL[at...])
    }

    static func replacingDatabase(in url: String, with database: String) -> String {
        guard let scheme = url.range(of: "://"), let slash = url[scheme.upperBound...].firstIndex(of: "/") else { return url }
        let rest = url[url.index(after: slash)...]
        let query = rest.firstIndex(of: "?").map { String(rest[$0...]) } ?? ""
        return String(url[...slash]) + database + query
    }
}

