import ArgumentParser
import Foundation
import Messaging
import ServiceKit
import TongbanClient

/// `tongban demo`: a working day at the service centre, played against the running local system
/// (`Scripts/run.sh`) through the services' HTTP APIs only, as the window, the applicants, the
/// departments' officers and the supervisor use them. It shows each step as it happens and ends
/// with a summary and where to look.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Play a working day against the running local Tongban (Scripts/run.sh) and summarise it.",
        discussion: """
            Addresses default to the local set-up; override one with TONGBAN_<SERVICE>_URL. Tokens are \
            signed with the local identity provider's key (.local/run/tokens/signing-key.jwk, or \
            TONGBAN_TOKEN_SIGNING_KEY_FILE). When a partner region is configured (Scripts/run.sh starts \
            北京 110100 locally), one case is handed over to it; its approval is TONGBAN_PARTNER_APPROVAL_URL.
            """
    )

    @Option(help: "The private key the local services trust for tokens (default: TONGBAN_TOKEN_SIGNING_KEY_FILE or .local/run/tokens/signing-key.jwk).")
    var signingKeyFile: String?

    @Option(help: "Seconds to wait for each effect that travels through Kafka.")
    var timeout: Int = 60

    func run() async throws {
        let path = signingKeyFile ?? ProcessInfo.processInfo.environment["TONGBAN_TOKEN_SIGNING_KEY_FILE"] ?? ".local/run/tokens/signing-key.jwk"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read the token signing key at \(path): start Tongban first (Scripts/run.sh), from the repository's root")
        }
        let day = try WorkingDay(key: TokenSigningKey(privateJWK: String(decoding: data, as: UTF8.self)), timeout: .seconds(timeout))
        try await day.play()
    }
}

/// The day's cast and its record. Each scene prints as it goes.
struct WorkingDay: Sendable {
    let key: TokenSigningKey
    let timeout: Duration
    let region = ProcessInfo.processInfo.environment["TONGBAN_REGION"] ?? "130100"
    let partnerRegion = "110100"
    let started = Date()

    let intake = ServiceClient(baseURL: Status.baseURL(of: .intake))
    let approval = ServiceClient(baseURL: Status.baseURL(of: .approval))
    let seal = ServiceClient(baseURL: Status.baseURL(of: .seal))
    let evaluation = ServiceClient(baseURL: Status.baseURL(of: .evaluation))
    let relay = ServiceClient(baseURL: Status.baseURL(of: .relay))
    let partnerApproval = ServiceClient(baseURL: URL(string: ProcessInfo.processInfo.environment["TONGBAN_PARTNER_APPROVAL_URL"] ?? "http://127.0.0.1:8183")!)

    init(key: TokenSigningKey, timeout: Duration) {
        self.key = key
        self.timeout = timeout
    }

    // MARK: The day

