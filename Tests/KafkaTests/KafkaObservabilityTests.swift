import InMemoryLogging
import Kafka
import Logging
import MetricsTestKit
import TestSupport
import Testing

/// librdkafka's logs reach swift-log and its statistics reach swift-metrics, through handlers the
/// test passes in (no global bootstrap).
@Suite("Kafka logs and metrics", .timeLimit(.minutes(2)))
struct KafkaObservabilityTests {
    @Test("librdkafka's own log lines arrive in swift-log with their level and facility")
    func logBridge() async throws {
        let handler = InMemoryLogHandler()
        let logger = Logger(label: "tongban.kafka.tests") { _ in handler }
        var configuration = configurationForTests(bootstrapServers: "127.0.0.1:1")
        configuration.messageTimeout = .seconds(1)
        let producer = try KafkaProducer(configuration: configuration, logger: logger)
        try await withRunning(producer) {
            _ = try? await producer.sendAndAwait(KafkaProducerMessage(topic: "t", key: "k", value: "v"))
        }
        // The refused connection to port 1 is librdkafka's error, logged by its broker thread.
        let refused = handler.entries.filter { "\($0.message)".contains("127.0.0.1:1") && $0.level >= .warning }
        #expect(!refused.isEmpty, "entries: \(handler.entries.map { "\($0.level) \($0.message)" })")
        #expect(refused.allSatisfy { $0.metadata["kafka.facility"] != nil && $0.metadata["kafka.client"] != nil })
    }

    @Test("secrets in the configuration never reach the log, even at trace level")
    func noSecretsLogged() async throws {
        let handler = InMemoryLogHandler()
        var logger = Logger(label: "tongban.kafka.tests") { _ in handler }
        logger.logLevel = .trace
        let secret = "hunter2-do-not-log"
        var configuration = configurationForTests(bootstrapServers: "127.0.0.1:1")
        configuration.additionalSettings = ["sasl.username": "relay-130100", "sasl.password": secret, "ssl.key.password": secret]
        _ = try KafkaProducer(configuration: configuration, logger: logger)

        let created = try #require(handler.entries.first { "\($0.message)" == "Kafka client created" })
        let settings = "\(created.metadata["kafka.settings"] ?? "")"
        #expect(settings.contains("sasl.username=relay-130100"))
        #expect(settings.contains("sasl.password=[redacted]"))
        #expect(settings.contains("ssl.key.password=[redacted]"))
        let everything = handler.entries.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n")
        #expect(!everything.contains(secret))
    }

    @Test("producer statistics become metrics: messages sent and queue depth, per client")
    func producerMetrics() async throws {
        let cluster = try MockKafkaCluster()
        let metrics = TestMetrics()
        var configuration = cluster.configuration()
        configuration.statisticsInterval = .milliseconds(100)
        let topic = TestInfrastructure.uniqueName("mock-metrics")
        try cluster.createTopic(topic, partitions: 2)

        let producer = try KafkaProducer(configuration: configuration, logger: testLogger, metricsFactory: metrics)
        let dimensions = [("client_id", "tongban-kafka-tests"), ("role", "producer")]
        let counted = try await withRunning(producer) {
            for index in 0..<100 {
                try producer.send(KafkaProducerMessage(topic: topic, key: "\(index)", value: "v"))
            }
            return await eventually(timeout: .seconds(10)) {
                metrics.counters(label: "kafka_client_messages_sent", dimensions: dimensions).reduce(0) { $0 + $1.totalValue } >= 100
            }
        }
        #expect(counted)
        let queueDepth = try metrics.expectGauge("kafka_client_queued_messages", dimensions)
        #expect(queueDepth.lastValue != nil)
    }

    @Test("consumer lag per partition is reported from the committed offset")
    func consumerLag() async throws {
        let cluster = try MockKafkaCluster()
        let metrics = TestMetrics()
        let group = TestInfrastructure.uniqueName("mock-lag")
        var configuration = cluster.configuration(group: group)
        configuration.statisticsInterval = .milliseconds(100)
        let topic = TestInfrastructure.uniqueName("mock-lag")
        try cluster.createTopic(topic, partitions: 1)
        let producer = try KafkaProducer(configuration: configuration, logger: testLogger)
        try await withRunning(producer) {
            for index in 0..<10 {
                try await producer.sendAndAwait(KafkaProducerMessage(topic: topic, key: "k", value: "\(index)"))
            }
        }

        let consumer = try KafkaConsumer(configuration: configuration, topics: [topic], logger: testLogger, metricsFactory: metrics)
        let dimensions = [
            ("client_id", "tongban-kafka-tests"), ("role", "consumer"), ("group", group), ("topic", topic), ("partition", "0"),
        ]
        let lagShown = try await withRunning(consumer) {
            let received = try await collect(consumer.messages, count: 4)
            try await consumer.commit(try #require(received.last))
            return await eventually(timeout: .seconds(10)) {
                (try? metrics.expectGauge("kafka_consumer_lag_messages", dimensions))?.lastValue == 6
            }
        }
        #expect(lagShown)
    }
}
