import ArgumentParser
import Foundation
import Postgres

/// `tongban-bench postgres`: single-row insert transactions through the Postgres wrapper, and the
/// same transactions through pgbench, alternating in one run against the same server, with the
/// same number of clients; prints both rates and their ratio.
struct PostgresBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "postgres",
        abstract: "Insert transactions per second: the Postgres wrapper beside pgbench.",
        discussion: """
            Each transaction is BEGIN; INSERT one row; COMMIT — three round trips, parameters bound \
            (pgbench runs with -M extended, as the wrapper binds its values). Rounds alternate \
            between the two so that a noisy neighbour on the machine hurts both alike.
            """
    )

    @Option(help: "Concurrent clients, for both (wrapper: tasks sharing a pool of this many connections).")
    var clients = 4

    @Option(help: "Seconds each measurement runs.")
    var seconds = 10

    @Option(help: "Measurements of each, alternating.")
    var rounds = 3

    @Option(help: "The wrapper's rate must reach this share of pgbench's, or the command fails.")
    var minimumRatio = 0.7

    @Option(help: "The pgbench executable.")
    var pgbench = "/usr/lib/postgresql/15/bin/pgbench"

    @Option(name: .customLong("database-url"), help: "libpq URL (default: TONGBAN_ADMIN_DATABASE_URL).")
    var databaseURL: String?

    static let table = "tongban_bench.insert_rows"

    func run() async throws {
        guard let url = databaseURL ?? ProcessInfo.processInfo.environment["TONGBAN_ADMIN_DATABASE_URL"] else {
            throw ValidationError("no database URL: set TONGBAN_ADMIN_DATABASE_URL or pass --database-url")
        }
        var configuration = PostgresClient.Configuration(url: url)
        configuration.maximumConnections = clients
        let client = PostgresClient(configuration: configuration)
        defer { client.close() }
        try await client.withConnection { connection in
            try await connection.runScript(unsafeSQL: """
                CREATE SCHEMA IF NOT EXISTS tongban_bench;
                DROP TABLE IF EXISTS \(Self.table);
                CREATE TABLE \(Self.table) (
                    id bigserial PRIMARY KEY,
                    case_number text NOT NULL,
                    amount bigint NOT NULL,
                    recorded_at timestamptz NOT NULL DEFAULT now()
                );
                """)
        }
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("tongban-bench-insert-\(getpid()).sql")
        try """
            \\set n random(1, 1000000000)
            BEGIN;
            INSERT INTO \(Self.table) (case_number, amount) VALUES ('case-' || :n, :n);
            END;

            """.write(to: script, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: script) }
        let pgbenchRun = PgbenchRun(
            executable: pgbench, workload: ["-n", "-M", "extended", "-f", script.path], clients: clients,
            connection: try PostgresConnectionString(url)
        )

        print("Single-row insert transactions (BEGIN; INSERT; COMMIT), \(clients) clients, \(rounds) rounds of \(seconds) s each")
        print("pgbench: \(pgbenchRun.commandLine(seconds: seconds))")
        // A short warm-up of both: connections opened, table and caches warm.
        _ = try await wrapperRate(client, seconds: 1)
        _ = try await pgbenchRun.rate(seconds: 1)

        print("round   wrapper tps   pgbench tps   ratio")
        var wrapperTotal = 0.0
        var pgbenchTotal = 0.0
        for round in 1...rounds {
            let wrapper = try await wrapperRate(client, seconds: seconds)
            let reference = try await pgbenchRun.rate(seconds: seconds)
            wrapperTotal += wrapper
            pgbenchTotal += reference
            print(Self.row("\(round)", wrapper, reference))
        }
        let ratio = wrapperTotal / pgbenchTotal
        print(Self.row("mean", wrapperTotal / Double(rounds), pgbenchTotal / Double(rounds)))
        let verdict = ratio >= minimumRatio ? "meets" : "FAILS"
        print("The wrapper reaches \(Self.format(ratio * 100, 0))% of pgbench's rate: \(verdict) the required \(Self.format(minimumRatio * 100, 0))%.")
        if ratio < minimumRatio { throw ExitCode.failure }
    }

    /// `clients` tasks, each running insert transactions back to back until the time is up.
    func wrapperRate(_ client: PostgresClient, seconds: Int) async throws -> Double {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + .seconds(seconds)
        let transactions = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<clients {
                group.addTask {
                    var count = 0
                    while clock.now < deadline {
                        let n = Int.random(in: 1...1_000_000_000)
                        try await client.withTransaction { connection in
                            _ = try await connection.query("INSERT INTO \(unescaped: Self.table) (case_number, amount) VALUES ('case-' || \(n), \(n))")
                        }
                        count += 1
                    }
                    return count
                }
            }
            return try await group.reduce(0, +)
        }
        let elapsed = clock.now - start
        return Double(transactions) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }

    static func row(_ label: String, _ wrapper: Double, _ reference: Double) -> String {
        label.padding(toLength: 8, withPad: " ", startingAt: 0)
            + format(wrapper, 1).leftPadded(to: 11) + format(reference, 1).leftPadded(to: 14)
            + format(wrapper / reference, 2).leftPadded(to: 8)
    }

    static func format(_ value: Double, _ decimals: Int) -> String {
        String(format: "%.\(decimals)f", value)
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        String(repeating: " ", count: max(0, width - count)) + self
    }
}