    func play() async throws {
        say("通办 demo: a working day at the service centre of region \(region)")
        for (service, client) in [("intake", intake), ("relay", relay), ("approval", approval), ("seal", seal), ("evaluation", evaluation)] {
            guard (try? await client.get("/readyz").status) == 200 else {
                throw DemoError("\(service) is not ready at \(client.baseURL.absoluteString): start Tongban with Scripts/run.sh and try again")
            }
        }
        var record = DayRecord()

        // 1. 一次性告知: an applicant without the mandatory documents is told everything at once, and nothing is registered.
        scene("A walk-in applicant asks to open a restaurant (开餐馆一件事) with only an ID card")
        let refused = try await apply(bundle: "restaurant-opening", applicant: .restaurant, supply: ["applicant-identity"])
        if case .refused(let missing) = refused {
            say("refused at the window, with the one-time notice (一次性告知) of \(missing.count) missing items: \(missing.prefix(4).joined(separator: "、"))…")
            record.refused += 1
        }

        // 2. 即办件: registered and licensed on the spot.
        scene("A start-up registers its company (企业设立登记, an immediate item)")
        let company = try await applyAccepted(matter: "company-establishment-registration", applicant: .startUp, record: &record)
        let companyCase = try await waitForCase(company, applicant: .startUp) { $0.status == .completed }
        say("completed on the spot: \(licences(companyCase))")
        record.completed.append(company)

        // 3. 开餐馆一件事 with a commitment (告知承诺): the market regulator approves the food licence;
        //    health approved on the commitment and will verify it later.
        scene("A restaurant opens: one application for three licences, the hygiene licence on a signed commitment (告知承诺)")
        let restaurant = try await applyAccepted(bundle: "restaurant-opening", applicant: .restaurant, commitments: ["public-place-hygiene-licence"], record: &record)
        try await decideAll(restaurant, department: "market-regulation", officer: "officer-market-03", record: &record)
        let restaurantCase = try await waitForCase(restaurant, applicant: .restaurant) { $0.status == .completed }
        say("completed, all licences at once under one seal (一枚印章): \(licences(restaurantCase))")
        record.completed.append(restaurant)
        record.licenceVerification = restaurantCase.licences.first?.verificationURL

        // 4. 四证齐发 with a tolerated gap (容缺受理) and a supplement request (补正).
        scene("An industrial project applies for its four permits (四证齐发), owing the deed tax receipt (容缺受理)")
        let project = try await applyAccepted(bundle: "industrial-project-four-permits", applicant: .factory, omit: ["deed-tax-receipt"], record: &record)
        let resources = try await tasks(of: project, department: "natural-resources", officer: "officer-resources-07")
        if let first = resources.first {
            let asked = try await approval.post("/tasks/\(first.id)/supplement-requests", json: SupplementAsk(
                items: [.init(materialCode: "site-plan-revised", name: "修改后的总平面图")], reason: "总平面图与规划条件不符，请按规划条件修改后补正。"
            ), token: officer("officer-resources-07", department: "natural-resources"))
            say("natural resources asks for a revised site plan (补正): HTTP \(asked.status); the clock of \(first.matter.name) stops")
            _ = try await waitForCase(project, applicant: .factory) { $0.status == .awaitingSupplement }
            let supplied = try await intake.post("/cases/\(project)/supplements", json: SupplementUpload(
                materials: [.document("site-plan-revised"), .document("deed-tax-receipt")]
            ), token: applicant(.factory), idempotencyKey: UUID().uuidString)
            say("the applicant supplies the revised plan and the owed receipt online: HTTP \(supplied.status)")
            let token = try await officer("officer-resources-07", department: "natural-resources")
            _ = try await waitFor("the review of \(first.matter.name) to resume") { () async throws -> Bool? in
                try await approval.get("/tasks/\(first.id)", token: token).decode(DepartmentTask.self).state == .open ? true : nil
            }
            say("the review resumes; the deadline moves by the working time it waited")
        }
        try await decideAll(project, department: "natural-resources", officer: "officer-resources-07", record: &record)
        say("housing and construction has not decided the construction permit by the end of the day: its clock keeps running on the dashboard")
        record.open.append(project)

        // 5. A rejection on a legal basis.
        scene("A hazardous chemicals trader applies; the emergency management bureau rejects it")
        let chemicals = try await applyAccepted(matter: "hazardous-chemicals-business-licence", applicant: .trader, record: &record)
        try await decideAll(chemicals, department: "emergency-management", officer: "officer-emergency-02", reject: true, record: &record)
        let chemicalsCase = try await waitForCase(chemicals, applicant: .trader) { $0.status == .completed }
        say("decided: \(chemicalsCase.refused.map { "\($0.matterName) not granted (\($0.legalBasis))" }.joined(separator: "; "))")
        record.completed.append(chemicals)

        // 6. 跨省通办: a case for the partner region, when one is configured.
        scene("A company opens a branch in 北京 at this window (跨省通办, 异地代收代办)")
        if try await partnerConfigured() {
            let branch = try await applyAccepted(matter: "beijing-branch-registration", applicant: .startUp, record: &record)
            try await decideAll(branch, department: "market-regulation", officer: "bj-officer-market-01", region: partnerRegion, client: partnerApproval, record: &record)
            let branchCase = try await waitForCase(branch, applicant: .startUp) { $0.status == .completed }
            say("北京's licence is back on the case at this window: \(licences(branchCase))")
            record.completed.append(branch)
        } else {
            say("skipped: no partner region \(partnerRegion) in the relay's registry (see Docs/relay.md)")
        }

        // 7. 好差评: ratings good and bad; a bad one opens a rectification for the department.
        scene("Applicants rate the service (好差评)")
        try await rate(restaurant, applicant: .restaurant, level: "very-satisfied", comment: "一次申请，三证同发。")
        try await rate(chemicals, applicant: .trader, level: "dissatisfied", comment: "不予许可的理由没有当面讲清楚。", tags: ["解释不清"])
        record.ratings = 2

        try await summary(record)
    }

