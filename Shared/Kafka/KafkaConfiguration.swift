import Plumbing

/// The settings Tongban uses for its Kafka clients, with defaults that suit both the local Tansu broker
/// and Apache Kafka, plus ``additionalSettings`` for anything else librdkafka accepts (TLS, SASL,
/// timeouts), so a deployment reaches a secured cluster with no code change.
///
/// One value serves producer, consumer and admin clients: each renders only the settings that
/// apply to it.
public struct KafkaConfiguration: Sendable {
    /// `bootstrap.servers`: `host:port` pairs to learn the cluster from.
    public var bootstrapServers: [String]
    /// `client.id`: shows in broker logs and in the `client_id` label of the metrics.
    public var clientID: String = "tongban"
    /// `group.id`: the consumer group; consumers need one.
    public var groupID: String?
    /// `session.timeout.ms`: a member silent this long leaves the group. Short by default because
    /// Tansu holds every JoinGroup for half of it; 6 s is also Apache Kafka's smallest allowed value.
    public var sessionTimeout: Duration = .seconds(6)
    /// `heartbeat.interval.ms`: well under a third of the session timeout.
    public var heartbeatInterval: Duration = .seconds(1)
    /// `message.timeout.ms`: how long the producer keeps trying to deliver a message before it
    /// reports the message as failed (``KafkaError/Code-swift.struct/messageTimedOut``).
    public var messageTimeout: Duration = .seconds(300)
    /// `linger.ms`: how long the producer waits to fill a batch.
    public var linger: Duration = .milliseconds(5)
    /// `batch.size`: the most bytes the producer puts in one batch for a partition.
    public var batchSize: Int = 1_000_000
    /// `acks`: how many replicas must have a message before the broker acknowledges it.
    public var acks: Acks = .all
    /// `enable.idempotence`: no duplicates and no reordering from producer retries. Needs ``acks`` `.all`.
    public var enableIdempotence: Bool = true
    /// `fetch.wait.max.ms`: how long the broker may hold a consumer's fetch that has no messages
    /// yet. Apache Kafka answers as soon as messages arrive, so a long wait costs nothing there;
    /// Tansu holds the fetch the whole time, and librdkafka's 500 ms default added about 250 ms to
    /// every hop from one service to the next (tongban-bench system: p50 612 → 313 ms from
    /// application to licences with 50 ms). Short enough for that, long enough that idle
    /// consumers do not busy the broker.
    public var fetchWaitMax: Duration = .milliseconds(50)
    /// `auto.offset.reset`: where a group without a committed offset starts. `earliest`, because
    /// consumers deduplicate and Tansu's answer for the latest offset is wrong.
    public var autoOffsetReset: AutoOffsetReset = .earliest
    /// `topic.metadata.refresh.interval.ms`: how often a client asks which topics and partitions
    /// exist. librdkafka's 5-minute default left a consumer that subscribed before its topic was
    /// created (at a fresh start the topics are created beside the consumers, and again after a
    /// broker lost them) without that topic for up to 5 minutes: 2 of 12 probes on Tansu (see
    /// Docs/decisions/0002). The request is small; every 5 s costs the broker nothing.
    public var topicMetadataRefreshInterval: Duration = .seconds(5)
    /// `statistics.interval.ms`: how often librdkafka's statistics update the metrics; nil turns them off.
    public var statisticsInterval: Duration? = .seconds(10)
    /// `security.protocol`.
    public var securityProtocol: SecurityProtocol = .plaintext
    /// How long a producer's graceful shutdown waits for outstanding messages to be delivered.
    public var shutdownFlushTimeout: Duration = .seconds(10)
    /// Any other librdkafka property (see librdkafka's CONFIGURATION.md), applied after the typed
    /// settings, which it overrides: `ssl.ca.location`, `sasl.mechanism`, `sasl.username`, …
    public var additionalSettings: [String: String] = [:]

    public init(bootstrapServers: [String]) {
        self.bootstrapServers = bootstrapServers
    }

    /// A comma-separated `bootstrap.servers` list, as in `TONGBAN_KAFKA_BOOTSTRAP_SERVERS`.
    public init(bootstrapServers: String) {
        self.init(bootstrapServers: bootstrapServers.split(separator: ",").map { String($0.filter { !$0.isWhitespace }) })
    }

