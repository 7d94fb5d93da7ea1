@testable import Approval
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Messaging
import NIOCore
import Postgres
import ServiceKit
import ServiceTestSupport
import Synchronization
import TestSupport
import Testing
import TongbanClient

/// The time approval reads for officers' actions, set by the test in Beijing time: deadlines are
/// checked against the calendar, so a test must not depend on the day it runs.
extension ManualClock {
    convenience init(_ text: String) {
        self.init(at(text))
    }

    func set(_ text: String) {
        set(at(text))
    }
}

/// An instant written in Beijing time, as the calendar's expectations are.
func at(_ text: String) -> Date {
    // swiftlint:disable:next force_try
    try! Date(text, strategy: .iso8601)
}

/// One approval deployment for one test: its test region, its clock, and helpers to act as
/// intake (publishing cases) and as officers (through the HTTP API).
struct ApprovalFixture {
    let region: TestRegion
    let clock: ManualClock

    init(clock: String = "2026-11-23T09:00:00+08:00") throws {
        region = try TestRegion()
        self.clock = ManualClock(clock)
    }

    /// Runs approval — migrations, consumer, outbox publisher, routes — while `body` drives it.
    func withApproval(_ body: @Sendable (any TestClientProtocol, ServiceRuntime) async throws -> Void) async throws {
        let runtime = try await region.runtime(for: .approval)
        // The consumer subscribes at once; its topics must be there before it does.
        try await TopicSetup.ensure(TopicRegistry.all.map(region.topic), admin: runtime.kafkaAdmin)
        let clock = clock
        let app = try await buildApplication(runtime: runtime, environment: EnvironmentVariables([:]), now: clock.now)
        try await app.test(.live) { client in
            try await body(client, runtime)
        }
    }

    // MARK: Intake's side

    static let acceptedAt = "2026-11-23T09:00:00+08:00"

    static func matter(
        _ code: String, _ name: String, department: String, departmentName: String,
        legal: Int = 20, promised: Int = 10, mode: ApprovalMode = .standard,
        steps: [String] = [], verificationLimitDays: Int? = nil, region: String = "130100"
    ) -> CaseSubmitted.Matter {
        CaseSubmitted.Matter(
            code: code, name: name, department: department, departmentName: departmentName, region: region,
            legalLimitDays: legal, promisedLimitDays: promised, mode: mode, stepsBeforeDecision: steps,
            verificationLimitDays: verificationLimitDays,
            licence: LicenceKind(type: code, name: name)
        )
    }

    static let constructionPermit = matter("construction-permit", "建筑工程施工许可证核发", department: "housing-construction", departmentName: "石家庄市住房和城乡建设局", steps: ["joint-inspection"])
    static let planningPermit = matter("planning-permit", "建设工程规划许可证核发", department: "natural-resources", departmentName: "石家庄市自然资源和规划局")
    static let businessLicence = matter("business-licence", "营业执照", department: "market-regulation", departmentName: "石家庄市市场监督管理局", legal: 15, promised: 3)

    static func submission(_ caseNumber: String, matters: [CaseSubmitted.Matter], acceptedAt: String = acceptedAt) -> CaseSubmitted {
        CaseSubmitted(
            caseNumber: caseNumber,
            region: "130100",
            bundle: matters.count > 1 ? .init(code: "construction-start", name: "开工一件事") : nil,
            applicant: ApplicantRecord(kind: .enterprise, name: "石家庄市安居建设有限公司", identifier: "91130100MA0CXXXX0X", account: "enterprise-88"),
            acceptedAt: at(acceptedAt),
            catalogueVersion: "2026.11",
            matters: matters,
            materials: [],
            deficiencies: []
        )
    }

    static func caseNumber() -> String {
        "130100-20261123-\(String(format: "%06d", Int.random(in: 1...999_999)))"
    }

    /// `caseNumber`'s events on `topic` once the first has arrived (however long a loaded broker
    /// takes), with any other that follows within a few seconds: a test expecting exactly one sees a
    /// duplicate, and a slow broker cannot make it see none.
    func eventsAfterTheFirst(on topic: Topic, caseNumber: String) async throws -> [Envelope] {
        try await region.events(on: topic, key: caseNumber, exactly: 1)
    }

    /// How many events of `topic` for `caseNumber` approval committed to its outbox: what it will
    /// have published, whatever the broker has delivered so far.
    static func committed(_ topic: Topic, caseNumber: String, in runtime: ServiceRuntime) async throws -> Int {
        try await runtime.database.query("""
            SELECT count(*) FROM outbox WHERE event_type = \(topic.eventType) AND event_key = \(caseNumber)
            """).decode(Int.self).first ?? 0
    }

    // MARK: Officers' side

    func officer(_ department: String, subject: String? = nil, region: String = "130100") async throws -> String {
        try await self.region.token(Principal(subject: subject ?? "officer-\(department)", role: .officer, region: region, department: department))
    }
}

extension TestClientProtocol {
    /// Sends a request as the officer with `token`, with `body` as JSON.
    func call(_ method: HTTPRequest.Method, _ path: String, token: String, json body: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [.authorization: "Bearer \(token)"]
        if body != nil { headers[.contentType] = "application/json" }
        return try await execute(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
    }

    /// The officer's department's tasks (GET /tasks with `query`).
    func tasks(token: String, query: String = "") async throws -> [TongbanClient.DepartmentTask] {
        let response = try await call(.get, "/tasks\(query)", token: token)
        #expect(response.status == .ok, "GET /tasks\(query): \(String(buffer: response.body))")
        return (try? response.decode(DepartmentTaskList.self))?.tasks ?? []
    }

    /// Waits until the officer's department has `count` tasks of case `caseNumber` (the consumer
    /// applies intake's event in its own time) and returns them.
    func awaitTasks(token: String, caseNumber: String, count: Int = 1) async throws -> [TongbanClient.DepartmentTask] {
        var found: [TongbanClient.DepartmentTask] = []
        _ = try await eventually {
            found = try await tasks(token: token, query: "?state=open,suspended,verifying,decided,revoked,withdrawn").filter { $0.caseNumber == caseNumber }
            return found.count >= count
        }
        return found
    }

    func task(_ id: String, token: String) async throws -> TongbanClient.DepartmentTask? {
        let response = try await call(.get, "/tasks/\(id)", token: token)
        return try? response.decode(TongbanClient.DepartmentTask.self)
    }
}



extension Envelope {
    /// The payload, or a failed expectation.
    func payload<T: Decodable>(_ type: T.Type) -> T? {
        do {
            return try decode(T.self)
        } catch {
            Issue.record("\(self.type) does not decode: \(error)")
            return nil
        }
    }
}