    // MARK: Scenes

    enum Outcome { case accepted(String), refused([String]) }

    func apply(matter: String? = nil, bundle: String? = nil, applicant: Applicant, supply only: Set<String>? = nil, omit: Set<String> = [], commitments: [String] = []) async throws -> Outcome {
        let notice = try await intake.get(bundle.map { "/bundles/\($0)/notice" } ?? "/matters/\(matter ?? "")/notice").decode(OneTimeNotice.self)
        let materials = notice.materials.filter { material in
            if let only { return only.contains(material.code) }
            let replaced = !material.replaceableByCommitmentFor.isEmpty && Set(material.replaceableByCommitmentFor).isSubset(of: commitments)
            return !omit.contains(material.code) && !replaced
        }
        let response = try await intake.post("/cases", json: ApplicationRequest(
            matter: matter, bundle: bundle, applicant: applicant.request,
            site: .init(divisionCode: "130102", address: applicant.address),
            materials: materials.map { MaterialUpload.document($0.code) },
            commitments: commitments.isEmpty ? nil : commitments.map(ApplicationRequest.Commitment.init)
        ), token: self.applicant(applicant), idempotencyKey: UUID().uuidString)
        switch response.status {
        case 201: return .accepted(try response.decode(CaseReceipt.self).caseNumber)
        case 422: return .refused(try response.decode(RegistrationRefusal.self).missing.map(\.name))
        default: throw DemoError("intake answered \(response.status): \(response.text)")
        }
    }

    func applyAccepted(matter: String? = nil, bundle: String? = nil, applicant: Applicant, omit: Set<String> = [], commitments: [String] = [], record: inout DayRecord) async throws -> String {
        guard case .accepted(let number) = try await apply(matter: matter, bundle: bundle, applicant: applicant, omit: omit, commitments: commitments) else {
            throw DemoError("the application of \(applicant.request.name) was refused")
        }
        let view = try await caseView(number, applicant: applicant)
        let owed = view.deficiencies.map { "\($0.name), due \($0.dueBy)" }
        say("accepted at the window as case \(number): \(view.status.rawValue)\(owed.isEmpty ? "" : " — owes " + owed.joined(separator: "; "))")
        record.accepted.append(number)
        return number
    }

