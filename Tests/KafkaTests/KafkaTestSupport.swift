import CRdKafka
import Foundation
import Kafka
import Logging
import ServiceLifecycle
import TestSupport

/// `KAFKA_TEST_DEBUG=cgrp,protocol swift test …` turns on librdkafka's debug contexts and debug logs.
let librdkafkaDebugContexts = ProcessInfo.processInfo.environment["KAFKA_TEST_DEBUG"]

/// A configuration for tests: short group timeouts, because Tansu holds every JoinGroup for half
/// the session timeout; no statistics unless a test wants them.
func configurationForTests(
    bootstrapServers: String = TestInfrastructure.kafkaBootstrapServers,
    group: String? = nil
) -> KafkaConfiguration {
    var configuration = KafkaConfiguration(bootstrapServers: bootstrapServers)
    configuration.clientID = "tongban-kafka-tests"
    configuration.groupID = group
    configuration.sessionTimeout = .seconds(2)
    configuration.heartbeatInterval = .milliseconds(500)
    configuration.statisticsInterval = nil
    if let librdkafkaDebugContexts { configuration.additionalSettings["debug"] = librdkafkaDebugContexts }
    return configuration
}

let testLogger: Logger = {
    var logger = Logger(label: "tongban.kafka.tests")
    logger.logLevel = librdkafkaDebugContexts == nil ? .warning : .debug
    return logger
}()

/// The producer and the consumer stop the same way.
protocol GracefullyStoppable: Service {
    func triggerGracefulShutdown()
}

extension KafkaProducer: GracefullyStoppable {}
extension KafkaConsumer: GracefullyStoppable {}

/// Runs `service` while `body` runs, then shuts it down gracefully and waits for `run()` to return.
func withRunning<Result: Sendable>(
    _ service: some GracefullyStoppable,
    _ body: () async throws -> Result
) async throws -> Result {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await service.run() }
        do {
            let result = try await body()
            service.triggerGracefulShutdown()
            try await group.waitForAll()
            return result
        } catch {
            service.triggerGracefulShutdown()
            try? await group.waitForAll()
            throw error
        }
    }
}

/// Reads up to `count` messages, or what came within `timeout`.
func collect(_ messages: KafkaConsumerMessages, count: Int, timeout: Duration = .seconds(30)) async throws -> [KafkaConsumerMessage] {
    try await withThrowingTaskGroup(of: [KafkaConsumerMessage]?.self) { group in
        group.addTask {
            var received: [KafkaConsumerMessage] = []
            for try await message in messages {
                received.append(message)
                if received.count == count { break }
            }
            return received
        }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return nil
        }
        var received: [KafkaConsumerMessage] = []
        while let result = try await group.next() {
            if let result {
                received = result
                break
            }
            group.cancelAll()  // timed out: the reader returns what it has
        }
        group.cancelAll()
        return received
    }
}


/// librdkafka's in-process mock cluster, reachable on loopback ports by any client: the unit
/// tests' broker. It lives as long as this object.
final class MockKafkaCluster: Sendable {
    /// The client that owns the cluster (librdkafka hangs a mock cluster on a client handle).
    nonisolated(unsafe) private let owner: OpaquePointer
    nonisolated(unsafe) private let cluster: OpaquePointer
    let bootstrapServers: String

    init(brokers: Int32 = 1) throws {
        var errorText = [CChar](repeating: 0, count: 512)
        let ownerConfiguration = rd_kafka_conf_new()
        if let librdkafkaDebugContexts {
            rd_kafka_conf_set(ownerConfiguration, "debug", librdkafkaDebugContexts, &errorText, errorText.count)
        }
        guard let owner = rd_kafka_new(RD_KAFKA_PRODUCER, ownerConfiguration, &errorText, errorText.count) else {
            throw MockClusterError(description: "no client for the mock cluster")
        }
        guard let cluster = rd_kafka_mock_cluster_new(owner, brokers) else {
            rd_kafka_destroy(owner)
            throw MockClusterError(description: "no mock cluster")
        }
        self.owner = owner
        self.cluster = cluster
        bootstrapServers = String(cString: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    /// A test configuration for this cluster. The mock's first rebalance waits 3 s, so its session
    /// timeout must be longer than that or the joining member times out first.
    func configuration(group: String? = nil) -> KafkaConfiguration {
        var configuration = configurationForTests(bootstrapServers: bootstrapServers, group: group)
        configuration.sessionTimeout = .seconds(6)
        configuration.heartbeatInterval = .seconds(1)
        return configuration
    }

    /// The mock cluster does not serve CreateTopics; its own API creates topics.
    func createTopic(_ name: String, partitions: Int32) throws {
        let result = rd_kafka_mock_topic_create(cluster, name, partitions, 1)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else {
            throw MockClusterError(description: "mock topic \(name): \(String(cString: rd_kafka_err2str(result)))")
        }
    }

    /// The broker answers the next `count` requests of this API with `error`.
    func failRequests(apiKey: Int16, with error: rd_kafka_resp_err_t, count: Int = 1) {
        let errors = [rd_kafka_resp_err_t](repeating: error, count: count)
        rd_kafka_mock_push_request_errors_array(cluster, apiKey, errors.count, errors)
    }

    deinit {
        rd_kafka_mock_cluster_destroy(cluster)
        rd_kafka_destroy(owner)
    }
}

struct MockClusterError: Error, CustomStringConvertible {
    var description: String
}

/// Creates a topic and waits until the cluster's metadata shows all its partitions.
func createTopic(_ name: String, partitions: Int, configuration: KafkaConfiguration) async throws {
    let admin = try KafkaAdmin(configuration: configuration, logger: testLogger)
    try await admin.createTopic(name, partitions: partitions, replicationFactor: 1)
    let ready = try await eventually(timeout: .seconds(15)) {
        try await admin.describeTopic(name)?.partitionCount == partitions
    }
    if !ready { throw MockClusterError(description: "topic \(name) did not show \(partitions) partitions") }
}
