import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Messaging
import NIOCore
import Postgres
@testable import Seal
import ServiceKit
import ServiceTestSupport
import Signing
import Synchronization
import TestSupport
import Testing

/// One seal under test: its own region (topic namespace, schema), a key encryption key, every log
/// line it writes captured, and every response body it gives kept, so that tests can look for secrets.
final class SealHarness: Sendable {
    let region: TestRegion
    let keyEncryptionKey = KeyEncryptionKey.generate()
    let logLines = Mutex<[String]>([])
    let responses = Mutex<[[UInt8]]>([])
    /// Seal's own pool on its schema, once running: tests look into its inbox and outbox.
    let database = Mutex<PostgresClient?>(nil)
    static let publicURL = "http://seal.test"
    static let bureauName = "石家庄市行政审批局"

    init() throws {
        region = try TestRegion()
    }

    var configuration: SealSettings {
        SealSettings(keyEncryptionKey: keyEncryptionKey, publicURL: Self.publicURL, bureauName: Self.bureauName)
    }

    /// Runs seal live (HTTP, publisher, consumer) for `body`, logging everything at trace level.
    func run(_ body: @escaping @Sendable (SealClient) async throws -> Void) async throws {
        let echo = ProcessInfo.processInfo.environment["TONGBAN_TEST_ECHO_LOGS"] != nil
        let sink = LogSink { [self] line in
            self.logLines.withLock { $0.append(line) }
            if echo { FileHandle.standardError.write(Data((line + "\n").utf8)) }
        }
        var logger = Logger(label: "tongban.seal") { JSONLogHandler(label: $0, sink: sink) }
        logger.logLevel = .trace
        let runtime = try await region.runtime(for: .seal, logger: logger)
        database.withLock { $0 = runtime.database }
        let app = try await buildApplication(runtime: runtime, seal: configuration)
        try await app.test(.live) { client in
            let seal = SealClient(client: client, harness: self)
            // Serving starts before the workers have the seal key; wait for them as a load balancer would.
            #expect(await eventually { (try? await seal.get("/readyz").status) == .ok })
            try await body(seal)
        }
    }

    // MARK: Playing approval

    static func decision(
        _ task: String, _ matterCode: String, _ matterName: String, department: String, departmentName: String,
        outcome: DecisionOutcome = .approved, legalBasis: String? = nil, licence: LicenceKind?
    ) -> MatterDecision {
        let now = Date()
        return MatterDecision(
            taskID: task, matterCode: matterCode, matterName: matterName, department: department, departmentName: departmentName,
            mode: .standard, outcome: outcome, legalBasis: legalBasis, decidedBy: "officer-1", decidedAt: now,
            deadlines: TaskDeadlines(legalLimitDays: 20, promisedLimitDays: 10, legalDeadline: now.addingTimeInterval(86400 * 28), promisedDeadline: now.addingTimeInterval(86400 * 14)),
            onTime: true, licence: licence
        )
    }

    static func uniqueCaseNumber() -> String {
        "130100-20261123-\(String(format: "%06d", Int.random(in: 1...999_999)))"
    }

    /// 开办建设项目一件事: four permits decided together; `refusing` names matters to reject.
    static func constructionBundle(caseNumber: String = uniqueCaseNumber(), refusing: Set<String> = []) -> BundleDecided {
        let matters: [(String, String, String, String, LicenceKind)] = [
            ("130100-JS-001", "建设用地规划许可", "natural-resources", "市自然资源和规划局", LicenceKind(type: "land-use-planning-permit", name: "建设用地规划许可证")),
            ("130100-JS-002", "建设工程规划许可", "natural-resources", "市自然资源和规划局", LicenceKind(type: "construction-planning-permit", name: "建设工程规划许可证")),
            ("130100-JS-003", "建筑工程施工许可", "housing-construction", "市住房和城乡建设局", LicenceKind(type: "construction-permit", name: "建筑工程施工许可证", validityYears: 3)),
            ("130100-JS-004", "不动产登记", "natural-resources", "市自然资源和规划局", LicenceKind(type: "real-estate-certificate", name: "不动产权证书")),
        ]
        let decisions = matters.enumerated().map { index, matter in
            let refused = refusing.contains(matter.0)
            return decision(
                "task-\(index + 1)", matter.0, matter.1, department: matter.2, departmentName: matter.3,
                outcome: refused ? .rejected : .approved,
                legalBasis: refused ? "《中华人民共和国城乡规划法》第四十条：建设工程设计方案不符合控制性详细规划" : nil,
                licence: matter.4
            )
        }
        return BundleDecided(
            caseNumber: caseNumber,
            region: "130100",
            bundle: CaseSubmitted.Bundle(code: "130100-YJS-JS", name: "开办建设项目一件事"),
            applicant: ApplicantRecord(kind: .enterprise, name: "石家庄市长安建筑工程有限公司", identifier: "91130100MA0CXK4E5L", account: "applicant-42"),
            acceptedAt: Date().addingTimeInterval(-86400 * 7),
            decidedAt: Date(),
            decisions: decisions,
            onTime: true
        )
    }