    /// The department's officer finds the case's tasks among the department's work (waiting for
    /// them to open), records any step the matter needs first (联合踏勘), and decides each.
    func decideAll(_ number: String, department: String, officer subject: String, region: String? = nil, client: ServiceClient? = nil, reject: Bool = false, record: inout DayRecord) async throws {
        let client = client ?? approval
        let token = try await officer(subject, department: department, region: region ?? self.region)
        let found = try await tasks(of: number, department: department, officer: subject, region: region, client: client)
        for task in found {
            for step in task.nextSteps {
                _ = try await client.post("/tasks/\(task.id)/inspections", json: ["step": step, "result": "passed", "findings": "现场踏勘符合规划条件。"], token: token)
                say("\(task.departmentName) records the \(step) (联合踏勘) for \(task.matter.name)")
            }
            let decided = reject
                ? try await client.post("/tasks/\(task.id)/rejection", json: ["legalBasis": "《危险化学品安全管理条例》第三十四条", "reason": "储存设施与周边居民区的安全距离不符合国家标准。"], token: token)
                : try await client.post("/tasks/\(task.id)/approval", json: ["comment": "经审查，符合法定条件。"], token: token)
            guard decided.status == 200 else { throw DemoError("\(task.departmentName) could not decide \(task.matter.name): \(decided.text)") }
            say("\(task.departmentName) \(reject ? "rejects" : "approves") \(task.matter.name)")
            record.decisions += 1
        }
    }

    func tasks(of number: String, department: String, officer subject: String, region: String? = nil, client: ServiceClient? = nil) async throws -> [DepartmentTask] {
        let client = client ?? approval
        let token = try await officer(subject, department: department, region: region ?? self.region)
        return try await waitFor("the tasks of \(number) at \(department)") {
            let list = try await client.get("/tasks", token: token).decode(DepartmentTaskList.self).tasks.filter { $0.caseNumber == number && $0.state == .open }
            return list.isEmpty ? nil : list
        }
    }

    func rate(_ number: String, applicant: Applicant, level: String, comment: String, tags: [String] = []) async throws {
        let token = try await self.applicant(applicant)
        _ = try await waitFor("case \(number) to be ratable") { () async throws -> Bool? in
            let response = try await evaluation.get("/cases/\(number)/rating", token: token)
            guard response.status == 200 else { return nil }
            return try response.decode(CaseRating.self).ratable ? true : nil
        }
        let rated = try await evaluation.post("/cases/\(number)/rating", json: RatingForm(level: level, channel: "window-device", comment: comment, tags: tags), token: token)
        say("\(applicant.request.name) rates case \(number) \(level) at the window's rating device: HTTP \(rated.status)\(level == "dissatisfied" ? "; the department must rectify (整改)" : "")")
    }

    func partnerConfigured() async throws -> Bool {
        let standings = try await relay.get("/relay/partners", token: token(for: Principal(subject: "demo-operator", role: .admin, region: region)))
        guard standings.status == 200 else { return false }
        guard try standings.decode(PartnerStandings.self).partners.contains(where: { $0.region == partnerRegion }) else { return false }
        return (try? await partnerApproval.get("/readyz").status) == 200
    }

    func summary(_ record: DayRecord) async throws {
        // The dashboard takes the token in the URL's fragment, which never reaches the server or its logs.
        let supervisor = try await token(for: Principal(subject: "supervisor-01", role: .supervisor, region: region), hours: 8)
        print("""

            ── The day in figures ──────────────────────────────────────────
              applications refused at the window (一次性告知)   \(record.refused)
              cases accepted                                     \(record.accepted.count)
              decisions by department officers                   \(record.decisions)
              cases completed                                    \(record.completed.count)
              cases still under review                           \(record.open.count)
              ratings                                            \(record.ratings)
              time taken                                         \(String(format: "%.1f", Date().timeIntervalSince(started))) s

            Where to look:
              the supervisors' dashboard (电子监察)   \(evaluation.baseURL.absoluteString)/dashboard#token=\(supervisor)
              a licence's QR code (扫码核验)          \(record.licenceVerification ?? "—")
              a case, as its applicant sees it        curl -H "Authorization: Bearer $(.build/debug/tongban token issue --signing-key-file .local/run/tokens/signing-key.jwk --role applicant --subject \(Applicant.startUp.account))" \(intake.baseURL.absoluteString)/cases/\(record.completed.first ?? "…")
              the decision topics, as a department    kcat -b 127.0.0.1:19092 -C -t tongban.approval.bundle-decided.v1 -e
            """)
    }

