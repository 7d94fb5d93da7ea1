import Domain
import Foundation
import Messaging
import ServiceKit
import ServiceTestSupport
import TestSupport
import Testing
import TongbanClient

/// Tongban as one system: the five executables as real processes on the test PostgreSQL and
/// Tansu, driven through their HTTP APIs only, as the window, the departments, the applicant,
/// the supervisor and the operator use them. A restaurant opening (开餐馆一件事) goes from one
/// application to three licences under one seal and a rating, and every service shows its part.
@Suite("the whole system: five services, one bundle from application to licences and rating", .timeLimit(.minutes(6)))
struct WholeSystemTests {
    static let applicant = Principal(subject: "applicant-liu", role: .applicant, identity: "91350100M000100Y43")
    static let marketOfficer = Principal(subject: "officer-market-3", role: .officer, region: "130100", department: "market-regulation")
    static let healthOfficer = Principal(subject: "officer-health-8", role: .officer, region: "130100", department: "health")
    static let supervisor = Principal(subject: "supervisor-1", role: .supervisor, region: "130100")
    static let operatorAdmin = Principal(subject: "operator-1", role: .admin, region: "130100")
    static let restaurant = ApplicationRequest.Applicant(name: "石家庄市长安区老槐树餐饮有限公司", unifiedSocialCreditCode: "91350100M000100Y43")
    static let materials = [
        "applicant-identity", "company-registration-application", "articles-of-association", "premises-proof",
        "food-business-application", "food-premises-layout", "food-safety-rules", "food-safety-manager", "hygiene-licence-application",
    ]

