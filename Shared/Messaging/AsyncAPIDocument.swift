/// Docs/asyncapi.yaml, generated from the topic registry: what other departments' systems build
/// against. `tongban docs asyncapi` writes it; a test fails when the committed file differs.
public enum AsyncAPIDocument {
    public static func render(_ topics: [Topic] = TopicRegistry.all) -> String {
        "# Generated from Shared/Messaging/Topic.swift by `tongban docs asyncapi`; do not edit by hand.\n"
            + document(topics).yaml().drop { $0 == "\n" }
    }

    static func document(_ topics: [Topic]) -> DocumentNode {
        .mapping([
            ("asyncapi", .string("3.0.0")),
            ("info", .mapping([
                ("title", .string("Tongban events")),
                ("version", .string("1.0.0")),
                ("description", .string("The Kafka topics of Tongban. Every message is a CloudEvents 1.0 event in the Kafka binary binding: attributes in the ce_* headers, a JSON payload in the value, the case number as the key, so one case's events stay in order. Consumers deduplicate by ce_id: delivery is at least once.")),
            ])),
            ("defaultContentType", .string(Envelope.contentType)),
            ("servers", .mapping([
                ("local", .mapping([
                    ("host", .string("127.0.0.1:19092")),
                    ("protocol", .string("kafka")),
                    ("description", .string("The local Tansu broker started by Scripts/run.sh. Production runs Apache Kafka; see Docs/ for its addresses and SASL users.")),
                ])),
            ])),
            ("channels", .mapping(topics.map { topic in
                (channelID(topic), .mapping([
                    ("address", .string(topic.name)),
                    ("description", .string(topic.summary)),
                    ("messages", .mapping([(messageID(topic), reference("#/components/messages/\(messageID(topic))"))])),
                    ("bindings", .mapping([
                        ("kafka", .mapping([
                            ("partitions", .integer(topic.partitions)),
                            ("topicConfiguration", .mapping([("retention.ms", .integer(Int(topic.retention.components.seconds) * 1000))])),
                            ("bindingVersion", .string("0.5.0")),
                        ])),
                    ])),
                ]))
            })),
            ("operations", .mapping(topics.map { topic in
                ("send" + pascalCase(topic), .mapping([
                    ("action", .string("send")),
                    ("summary", .string("The \(topic.owner) service publishes \(topic.name).")),
                    ("channel", reference("#/channels/\(channelID(topic))")),
                ]))
            })),
            ("components", .mapping([
                ("messages", .mapping(topics.map { topic in
                    (messageID(topic), .mapping([
                        ("name", .string(topic.eventType)),
                        ("title", .string(topic.name)),
                        ("contentType", .string(Envelope.contentType)),
                        ("headers", reference(topic.isDeadLetterTopic ? "#/components/schemas/DeadLetterHeaders" : "#/components/schemas/CloudEventHeaders")),
                        ("payload", topic.payload),
                        ("bindings", .mapping([
                            ("kafka", .mapping([
                                ("key", Schema.string("The case number; all events of a case share it and its partition.")),
                                ("bindingVersion", .string("0.5.0")),
                            ])),
                        ])),
                    ]))
                })),
                ("schemas", .mapping([("CloudEventHeaders", cloudEventHeaders), ("DeadLetterHeaders", deadLetterHeaders)])),
            ])),
        ])
    }

    static let cloudEventHeaders = Schema.object([
        ("ce_specversion", Schema.string("CloudEvents version.", oneOf: [Envelope.specVersion])),
        ("ce_id", Schema.string("Unique event id; consumers apply each id once.")),
        ("ce_source", Schema.string("The producing service, e.g. /tongban/130100/intake.")),
        ("ce_type", Schema.string("The event type: the topic name.")),
        ("ce_time", Schema.string("When the event happened (RFC 3339).", format: "date-time")),
        ("content-type", Schema.string("The payload's media type.", oneOf: [Envelope.contentType])),
    ], required: ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "content-type"])

    static let deadLetterHeaders = Schema.object([
        ("dlq_reason", Schema.string("Why the message could not be applied.")),
        ("dlq_topic", Schema.string("The topic it was read from.")),
        ("dlq_partition", Schema.string("Its partition, in decimal.")),
        ("dlq_offset", Schema.string("Its offset, in decimal.")),
        ("dlq_time", Schema.string("When it was set aside (RFC 3339).", format: "date-time")),
    ], required: ["dlq_reason", "dlq_topic", "dlq_partition", "dlq_offset", "dlq_time"],
    description: "Added to the original message's headers, which are kept as they were.")
    // Dead letters carry the original headers too, so more properties than these may appear.

    static func reference(_ target: String) -> DocumentNode {
        .mapping([("$ref", .string(target))])
    }

    static func channelID(_ topic: Topic) -> String {
        pascalCase(topic).prefix(1).lowercased() + pascalCase(topic).dropFirst()
    }

    static func messageID(_ topic: Topic) -> String {
        pascalCase(topic)
    }

    /// `tongban.intake.case-submitted.v1` → `IntakeCaseSubmittedV1`.
    static func pascalCase(_ topic: Topic) -> String {
        (topic.owner + "-" + topic.event + "-v\(topic.version)")
            .split(separator: "-")
            .map { $0.prefix(1).uppercased() + $0.dropFirst() }
            .joined()
    }
}
