import AsyncHTTPClient
import Domain
import Foundation
import Messaging
import NIOCore
import NIOHTTP1
import TongbanClient

/// The running system as its users reach it: a window clerk registering applications at intake and
/// department officers deciding their tasks at approval, over HTTP with bearer tokens.
final class SystemClient: Sendable {
    let http: HTTPClient
    let intake: String
    let approval: String
    let clerkToken: String
    let officerToken: String

    init(intake: String, approval: String, clerkToken: String, officerToken: String, connections: Int) {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(60))
        http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        self.intake = intake
        self.approval = approval
        self.clerkToken = clerkToken
        self.officerToken = officerToken
    }

    func shutdown() async throws {
        try await http.shutdown()
    }

    /// The environment Scripts/lib/services.sh sets up; tokens are issued with `tongban token issue`
    /// (next to this executable) and the signing key file it made.
    static func fromEnvironment(connections: Int) async throws -> SystemClient {
        let environment = ProcessInfo.processInfo.environment
        guard let intake = environment["TONGBAN_INTAKE_URL"], let approval = environment["TONGBAN_APPROVAL_URL"],
              environment["TONGBAN_TOKEN_SIGNING_KEY_FILE"] != nil
        else {
            throw ExternalCommandError(description: "TONGBAN_INTAKE_URL, TONGBAN_APPROVAL_URL and TONGBAN_TOKEN_SIGNING_KEY_FILE must be set: run through Scripts/benchmark.sh system or Scripts/faults.sh")
        }
        let clerk = try await issueToken(["--role", "clerk", "--subject", "bench-clerk-1", "--region", BenchApplication.region])
        let officer = try await issueToken(["--role", "officer", "--subject", "bench-officer-1", "--department", "market-regulation", "--region", BenchApplication.region])
        return SystemClient(intake: intake, approval: approval, clerkToken: clerk, officerToken: officer, connections: connections)
    }

    /// A token from `tongban token issue` (next to this executable), with the signing key file Scripts/lib/services.sh made.
    static func issueToken(_ arguments: [String]) async throws -> String {
        let tongban = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("tongban").path
        let (status, output, errors, _) = try await runToCompletion(tongban, ["token", "issue", "--minutes", "600"] + arguments, environment: [:])
        guard status == 0 else { throw ExternalCommandError(description: "tongban token issue failed: \(errors)") }
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    // MARK: Intake

    enum Submission: Sendable {
        /// 201: the case number intake gave it.
        case accepted(String)
        /// Any other answer from intake: a bug in the benchmark's application or in intake.
        case refused(status: Int, body: String)
    }

    /// POST /cases under `idempotencyKey`; a transport failure (intake down) throws, and sending the
    /// same application with the same key again is safe.
    func submit(_ application: BenchApplication, idempotencyKey: String) async throws -> Submission {
        var request = HTTPClientRequest(url: intake + "/cases")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(clerkToken)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Idempotency-Key", value: idempotencyKey)
        request.body = .bytes(ByteBuffer(bytes: application.body))
        let response = try await http.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 1 << 20)
        guard response.status == .created else {
            return .refused(status: Int(response.status.code), body: String(buffer: body))
        }
        return .accepted(try Envelope.decoder.decode(CaseReceipt.self, from: Data(body.readableBytesView)).caseNumber)
    }

    // MARK: Approval

    /// Task ids of the officer's department waiting for a decision.
    func openTasks(limit: Int = 200) async throws -> [String] {
        var request = HTTPClientRequest(url: approval + "/tasks?state=open&limit=\(limit)")
        request.headers.add(name: "Authorization", value: "Bearer \(officerToken)")
        let response = try await http.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 16 << 20)
        guard response.status == .ok else {
            throw ExternalCommandError(description: "GET /tasks answered \(response.status.code): \(String(buffer: body))")
        }
        return try Envelope.decoder.decode(DepartmentTaskList.self, from: Data(body.readableBytesView)).tasks.map(\.id)
    }

    /// Approves a task; false when it was decided already (another officer, or a retry).
    @discardableResult
    func approve(task id: String) async throws -> Bool {
        var request = HTTPClientRequest(url: approval + "/tasks/\(id)/approval")
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer \(officerToken)")
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(string: #"{"legalBasis":"《食品经营许可和备案管理办法》第十六条","comment":"材料齐全，符合法定形式，准予许可。"}"#))
        let response = try await http.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        switch response.status.code {
        case 200: return true
        case 409: return false
        default: throw ExternalCommandError(description: "approving task \(id) answered \(response.status.code): \(String(buffer: body))")
        }
    }

    /// Simulated officers of the market regulation bureau: each takes the open tasks and approves
    /// them, `pause` between looks, until cancelled. Returns how many each approved.
    func runOfficers(_ count: Int, pause: Duration) async -> Int {
        await withTaskGroup(of: Int.self) { group in
            for officer in 0..<count {
                group.addTask {
                    var approved = 0
                    while !Task.isCancelled {
                        do {
                            // Officers take different ends of the list, so they seldom collide.
                            let tasks = try await self.openTasks()
                            for id in officer % 2 == 0 ? tasks : tasks.reversed() where !Task.isCancelled {
                                if try await self.approve(task: id) { approved += 1 }
                            }
                            if tasks.isEmpty { try await Task.sleep(for: pause) }
                        } catch {
                            try? await Task.sleep(for: pause)
                        }
                    }
                    return approved
                }
            }
            return await group.reduce(0, +)
        }
    }
}

