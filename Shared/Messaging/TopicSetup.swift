public import Kafka

/// Creates the registry's topics that do not exist yet, with their partitions and retention —
/// at every service's start-up, and after a broker lost everything. Existing topics are left alone.
public enum TopicSetup {
    @discardableResult
    public static func ensure(_ topics: [Topic] = TopicRegistry.all, admin: KafkaAdmin) async throws(KafkaError) -> Set<String> {
        try await admin.createTopics(topics.map { topic in
            KafkaTopicSpecification(
                name: topic.name,
                partitions: topic.partitions,
                configs: ["retention.ms": String(topic.retention.components.seconds * 1000)]
            )
        })
    }
}
