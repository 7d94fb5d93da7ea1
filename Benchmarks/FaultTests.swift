import ArgumentParser
import AsyncHTTPClient
import Foundation
import Logging
import Messaging
import Postgres
import Synchronization

/// `tongban-bench faults load|check`: the load and the checks of Scripts/faults.sh, which kills and
/// restarts services and the broker while `load` runs, then runs `check`. Jepsen's way: record every
/// application intake acknowledged, then look for every effect it must have had, once.
struct FaultTests: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "faults",
        abstract: "Load for the fault tests, and the check that nothing was lost or done twice.",
        subcommands: [FaultLoad.self, FaultCheck.self]
    )
}

/// Reads the service schemas as the admin role: the check's view of what each service did.
struct SystemRecords {
    let client: PostgresClient

    init(adminURL: String, logger: Logger) {
        client = PostgresClient(configuration: .init(url: adminURL), logger: logger)
    }

    /// How many of `cases` intake shows completed (出证): seal issued their licences and intake heard of it.
    func completedCases(_ cases: [String]) async throws -> Int {
        guard !cases.isEmpty else { return 0 }
        return try await client.query("""
            SELECT count(*) FROM intake.cases WHERE status = 'completed' AND number = ANY(\(cases))
            """).decode(Int.self)[0]
    }
}

