/// What a producer reports as it runs, in ``KafkaProducerEvents``.
public enum KafkaProducerEvent: Sendable {
    /// Delivery reports, in the order librdkafka served them (per partition, in send order).
    case deliveryReports([KafkaDeliveryReport])
    /// A client-level error: a broker connection failed, all brokers are down, or a fatal error.
    case error(KafkaError)
}
