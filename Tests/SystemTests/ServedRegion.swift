import Domain
import Foundation
import Messaging
import ServiceKit
import ServiceTestSupport
import TestSupport
import Testing
import TongbanClient

/// One region with its five services running as their executables, each ready, and the callers of
/// every role that the route tests send: those whose work the region's one completed case is, and
/// those it is not (another applicant, another department, another region's staff).
struct ServedRegion {
    let region: TestRegion
    let services: [ServiceName: RunningService]

    static func start(environment: [String: String] = [:]) async throws -> ServedRegion {
        let region = try TestRegion()
        var services: [ServiceName: RunningService] = [:]
        for service in ServiceName.allCases {
            let extra = service == .relay ? try await relayWithoutPartners() : [:]
            services[service] = try await region.start(service, environment: extra.merging(environment) { $1 })
        }
        for service in services.values {
            #expect(await eventually(timeout: .seconds(60)) { await service.isReady() }, "\(service.service.rawValue) never became ready")
        }
        return ServedRegion(region: region, services: services)
    }

    func client(_ service: ServiceName) throws -> ServiceClient {
        try #require(services[service]).client
    }

    /// The relay needs its signing key and a partner registry; a region without partners yet, as run.sh starts it.
    static func relayWithoutPartners() async throws -> [String: String] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(TestInfrastructure.uniqueName("relay")).path
        let made = try await runCommand(TestInfrastructure.binaryDirectory.appendingPathComponent("tongban").path, ["relay", "keygen", "--region", "130100", "--directory", folder])
        try #require(made.status == 0, "\(made.output)")
        try #require(FileManager.default.createFile(atPath: folder + "/partners.json", contents: Data(#"{"partners": []}"#.utf8)))
        return ["TONGBAN_RELAY_SIGNING_KEY_FILE": folder + "/relay-signing-key.jwk", "TONGBAN_RELAY_PARTNERS_FILE": folder + "/partners.json"]
    }

    // MARK: Callers

    static let holder = Principal(subject: "applicant-liu", role: .applicant, identity: "91350100M000100Y43")
    static let stranger = Principal(subject: "applicant-stranger", role: .applicant, identity: "91110000600037341L")
    static let clerk = Principal(subject: "clerk-window-2", role: .clerk, region: "130100")
    static let marketOfficer = Principal(subject: "officer-market-3", role: .officer, region: "130100", department: "market-regulation")
    /// An officer of this region whose department has no part in the case.
    static let educationOfficer = Principal(subject: "officer-education-5", role: .officer, region: "130100", department: "education")
    static let supervisor = Principal(subject: "supervisor-1", role: .supervisor, region: "130100")
    static let partner = Principal(subject: "partner-110100", role: .partner, region: "110100")
    static let admin = Principal(subject: "operator-1", role: .admin, region: "130100")

    /// The caller of `role` whose work the case is (for an applicant, its holder).
    static func inReach(_ role: Role) -> Principal {
        switch role {
        case .applicant: holder
        case .clerk: clerk
        case .officer: marketOfficer
        case .supervisor: supervisor
        case .partner: partner
        case .admin: admin
        }
    }

    /// The caller of `role`, of this region, whose work the case is not: there is such a caller
    /// only for applicants and officers (a clerk's or supervisor's reach is the whole region).
    static func outOfReach(_ role: Role) -> Principal? {
        switch role {
        case .applicant: stranger
        case .officer: educationOfficer
        default: nil
        }
    }

    /// The same caller, of another region (staff only: applicants and partners have no home region here).
    static func elsewhere(_ role: Role) -> Principal? {
        guard ![.applicant, .partner].contains(role) else { return nil }
        var principal = inReach(role)
        principal.region = "110100"
        principal.subject += "-bj"
        return principal
    }
}

/// The region's one case, taken as far as it goes: a restaurant opening (开餐馆一件事) applied for
/// online, the food business licence approved by the market regulator, three licences issued
/// under the one seal, rated dissatisfied, which opened the market regulator's rectification.
/// Its numbers are what the route tests put into each path.
struct CompletedCase {
    var number: String
    var material: String
    var task: String
    var licence: String
    var reference: String
    var statusList: String?
    var rectification: String

    /// Every value of the case that a caller outside its reach must not find in an answer.
    var identifiers: [String] { [number, material, task, licence, reference, rectification] }