    // MARK: Reading

    func caseView(_ number: String, applicant: Applicant) async throws -> CaseDocument {
        try await intake.get("/cases/\(number)", token: self.applicant(applicant)).decode(CaseDocument.self)
    }

    func waitForCase(_ number: String, applicant: Applicant, until condition: @Sendable (CaseDocument) -> Bool) async throws -> CaseDocument {
        try await waitFor("case \(number)") {
            let view = try await caseView(number, applicant: applicant)
            return condition(view) ? view : nil
        }
    }

    func waitFor<T>(_ what: String, _ attempt: () async throws -> T?) async throws -> T {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let value = try await attempt() { return value }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw DemoError("waited \(timeout) for \(what); see the services' logs in .local/run/logs")
    }

    func licences(_ view: CaseDocument) -> String {
        view.licences.map { "\($0.kind.name) \($0.licenceNumber) (\($0.issuingRegion))" }.joined(separator: "、")
    }

    // MARK: Tokens

    let issuer = ProcessInfo.processInfo.environment["TONGBAN_TOKEN_ISSUER"] ?? "tongban-local"
    let audience = ProcessInfo.processInfo.environment["TONGBAN_TOKEN_AUDIENCE"] ?? "tongban"

    func applicant(_ applicant: Applicant) async throws -> String {
        let identity = applicant.request.residentIdentityNumber ?? applicant.request.unifiedSocialCreditCode
        return try await token(for: Principal(subject: applicant.account, role: .applicant, identity: identity))
    }

    func officer(_ subject: String, department: String, region: String? = nil) async throws -> String {
        try await token(for: Principal(subject: subject, role: .officer, region: region ?? self.region, department: department))
    }

    /// A token as the local identity provider issues it, for the services' issuer and audience.
    func token(for principal: Principal, hours: Int = 1) async throws -> String {
        try await key.issueToken(for: principal, issuer: issuer, audience: audience, lifetime: .seconds(hours * 3600))
    }

    func say(_ line: String) {
        print(String(format: "[%6.2f s] ", Date().timeIntervalSince(started)) + line)
    }

    func scene(_ title: String) {
        print("\n▶ " + title)
    }
}

struct DemoError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Who applies today: each an applicant account of the identity provider.
struct Applicant: Sendable {
    var account: String
    var request: ApplicationRequest.Applicant
    var address: String

    static let startUp = Applicant(account: "applicant-zhang", request: .init(name: "石家庄云栖数据科技有限公司", unifiedSocialCreditCode: "91350100M000100Y43"), address: "石家庄市长安区中山东路 88 号")
    static let restaurant = Applicant(account: "applicant-wang", request: .init(name: "王建国", residentIdentityNumber: "11010519491231002X"), address: "石家庄市长安区建设北大街 19 号")
    static let factory = Applicant(account: "applicant-hebei-machinery", request: .init(name: "石家庄华北精工机械有限公司", unifiedSocialCreditCode: "91110000600037341L"), address: "石家庄市长安区裕华东路 300 号")
    static let trader = Applicant(account: "applicant-li", request: .init(name: "李四", residentIdentityNumber: "440524188001010014"), address: "石家庄市长安区胜利北街 6 号")
}

struct DayRecord {
    var refused = 0
    var accepted: [String] = []
    var completed: [String] = []
    var open: [String] = []
    var decisions = 0
    var ratings = 0
    /// Where a licence's QR code leads: its public verification, by an unguessable reference.
    var licenceVerification: String?
}

// MARK: What the demo sends besides applications

struct SupplementAsk: Encodable {
    var items: [SupplementRequested.Item]
    var reason: String
}
struct SupplementUpload: Encodable { var materials: [MaterialUpload] }
struct RatingForm: Encodable {
    var level: String
    var channel: String
    var comment: String
    var tags: [String]
}
