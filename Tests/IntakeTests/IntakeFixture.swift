import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
@testable import Intake
import Messaging
import NIOCore
import Postgres
import ServiceKit
import ServiceTestSupport
import Testing
import TongbanClient

/// One intake service of its own test region, served over real HTTP with its outbox publisher and
/// its consumer running; tests talk to it as the window's terminal or an applicant's portal would.
struct IntakeFixture: Sendable {
    let region: TestRegion
    let runtime: ServiceRuntime
    let client: any TestClientProtocol

    /// Accounts with a verified identity: alice acts for the sample enterprise, bob for another,
    /// wang is the sample person.
    static let alice = Principal(subject: "applicant-alice", role: .applicant, identity: ApplicationRequest.enterprise.unifiedSocialCreditCode)
    static let bob = Principal(subject: "applicant-bob", role: .applicant, identity: ApplicationRequest.otherEnterprise.unifiedSocialCreditCode)
    static let wang = Principal(subject: "applicant-wang", role: .applicant, identity: ApplicationRequest.person.residentIdentityNumber)
    static let clerk = Principal(subject: "clerk-07", role: .clerk, region: "130100")

    /// Runs `body` against a fresh intake; `environment` adds intake's own variables.
    static func run(environment: [String: String] = [:], _ body: @Sendable (IntakeFixture) async throws -> Void) async throws {
        let region = try TestRegion()
        let runtime = try await region.runtime(for: .intake, environment: environment)
        // The consumer subscribes at once; its topics must be there before it does.
        try await TopicSetup.ensure(TopicRegistry.all.map(region.topic), admin: runtime.kafkaAdmin)
        let settings = try IntakeSettings(region: runtime.configuration.region, environment: EnvironmentVariables(environment))
        let app = try await buildApplication(runtime: runtime, settings: settings)
        try await app.test(.live) { client in
            try await body(IntakeFixture(region: region, runtime: runtime, client: client))
        }
    }

    // MARK: Talking HTTP

    func headers(_ principal: Principal?, idempotencyKey: String? = nil) async throws -> HTTPFields {
        var fields: HTTPFields = [.contentType: "application/json"]
        if let principal { fields[.authorization] = "Bearer \(try await region.token(principal))" }
        if let idempotencyKey { fields[HTTPField.Name("Idempotency-Key")!] = idempotencyKey }
        return fields
    }

    func get(_ path: String, as principal: Principal?) async throws -> TestResponse {
        try await client.execute(uri: path, method: .get, headers: try await headers(principal))
    }

    func post(_ path: String, body: Data, as principal: Principal?, idempotencyKey: String? = nil) async throws -> TestResponse {
        try await client.execute(uri: path, method: .post, headers: try await headers(principal, idempotencyKey: idempotencyKey), body: ByteBuffer(bytes: body))
    }

    func post(_ path: String, json: some Encodable, as principal: Principal?, idempotencyKey: String? = nil) async throws -> TestResponse {
        try await post(path, body: try JSONEncoder().encode(json), as: principal, idempotencyKey: idempotencyKey)
    }

    /// alice's account, verified as the applicant of `application` (whoever that is).
    static func alice(applyingFor application: ApplicationRequest) -> Principal {
        Principal(subject: alice.subject, role: .applicant, identity: application.applicant.residentIdentityNumber ?? application.applicant.unifiedSocialCreditCode)
    }

    /// POST /cases with a fresh Idempotency-Key; by default as alice, in the application's name.
    func apply(_ application: ApplicationRequest, as principal: Principal? = nil) async throws -> TestResponse {
        try await post("/cases", json: application, as: principal ?? Self.alice(applyingFor: application), idempotencyKey: UUID().uuidString)
    }

    /// Applies and returns the receipt; the application must be accepted.
    func applyAccepted(_ application: ApplicationRequest, as principal: Principal? = nil, sourceLocation: SourceLocation = #_sourceLocation) async throws -> CaseReceipt {
        let response = try await apply(application, as: principal)
        #expect(response.status == .created, "\(response.text)", sourceLocation: sourceLocation)
        return try response.decode(CaseReceipt.self)
    }

    func caseView(_ number: String, as principal: Principal = alice) async throws -> CaseDocument {
        let response = try await get("/cases/\(number)", as: principal)
        #expect(response.status == .ok, "\(response.text)")
        return try response.decode(CaseDocument.self)
    }

    // MARK: Looking into intake's schema

    func count(_ table: String) async throws -> Int {
        try await runtime.database.query("SELECT count(*) FROM \(identifier: table)").decode(Int.self)[0]
    }

    /// Cases, materials and unpublished or published events: what a refused request must not leave.
    func storedRows() async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for table in ["cases", "materials", "deficiencies", "timeline", "outbox", "idempotency_keys"] {
            counts[table] = try await count(table)
        }
        return counts
    }
}

// MARK: What a client sends

extension ApplicationRequest {
    static let person = Applicant(name: "王建国", residentIdentityNumber: "11010519491231002X")
    static let enterprise = Applicant(name: "石家庄华北精工机械有限公司", unifiedSocialCreditCode: "91350100M000100Y43")
    static let otherEnterprise = Applicant(name: "石家庄云栖数据科技有限公司", unifiedSocialCreditCode: "91110000600037341L")

    /// An application for `matter` or `bundle` with `materials` (catalogue codes), at a site in 长安区.
    static func make(matter: String? = nil, bundle: String? = nil, applicant: Applicant = enterprise, materials: [String], commitments: [String]? = nil) -> ApplicationRequest {
        ApplicationRequest(
            matter: matter, bundle: bundle, applicant: applicant,
            site: Site(divisionCode: "130102", address: "石家庄市长安区中山东路 88 号"),
            materials: materials.map { MaterialUpload.document($0) },
            commitments: commitments?.map(Commitment.init)
        )
    }
}

/// Every material of the sample catalogue's restaurant bundle, and the four permits'.
enum SampleMaterials {
    static let restaurantMandatory = [
        "applicant-identity", "company-registration-application", "articles-of-association", "premises-proof",
        "food-business-application", "food-premises-layout", "hygiene-licence-application",
    ]
    static let restaurantTolerable = ["food-safety-rules", "food-safety-manager"]
    static let fourPermitsMandatory = [
        "applicant-identity", "land-transfer-contract", "land-price-receipt", "cadastral-survey", "land-planning-application",
        "project-filing-certificate", "project-planning-application", "design-scheme", "site-plan",
        "construction-permit-application", "construction-contract", "funding-commitment",
    ]
    static let fourPermitsTolerable = ["deed-tax-receipt", "authorisation-letter", "drawing-review-certificate", "quality-safety-supervision"]
}

// MARK: What a client reads