/// An application the benchmark sends: one of the catalogue's bundles (一件事), with every material
/// a real applicant would hand in and the commitment (告知承诺) its commitment matter needs.
struct BenchApplication: Sendable {
    enum Kind: String, Sendable, CaseIterable {
        /// 开烟花爆竹零售店一件事: business licence (即办件) + fireworks retail licence (告知承诺):
        /// decided without an officer.
        case fireworksShop = "fireworks-shop-opening"
        /// 开餐馆一件事: business licence (即办件), food business licence (an officer decides) and
        /// public place hygiene licence (告知承诺).
        case restaurant = "restaurant-opening"

        var decidedAutomatically: Bool { self == .fireworksShop }
        /// Licences the bundle earns when every matter is approved.
        var licenceCount: Int { self == .fireworksShop ? 2 : 3 }

        var materials: [String] {
            let company = ["applicant-identity", "company-registration-application", "articles-of-association", "premises-proof"]
            switch self {
            case .fireworksShop:
                return company + ["fireworks-retail-application", "fireworks-storage-proof", "fireworks-supply-agreement"]
            case .restaurant:
                return company + ["food-business-application", "food-premises-layout", "food-safety-rules", "food-safety-manager", "hygiene-licence-application"]
            }
        }

        var commitment: String { self == .fireworksShop ? "fireworks-retail-licence" : "public-place-hygiene-licence" }
    }

    static let region = "130100"

    let kind: Kind
    let body: [UInt8]

    /// The `sequence`-th applicant: a person of 长安区 with a valid 居民身份证号码.
    init(_ kind: Kind, sequence: Int) {
        self.kind = kind
        let application = ApplicationRequest(
            bundle: kind.rawValue,
            applicant: .init(name: "压测申请人\(sequence)", residentIdentityNumber: Self.residentIdentityNumber(sequence: sequence)),
            site: .init(divisionCode: "130102", address: "石家庄市长安区中山东路\(sequence % 500 + 1)号"),
            materials: kind.materials.map { Self.materials[$0]! },
            commitments: [.init(matterCode: kind.commitment)]
        )
        // Encoding a value of our own types cannot fail.
        body = Array(try! Envelope.encoder.encode(application))
    }

    /// Each material: a small PDF-like file with its real SHA-256, made once.
    private static let materials: [String: MaterialUpload] = Dictionary(uniqueKeysWithValues: Set(Kind.allCases.flatMap(\.materials)).map { code in
        (code, MaterialUpload.document(code, content: Data("%PDF-1.7\n% Tongban benchmark material: \(code)\n%%EOF\n".utf8)))
    })

    /// GB 11643: region 130102, a birth date in the 1980s, a sequence code, and the check character.
    static func residentIdentityNumber(sequence: Int) -> String {
        let day = 1 + sequence % 28
        let month = 1 + (sequence / 28) % 12
        let year = 1980 + (sequence / 336) % 10
        let body = "130102" + String(format: "%04d%02d%02d", year, month, day) + String(format: "%03d", sequence % 1000)
        return body + String(ResidentIdentityNumber.checkCharacter(for: body.map { $0.wholeNumberValue! }))
    }
}