    static let materials = [
        "applicant-identity", "company-registration-application", "articles-of-association", "premises-proof",
        "food-business-application", "food-premises-layout", "food-safety-rules", "food-safety-manager", "hygiene-licence-application",
    ]

    static func make(in served: ServedRegion) async throws -> CompletedCase {
        let region = served.region
        let intake = try served.client(.intake), approval = try served.client(.approval), seal = try served.client(.seal)
        let evaluation = try served.client(.evaluation)
        let holder = try await region.token(ServedRegion.holder)
        let applied = try await intake.post("/cases", json: ApplicationRequest(
            bundle: "restaurant-opening",
            applicant: .init(name: "石家庄市长安区老槐树餐饮有限公司", unifiedSocialCreditCode: "91350100M000100Y43"),
            site: .init(divisionCode: "130102", address: "石家庄市长安区建设北大街 19 号"),
            materials: materials.map { MaterialUpload.document($0) },
            commitments: [.init(matterCode: "public-place-hygiene-licence")]
        ), token: holder, idempotencyKey: UUID().uuidString)
        try #require(applied.status == 201, "\(applied.text)")
        let receipt = try applied.decode(CaseReceipt.self)
        let number = receipt.caseNumber

        let officer = try await region.token(ServedRegion.marketOfficer)
        var found: DepartmentTask?
        try #require(await eventually(timeout: .seconds(60)) {
            found = try await approval.get("/tasks", token: officer).decode(DepartmentTaskList.self).tasks.first { $0.caseNumber == number }
            return found != nil
        })
        let task = try #require(found)
        let approved = try await approval.post("/tasks/\(task.id)/approval", json: ["comment": "现场核查符合要求。"], token: officer)
        try #require(approved.status == 200, "\(approved.text)")

        var document: CaseDocument?
        try #require(await eventually(timeout: .seconds(60)) {
            document = try await intake.get("/cases/\(number)", token: holder).decode(CaseDocument.self)
            return document?.status == .completed && document?.licences.count == 3
        })
        let licence = try #require(document?.licences.first { $0.matterCode == "food-business-licence" })
        let reference = try #require(URL(string: licence.verificationURL)).lastPathComponent
        let credential = try await seal.get("/licences/\(licence.licenceNumber)", token: holder)
        try #require(credential.status == 200, "\(credential.text)")
        let statusList = credential.text.firstMatch(of: /status-lists\/([a-z]+-[0-9]+)/).map { String($0.output.1) }

        try #require(await eventually(timeout: .seconds(60)) {
            let rating = try await evaluation.get("/cases/\(number)/rating", token: holder)
            guard rating.status == 200 else { return false }
            return try rating.decode(CaseRating.self).ratable
        })
        let rated = try await evaluation.post("/cases/\(number)/rating", json: ["level": "dissatisfied", "channel": "web", "department": "market-regulation", "comment": "等了很久。"], token: holder)
        try #require(rated.status == 201, "\(rated.text)")
        let rectifications = try await evaluation.get("/rectifications", token: try await region.token(ServedRegion.supervisor)).decode(RectificationList.self)
        let rectification = try #require(rectifications.rectifications.first { $0.caseNumber == number })

        return CompletedCase(
            number: number, material: String(try #require(receipt.materials.first).location.split(separator: "/").last ?? ""), task: task.id,
            licence: licence.licenceNumber, reference: reference, statusList: statusList, rectification: rectification.id
        )
    }

    /// The case's item for the path parameter `name` of `path`, or nil where the case has none
    /// (a task's copy of a material exists only for a case a partner region handed over).
    func value(for name: String, in path: String) -> String? {
        switch name {
        case "number" where path.hasPrefix("/relay/"): nil  // the relay knows only cases it handed over or took in
        case "number" where path.hasPrefix("/licences/"): licence
        case "number", "caseNumber": number
        case "id" where path.hasPrefix("/cases/"): material
        case "id" where path.hasPrefix("/tasks/"): task
        case "id" where path.hasPrefix("/rectifications/"): rectification
        case "id" where path.hasPrefix("/status-lists/"): statusList
        case "code" where path.hasPrefix("/matters/"): "food-business-licence"
        case "code" where path.hasPrefix("/bundles/"): "restaurant-opening"
        case "reference": reference
        case "region": "130100"
        default: nil
        }
    }
}
