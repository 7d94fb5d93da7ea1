@testable import Kafka
import Logging
import Testing

@Suite("Kafka configuration")
struct KafkaConfigurationTests {
    @Test("a producer is idempotent and a consumer commits nothing on its own")
    func renderedDefaults() throws {
        var configuration = KafkaConfiguration(bootstrapServers: "127.0.0.1:1, 127.0.0.1:2")
        configuration.groupID = "approval"
        configuration.linger = .milliseconds(7)
        configuration.sessionTimeout = .milliseconds(2500)

        let producer = try configuration.renderedSettings(for: .producer)
        #expect(producer["bootstrap.servers"] == "127.0.0.1:1,127.0.0.1:2")
        #expect(producer["enable.idempotence"] == "true")
        #expect(producer["acks"] == "all")
        #expect(producer["linger.ms"] == "7")
        #expect(producer["message.timeout.ms"] == "300000")
        #expect(producer["group.id"] == nil, "consumer settings stay out of a producer")

        let consumer = try configuration.renderedSettings(for: .consumer)
        #expect(consumer["group.id"] == "approval")
        #expect(consumer["session.timeout.ms"] == "2500")
        #expect(consumer["enable.auto.commit"] == "false")
        #expect(consumer["enable.auto.offset.store"] == "false")
        #expect(consumer["auto.offset.reset"] == "earliest")
        #expect(consumer["enable.idempotence"] == nil)
        // A topic created after a client started is seen within seconds, not librdkafka's 5 minutes.
        #expect(consumer["topic.metadata.refresh.interval.ms"] == "5000")
        #expect(producer["topic.metadata.refresh.interval.ms"] == "5000")
    }

    @Test("additional settings pass through and override the typed ones")
    func passThrough() throws {
        var configuration = KafkaConfiguration(bootstrapServers: ["broker:9093"])
        configuration.securityProtocol = .saslSSL
        configuration.additionalSettings = ["sasl.mechanism": "SCRAM-SHA-512", "linger.ms": "50"]
        let settings = try configuration.renderedSettings(for: .producer)
        #expect(settings["security.protocol"] == "sasl_ssl")
        #expect(settings["sasl.mechanism"] == "SCRAM-SHA-512")
        #expect(settings["linger.ms"] == "50")
    }

    @Test("a consumer refuses settings that would commit what the caller has not processed")
    func managedSettings() throws {
        var configuration = KafkaConfiguration(bootstrapServers: ["broker:9092"])
        configuration.groupID = "seal"
        configuration.additionalSettings = ["enable.auto.commit": "true"]
        let error = try #require(throws: KafkaError.self) { try configuration.renderedSettings(for: .consumer) }
        #expect(error.code == .invalidConfiguration)
        #expect(error.setting == "enable.auto.commit")
    }

    @Test("a consumer without a group is refused, naming group.id")
    func missingGroup() throws {
        let configuration = KafkaConfiguration(bootstrapServers: ["broker:9092"])
        let error = try #require(throws: KafkaError.self) {
            try KafkaConsumer(configuration: configuration, topics: ["t"], logger: testLogger)
        }
        #expect(error.code == .invalidConfiguration)
        #expect(error.setting == "group.id")
    }

    @Test("librdkafka's rejection of a bad value is a typed error naming the setting")
    func badValue() throws {
        var configuration = KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"])
        configuration.additionalSettings = ["queue.buffering.max.messages": "plenty"]
        let error = try #require(throws: KafkaError.self) { try KafkaProducer(configuration: configuration, logger: testLogger) }
        #expect(error.code == .invalidConfiguration)
        #expect(error.setting == "queue.buffering.max.messages")
        #expect(error.reason.contains("queue.buffering.max.messages"))
    }

    @Test("an unknown setting is a typed error naming it")
    func unknownSetting() throws {
        var configuration = KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"])
        configuration.additionalSettings = ["no.such.setting": "1"]
        let error = try #require(throws: KafkaError.self) { try KafkaAdmin(configuration: configuration, logger: testLogger) }
        #expect(error.code == .invalidConfiguration)
        #expect(error.setting == "no.such.setting")
    }

    @Test("a negative duration is refused before librdkafka sees it")
    func negativeDuration() throws {
        var configuration = KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"])
        configuration.messageTimeout = .seconds(-1)
        let error = try #require(throws: KafkaError.self) { try KafkaProducer(configuration: configuration, logger: testLogger) }
        #expect(error.setting == "message.timeout.ms")
    }

    @Test("idempotence without acks=all is refused when the client is created")
    func idempotenceNeedsAllAcks() throws {
        var configuration = KafkaConfiguration(bootstrapServers: ["127.0.0.1:1"])
        configuration.acks = .leader
        let error = try #require(throws: KafkaError.self) { try KafkaProducer(configuration: configuration, logger: testLogger) }
        #expect(error.code == .clientCreation)
        #expect(error.reason.contains("acks"))
    }
}

extension KafkaConfiguration {
    /// What a client of this role hands to librdkafka, later settings winning as they do there.
    fileprivate func renderedSettings(for role: ClientRole) throws -> [String: String] {
        Dictionary(try librdkafkaSettings(for: role).map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
    }
}
