/// Log metadata keys of the Kafka library, in one place.
enum KafkaLogKeys {
    static let client = "kafka.client"
    static let facility = "kafka.facility"
    static let error = "kafka.error"
    static let topic = "kafka.topic"
    static let partitions = "kafka.partitions"
    static let settings = "kafka.settings"
    static let group = "kafka.group"
}