struct FaultLoad: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Submit bundles at a steady rate, retrying through outages with the same Idempotency-Key, and wait until intake shows every accepted one completed.",
        discussion: """
            Every application intake accepted (HTTP 201) is appended to --accepted-file as \
            `<case number> <bundle>`. When every application is submitted, --submitted-marker is \
            created, so the fault loop knows to stop; then the command waits, simulated officers \
            still deciding, until intake shows every accepted case completed (its licences issued).
            """
    )

    @Option(help: "Applications to submit.")
    var bundles = 4000

    @Option(help: "Applications per second.")
    var rate = 60.0

    @Option(help: "Share of the bundles an officer decides (restaurant-opening).")
    var officerShare = 0.2

    @Option(help: "Simulated officers.")
    var officers = 2

    @Option(help: "Window clerks: at most this many applications in flight at once, one HTTP connection each.")
    var clerks = 32

    @Option(help: "First applicant sequence number (different per load, so applicants differ).")
    var firstSequence = 0

    @Option(help: "Where accepted case numbers go, one per line.")
    var acceptedFile: String

    @Option(help: "Created once every application was submitted.")
    var submittedMarker: String

    @Option(help: "Longest wait for an application through an outage, and for every licence after the load, in seconds.")
    var timeout = 600

    func run() async throws {
        guard let adminURL = ProcessInfo.processInfo.environment["TONGBAN_ADMIN_DATABASE_URL"] else {
            throw ValidationError("TONGBAN_ADMIN_DATABASE_URL is not set: run through Scripts/faults.sh")
        }
        var logger = Logger(label: "tongban.bench.faults")
        logger.logLevel = .error
        let client = try await SystemClient.fromEnvironment(connections: clerks)
        let records = SystemRecords(adminURL: adminURL, logger: logger)
        defer { records.client.close() }
        _ = FileManager.default.createFile(atPath: acceptedFile, contents: nil)
        guard let output = FileHandle(forWritingAtPath: acceptedFile) else { throw ValidationError("cannot write \(acceptedFile)") }
        let accepted = AcceptedCases(output: output)
        let retries = Tally()
        let officerEvery = officerShare > 0 ? max(1, Int((1 / officerShare).rounded())) : 0
        let clock = ContinuousClock()
        let started = clock.now

        // The HTTP client is shut down on every way out, so that a failure is reported, not a crash.
        let outcome: Result<Void, any Error>
        do {
            try await load(client: client, records: records, accepted: accepted, retries: retries, officerEvery: officerEvery, clock: clock, started: started)
            outcome = .success(())
        } catch {
            print("faults load: failed: \(error)")
            outcome = .failure(error)
        }
        try await client.shutdown()
        try outcome.get()
    }

    func load(client: SystemClient, records: SystemRecords, accepted: AcceptedCases, retries: Tally, officerEvery: Int,
              clock: ContinuousClock, started: ContinuousClock.Instant) async throws {
        try await withThrowingTaskGroup(of: Void.self) { outer in
            if officerEvery > 0 {
                outer.addTask { _ = await client.runOfficers(self.officers, pause: .milliseconds(300)) }
            }
            defer { outer.cancelAll() }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<bundles {
                    try await clock.sleep(until: started + .seconds(Double(index) / rate))
                    // A clerk takes the next application only when free. Unbounded, thousands of
                    // applications waited inside the HTTP client's pool through an outage; each one's
                    // timeout is a linear search of that queue, the client's event loops did nothing
                    // else, and not one application reached the restarted intake for minutes.
                    if index >= clerks { try await group.next() }
                    let kind: BenchApplication.Kind = officerEvery > 0 && index % officerEvery == 0 ? .restaurant : .fireworksShop
                    let application = BenchApplication(kind, sequence: firstSequence + index)
                    group.addTask {
                        let number = try await submitThroughOutages(application, client: client, retries: retries)
                        accepted.record(number, kind: kind)
                    }
                }
                try await group.waitForAll()
            }
            try accepted.close()
            _ = FileManager.default.createFile(atPath: submittedMarker, contents: nil)
            let numbers = accepted.numbers
            print("faults load: \(numbers.count) applications accepted in \(format(clock.now - started)) s (\(retries.value) retries through outages); waiting for their licences")
            let deadline = clock.now + .seconds(timeout)
            var lastReport = clock.now
            while true {
                let done = (try? await records.completedCases(numbers)) ?? 0
                if done == numbers.count { break }
                if clock.now > deadline {
                    print("faults load: only \(done) of \(numbers.count) accepted cases are completed at intake after \(timeout) s")
                    break
                }
                if clock.now - lastReport > .seconds(10) {
                    print("faults load: \(done) of \(numbers.count) cases completed (licences issued, intake told)")
                    lastReport = clock.now
                }
                try await Task.sleep(for: .seconds(1))
            }
            print("faults load: done after \(format(clock.now - started)) s")
        }
    }

    /// Sends the application until intake answers, with the same Idempotency-Key each time, as a
    /// window's software does when the connection drops: intake either has it (and answers with
    /// the stored receipt) or not (and registers it now).
    func submitThroughOutages(_ application: BenchApplication, client: SystemClient, retries: Tally) async throws -> String {
        let key = UUID().uuidString
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(timeout)
        while true {
            do {
                switch try await client.submit(application, idempotencyKey: key) {
                case .accepted(let number): return number
                case .refused(let status, let body) where status >= 500 || status == 429:
                    if clock.now > deadline { throw ExternalCommandError(description: "intake kept answering \(status): \(body)") }
                case .refused(let status, let body):
                    throw ExternalCommandError(description: "intake refused a fault-test application with \(status): \(body)")
                }
            } catch let error as ExternalCommandError {
                throw error
            } catch {
                if clock.now > deadline { throw ExternalCommandError(description: "intake unreachable for \(timeout) s: \(error)") }
            }
            retries.add()
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    func format(_ duration: Duration) -> String {
        String(format: "%.1f", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }
}

struct FaultCheck: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check every accepted application against every service's records; exit 1 on any loss or duplicate.",
        discussion: """
            For every case in the --accepted-file(s): intake has it and shows it completed; approval \
            decided it exactly once (one bundle-decided event in its outbox); seal issued its licences \
            once (one licences-issued event, one licence per matter, as many as the bundle earns); \
            evaluation supervises it. Intake has no case nobody was told about (a duplicate application).
            """
    )

    @Option(name: .customLong("accepted-file"), help: "Files written by `faults load`.")
    var acceptedFiles: [String]

    @Option(help: "Services killed with SIGKILL during the load (for the summary).")
    var kills = 0

    @Option(help: "Broker restarts during the load (for the summary).")
    var brokerRestarts = 0

    @Option(help: "Services that crashed by themselves and were started again (for the summary).")
    var crashes = 0

    func run() async throws {
        guard let adminURL = ProcessInfo.processInfo.environment["TONGBAN_ADMIN_DATABASE_URL"] else {
            throw ValidationError("TONGBAN_ADMIN_DATABASE_URL is not set: run through Scripts/faults.sh")
        }
        var accepted: [String: BenchApplication.Kind] = [:]
        for file in acceptedFiles {
            for line in try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n") {
                let parts = line.split(separator: " ")
                guard parts.count == 2, let kind = BenchApplication.Kind(rawValue: String(parts[1])) else { continue }
                accepted[String(parts[0])] = kind
            }
        }
        var logger = Logger(label: "tongban.bench.faults")
        logger.logLevel = .error
        let records = SystemRecords(adminURL: adminURL, logger: logger)
        defer { records.client.close() }
        let db = records.client

        // The load returned once intake showed every case completed; supervision reads the same
        // events on its own consumer and may still be catching up (a restarted consumer waits for
        // its predecessor's session to time out before it gets partitions). Give it two minutes.
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            let supervised = Set(try await db.query("SELECT case_number FROM evaluation.cases").decode(String.self))
            if accepted.keys.allSatisfy(supervised.contains) { break }
            try await Task.sleep(for: .seconds(1))
        }

        let intake = Dictionary(uniqueKeysWithValues: try await db.query("SELECT number, status FROM intake.cases").decode((String, String).self).map { ($0.0, $0.1) })
        let decisions = try await countsByCase(db, "SELECT event_key, count(DISTINCT event_id) FROM approval.outbox WHERE event_type = \(Topic.bundleDecided.eventType) GROUP BY event_key")
        let licenceSets = try await countsByCase(db, "SELECT event_key, count(DISTINCT event_id) FROM seal.outbox WHERE event_type = \(Topic.licencesIssued.eventType) GROUP BY event_key")
        let licences = try await countsByCase(db, "SELECT case_number, count(*) FROM seal.licences GROUP BY case_number")
        let licencesPerMatter = try await db.query("SELECT count(*) FROM (SELECT case_number, matter_code FROM seal.licences GROUP BY 1, 2 HAVING count(*) > 1) AS twice").decode(Int.self)[0]
        let supervised = Set(try await db.query("SELECT case_number FROM evaluation.cases").decode(String.self))

        var lost: [String] = []
        var undecided: [String] = []
        var duplicateDecisions: [String] = []
        var withoutLicences: [String] = []
        var duplicateLicenceSets: [String] = []
        var wrongLicenceCount: [String] = []
        var notCompletedAtIntake: [String] = []
        var unsupervised: [String] = []
        for (number, kind) in accepted.sorted(by: { $0.key < $1.key }) {
            guard let status = intake[number] else { lost.append(number); continue }
            switch decisions[number] ?? 0 {
            case 0: undecided.append(number)
            case 1: break
            default: duplicateDecisions.append(number)
            }
            switch licenceSets[number] ?? 0 {
            case 0: withoutLicences.append(number)
            case 1: break
            default: duplicateLicenceSets.append(number)
            }
            if (licences[number] ?? 0) != kind.licenceCount { wrongLicenceCount.append(number) }
            if status != "completed" { notCompletedAtIntake.append(number) }
            if !supervised.contains(number) { unsupervised.append(number) }
        }
        let unknownCases = intake.keys.filter { accepted[$0] == nil }.sorted()

        print("")
        print("========== fault test result ==========")
        print("kills (SIGKILL of a service)        \(kills)")
        print("broker restarts (all topics lost)   \(brokerRestarts)")
        print("services that stopped themselves    \(crashes)   (a crash or a fatal Kafka error; restarted)")
        print("bundles accepted (HTTP 201)         \(accepted.count)")
        print("lost (accepted, not at intake)      \(lost.count)")
        print("cases at intake nobody accepted     \(unknownCases.count)   (a duplicate application)")
        print("not decided                         \(undecided.count)")
        print("duplicate decisions                 \(duplicateDecisions.count)")
        print("without licences                    \(withoutLicences.count)")
        print("duplicate licence sets              \(duplicateLicenceSets.count)")
        print("wrong number of licences            \(wrongLicenceCount.count)   (two licences for one matter: \(licencesPerMatter))")
        print("not completed in intake's view      \(notCompletedAtIntake.count)")
        print("not supervised by evaluation        \(unsupervised.count)")
        let failures: [(String, [String])] = [
            ("lost", lost), ("unknown at intake", unknownCases), ("not decided", undecided), ("duplicate decisions", duplicateDecisions),
            ("without licences", withoutLicences), ("duplicate licence sets", duplicateLicenceSets), ("wrong licence count", wrongLicenceCount),
            ("not completed at intake", notCompletedAtIntake), ("not supervised", unsupervised),
        ].filter { !$0.1.isEmpty }
        for (what, cases) in failures {
            print("  \(what): \(cases.prefix(10).joined(separator: " "))\(cases.count > 10 ? " …" : "")")
        }
        if !failures.isEmpty || licencesPerMatter > 0 || accepted.isEmpty {
            print("FAILED")
            throw ExitCode.failure
        }
        print("PASSED: every accepted bundle decided once, licensed once, nothing lost")
    }

    func countsByCase(_ db: PostgresClient, _ query: PostgresQuery) async throws -> [String: Int] {
        Dictionary(uniqueKeysWithValues: try await db.query(query).decode((String, Int).self).map { ($0.0, $0.1) })
    }
}

/// A count shared by concurrent tasks.
final class Tally: Sendable {
    private let count = Atomic<Int>(0)
    func add() { count.add(1, ordering: .relaxed) }
    /// Adds one and returns the count before.
    func next() -> Int { count.add(1, ordering: .relaxed).oldValue }
    var value: Int { count.load(ordering: .relaxed) }
}

/// The cases intake accepted, kept and written to a file line by line as they come.
final class AcceptedCases: Sendable {
    private struct State {
        var numbers: [String] = []
        var output: FileHandle
    }

    private let state: Mutex<State>

    init(output: FileHandle) {
        state = Mutex(State(output: output))
    }

    func record(_ number: String, kind: BenchApplication.Kind) {
        state.withLock { state in
            state.numbers.append(number)
            state.output.write(Data("\(number) \(kind.rawValue)\n".utf8))
        }
    }

    func close() throws {
        try state.withLock { try $0.output.close() }
    }

    var numbers: [String] { state.withLock { $0.numbers } }
}
