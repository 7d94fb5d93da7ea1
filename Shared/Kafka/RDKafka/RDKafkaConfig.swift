import CRdKafka

/// librdkafka's configuration object (`rd_kafka_conf_t`), filled from a string map. `rd_kafka_new`
/// takes ownership of it on success; until then it is ours to destroy.
enum RDKafkaConfig {
    static func make(_ settings: [(key: String, value: String)]) throws(KafkaError) -> OpaquePointer {
        guard let configuration = rd_kafka_conf_new() else {
            throw KafkaError(.clientCreation, "librdkafka could not allocate a configuration")
        }
        var errorText = [CChar](repeating: 0, count: 512)
        for (key, value) in settings {
            let result = rd_kafka_conf_set(configuration, key, value, &errorText, errorText.count)
            guard result == RD_KAFKA_CONF_OK else {
                rd_kafka_conf_destroy(configuration)
                var reason = cText(errorText)
                // librdkafka quotes the rejected value; a secret's value must not reach a log.
                if KafkaConfiguration.isSensitive(key), !value.isEmpty {
                    reason = reason.replacing(value, with: "[redacted]")
                }
                throw KafkaError(.invalidConfiguration, "\(key): \(reason)", setting: key)
            }
        }
        return configuration
    }
}
