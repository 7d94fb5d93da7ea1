import Foundation
import Kafka
import Logging
import Messaging
import Synchronization

/// A stage of a bundle on its way from the window to its licences.
enum Stage: Int, CaseIterable, Sendable {
    /// The client sent POST /cases.
    case submitted
    /// Intake answered 201 (the case and its event are committed).
    case accepted
    /// intake.case-submitted is on the broker (intake's outbox publisher sent it).
    case caseSubmitted
    /// approval.tasks-opened is on the broker (approval applied the case).
    case tasksOpened
    /// approval.bundle-decided is on the broker (every task decided).
    case bundleDecided
    /// seal.licences-issued is on the broker (seal issued every licence).
    case licencesIssued

    var name: String {
        switch self {
        case .submitted: "submitted"
        case .accepted: "HTTP 201"
        case .caseSubmitted: "case-submitted"
        case .tasksOpened: "tasks-opened"
        case .bundleDecided: "bundle-decided"
        case .licencesIssued: "licences-issued"
        }
    }

    /// The topic whose events mark this stage, if it is one.
    var topic: Topic? {
        switch self {
        case .caseSubmitted: .caseSubmitted
        case .tasksOpened: .tasksOpened
        case .bundleDecided: .bundleDecided
        case .licencesIssued: .licencesIssued
        default: nil
        }
    }
}

/// What happened to each case, as the client and a subscriber of the topics saw it: when each stage
/// was reached (wall-clock milliseconds; for an event, its broker timestamp — when the service's
/// publisher produced it) and the distinct event ids seen per stage (more than one is a duplicate
/// decision or licence set; the same id twice is only a redelivery).
final class EventLedger: Sendable {
    struct Case: Sendable {
        var kind: BenchApplication.Kind?
        var run: String?
        var times: [Stage: Double] = [:]
        var eventIDs: [Stage: Set<String>] = [:]
    }

    private let cases = Mutex<[String: Case]>([:])
    private let redeliveries = Atomic<Int>(0)

    static func now() -> Double { Date().timeIntervalSince1970 * 1000 }

    func submitted(_ number: String, kind: BenchApplication.Kind, run: String, at submitted: Double, acceptedAt accepted: Double) {
        cases.withLock { cases in
            cases[number, default: Case()].kind = kind
            cases[number]!.run = run
            cases[number]!.times[.submitted] = submitted
            cases[number]!.times[.accepted] = accepted
        }
    }

    func record(_ stage: Stage, caseNumber: String, eventID: String, at time: Double) {
        let repeated = cases.withLock { cases in
            var entry = cases[caseNumber, default: Case()]
            let inserted = entry.eventIDs[stage, default: []].insert(eventID).inserted
            if inserted, entry.times[stage] == nil { entry.times[stage] = time }
            cases[caseNumber] = entry
            return !inserted
        }
        if repeated { redeliveries.add(1, ordering: .relaxed) }
    }

    var redeliveredEvents: Int { redeliveries.load(ordering: .relaxed) }

    func snapshot(run: String? = nil) -> [String: Case] {
        cases.withLock { cases in run.map { run in cases.filter { $0.value.run == run } } ?? cases }
    }

    /// How many of `run`'s cases reached `stage`.
    func count(run: String, reached stage: Stage) -> Int {
        cases.withLock { cases in cases.values.reduce(0) { $0 + ($1.run == run && $1.times[stage] != nil ? 1 : 0) } }
    }
}

/// A subscriber of the four topics a bundle passes through, in a consumer group of its own, that
/// writes what it reads into the ledger. After a broker restart it reads the recreated topics from
/// their beginning, as the replayed events arrive.
struct TopicReader {
    let consumer: KafkaConsumer
    let ledger: EventLedger
    static let stages: [Stage] = [.caseSubmitted, .tasksOpened, .bundleDecided, .licencesIssued]

    init(bootstrapServers: String, namespace: String, ledger: EventLedger, logger: Logger) throws {
        var configuration = KafkaConfiguration(bootstrapServers: bootstrapServers)
        configuration.clientID = "tongban-bench-reader"
        configuration.groupID = "tongban.bench.reader-\(UUID().uuidString.prefix(8).lowercased())"
        configuration.statisticsInterval = nil
        configuration.additionalSettings = ["topic.metadata.refresh.interval.ms": "2000"]
        let topics = Self.stages.map { $0.topic!.inNamespace(namespace).name }
        consumer = try KafkaConsumer(configuration: configuration, topics: topics, logger: logger)
        self.ledger = ledger
    }

    /// Reads until cancelled.
    func run() async throws {
        let stages = Dictionary(uniqueKeysWithValues: Self.stages.map { ($0.topic!.eventType, $0) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await consumer.run() }
            group.addTask {
                for try await message in consumer.messages {
                    guard let key = message.keyString,
                          let type = message.headers.value(forKey: "ce_type"),
                          let stage = stages[type],
                          let id = message.headers.value(forKey: "ce_id")
                    else { continue }
                    let time = message.timestampMilliseconds.map(Double.init) ?? EventLedger.now()
                    ledger.record(stage, caseNumber: key, eventID: id, at: time)
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    /// Whether the group has its partitions (so the load's first events are not missed for a join).
    func assigned() async -> Bool {
        ((try? await consumer.assignment()) ?? []).count > 0
    }

    func stop() {
        consumer.triggerGracefulShutdown()
    }
}
