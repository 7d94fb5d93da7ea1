public import Kafka
public import Messaging
public import Postgres

/// What every service does with its schema and its events, the same way: migrate at start-up,
/// publish the outbox, and apply events from other services exactly once.
extension ServiceRuntime {
    /// `topic` as this deployment names it (see `TONGBAN_TOPIC_NAMESPACE`).
    public func topic(_ topic: Topic) -> Topic {
        topic.inNamespace(configuration.topicNamespace)
    }

    /// Where this service's events come from, e.g. `/tongban/130100/intake`.
    public var eventSource: String {
        "/tongban/\(configuration.region)/\(configuration.service.rawValue)"
    }

    /// Applies messaging's tables, the access log and then `migrations` to the service's own schema; several
    /// instances starting together apply each one once.
    public func migrate(_ migrations: [PostgresMigration]) async throws {
        try await PostgresMigrator(
            schema: configuration.databaseSchema,
            migrations: [MessagingTables.migration, AccessLog.migration] + migrations,
            logger: logger
        ).migrate(on: database)
    }

    /// An idempotent producer for the outbox publisher and dead letters.
    public func makeProducer() throws(KafkaError) -> KafkaProducer {
        try KafkaProducer(configuration: configuration.kafka, logger: logger, metricsFactory: metrics.factory)
    }

    /// Sends what the service wrote to its outbox.
    public func outboxPublisher(producer: KafkaProducer, configuration publisherConfiguration: OutboxPublisher.Configuration = .init()) -> OutboxPublisher {
        OutboxPublisher(
            service: configuration.service.rawValue,
            client: database,
            producer: producer,
            configuration: publisherConfiguration,
            logger: logger,
            metricsFactory: metrics.factory
        )
    }

    /// The service's Kafka settings in the consumer group `tongban.<service>` (or
    /// `tongban.<service>-<purpose>` for a second consumer of its own), in the topic namespace if
    /// any: every instance of the service shares the group's partitions.
    public func consumerGroup(_ purpose: String? = nil) -> KafkaConfiguration {
        var kafka = configuration.kafka
        let group = "tongban.\(configuration.service.rawValue)" + (purpose.map { "-\($0)" } ?? "")
        kafka.groupID = configuration.topicNamespace.isEmpty ? group : "\(configuration.topicNamespace).\(group)"
        return kafka
    }

    /// Applies `topics`' events with `handler`, in the service's consumer group.
    public func eventConsumer(
        topics: [Topic],
        producer: KafkaProducer,
        handler: @escaping EventConsumer.Handler
    ) throws(KafkaError) -> EventConsumer {
        try EventConsumer(
            service: configuration.service.rawValue,
            namespace: configuration.topicNamespace,
            topics: topics.map { self.topic($0).name },
            kafka: consumerGroup(),
            client: database,
            producer: producer,
            logger: logger,
            metricsFactory: metrics.factory,
            handler: handler
        )
    }
}
