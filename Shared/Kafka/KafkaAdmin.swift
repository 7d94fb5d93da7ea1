public import Logging
import Plumbing

/// Creates, lists and describes topics. Each request runs on a thread of the admin's own.
public final class KafkaAdmin: Sendable {
    private let client: RDKafkaClient
    private let requestThread = BlockingThread(name: "kafka-admin")

    public init(configuration: KafkaConfiguration, logger: Logger) throws(KafkaError) {
        let context = RDKafkaCallbackContext(logger: logger, statistics: nil)
        client = try RDKafkaClient.make(role: .admin, settings: try configuration.librdkafkaSettings(for: .admin), context: context)
    }

    deinit {
        requestThread.stop()
    }

    /// Creates the topics that do not exist yet; existing ones are left as they are, whatever their
    /// partitions. Returns the names of the topics this call created.
    @discardableResult
    public func createTopics(_ topics: [KafkaTopicSpecification], timeout: Duration = .seconds(30)) async throws(KafkaError) -> Set<String> {
        try await requestThread.run { [client] () throws(KafkaError) in
            try client.createTopics(topics, timeoutMilliseconds: timeout.timeoutMilliseconds)
        }
    }

    /// Creates one topic unless it exists; true if this call created it.
    @discardableResult
    public func createTopic(
        _ name: String,
        partitions: Int,
        replicationFactor: Int? = nil,
        configs: [String: String] = [:],
        timeout: Duration = .seconds(30)
    ) async throws(KafkaError) -> Bool {
        let specification = KafkaTopicSpecification(name: name, partitions: partitions, replicationFactor: replicationFactor, configs: configs)
        return try await createTopics([specification], timeout: timeout).contains(name)
    }

    /// Every topic in the cluster, by name.
    public func listTopics(timeout: Duration = .seconds(10)) async throws(KafkaError) -> [KafkaTopicDescription] {
        try await requestThread.run { [client] () throws(KafkaError) in
            try client.topics(timeoutMilliseconds: timeout.timeoutMilliseconds)
        }
    }

    /// One topic's partitions; nil if the cluster does not have it.
    public func describeTopic(_ name: String, timeout: Duration = .seconds(10)) async throws(KafkaError) -> KafkaTopicDescription? {
        try await listTopics(timeout: timeout).first { $0.name == name }
    }
}
