/// A Kafka topic of Tongban: `tongban.<owner>.<event>.v<N>`, its partitions and retention, and
/// the JSON Schema of its payload. The registry is where topics are created from at start-up and
/// where Docs/asyncapi.yaml is generated from, so the two cannot drift apart.
public struct Topic: Sendable, Equatable {
    /// The service that writes it: intake, relay, approval, seal or evaluation.
    public var owner: String
    /// What happened, in kebab case: `case-submitted`, `bundle-decided`, `dlq`.
    public var event: String
    public var version: Int
    /// Bounds how many consumer instances can share the work; the message key keeps a case on one partition.
    public var partitions: Int
    /// How long the broker keeps messages (retention.ms). The outbox keeps its own copy for replay.
    public var retention: Duration
    public var summary: String
    /// The JSON Schema of the payload.
    public var payload: DocumentNode
    /// Puts the topic in front of `tongban.` when several environments share one Kafka cluster
    /// (`staging` → `staging.tongban.intake.case-submitted.v1`); empty in the usual deployment.
    public var namespace: String = ""
    /// Dead letters (and the relay's quarantine, which sets aside inbox messages the same way) keep
    /// whatever headers the original had, so they need not be CloudEvents.
    public var isDeadLetterTopic: Bool { event == "dlq" || event == "quarantine" }

    public init(owner: String, event: String, version: Int = 1, partitions: Int = 6, retention: Duration = .seconds(7 * 24 * 3600), summary: String, payload: DocumentNode) {
        self.owner = owner
        self.event = event
        self.version = version
        self.partitions = partitions
        self.retention = retention
        self.summary = summary
        self.payload = payload
    }

    public var name: String { namespace.isEmpty ? eventType : "\(namespace).\(eventType)" }

    /// The CloudEvents `type` of the events on this topic: its name without any namespace.
    public var eventType: String { "tongban.\(owner).\(event).v\(version)" }

    /// This topic in `namespace` (see ``namespace``).
    public func inNamespace(_ namespace: String) -> Topic {
        var topic = self
        topic.namespace = namespace
        return topic
    }

    /// Where a service's messages go when they cannot be applied: `tongban.<service>.dlq.v1`.
    public static func deadLetters(of service: String) -> Topic {
        Topic(
            owner: service,
            event: "dlq",
            partitions: 1,
            retention: .seconds(30 * 24 * 3600),
            summary: "Messages the \(service) service could not apply, exactly as they arrived (key, headers, value), with dlq_reason, dlq_topic, dlq_partition, dlq_offset and dlq_time headers added. An operator inspects them and replays what can be fixed.",
            payload: .mapping([("description", .string("The original message's value, unchanged; it may not be valid JSON."))])
        )
    }
}

/// Every topic in Tongban. Each service's issue adds its own events here.
public enum TopicRegistry {
    public static let services = ["intake", "relay", "approval", "seal", "evaluation"]

    public static var all: [Topic] {
        [
            .caseSubmitted, .materialsSupplemented, .materialChunk, .caseWithdrawn,
            .caseReceived, .receivedMaterialChunk, .handedInMaterialsSupplemented, .handedInCaseWithdrawn, .partnerUpdate, .relayInbox, .relayQuarantine,
            .tasksOpened, .supplementRequested, .taskResumed, .taskDecided, .bundleDecided, .decisionRevoked,
            .licencesIssued,
            .alertRaised,
        ] + services.map(Topic.deadLetters(of:))
    }

    public static func topic(named name: String) -> Topic? {
        all.first { $0.name == name }
    }
}
