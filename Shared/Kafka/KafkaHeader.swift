/// One record header. CloudEvents' Kafka binary binding keeps its attributes here
/// (`ce_id`, `ce_source`, `ce_type`, `ce_specversion`, `ce_time`, `content-type`).
public struct KafkaHeader: Sendable, Hashable {
    public var key: String
    /// nil is Kafka's null header value, distinct from an empty one.
    public var value: [UInt8]?

    public init(key: String, value: [UInt8]?) {
        self.key = key
        self.value = value
    }

    public init(key: String, value: String) {
        self.init(key: key, value: Array(value.utf8))
    }

    /// The value as UTF-8 text, nil for a null value.
    public var stringValue: String? {
        value.map { String(decoding: $0, as: UTF8.self) }
    }
}

extension [KafkaHeader] {
    /// The text of the first header with this key.
    public func value(forKey key: String) -> String? {
        first { $0.key == key }?.stringValue
    }
}