    @Test("a restaurant opening: one application, two departments in parallel, three licences under one seal, a rating; each service shows its part")
    func restaurantOpening() async throws {
        let region = try TestRegion()
        var services: [ServiceName: RunningService] = [:]
        for service in ServiceName.allCases {
            services[service] = try await region.start(service, environment: service == .relay ? try ServedRegion.relayWithoutPartners() : [:])
        }
        let intake = try #require(services[.intake]), approval = try #require(services[.approval]), seal = try #require(services[.seal])
        let evaluation = try #require(services[.evaluation]), relay = try #require(services[.relay])
        for service in services.values {
            #expect(await eventually(timeout: .seconds(60)) { await service.isReady() }, "\(service.service.rawValue) never became ready")
        }
        let applicantToken = try await region.token(Self.applicant)

        // 一窗受理: one application for the bundle; the hygiene licence on the applicant's commitment (告知承诺).
        let applied = try await intake.client.post("/cases", json: ApplicationRequest(
            bundle: "restaurant-opening", applicant: Self.restaurant,
            site: .init(divisionCode: "130102", address: "石家庄市长安区建设北大街 19 号"),
            materials: Self.materials.map { MaterialUpload.document($0) },
            commitments: [.init(matterCode: "public-place-hygiene-licence")]
        ), token: applicantToken, idempotencyKey: UUID().uuidString)
        try #require(applied.status == 201, "\(applied.text)")
        let receipt = try applied.decode(CaseReceipt.self)
        let number = receipt.caseNumber
        #expect(receipt.status == .accepted)
        #expect(receipt.matters.map(\.mode) == [.immediate, .standard, .commitment])

        // 并联审批: the market regulator's officer finds the food business licence among the department's work, and approves it.
        let marketToken = try await region.token(Self.marketOfficer)
        var foodTask: DepartmentTask?
        #expect(try await eventually(timeout: .seconds(60)) {
            foodTask = try await approval.client.get("/tasks", token: marketToken).decode(DepartmentTaskList.self).tasks.first { $0.caseNumber == number }
            return foodTask != nil
        })
        let food = try #require(foodTask)
        #expect(food.matter.code == "food-business-licence")
        #expect(food.state == .open)
        let approved = try await approval.client.post("/tasks/\(food.id)/approval", json: ["comment": "现场核查符合要求。"], token: marketToken)
        #expect(approved.status == 200, "\(approved.text)")
        // The health officer may not decide the market regulator's task: for them it does not exist.
        let healthToken = try await region.token(Self.healthOfficer)
        #expect(try await approval.client.post("/tasks/\(food.id)/approval", json: ["comment": "x"], token: healthToken).status == 404)

        // 一枚印章, 四证齐发: the case completes with all three licences at once.
        // Completed with the whole story told: the events of several topics arrive in any order.
        #expect(try await eventually(timeout: .seconds(60)) {
            let view = try await intake.client.get("/cases/\(number)", token: applicantToken).decode(CaseDocument.self)
            return view.status == .completed && view.timeline.contains { $0.kind == "bundle-decided" }
        })
        let view = try await intake.client.get("/cases/\(number)", token: applicantToken).decode(CaseDocument.self)
        #expect(view.status == .completed)
        #expect(Set(view.licences.map(\.kind.name)) == ["营业执照", "食品经营许可证", "公共场所卫生许可证"])
        #expect(Set(view.licences.map(\.issuingRegion)) == ["130100"])
        #expect(view.timeline.map(\.kind) == ["accepted", "tasks-opened", "task-decided", "task-decided", "task-decided", "bundle-decided", "licences-issued"], "\(view.timeline.map { ($0.at, $0.kind) })")
        #expect(view.matters.allSatisfy { $0.task?.status == .approved }, "\(view.matters.map { ($0.code, $0.task?.status.rawValue) })")

        // Approval: the health department verifies the commitment within its limit; the food task shows who decided.
        let decided = try await approval.client.get("/tasks/\(food.id)", token: marketToken).decode(DepartmentTask.self)
        #expect(decided.decision?.outcome == .approved && decided.decision?.decidedBy == Self.marketOfficer.subject)
        let healthTasks = try await approval.client.get("/tasks?state=verifying", token: healthToken).decode(DepartmentTaskList.self).tasks.filter { $0.caseNumber == number }
        #expect(healthTasks.map(\.matter.code) == ["public-place-hygiene-licence"])
        #expect(healthTasks.first?.verification?.state == .pending)

        // Seal: each licence is a sealed credential the applicant can read, and anyone can verify.
        for licence in view.licences {
            let credential = try await seal.client.get("/licences/\(licence.licenceNumber)", token: applicantToken)
            #expect(credential.status == 200, "\(credential.text)")
            #expect(try credential.decode(LicenceCredential.self).proof.cryptosuite == "eddsa-jcs-2022")
            let verification = try await seal.client.get(try #require(URL(string: licence.verificationURL)).path)
            #expect(try verification.decode(LicenceVerification.self).verdict == .valid)
            let page = try await seal.client.get("/licences/\(licence.licenceNumber)/page", token: applicantToken)
            #expect(page.status == 200 && page.text.contains(licence.kind.name) && page.text.contains(Self.restaurant.name))
        }
        // Another applicant cannot read them, nor learn that they exist.
        let stranger = try await region.token(Principal(subject: "applicant-stranger", role: .applicant, identity: "91110000600037341L"))
        #expect(try await seal.client.get("/licences/\(try #require(view.licences.first).licenceNumber)", token: stranger).status == 404)

        // Evaluation (电子监察): the supervisor sees the case completed, every clock green; the applicant rates it (好差评).
        let supervisorToken = try await region.token(Self.supervisor)
        #expect(try await eventually(timeout: .seconds(60)) {
            let rating = try await evaluation.client.get("/cases/\(number)/rating", token: applicantToken)
            guard rating.status == 200 else { return false }
            return try rating.decode(CaseRating.self).ratable
        })
        let clocks = try await evaluation.client.get("/supervision/cases/\(number)", token: supervisorToken).decode(CaseClocks.self)
        #expect(clocks.status == .completed)
        #expect(Set(clocks.tasks.map(\.matterCode)) == ["company-establishment-registration", "food-business-licence", "public-place-hygiene-licence"])
        #expect(clocks.tasks.allSatisfy { $0.light == .green }, "\(clocks.tasks)")
        let rated = try await evaluation.client.post("/cases/\(number)/rating", json: ["level": "very-satisfied", "channel": "window-device", "comment": "一次办好，三证同发。"], token: applicantToken)
        #expect(rated.status == 201, "\(rated.text)")
        let rating = try await evaluation.client.get("/cases/\(number)/rating", token: applicantToken).decode(CaseRating.self)
        #expect(rating.rating?.level == "very-satisfied" && rating.rating?.channel == "window-device")
        #expect(try await evaluation.client.post("/cases/\(number)/rating", json: ["level": "dissatisfied", "channel": "web"], token: applicantToken).status == 409)

        // Relay: a case of this region's own matters goes to no partner; nothing waits, nothing was refused.
        let standings = try await relay.client.get("/relay/partners", token: try await region.token(Self.operatorAdmin)).decode(PartnerStandings.self)
        #expect(standings.region == "130100")
        #expect(standings.partners.allSatisfy { $0.backlog == 0 } && standings.quarantinedFromUnknownSenders == 0)

        // Every service stops cleanly on SIGTERM, as an operator stops them.
        for service in services.values {
            #expect(try await service.stop() == 0, "\(service.service.rawValue) did not stop cleanly")
        }
    }

    @Test("tongban demo plays its working day against the five services, to its summary")
    func demo() async throws {
        let region = try TestRegion()
        var environment: [String: String] = [:]
        var services: [RunningService] = []
        for service in ServiceName.allCases {
            // At debug level, so that the log check below sees everything a service would write when asked.
            let extra = service == .relay ? try await ServedRegion.relayWithoutPartners() : [:]
            let running = try await region.start(service, environment: extra.merging(["TONGBAN_LOG_LEVEL": "debug"]) { $1 })
            services.append(running)
            environment["TONGBAN_\(service.rawValue.uppercased())_URL"] = running.client.baseURL.absoluteString
        }
        for service in services {
            #expect(await eventually(timeout: .seconds(60)) { await service.isReady() }, "\(service.service.rawValue) never became ready")
        }
        // The local identity provider's key, as Scripts/run.sh keeps it in a file.
        let keyFile = FileManager.default.temporaryDirectory.appendingPathComponent(TestInfrastructure.uniqueName("signing-key")).path
        try #require(FileManager.default.createFile(atPath: keyFile, contents: Data(region.signingKey.privateJWK.utf8), attributes: [.posixPermissions: 0o600]))
        environment["TONGBAN_TOKEN_SIGNING_KEY_FILE"] = keyFile

        let played = try await runCommand(TestInfrastructure.binaryDirectory.appendingPathComponent("tongban").path, ["demo"], environment: environment, timeout: .seconds(300))
        #expect(played.status == 0, "\(played.output)")
        let output = played.output
        #expect(output.contains("refused at the window, with the one-time notice"))
        #expect(output.contains("completed on the spot: 营业执照"))
        #expect(output.contains("营业执照") && output.contains("食品经营许可证") && output.contains("公共场所卫生许可证"))
        #expect(output.contains("owes 契税完税凭证"))
        #expect(output.contains("rejects 危险化学品经营许可"))
        #expect(output.contains("skipped: no partner region 110100"))
        #expect(output.contains("rates case") && output.contains("dissatisfied"))
        #expect(output.contains("cases completed                                    3"), "\(output)")
        #expect(output.contains("/dashboard#token="))

        // 个人信息保护: the day's persons (王建国 and 李四 apply in their own names) appear whole in no
        // service's log, and the licence's public verification shows the holder's name masked.
        #expect(Self.residentIdentityNumbers(in: ["{\"applicant\":\"11010519491231002X\"}"]) == ["11010519491231002X"], "the check finds what it looks for")
        for service in services {
            #expect(service.process.logLines.contains { $0.contains(#""level":"debug""#) }, "\(service.service.rawValue) logged nothing at debug level")
            let found = Self.residentIdentityNumbers(in: service.process.logLines)
            #expect(found.isEmpty, "\(service.service.rawValue) logged \(found.count) full resident identity number(s)")
        }
        let line = try #require(output.split(separator: "\n").first { $0.contains("扫码核验") }, "\(output)")
        let address = try #require(line.split(separator: " ").last)
        let verification = try #require(URL(string: String(address)))
        #expect(verification.path.hasPrefix("/verifications/"))
        let seal = try #require(services.first { $0.service == .seal })
        for accept in ["application/json", "text/html"] {
            let answer = try await seal.client.get(verification.path, accept: accept)
            #expect(answer.status == 200, "\(answer.text)")
            #expect(answer.text.contains("王**") && !answer.text.contains("王建国"), "\(answer.text)")
            #expect(Self.residentIdentityNumbers(in: [answer.text]).isEmpty)
        }
    }

    /// Every valid resident identity number (region, birth date and check character all hold) in `lines`.
    static func residentIdentityNumbers(in lines: [String]) -> Set<String> {
        Set(lines.flatMap { line in
            line.matches(of: /[0-9]{17}[0-9Xx]/).compactMap { try? ResidentIdentityNumber(String($0.output)).value }
        })
    }
}
