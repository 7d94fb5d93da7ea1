import ArgumentParser
import Foundation
import Kafka
import Logging
import Messaging
import Postgres
import ServiceKit

/// `tongban replay`: after a broker lost its log, send a service's events again from its outbox.
struct Replay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Publish a service's outbox events again, from a time or an event id.",
        discussion: """
            Marks the service's published events from the starting point as unpublished and publishes \
            them, printing progress until its outbox is empty. The service's running publishers help; \
            consumers' inboxes drop whatever they had already applied. Create the topics first: \
            every service does at start-up.
            """
    )

    @Option(help: "The service whose outbox to replay: intake, relay, approval, seal or evaluation.")
    var service: String

    @Option(help: "Replay events that happened at or after this time (RFC 3339, e.g. 2026-11-23T08:00:00Z).")
    var since: String?

    @Option(help: "Replay from this event id on, in the order they were written.")
    var fromEvent: String?

    @Flag(help: "Replay everything still in the outbox.")
    var all = false

    @Option(help: "The service's database URL (or TONGBAN_DATABASE_URL).")
    var databaseURL: String?

    @Option(help: "Kafka bootstrap servers (or TONGBAN_KAFKA_BOOTSTRAP_SERVERS).")
    var bootstrapServers: String?

    func validate() throws {
        guard ["intake", "relay", "approval", "seal", "evaluation"].contains(service) else {
            throw ValidationError("--service must be intake, relay, approval, seal or evaluation")
        }
        guard [since != nil, fromEvent != nil, all].filter({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of --since, --from-event or --all")
        }
        if let since, Envelope.parseTime(since) == nil {
            throw ValidationError("--since '\(since)' is not an RFC 3339 time")
        }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let url = databaseURL ?? environment["TONGBAN_DATABASE_URL"] else {
            throw ValidationError("give --database-url or set TONGBAN_DATABASE_URL")
        }
        let servers = bootstrapServers ?? environment["TONGBAN_KAFKA_BOOTSTRAP_SERVERS"] ?? "127.0.0.1:19092"
        var logger = Logger(label: "tongban.replay")
        logger.logLevel = .warning
        let client = PostgresClient(configuration: .init(url: url), logger: logger)
        defer { client.close() }
        // The services' own TONGBAN_KAFKA_<SETTING> variables (TLS, SASL), so replay reaches the
        // same secured cluster they do.
        var kafka = KafkaConfiguration(bootstrapServers: servers)
        kafka.additionalSettings = EnvironmentVariables(environment).librdkafkaSettings()
        let producer = try KafkaProducer(configuration: kafka, logger: logger)

        let start: OutboxReplay.Start = if let since { .time(Envelope.parseTime(since)!) } else if let fromEvent { .eventID(fromEvent) } else { .beginning }
        let marked = try await OutboxReplay.markForReplay(from: start, on: client)
        print("\(service): \(marked) events to publish again")

        let publisher = OutboxPublisher(service: service, client: client, producer: producer, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await producer.run() }
            var published = 0
            var lastReport = ContinuousClock.now
            while true {
                let moved = try await publisher.publishBatch()
                published += moved
                let waiting = try await Outbox.backlog(on: client)
                if ContinuousClock.now - lastReport > .seconds(1) || waiting == 0 {
                    print("\(service): \(published) published by this replay, \(waiting) waiting")
                    lastReport = .now
                }
                if waiting == 0 { break }
                if moved == 0 { try await Task.sleep(for: .milliseconds(100)) }
            }
            producer.triggerGracefulShutdown()
            try await group.waitForAll()
        }
    }
}