    public enum Acks: String, Sendable {
        /// Every in-sync replica has the message.
        case all
        /// The partition leader has it.
        case leader = "1"
        /// Nobody confirms anything.
        case none = "0"
    }

    public enum AutoOffsetReset: String, Sendable {
        case earliest, latest
        /// Fail when a group has no committed offset.
        case error
    }

    public enum SecurityProtocol: String, Sendable {
        case plaintext
        case ssl
        case saslPlaintext = "sasl_plaintext"
        case saslSSL = "sasl_ssl"
    }
}

extension KafkaConfiguration {
    enum ClientRole: String {
        case producer, consumer, admin
    }

    /// Settings the consumer relies on for commits of exactly what the caller processed; they cannot be overridden.
    static let managedConsumerSettings: [String: String] = [
        "enable.auto.commit": "false",
        "enable.auto.offset.store": "false",
    ]

    /// The librdkafka properties for one kind of client, in the order they are applied.
    func librdkafkaSettings(for role: ClientRole) throws(KafkaError) -> [(key: String, value: String)] {
        guard !bootstrapServers.isEmpty, !bootstrapServers.contains(where: \.isEmpty) else {
            throw KafkaError(.invalidConfiguration, "bootstrap.servers: no broker given", setting: "bootstrap.servers")
        }
        var settings: [(key: String, value: String)] = [
            ("bootstrap.servers", bootstrapServers.joined(separator: ",")),
            ("client.id", clientID),
            ("security.protocol", securityProtocol.rawValue),
        ]
        if role != .admin {
            settings.append(("topic.metadata.refresh.interval.ms", "\(try milliseconds(topicMetadataRefreshInterval, "topic.metadata.refresh.interval.ms"))"))
            let interval = try statisticsInterval.map { interval throws(KafkaError) in try milliseconds(interval, "statistics.interval.ms") } ?? 0
            settings.append(("statistics.interval.ms", "\(interval)"))
        }
        switch role {
        case .producer:
            settings += [
                ("enable.idempotence", "\(enableIdempotence)"),
                ("acks", acks.rawValue),
                ("message.timeout.ms", "\(try milliseconds(messageTimeout, "message.timeout.ms"))"),
                ("linger.ms", "\(try milliseconds(linger, "linger.ms"))"),
                ("batch.size", "\(batchSize)"),
                // Java's partitioner, so a case number lands on the same partition whichever client wrote it.
                ("partitioner", "murmur2_random"),
            ]
        case .consumer:
            guard let groupID, !groupID.isEmpty else {
                throw KafkaError(.invalidConfiguration, "group.id: a consumer needs a consumer group", setting: "group.id")
            }
            settings += [
                ("group.id", groupID),
                ("session.timeout.ms", "\(try milliseconds(sessionTimeout, "session.timeout.ms"))"),
                ("heartbeat.interval.ms", "\(try milliseconds(heartbeatInterval, "heartbeat.interval.ms"))"),
                ("auto.offset.reset", autoOffsetReset.rawValue),
                ("fetch.wait.max.ms", "\(try milliseconds(fetchWaitMax, "fetch.wait.max.ms"))"),
            ]
            settings += Self.managedConsumerSettings.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        case .admin:
            break
        }
        for (key, value) in additionalSettings.sorted(by: { $0.key < $1.key }) {
            if role == .consumer, let managed = Self.managedConsumerSettings[key], managed != value {
                throw KafkaError(
                    .invalidConfiguration,
                    "\(key): the consumer commits only what its caller processed and keeps this \(managed)",
                    setting: key
                )
            }
            settings.append((key, value))
        }
        return settings
    }

    private func milliseconds(_ duration: Duration, _ setting: String) throws(KafkaError) -> Int64 {
        guard duration >= .zero else {
            throw KafkaError(.invalidConfiguration, "\(setting): \(duration) is negative", setting: setting)
        }
        return duration.wholeMilliseconds
    }

    /// Whether a setting's value must never be logged or shown: passwords, secrets, keys.
    static func isSensitive(_ setting: String) -> Bool {
        let lowered = setting.lowercased()
        return ["password", "secret", "key"].contains { lowered.contains($0) }
    }

    /// `key=value` pairs for a log line, with the values of sensitive settings left out.
    static func redacted(_ settings: [(key: String, value: String)]) -> String {
        settings.map { "\($0.key)=\(isSensitive($0.key) ? "[redacted]" : $0.value)" }.joined(separator: " ")
    }
}
