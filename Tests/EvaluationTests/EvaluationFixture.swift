import Domain
@testable import Evaluation
import Foundation
import HTTPTypes
import HummingbirdTesting
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Messaging
import NIOCore
import Postgres
import ServiceKit
import ServiceTestSupport
import TestSupport
import Testing
import TongbanClient

/// One evaluation deployment of its own test region — one instance, or two on the same schema and
/// consumer group — served over real HTTP with its consumer, outbox publisher and scanner running,
/// and a clock the test moves. Tests play intake, approval and seal by publishing their events.
struct EvaluationFixture: Sendable {
    let region: TestRegion
    let runtime: ServiceRuntime
    let clock: ManualClock
    /// One client per running instance.
    let clients: [any TestClientProtocol]
    var client: any TestClientProtocol { clients[0] }

    static let supervisor = Principal(subject: "supervisor-01", role: .supervisor, region: "130100")
    static let marketOfficer = Principal(subject: "officer-mr-3", role: .officer, region: "130100", department: "market-regulation")
    static let housingOfficer = Principal(subject: "officer-hc-8", role: .officer, region: "130100", department: "housing-construction")

    /// The account `account`, verified as the identity its cases are applied for (see `Sample.applicant`).
    static func applicant(_ account: String) -> Principal {
        Principal(subject: account, role: .applicant, identity: Sample.identity(of: account))
    }

    /// Runs `body` against `instances` fresh evaluation instances whose clock starts at `start`.
    static func run(instances: Int = 1, start: Date, _ body: @Sendable (EvaluationFixture) async throws -> Void) async throws {
        let region = try TestRegion()
        let runtime = try await region.runtime(for: .evaluation)
        try await TopicSetup.ensure(TopicRegistry.all.map(region.topic), admin: runtime.kafkaAdmin)
        try await run(region: region, runtime: runtime, instances: instances, clock: ManualClock(start), body)
    }

    /// Runs `body` against `instances` evaluation instances on `runtime`'s schema and consumer group,
    /// e.g. again after earlier instances stopped (a restart).
    static func run(region: TestRegion, runtime: ServiceRuntime, instances: Int = 1, clock: ManualClock, _ body: @Sendable (EvaluationFixture) async throws -> Void) async throws {
        let settings = EvaluationSettings(
            scanInterval: .milliseconds(100),
            calendars: Calendars(home: try WorkingCalendar.load(region: "130100")),
            now: clock.now
        )
        // Every further instance: the same configuration (schema, role, consumer group), its own pool.
        var runtimes = [runtime]
        for _ in 1..<max(instances, 1) {
            runtimes.append(try ServiceRuntime(configuration: runtime.configuration, logger: runtime.logger, metrics: ServiceMetrics(), tokenVerifier: runtime.tokenVerifier))
        }
        try await serve(runtimes[...], settings: settings, clients: []) { clients in
            try await body(EvaluationFixture(region: region, runtime: runtime, clock: clock, clients: clients))
        }
    }

    private static func serve(_ runtimes: ArraySlice<ServiceRuntime>, settings: EvaluationSettings, clients: [any TestClientProtocol], _ body: @Sendable ([any TestClientProtocol]) async throws -> Void) async throws {
        guard let first = runtimes.first else { return try await body(clients) }
        let app = try await buildApplication(runtime: first, settings: settings)
        try await app.test(.live) { client in
            try await serve(runtimes.dropFirst(), settings: settings, clients: clients + [client], body)
        }
    }

    // MARK: Time

    /// An instant written in Beijing time, e.g. `at("2026-11-23T10:00")`.
    static func at(_ local: String) -> Date {
        Envelope.parseTime(local + ":00+08:00")!
    }

    func advance(to local: String) {
        clock.set(Self.at(local))
    }

    // MARK: Playing the other services

    @discardableResult
    func publish<Payload: Encodable>(_ payload: Payload, to topic: Topic, key: String) async throws -> Envelope {
        try await region.publish(payload, to: topic, key: key)
    }

    // MARK: HTTP

    func headers(_ principal: Principal?) async throws -> HTTPFields {
        var fields: HTTPFields = [.contentType: "application/json"]
        if let principal { fields[.authorization] = "Bearer \(try await region.token(principal))" }
        return fields
    }

    func get(_ path: String, as principal: Principal?, on instance: Int = 0) async throws -> TestResponse {
        try await clients[instance].execute(uri: path, method: .get, headers: try await headers(principal))
    }

    func post(_ path: String, json: some Encodable, as principal: Principal?) async throws -> TestResponse {
        try await client.execute(uri: path, method: .post, headers: try await headers(principal), body: ByteBuffer(bytes: try JSONEncoder().encode(json)))
    }

