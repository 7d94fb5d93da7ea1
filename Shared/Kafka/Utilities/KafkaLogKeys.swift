/// Log metadata keys of the Kafka library, in one place. The library logs at info and below;
/// only librdkafka's own lines keep their syslog level (see `RDKafkaCallbacks.log`).
enum KafkaLogKeys {
    static let client = "kafka.client"
    static let facility = "kafka.facility"
    static let error = "kafka.error"
    static let topic = "kafka.topic"
    static let partitions = "kafka.partitions"
    static let settings = "kafka.settings"
    static let group = "kafka.group"
    static let outstanding = "kafka.outstanding"
}
