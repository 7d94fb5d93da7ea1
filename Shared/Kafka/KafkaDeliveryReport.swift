/// The broker's verdict on one sent message.
public struct KafkaDeliveryReport: Sendable {
    public enum Status: Sendable {
        /// The broker has the message, at ``KafkaDeliveryReport/partition`` and ``KafkaDeliveryReport/offset``.
        case acknowledged
        /// The message was not delivered; `error.code` tells whether it timed out, was refused or purged.
        /// Boxed: a report is then a few words, and a million of them stay cheap to pass around.
        indirect case failed(KafkaError)
    }

    public let id: KafkaProducerMessageID
    public let topic: String
    /// The partition the message went to, or -1 when it never got one.
    public let partition: Int
    /// The message's offset in its partition; nil when it is not known (a failed message).
    public let offset: Int64?
    public let status: Status

    public init(id: KafkaProducerMessageID, topic: String, partition: Int, offset: Int64?, status: Status) {
        self.id = id
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.status = status
    }

    public var isAcknowledged: Bool {
        if case .acknowledged = status { true } else { false }
    }

    public var error: KafkaError? {
        if case .failed(let error) = status { error } else { nil }
    }
}