    func post(_ path: String, rawJSON: String, as principal: Principal?) async throws -> TestResponse {
        try await client.execute(uri: path, method: .post, headers: try await headers(principal), body: ByteBuffer(string: rawJSON))
    }

    /// Supervision's view of a case, once it has one.
    func caseClocks(_ number: String) async throws -> CaseClocks? {
        let response = try await get("/supervision/cases/\(number)", as: Self.supervisor)
        guard response.status == .ok else { return nil }
        return try response.decode(CaseClocks.self)
    }

    /// Polls supervision's view of `number` until `condition` holds; fails the test if it never does.
    @discardableResult
    func waitForCase(_ number: String, sourceLocation: SourceLocation = #_sourceLocation, until condition: @escaping @Sendable (CaseClocks) -> Bool) async throws -> CaseClocks {
        var last: CaseClocks?
        let held = try await eventually {
            last = try await caseClocks(number)
            return last.map(condition) ?? false
        }
        try #require(held, "case \(number) never reached the expected state; last seen: \(String(describing: last))", sourceLocation: sourceLocation)
        return last!
    }

    func count(_ sql: String) async throws -> Int {
        try await runtime.database.query(PostgresQuery(unsafeSQL: sql)).decode(Int.self)[0]
    }
}

// MARK: Events as the other services write them

enum Sample {
    static let marketRegulation = ("market-regulation", "石家庄市市场监督管理局")
    static let housing = ("housing-construction", "石家庄市住房和城乡建设局")

    struct MatterSpec: Sendable {
        var code: String
        var name: String
        var department: (String, String)
        var legal: Int
        var promised: Int
    }

    static let foodLicence = MatterSpec(code: "130100-SC-001", name: "食品经营许可", department: marketRegulation, legal: 20, promised: 5)
    static let constructionPermit = MatterSpec(code: "130100-JS-004", name: "建筑工程施工许可", department: housing, legal: 15, promised: 5)
    static let specialEquipment = MatterSpec(code: "130100-SC-007", name: "特种设备使用登记", department: marketRegulation, legal: 20, promised: 10)

    /// Each account its own enterprise: 18 characters of the event schema's pattern, made from the account.
    static func identity(of account: String) -> String {
        String(Principal.identityDigest(account).uppercased().prefix(18))
    }

    static func applicant(_ account: String) -> ApplicantRecord {
        ApplicantRecord(kind: .enterprise, name: "石家庄市长安区好味道餐饮有限公司", identifier: identity(of: account), account: account)
    }

    static func deadlines(_ matter: MatterSpec, from accepted: Date) -> TaskDeadlines {
        // Approval's own reckoning; supervision reads its own clock and never relies on these.
        TaskDeadlines(legalLimitDays: matter.legal, promisedLimitDays: matter.promised, legalDeadline: accepted, promisedDeadline: accepted)
    }

    static func submitted(_ number: String, account: String, accepted: Date, matters: [MatterSpec]) -> CaseSubmitted {
        CaseSubmitted(
            caseNumber: number, region: "130100", bundle: nil, applicant: applicant(account), acceptedAt: accepted, catalogueVersion: "2026.11",
            matters: matters.map {
                .init(code: $0.code, name: $0.name, department: $0.department.0, departmentName: $0.department.1, region: "130100", legalLimitDays: $0.legal, promisedLimitDays: $0.promised, mode: .standard)
            },
            materials: [], deficiencies: []
        )
    }

    static func opened(_ number: String, accepted: Date, tasks: [(id: String, matter: MatterSpec)]) -> TasksOpened {
        TasksOpened(caseNumber: number, region: "130100", acceptedAt: accepted, tasks: tasks.map {
            .init(taskID: $0.id, matterCode: $0.matter.code, matterName: $0.matter.name, department: $0.matter.department.0, departmentName: $0.matter.department.1, mode: .standard, deadlines: deadlines($0.matter, from: accepted))
        })
    }

    static func decision(_ id: String, _ matter: MatterSpec, accepted: Date, decidedAt: Date) -> MatterDecision {
        MatterDecision(
            taskID: id, matterCode: matter.code, matterName: matter.name, department: matter.department.0, departmentName: matter.department.1,
            mode: .standard, outcome: .approved, legalBasis: nil, decidedBy: "officer-1", decidedAt: decidedAt,
            deadlines: deadlines(matter, from: accepted), onTime: true, licence: nil
        )
    }

    static func bundleDecided(_ number: String, account: String, accepted: Date, decisions: [MatterDecision]) -> BundleDecided {
        BundleDecided(
            caseNumber: number, region: "130100", bundle: nil, applicant: applicant(account), acceptedAt: accepted,
            decidedAt: decisions.map(\.decidedAt).max()!, decisions: decisions, onTime: true
        )
    }
}

