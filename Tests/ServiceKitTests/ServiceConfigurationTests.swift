import Kafka
import Logging
@testable import ServiceKit
import Testing

@Suite("service configuration from the environment")
struct ServiceConfigurationTests {
    /// What every service needs at the least: the keys its tokens are verified with.
    static let keys = ["TONGBAN_TOKEN_JWKS": TokenSigningKey.generate().verificationJWKS]

    @Test("defaults fit the local set-up")
    func defaults() throws {
        let configuration = try ServiceConfiguration(service: .seal, environment: EnvironmentVariables(Self.keys))
        #expect(configuration.httpHost == "127.0.0.1")
        #expect(configuration.httpPort == 8084)
        #expect(configuration.kafkaBootstrapServers == "127.0.0.1:19092")
        #expect(configuration.logLevel == .info)
        #expect(configuration.logFormat == .json)
    }

    @Test("values from the environment win")
    func overrides() throws {
        let configuration = try ServiceConfiguration(service: .intake, environment: EnvironmentVariables([
            "TONGBAN_HTTP_HOST": "0.0.0.0",
            "TONGBAN_HTTP_PORT": " 9000 ",
            "TONGBAN_LOG_LEVEL": "DEBUG",
            "TONGBAN_LOG_FORMAT": "text",
            "TONGBAN_KAFKA_BOOTSTRAP_SERVERS": "kafka-1:9092,kafka-2:9092",
        ].merging(Self.keys) { $1 }))
        #expect(configuration.httpHost == "0.0.0.0")
        #expect(configuration.httpPort == 9000)
        #expect(configuration.logLevel == .debug)
        #expect(configuration.logFormat == .text)
        #expect(configuration.kafkaBootstrapServers == "kafka-1:9092,kafka-2:9092")
    }

    @Test("a malformed value names its variable", arguments: [
        ("TONGBAN_HTTP_PORT", "http", "'http' is not a whole number"),
        ("TONGBAN_HTTP_PORT", "70000", "70000 is outside 0...65535"),
        ("TONGBAN_LOG_LEVEL", "loud", "'loud' is not one of trace, debug, info, notice, warning, error, critical"),
        ("TONGBAN_DATABASE_URL", "  ", "is set but empty"),
    ])
    func malformed(variable: String, value: String, problem: String) {
        #expect(throws: ConfigurationError(variable: variable, problem: problem)) {
            try ServiceConfiguration(service: .approval, environment: EnvironmentVariables(Self.keys.merging([variable: value]) { $1 }))
        }
    }

    @Test("without token verification keys a service does not start")
    func missingKeys() {
        #expect(throws: ConfigurationError.self) {
            try ServiceConfiguration(service: .intake, environment: EnvironmentVariables([:]))
        }
        #expect(throws: ConfigurationError(variable: "TONGBAN_TOKEN_JWKS_FILE", problem: "'/nonexistent/keys.jwks' is not a readable JSON Web Key Set")) {
            try ServiceConfiguration(service: .intake, environment: EnvironmentVariables(["TONGBAN_TOKEN_JWKS_FILE": "/nonexistent/keys.jwks"]))
        }
    }

    @Test("TONGBAN_KAFKA_* settings reach librdkafka, so a secured cluster needs no code change")
    func kafkaPassThrough() throws {
        let configuration = try ServiceConfiguration(service: .seal, environment: EnvironmentVariables([
            "TONGBAN_KAFKA_BOOTSTRAP_SERVERS": "kafka-1:9093",
            "TONGBAN_KAFKA_SECURITY_PROTOCOL": "sasl_ssl",
            "TONGBAN_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        ].merging(Self.keys) { $1 }))
        #expect(configuration.kafka.bootstrapServers == ["kafka-1:9093"])
        #expect(configuration.kafka.clientID == "tongban-seal")
        #expect(configuration.kafka.additionalSettings == ["security.protocol": "sasl_ssl", "sasl.mechanism": "SCRAM-SHA-512"])

        // The short metadata refresh (KafkaConfiguration's default) is one an operator can change.
        let overridden = try ServiceConfiguration(service: .seal, environment: EnvironmentVariables(["TONGBAN_KAFKA_TOPIC_METADATA_REFRESH_INTERVAL_MS": "60000"].merging(Self.keys) { $1 }))
        #expect(overridden.kafka.additionalSettings["topic.metadata.refresh.interval.ms"] == "60000")
    }

    @Test("the database password never appears in what is logged")
    func redaction() throws {
        let configuration = try ServiceConfiguration(service: .relay, environment: EnvironmentVariables([
            "TONGBAN_DATABASE_URL": "postgresql://relay:s3cr%40t@db.example:5432/tongban?sslmode=require",
        ].merging(Self.keys) { $1 }))
        #expect(configuration.redactedDatabaseURL == "postgresql://relay:***@db.example:5432/tongban?sslmode=require")
        #expect(redactingPassword(in: "postgresql://relay@db/tongban") == "postgresql://relay@db/tongban")
    }
}
