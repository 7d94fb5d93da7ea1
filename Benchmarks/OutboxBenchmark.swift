import ArgumentParser
import Foundation
import Kafka
import Logging
import Messaging
import Postgres

/// `tongban-bench outbox`: how many events per second one outbox publisher moves from PostgreSQL to
/// the broker, beside pgbench -N (the machine's own measure of small write transactions) in the same run.
struct OutboxBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox",
        abstract: "Events per second one outbox publisher moves to Kafka, beside pgbench -N.",
        discussion: """
            Loads the outbox of a service schema of its own with events for 1,000 cases (about 200-byte \
            JSON payloads), then times one publisher until the outbox is empty: each batch locks its lanes, \
            sends its events with the idempotent producer, waits for every delivery report and marks them \
            published, all in one transaction. pgbench -N runs before and after on the same server.
            """
    )

    @Option(help: "Events to publish.")
    var events = 100_000

    @Option(help: "Events per publisher batch (one transaction).")
    var batchSize = 1000

    @Option(help: "pgbench clients.")
    var clients = 4

    @Option(help: "Seconds each pgbench run lasts.")
    var seconds = 10

    @Option(help: "The publisher must move at least this many times pgbench's transactions per second.")
    var minimumFactor = 2.0

    @Option(help: "The pgbench executable.")
    var pgbench = "/usr/lib/postgresql/15/bin/pgbench"

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let adminURL = environment["TONGBAN_ADMIN_DATABASE_URL"], let servers = environment["TONGBAN_KAFKA_BOOTSTRAP_SERVERS"] else {
            throw ValidationError("set TONGBAN_ADMIN_DATABASE_URL and TONGBAN_KAFKA_BOOTSTRAP_SERVERS (Scripts/benchmark.sh does)")
        }
        var logger = Logger(label: "tongban.bench")
        logger.logLevel = .warning

        // A service schema of its own, reached as its own role, as a service would.
        let admin = try PostgresConnectionString(adminURL)
        let role = "bench_outbox"
        let password = UUID().uuidString
        let adminClient = PostgresClient(configuration: .init(url: adminURL), logger: logger)
        try await PostgresServiceSchema.setUp([PostgresServiceSchema(name: role, password: password)], on: adminClient)
        adminClient.close()
        var configuration = PostgresClient.Configuration(url: "postgresql://\(role):\(password)@\(admin["host"] ?? "127.0.0.1"):\(admin["port"] ?? "5432")/\(admin["dbname"] ?? "tongban")")
        configuration.maximumConnections = 2
        let client = PostgresClient(configuration: configuration, logger: logger)
        defer { client.close() }
        _ = try await PostgresMigrator(schema: role, migrations: [MessagingTables.migration], logger: logger).migrate(on: client)
        _ = try await client.query("TRUNCATE outbox")

        let topic = Topic(owner: "bench", event: "outbox-moved", partitions: 6, summary: "benchmark events", payload: .mapping([]))
        let kafka = KafkaConfiguration(bootstrapServers: servers)
        try await TopicSetup.ensure([topic], admin: try KafkaAdmin(configuration: kafka, logger: logger))

        print("Loading \(events) events into the outbox …")
        _ = try await client.query("""
            INSERT INTO outbox (event_id, topic, event_key, lane, event_type, source, occurred_at, payload)
            SELECT gen_random_uuid()::text, \(topic.name), '130100-20261123-' || lpad((i % 1000)::text, 6, '0'),
                   (i % 1000) % \(MessagingTables.laneCount), \(topic.eventType), '/tongban/130100/bench', now(),
                   convert_to('{"caseNumber":"130100-20261123-' || lpad((i % 1000)::text, 6, '0') || '","sequence":' || i
                              || ',"matter":"食品经营许可","department":"market-regulation","decision":"approved","note":"benchmark event"}', 'UTF8')
            FROM generate_series(1, \(events)) AS i
            """)

        let reference = PgbenchRun(executable: pgbench, workload: ["-N"], clients: clients, connection: admin)
        try await reference.initialize(scale: 10)
        print("pgbench: \(reference.commandLine(seconds: seconds))")
        let before = try await reference.rate(seconds: seconds)

        var publisherConfiguration = OutboxPublisher.Configuration()
        publisherConfiguration.batchSize = batchSize
        publisherConfiguration.lanesPerBatch = MessagingTables.laneCount
        let producer = try KafkaProducer(configuration: kafka, logger: logger)
        let publisher = OutboxPublisher(service: role, client: client, producer: producer, configuration: publisherConfiguration, logger: logger)
        let (moved, elapsed) = try await withThrowingTaskGroup(of: (Int, Duration)?.self) { group in
            group.addTask { try await producer.run(); return nil }
            group.addTask {
                let start = ContinuousClock.now
                var moved = 0
                while true {
                    let count = try await publisher.publishBatch()
                    if count == 0 { break }
                    moved += count
                }
                return (moved, ContinuousClock.now - start)
            }
            var result: (Int, Duration)?
            while let finished = try await group.next() {
                if let finished { result = finished; break }
            }
            producer.triggerGracefulShutdown()
            try await group.waitForAll()
            return result!
        }
        let after = try await reference.rate(seconds: seconds)

        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let eventsPerSecond = Double(moved) / seconds
        let pgbenchTPS = (before + after) / 2
        let factor = eventsPerSecond / pgbenchTPS
        print("")
        print("one publisher      \(String(format: "%9.0f", eventsPerSecond)) events/s   (\(moved) events in \(String(format: "%.1f", seconds)) s, batches of \(batchSize))")
        print("pgbench -N         \(String(format: "%9.0f", pgbenchTPS)) tps        (\(String(format: "%.0f", before)) before, \(String(format: "%.0f", after)) after, \(clients) clients)")
        let verdict = factor >= minimumFactor ? "meets" : "FAILS"
        print("The publisher moves \(String(format: "%.1f", factor))× pgbench's transactions per second: \(verdict) the required \(String(format: "%.1f", minimumFactor))×.")
        if moved != events { throw ValidationError("only \(moved) of \(events) events were published") }
        if factor < minimumFactor { throw ExitCode.failure }
    }
}
