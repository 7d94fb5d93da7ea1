/// Versions of the Kafka stack this process runs.
public enum KafkaVersion {
    /// The version of the librdkafka library loaded at run time, such as "2.8.0".
    public static var librdkafka: String { RDKafkaClient.libraryVersion }
}
