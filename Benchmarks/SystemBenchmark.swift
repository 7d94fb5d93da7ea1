import ArgumentParser
import Foundation
import Kafka
import Logging
import Postgres
import Synchronization

/// `tongban-bench system`: the whole running system under load, beside pgbench -N and
/// rdkafka_performance on the same machine in the same run (Scripts/benchmark.sh system starts the
/// five release-built services on the bench profile's PostgreSQL and Tansu first).
struct SystemBenchmark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "system",
        abstract: "Bundles per second and latency from application to licences, through the five running services.",
        discussion: """
            1. Warm-up: a few bundles through every service (consumer groups joined, caches warm); \
            each service's resident memory idle. 2. pgbench -N and rdkafka_performance. 3. Throughput: \
            --bundles bundles submitted by --concurrency window clerks as fast as intake answers, a share \
            of them (restaurant-opening, with a food business licence) decided by simulated officers \
            through approval's API, the rest (fireworks-shop-opening: 即办件 + 告知承诺) decided \
            automatically; bundles/s from the first submission to the last licences issued. 4. Latency: \
            automatically decided bundles at half that rate, open loop. Per hop, each stage's time is \
            its event's broker timestamp, read by a subscriber of the topics. Consumer lag and outbox \
            backlog come from each service's /metrics, memory from /proc/<pid>/status.
            """
    )

    @Option(help: "Bundles in the throughput run.")
    var bundles = 3000

    @Option(help: "Share of the bundles that an officer decides (restaurant-opening).")
    var officerShare = 0.2

    @Option(help: "Applications in flight at once in the throughput run.")
    var concurrency = 32

    @Option(help: "Simulated officers deciding restaurant-opening's food business licence.")
    var officers = 2

    @Option(help: "Seconds the half-rate latency run submits for.")
    var latencySeconds = 20

    @Option(help: "Bundles in the warm-up.")
    var warmup = 40

    @Option(help: "Longest wait for every bundle of a run to get its licences, in seconds.")
    var settleTimeout = 600

    @Option(help: "Seconds each pgbench -N run lasts (one before the load, one after).")
    var pgbenchSeconds = 10

    @Option(help: "pgbench clients.")
    var pgbenchClients = 4

    @Option(help: "The pgbench executable.")
    var pgbench = "/usr/lib/postgresql/15/bin/pgbench"

    @Option(help: "Messages rdkafka_performance produces and consumes.")
    var kafkaMessages = 200_000

    @Option(help: "rdkafka_performance, as Scripts/setup.sh --benchmark-tools builds it.")
    var rdkafkaPerformance = ".local/tools/bin/rdkafka_performance"

    @Option(help: "Target: bundles/s at least this share of pgbench -N's transactions per second.")
    var throughputTarget = 0.25

    @Option(help: "Target: p99 from submission to licences at half rate, in milliseconds.")
    var latencyTarget = 500.0

    @Option(help: "Target: each service's resident memory idle, in MB.")
    var idleMemoryTarget = 64.0

    @Option(help: "Target: each service's resident memory under load, in MB.")
    var loadedMemoryTarget = 256.0

    func validate() throws {
        guard bundles > 0, concurrency > 0, (0...1).contains(officerShare), latencySeconds > 0 else {
            throw ValidationError("bundles, concurrency and latency seconds must be positive, the officer share within 0…1")
        }
        if officerShare > 0, officers < 1 { throw ValidationError("an officer share needs at least one officer") }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let adminURL = environment["TONGBAN_ADMIN_DATABASE_URL"], let servers = environment["TONGBAN_KAFKA_BOOTSTRAP_SERVERS"],
              let pidDirectory = environment["TONGBAN_SERVICE_PID_DIR"]
        else {
            throw ValidationError("run through Scripts/benchmark.sh system: it sets TONGBAN_ADMIN_DATABASE_URL, TONGBAN_KAFKA_BOOTSTRAP_SERVERS and TONGBAN_SERVICE_PID_DIR and starts the services")
        }
        var logger = Logger(label: "tongban.bench.system")
        logger.logLevel = .warning
        let client = try await SystemClient.fromEnvironment(connections: concurrency)
        let probe = ServiceProbe(pidDirectory: pidDirectory, http: client.http)
        let ledger = EventLedger()
        let reader = try TopicReader(bootstrapServers: servers, namespace: environment["TONGBAN_TOPIC_NAMESPACE"] ?? "", ledger: ledger, logger: logger)
        print("Tongban system benchmark: \(ProcessInfo.processInfo.activeProcessorCount) cores shared by the five services, PostgreSQL, Tansu and this load generator")
        print("librdkafka \(KafkaVersion.librdkafka); services: release build, log level \(environment["TONGBAN_LOG_LEVEL"] ?? "info")")

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await reader.run() }
            defer {
                reader.stop()
                group.cancelAll()
            }
            try await measure(client: client, probe: probe, ledger: ledger, reader: reader, adminURL: adminURL, servers: servers, logger: logger)
        }
        try await client.shutdown()
    }

    // MARK: The run

    func measure(client: SystemClient, probe: ServiceProbe, ledger: EventLedger, reader: TopicReader, adminURL: String, servers: String, logger: Logger) async throws {
        let started = probe.memory()

        // Warm-up: the reader and every service's consumer group joined, every path taken once.
        for _ in 0..<150 where !(await reader.assigned()) { try await Task.sleep(for: .milliseconds(200)) }
        print("\nwarm-up: \(warmup) bundles")
        let warm = try await submitClosedLoop(client: client, ledger: ledger, run: "warm-up", count: warmup, concurrency: 4, kind: { _ in .fireworksShop }, firstSequence: 0)
        try await settle(ledger: ledger, run: "warm-up", expected: warm.accepted, timeout: 120)

        try await Task.sleep(for: .seconds(5))
        var idle: [String: Double] = [:]
        for _ in 0..<3 {
            for (service, megabytes) in probe.memory() { idle[service] = max(idle[service] ?? 0, megabytes) }
            try await Task.sleep(for: .seconds(1))
        }

        // The machine's reference figures, in the same run.
        let pgbenchRun = PgbenchRun(executable: pgbench, workload: ["-N"], clients: pgbenchClients, connection: try PostgresConnectionString(adminURL))
        try await pgbenchRun.initialize(scale: 10)
        print("\npgbench: \(pgbenchRun.commandLine(seconds: pgbenchSeconds))")
        let pgbenchBefore = try await pgbenchRun.rate(seconds: pgbenchSeconds)
        print("pgbench -N before the load: \(format(pgbenchBefore, 0)) tps")
        let kafka = try await kafkaReference(servers: servers, logger: logger)

        // Throughput.
        let officerEvery = officerShare > 0 ? max(1, Int((1 / officerShare).rounded())) : 0
        print("\nthroughput run: \(bundles) bundles, \(concurrency) in flight, every \(officerEvery == 0 ? "none" : "\(officerEvery)th") decided by \(officers) officer(s)")
        let sampler = ServiceSampler(probe: probe)
        let cpuBefore = cpu(probe)
        let (throughput, officerApprovals) = try await withThrowingTaskGroup(of: Int?.self) { group in
            group.addTask { await sampler.run(); return nil }
            if officerEvery > 0 {
                group.addTask { await client.runOfficers(self.officers, pause: .milliseconds(200)) }
            }
            defer { group.cancelAll() }
            let submitted = try await submitClosedLoop(
                client: client, ledger: ledger, run: "throughput", count: bundles, concurrency: concurrency,
                kind: { officerEvery > 0 && $0 % officerEvery == 0 ? .restaurant : .fireworksShop }, firstSequence: 1000
            )
            try await settle(ledger: ledger, run: "throughput", expected: submitted.accepted, timeout: settleTimeout)
            group.cancelAll()
            var approvals = 0
            while let result = try await group.next() { approvals += result ?? 0 }
            return (submitted, approvals)
        }
        let cpuThroughput = cpu(probe).subtracting(cpuBefore)
        let loaded = sampler.result
        let throughputCases = ledger.snapshot(run: "throughput")
        let firstSubmitted = throughputCases.values.compactMap { $0.times[.submitted] }.min()!
        let lastIssued = throughputCases.values.compactMap { $0.times[.licencesIssued] }.max()!
        let lastAccepted = throughputCases.values.compactMap { $0.times[.accepted] }.max()!
        let elapsed = (lastIssued - firstSubmitted) / 1000
        let bundlesPerSecond = Double(throughput.accepted) / elapsed
        let acceptedPerSecond = Double(throughput.accepted) / ((lastAccepted - firstSubmitted) / 1000)

        // Latency at half the achieved rate, automatically decided bundles only, once every
        // consumer has worked off the throughput run (intake's, evaluation's and the relay's
        // backlogs would otherwise take the CPU the measured bundles need).
        try await quiesce(probe, timeout: settleTimeout)
        let halfRate = bundlesPerSecond / 2
        let latencyCount = max(1, Int(halfRate * Double(latencySeconds)))
        print("\nlatency run: \(latencyCount) fireworks-shop-opening bundles at \(format(halfRate, 1))/s (half the achieved rate), open loop")
        let latencySampler = ServiceSampler(probe: probe)
        let latency = try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await latencySampler.run() }
            defer { group.cancelAll() }
            let submitted = try await submitOpenLoop(client: client, ledger: ledger, run: "latency", count: latencyCount, rate: halfRate, firstSequence: 100_000)
            try await settle(ledger: ledger, run: "latency", expected: submitted.accepted, timeout: settleTimeout)
            return submitted
        }

        try await quiesce(probe, timeout: settleTimeout)
        let idleAfter = probe.memory()
        let pgbenchAfter = try await pgbenchRun.rate(seconds: pgbenchSeconds)
        print("pgbench -N after the load: \(format(pgbenchAfter, 0)) tps")

        // MARK: Report
        let pgbenchTPS = (pgbenchBefore + pgbenchAfter) / 2
        let ratio = bundlesPerSecond / pgbenchTPS
        print("\n========== Tongban system benchmark ==========")
        print("reference   pgbench -N (\(pgbenchClients) clients, scale 10): \(format(pgbenchBefore, 0)) tps before, \(format(pgbenchAfter, 0)) after, mean \(format(pgbenchTPS, 0))")
        print("reference   rdkafka_performance (\(kafkaMessages) × 512 B, 6 partitions): produce \(format(kafka.produce, 0)) msgs/s, consume \(format(kafka.consume, 0)) msgs/s")
        print("")
        print("throughput  \(throughput.accepted) bundles (\(throughput.accepted - throughput.officerDecided) automatic, \(throughput.officerDecided) by officers; \(officerApprovals) tasks approved over HTTP)")
        print("            accepted by intake: \(format(acceptedPerSecond, 1)) bundles/s (HTTP 201)")
        print("            submission to all licences issued: \(format(bundlesPerSecond, 1)) bundles/s over \(format(elapsed, 1)) s")
        print("            ratio to pgbench -N: \(format(ratio, 4)) (target ≥ \(throughputTarget): \(verdict(ratio >= throughputTarget)); needs \(format(throughputTarget * pgbenchTPS, 0)) bundles/s)")
        print("")
        printLatency("throughput run, automatically decided", cases: throughputCases.values.filter { $0.kind == .fireworksShop })
        printLatency("throughput run, decided by an officer", cases: throughputCases.values.filter { $0.kind == .restaurant })
        let latencyCases = ledger.snapshot(run: "latency")
        let latencyP99 = printLatency("half rate (\(format(halfRate, 1))/s, \(latency.accepted) bundles), automatically decided", cases: Array(latencyCases.values))
        print("            p99 end to end \(format(latencyP99, 0)) ms (target ≤ \(format(latencyTarget, 0)) ms: \(verdict(latencyP99 <= latencyTarget)))")
        print("")
        print("consumer lag (messages, sum over partitions, from /metrics each second) and outbox backlog, throughput run:")
        print("  service      lag mean   lag max   backlog mean   backlog max")
        for service in ServiceProbe.services {
            let lag = loaded.lag[service] ?? .init()
            let backlog = loaded.backlog[service] ?? .init()
            print("  \(service.padding(toLength: 10, withPad: " ", startingAt: 0))\(format(lag.mean, 0).leftPadded(to: 11))\(format(lag.peak, 0).leftPadded(to: 10))\(format(backlog.mean, 0).leftPadded(to: 15))\(format(backlog.peak, 0).leftPadded(to: 14))")
        }
        print("")
        print("resident memory (MB, VmRSS):")
        print("  service      started   idle   loaded max   half-rate max   idle after   CPU s (throughput run)")
        var memoryMisses: [String] = []
        for service in ServiceProbe.services {
            let idleMB = idle[service] ?? 0
            let loadedMB = max(loaded.memory[service]?.peak ?? 0, latencySampler.result.memory[service]?.peak ?? 0)
            if idleMB > idleMemoryTarget { memoryMisses.append("\(service) idle \(format(idleMB, 1)) MB") }
            if loadedMB > loadedMemoryTarget { memoryMisses.append("\(service) loaded \(format(loadedMB, 1)) MB") }
            print("  \(service.padding(toLength: 10, withPad: " ", startingAt: 0))\(format(started[service] ?? 0, 1).leftPadded(to: 10))\(format(idleMB, 1).leftPadded(to: 7))\(format(loaded.memory[service]?.peak ?? 0, 1).leftPadded(to: 13))\(format(latencySampler.result.memory[service]?.peak ?? 0, 1).leftPadded(to: 16))\(format(idleAfter[service] ?? 0, 1).leftPadded(to: 13))\(format(cpuThroughput[service] ?? 0, 1).leftPadded(to: 25))")
        }
        print("  targets: idle ≤ \(format(idleMemoryTarget, 0)) MB, loaded ≤ \(format(loadedMemoryTarget, 0)) MB: \(memoryMisses.isEmpty ? "met" : "MISSED (\(memoryMisses.joined(separator: ", ")))")")
        print("")
        print("events seen twice by the reader (redeliveries, same event id): \(ledger.redeliveredEvents)")
        let duplicates = ledger.snapshot().values.filter { ($0.eventIDs[.bundleDecided]?.count ?? 0) > 1 || ($0.eventIDs[.licencesIssued]?.count ?? 0) > 1 }.count
        print("cases with two different decisions or licence sets: \(duplicates)")
    }

    // MARK: Load

    struct Submitted {
        var accepted = 0
        var officerDecided = 0
    }

    /// `count` applications by `concurrency` clerks, each sending the next as soon as intake answered.
    func submitClosedLoop(client: SystemClient, ledger: EventLedger, run: String, count: Int, concurrency: Int, kind: @escaping @Sendable (Int) -> BenchApplication.Kind, firstSequence: Int) async throws -> Submitted {
        let next = Tally()
        let workers = min(concurrency, count)
        let accepted = try await withThrowingTaskGroup(of: Submitted.self) { group in
            for _ in 0..<workers {
                group.addTask {
                    var mine = Submitted()
                    while true {
                        let index = next.next()
                        guard index < count else { return mine }
                        let application = BenchApplication(kind(index), sequence: firstSequence + index)
                        try await submit(application, client: client, ledger: ledger, run: run)
                        mine.accepted += 1
                        if !application.kind.decidedAutomatically { mine.officerDecided += 1 }
                    }
                }
            }
            return try await group.reduce(into: Submitted()) { $0.accepted += $1.accepted; $0.officerDecided += $1.officerDecided }
        }
        return accepted
    }

    /// `count` automatically decided applications at `rate` per second, each sent on time whether
    /// or not the ones before it were answered.
    func submitOpenLoop(client: SystemClient, ledger: EventLedger, run: String, count: Int, rate: Double, firstSequence: Int) async throws -> Submitted {
        let clock = ContinuousClock()
        let start = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<count {
                try await clock.sleep(until: start + .seconds(Double(index) / rate))
                group.addTask {
                    try await submit(BenchApplication(.fireworksShop, sequence: firstSequence + index), client: client, ledger: ledger, run: run)
                }
            }
            try await group.waitForAll()
        }
        return Submitted(accepted: count, officerDecided: 0)
    }

    func submit(_ application: BenchApplication, client: SystemClient, ledger: EventLedger, run: String) async throws {
        let submitted = EventLedger.now()
        switch try await client.submit(application, idempotencyKey: UUID().uuidString) {
        case .accepted(let number):
            ledger.submitted(number, kind: application.kind, run: run, at: submitted, acceptedAt: EventLedger.now())
        case .refused(let status, let body):
            throw ExternalCommandError(description: "intake refused a benchmark application with \(status): \(body)")
        }
    }

    /// Waits until `expected` cases of `run` have their licences issued.
    func settle(ledger: EventLedger, run: String, expected: Int, timeout: Int) async throws {
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(timeout)
        var lastReport = clock.now
        while ledger.count(run: run, reached: .licencesIssued) < expected {
            if clock.now > deadline {
                let reached = Stage.allCases.map { "\($0.name) \(ledger.count(run: run, reached: $0))" }.joined(separator: ", ")
                throw ExternalCommandError(description: "\(run): not every bundle got its licences within \(timeout) s (\(reached) of \(expected))")
            }
            if clock.now - lastReport > .seconds(5) {
                print("  \(run): \(ledger.count(run: run, reached: .licencesIssued)) of \(expected) bundles have their licences")
                lastReport = clock.now
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Waits until no service has consumer lag or outbox backlog (as its /metrics show them), then 5 s more.
    func quiesce(_ probe: ServiceProbe, timeout: Int) async throws {
        let clock = ContinuousClock()
        let started = clock.now
        let deadline = started + .seconds(timeout)
        while clock.now < deadline {
            var busy = 0.0
            for service in ServiceProbe.services {
                if let (lag, backlog) = await probe.lagAndBacklog(of: service) { busy += lag + backlog }
            }
            if busy == 0 { break }
            try await Task.sleep(for: .seconds(1))
        }
        print("  every consumer caught up after \(String(format: "%.0f", Double((clock.now - started).components.seconds))) s")
        try await Task.sleep(for: .seconds(5))
    }

    // MARK: Figures

    func kafkaReference(servers: String, logger: Logger) async throws -> (produce: Double, consume: Double) {
        var arguments = ["--messages", "\(kafkaMessages)", "--bootstrap-servers", servers, "--rdkafka-performance", rdkafkaPerformance, "--rounds", "1"]
        if kafkaMessages <= 0 { arguments = [] }
        let benchmark = try KafkaBenchmark.parse(arguments)
        let admin = try KafkaAdmin(configuration: KafkaConfiguration(bootstrapServers: servers), logger: logger)
        let topic = "tongban.bench.system-rdkafka-performance-\(UUID().uuidString.prefix(8).lowercased())"
        try await admin.createTopic(topic, partitions: 6, replicationFactor: 1)
        let produce = try await benchmark.rdkafkaPerformanceProduce(topic: topic)
        let consume = try await benchmark.rdkafkaPerformanceConsume(topic: topic)
        return (produce.messagesPerSecond, consume.messagesPerSecond)
    }

    func cpu(_ probe: ServiceProbe) -> [String: Double] {
        Dictionary(uniqueKeysWithValues: ServiceProbe.services.compactMap { service in probe.cpuSeconds(of: service).map { (service, $0) } })
    }

    /// Prints end-to-end and per-hop percentiles; returns the end-to-end p99 in milliseconds.
    @discardableResult
    func printLatency(_ title: String, cases: [EventLedger.Case]) -> Double {
        let complete = cases.filter { $0.times[.submitted] != nil && $0.times[.licencesIssued] != nil }
        print("latency (ms), \(title): \(complete.count) bundles")
        guard !complete.isEmpty else { return .infinity }
        print("  hop                                       p50      p90      p99      max")
        let stages = Stage.allCases
        var endToEnd = 0.0
        for (from, to) in Array(zip(stages, stages.dropFirst())) + [(Stage.submitted, Stage.licencesIssued)] {
            let values = complete.compactMap { entry -> Double? in
                guard let start = entry.times[from], let end = entry.times[to] else { return nil }
                return end - start
            }.sorted()
            let label = from == .submitted && to == .licencesIssued ? "END TO END submitted → licences-issued" : "\(from.name) → \(to.name)"
            let p = [0.5, 0.9, 0.99].map { percentile(values, $0) } + [values.last ?? 0]
            print("  \(label.padding(toLength: 40, withPad: " ", startingAt: 0))\(p.map { format($0, 0).leftPadded(to: 9) }.joined())")
            if to == .licencesIssued, from == .submitted { endToEnd = p[2] }
        }
        return endToEnd
    }

    func percentile(_ sorted: [Double], _ share: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((share * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }

    func verdict(_ met: Bool) -> String { met ? "met" : "MISSED" }

    func format(_ value: Double, _ decimals: Int) -> String {
        String(format: "%.\(decimals)f", value)
    }
}

extension [String: Double] {
    func subtracting(_ other: [String: Double]) -> [String: Double] {
        Dictionary(uniqueKeysWithValues: map { ($0.key, $0.value - (other[$0.key] ?? 0)) })
    }
}