    @discardableResult
    func publish(_ decided: BundleDecided, id: String = UUID().uuidString.lowercased()) async throws -> Envelope {
        try await region.publish(decided, to: .bundleDecided, key: decided.caseNumber, id: id)
    }

    /// The licences-issued event seal published for `caseNumber`.
    func licencesIssued(_ caseNumber: String) async throws -> LicencesIssued {
        let events = try await region.events(on: .licencesIssued, key: caseNumber, count: 1)
        return try #require(events.first).decode(LicencesIssued.self)
    }

    /// The token of the construction bundle's applicant, who holds its licences.
    func holderToken() async throws -> String {
        try await region.token(Principal(subject: "applicant-42", role: .applicant, identity: "91130100MA0CXK4E5L"))
    }

    func token(_ role: Role, subject: String = "staff-1", department: String? = nil) async throws -> String {
        try await region.token(Principal(subject: subject, role: role, region: "130100", department: department))
    }
}

/// HTTP to the seal under test; keeps every response body.
struct SealClient: Sendable {
    let client: any TestClientProtocol
    let harness: SealHarness

    var port: Int? { client.port }

    func request(_ method: HTTPRequest.Method, _ uri: String, token: String? = nil, headers extra: HTTPFields = [:], body: [UInt8]? = nil) async throws -> TestResponse {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        if body != nil, headers[.contentType] == nil { headers[.contentType] = "application/json" }
        let started = ContinuousClock.now
        let response: TestResponse
        do {
            response = try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(bytes: $0) })
        } catch {
            // A bare readTimeout names neither the request nor what seal was doing meanwhile.
            let recent = harness.logLines.withLock { $0.suffix(40) }.joined(separator: "\n")
            Issue.record("\(method) \(uri) failed after \(ContinuousClock.now - started): \(error); seal's last log lines:\n\(recent)")
            throw error
        }
        harness.responses.withLock { $0.append(Array(response.body.readableBytesView)) }
        return response
    }

    func get(_ uri: String, token: String? = nil, accept: String? = nil) async throws -> TestResponse {
        try await request(.get, uri, token: token, headers: accept.map { [.accept: $0] } ?? [:])
    }

    func json(_ response: TestResponse) throws -> JSONValue {
        try JSONValue(parsing: Array(response.body.readableBytesView))
    }

    /// POST /verifications with `credential`.
    func verify(_ credential: JSONValue) async throws -> JSONObject {
        let response = try await request(.post, "/verifications", body: credential.canonicalBytes)
        #expect(response.status == .ok)
        return try #require(try json(response).objectValue)
    }

    /// The public verification a licence's QR code leads to, by its reference.
    func verification(of licence: LicenceSummary, accept: String? = nil) async throws -> TestResponse {
        #expect(licence.verificationURL.hasPrefix(SealHarness.publicURL + "/verifications/"))
        return try await get(String(licence.verificationURL.dropFirst(SealHarness.publicURL.count)), accept: accept)
    }

    func licence(_ number: String, token: String) async throws -> JSONObject {
        let response = try await get("/licences/\(number)", token: token)
        #expect(response.status == .ok)
        return try #require(try json(response).objectValue)
    }
}
