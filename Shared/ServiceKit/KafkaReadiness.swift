public import Kafka
public import Logging
public import Messaging
import Plumbing
public import ServiceLifecycle

/// The broker answers a metadata request.
public struct KafkaReadinessCheck: ReadinessCheck {
    public let name = "kafka"
    let admin: KafkaAdmin

    public init(admin: KafkaAdmin) {
        self.admin = admin
    }

    public func check() async throws {
        _ = try await admin.listTopics(timeout: .seconds(2))
    }
}

/// Creates the registry's topics at start-up, and again whenever they went missing (a broker that
/// lost everything), retrying while the broker is away; never stops the service for it.
public struct TopicProvisioner: Service {
    let admin: KafkaAdmin
    let topics: [Topic]
    let logger: Logger
    let interval: Duration

    public init(admin: KafkaAdmin, topics: [Topic] = TopicRegistry.all, logger: Logger, interval: Duration = .seconds(30)) {
        self.admin = admin
        self.topics = topics
        self.logger = logger
        self.interval = interval
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await repeatUntilCancelled(idle: interval, backoff: Backoff(first: .milliseconds(500), ceiling: .seconds(10)),
                                       logger: logger, failure: "could not create topics; retrying") {
                let created = try await TopicSetup.ensure(topics, admin: admin)
                if !created.isEmpty {
                    logger.info("created topics", metadata: ["kafka.topics": "\(created.sorted().joined(separator: ","))"])
                }
                return false
            }
        }
    }
}
