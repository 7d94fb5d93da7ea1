/// A message read from a partition. Pass it to ``KafkaConsumer/storeOffset(_:)`` or
/// ``KafkaConsumer/commit(_:)`` once it is processed.
public struct KafkaConsumerMessage: Sendable {
    public var topic: String
    public var partition: Int
    public var offset: Int64
    public var key: [UInt8]?
    /// The value; empty for a null (tombstone) value.
    public var value: [UInt8]
    public var headers: [KafkaHeader]
    /// Milliseconds since 1970 as the producer or broker stamped it; nil when the broker gave none.
    public var timestampMilliseconds: Int64?

    public init(
        topic: String,
        partition: Int,
        offset: Int64,
        key: [UInt8]?,
        value: [UInt8],
        headers: [KafkaHeader] = [],
        timestampMilliseconds: Int64? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
        self.headers = headers
        self.timestampMilliseconds = timestampMilliseconds
    }

    public var topicPartition: KafkaTopicPartition {
        KafkaTopicPartition(topic: topic, partition: partition)
    }

    /// The key as UTF-8 text (Tongban's keys are case numbers).
    public var keyString: String? {
        key.map { String(decoding: $0, as: UTF8.self) }
    }

    /// The value as UTF-8 text.
    public var valueString: String {
        String(decoding: value, as: UTF8.self)
    }
}
