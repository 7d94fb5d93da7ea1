import Crypto
import Foundation
import Messaging
import Postgres
import ServiceKit
import ServiceTestSupport
import Signing
import TestSupport
import Testing
import TongbanClient

/// 跨省通办 end to end: 石家庄 (A) and 北京 (B, the sample catalogue's partner) each run their real
/// intake, relay, approval and seal executables on their own broker and database. An applicant
/// applies at A's window; B's officer decides in B's approval; the licence comes back to A's case.
@Suite("relay: two regions end to end, with their real services", .timeLimit(.minutes(8)))
struct RelayEndToEndTests {
    static let beijing = (region: "110100", name: "北京市")
    static let applicant = Principal(subject: "applicant-zhao", role: .applicant, identity: "91350100M000100Y43")
    static let beijingOfficer = Principal(subject: "bj-officer-11", role: .officer, region: "110100", department: "market-regulation")
    static let enterprise = ApplicationRequest.Applicant(name: "石家庄燕赵精密仪器有限公司", unifiedSocialCreditCode: "91350100M000100Y43")
    static let site = ApplicationRequest.Site(divisionCode: "130102", address: "石家庄市长安区中山东路 88 号")

    /// Both regions with the services a case crossing between them meets.
    struct Deployment {
        let regions: TwoRegions
        let intakeA: RunningService
        let approvalB: RunningService
        let sealA: RunningService
        let sealB: RunningService
        let relayA: RunningService
        let relayB: RunningService
        let others: [RunningService]

        init() async throws {
            regions = try await TwoRegions(regionB: beijing.region, nameB: beijing.name)
            let (a, b) = (regions.a, regions.b)
            intakeA = try await a.start(.intake)
            sealA = try await a.start(.seal)
            approvalB = try await b.start(.approval)
            sealB = try await b.start(.seal)
            relayA = try await a.start(.relay, environment: regions.relayEnvironment(.a))
            relayB = try await b.start(.relay, environment: regions.relayEnvironment(.b))
            others = [try await a.start(.approval)]
        }

        var all: [RunningService] { [intakeA, approvalB, sealA, sealB, relayA, relayB] + others }

        /// `tongban relay log …` against one side's relay database, as its operator runs it.
        func log(_ relay: RunningService, _ arguments: [String]) async throws -> (status: Int32, output: String) {
            let tongban = TestInfrastructure.binaryDirectory.appendingPathComponent("tongban").path
            let process = try ChildProcess(executable: tongban, arguments: ["relay", "log"] + arguments,
                                           environment: ["TONGBAN_DATABASE_URL": relay.environment["TONGBAN_DATABASE_URL"] ?? ""])
            let status = try await process.waitForExit(timeout: .seconds(60))
            return (status, (process.outputLines + process.errorLines).joined(separator: "\n"))
        }

        /// A's applicant applies at A's window; the application must be accepted.
        func apply(_ application: ApplicationRequest) async throws -> String {
            let response = try await intakeA.client.post("/cases", json: application, token: try await regions.a.token(applicant), idempotencyKey: UUID().uuidString)
            try #require(response.status == 201, "\(response.text)")
            return try response.decode(CaseReceipt.self).caseNumber
        }

        func caseAtA(_ number: String) async throws -> CaseDocument {
            let response = try await intakeA.client.get("/cases/\(number)", token: try await regions.a.token(applicant))
            try #require(response.status == 200, "\(response.text)")
            return try response.decode(CaseDocument.self)
        }

        /// B's officer finds the handed-over case among the department's open tasks.
        func taskInB(_ number: String) async throws -> DepartmentTask {
            let token = try await regions.b.token(beijingOfficer)
            var found: DepartmentTask?
            let arrived = try await eventually(timeout: .seconds(90)) {
                found = try await approvalB.client.get("/tasks", token: token).decode(DepartmentTaskList.self).tasks.first { $0.caseNumber == number }
                return found != nil
            }
            return try #require(found, "B's officer never saw case \(number) among the tasks; arrived: \(arrived)")
        }

        /// B's officer finds the handed-over case among the department's open tasks, and approves it.
        func approveInB(_ number: String) async throws -> DepartmentTask {
            let token = try await regions.b.token(beijingOfficer)
            let task = try await taskInB(number)
            let approved = try await approvalB.client.post("/tasks/\(task.id)/approval", json: ["comment": "材料齐全，准予登记。"], token: token)
            #expect(approved.status == 200, "\(approved.text)")
            return task
        }
    }

    /// An officer's supplement request (补正), as approval takes it.
    struct SupplementAsk: Encodable {
        var items: [SupplementRequested.Item]
        var reason: String
    }

    static let branchMaterials = ["applicant-identity", "branch-registration-application", "parent-company-licence", "premises-proof"]
    /// The premises proof as a scan of 200 kB: more than one envelope to 北京 carries (64 KiB here).
    static let premisesScan = Data("%PDF-1.7\n".utf8) + Data((0..<200_000).map { _ in UInt8.random(in: 0...255) })
    /// 分公司设立登记, a matter of 北京's, applied for at 石家庄's window with every material.
    static let branchRegistration = ApplicationRequest(
        matter: "beijing-branch-registration", applicant: enterprise, site: site,
        materials: branchMaterials.map { MaterialUpload.document($0, content: $0 == "premises-proof" ? premisesScan : nil) }
    )

    @Test("a case applied for in 石家庄 for a matter of 北京 is approved in 北京, and its licence reaches the case's timeline in 石家庄")
    func handedOverAndLicensed() async throws {
        let deployment = try await Deployment()
        let number = try await deployment.apply(Self.branchRegistration)

        // B's officer opens every material in B's approval, as handed in at A's window.
        let officer = try await deployment.regions.b.token(Self.beijingOfficer)
        let listed = try await deployment.approvalB.client.get("/tasks/\(try await deployment.taskInB(number).id)", token: officer).decode(DepartmentTask.self)
        #expect(Set(listed.materials?.map(\.code) ?? []) == Set(Self.branchMaterials))
        for upload in Self.branchRegistration.materials {
            let material = try #require(listed.materials?.first { $0.code == upload.code })
            #expect(material.location.hasPrefix("/tasks/\(listed.id)/materials/"))
            let response = try await deployment.approvalB.client.get(material.location, token: officer)
            #expect(response.status == 200, "\(upload.code): \(response.text)")
            #expect(response.body == Data(base64Encoded: upload.contentBase64), "\(upload.code) arrived changed")
            #expect(MaterialUpload.sha256Hex(response.body) == upload.sha256)
        }
        // Not to an officer of another department: for them the task does not exist.
        let other = try await deployment.regions.b.token(Principal(subject: "bj-officer-12", role: .officer, region: "110100", department: "housing-construction"))
        #expect(try await deployment.approvalB.client.get(listed.materials?.first?.location ?? "/", token: other).status == 404)

        // 补正 across regions: B's officer asks for the lease; A's applicant sees it and answers at
        // A; the new document reaches B's approval and the task's clock runs again.
        let asked = try await deployment.approvalB.client.post("/tasks/\(listed.id)/supplement-requests", json: SupplementAsk(
            items: [.init(materialCode: "lease-contract", name: "经营场所租赁合同")], reason: "场所证明未附租赁合同。"
        ), token: officer)
        #expect(asked.status == 201, "\(asked.text)")
        let requestID = try asked.decode(DepartmentTask.SupplementRequest.self).id
        var atA: CaseDocument?
        let heard = try await eventually(timeout: .seconds(90)) {
            atA = try await deployment.caseAtA(number)
            return atA?.supplementRequests.contains { $0.requestID == requestID } == true
        }
        #expect(heard, "A's case never showed B's request: \(atA?.timeline.map(\.summary) ?? [])")
        #expect(atA?.status == .awaitingSupplement)
        #expect(atA?.supplementRequests.first { $0.requestID == requestID }?.items.map(\.name) == ["经营场所租赁合同"])
        let lease = MaterialUpload.document("lease-contract", content: Data("%PDF-1.7\n租赁合同 2026—2031\n".utf8) + Data((0..<90_000).map { _ in UInt8.random(in: 0...255) }))
        let answered = try await deployment.intakeA.client.post("/cases/\(number)/supplements", json: ["materials": [lease]], token: try await deployment.regions.a.token(Self.applicant))
        #expect(answered.status == 200 || answered.status == 201, "\(answered.text)")
        var resumed: DepartmentTask?
        let running = try await eventually(timeout: .seconds(90)) {
            resumed = try await deployment.approvalB.client.get("/tasks/\(listed.id)", token: officer).decode(DepartmentTask.self)
            return resumed?.state == .open && resumed?.materials?.contains { $0.code == "lease-contract" } == true
        }
        #expect(running, "B's task is \(resumed?.state.rawValue ?? "unknown") with \(resumed?.materials?.map(\.code) ?? [])")
        let leaseHere = try #require(resumed?.materials?.first { $0.code == "lease-contract" })
        let leaseBody = try await deployment.approvalB.client.get(leaseHere.location, token: officer)
        #expect(leaseBody.status == 200 && MaterialUpload.sha256Hex(leaseBody.body) == lease.sha256)

        let task = try await deployment.approveInB(number)
        #expect(task.handedOverFrom == .init(region: "130100", caseNumber: number))
        #expect(task.department == "market-regulation")

        let completed = try await eventually(timeout: .seconds(90)) { try await deployment.caseAtA(number).status == .completed }
        let view = try await deployment.caseAtA(number)
        #expect(completed, "case \(number) at A: \(view.status.rawValue), \(view.timeline.map(\.kind))")
        let licence = try #require(view.licences.first)
        #expect(view.licences.count == 1)
        #expect(licence.kind.name == "营业执照（分公司）")
        #expect(licence.issuingRegion == "110100")
        #expect(licence.holderName == Self.enterprise.name)
        #expect(view.timeline.contains { $0.kind == "partner-update" && $0.summary.contains("北京市") && $0.summary.contains(licence.licenceNumber) })

        // The licence is B's seal's: B's verification says it holds.
        let reference = try #require(URL(string: licence.verificationURL)).path
        #expect(reference.hasPrefix("/verifications/"))
        let verification = try await deployment.sealB.client.get(reference).decode(LicenceVerification.self)
        #expect(verification.verdict == .valid)
        // A's seal issued nothing for it: the licence is not A's to seal.
        #expect(try await deployment.sealA.client.get(reference).status == 404)

        // The signed message log: both regions' chains hold, every envelope and receipt of the case in them.
        let settled = try await eventually(timeout: .seconds(60)) {
            let a = try await deployment.log(deployment.relayA, ["verify"])
            let b = try await deployment.log(deployment.relayB, ["verify"])
            return a.status == 0 && b.status == 0 && a.output.contains("110100:") && b.output.contains("130100:")
        }
        #expect(settled)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(TestInfrastructure.uniqueName("dispute"))
        let exported = try await deployment.log(deployment.relayA, ["export", "--case", number, "--directory", folder.path])
        #expect(exported.status == 0, "\(exported.output)")
        try Self.checkExport(folder, caseNumber: number)

        // One byte of one stored envelope changed in A's log: verify fails and names that entry.
        let database = PostgresClient(configuration: .init(url: deployment.relayA.environment["TONGBAN_DATABASE_URL"] ?? ""))
        defer { database.close() }
        let position = try #require(try await database.query("""
            UPDATE message_log SET signed = set_byte(signed, 20, get_byte(signed, 20) # 1)
            WHERE (partner, position) = (SELECT partner, position FROM message_log WHERE case_reference = \(number) AND kind = 'receipt' ORDER BY position LIMIT 1)
            RETURNING position
            """).decode(Int.self).first)
        let tampered = try await deployment.log(deployment.relayA, ["verify"])
        #expect(tampered.status == 1)
        #expect(tampered.output.contains("110100 #\(position) (received receipt"), "\(tampered.output)")
        #expect(tampered.output.contains("altered"))
    }

    /// What `tongban relay log export` wrote, checked as a third party would, with nothing of
    /// Tongban's but the files: every envelope's signature by the key file it names, every chain
    /// hash from the manifest's own fields.
    static func checkExport(_ folder: URL, caseNumber: String) throws {
        struct Manifest: Decodable {
            struct Item: Decodable {
                var file: String, partner: String, position: Int, direction: String, kind: String, keyID: String, sha256: String, previousHash: String, entryHash: String
            }
            var caseNumber: String
            var entries: [Item]
        }
        let manifest = try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: folder.appendingPathComponent("manifest.json")))
        #expect(manifest.caseNumber == caseNumber)
        let kinds = Set(manifest.entries.map { "\($0.direction) \($0.kind)" })
        #expect(kinds.isSuperset(of: ["sent case-handed-over", "sent material-chunk", "received receipt", "received status", "received result"]), "\(kinds)")
        for item in manifest.entries {
            let bytes = try Data(contentsOf: folder.appendingPathComponent(item.file))
            #expect(SHA256.hash(data: bytes).hexadecimal == item.sha256)
            let line = "\(item.previousHash)\n\(item.position)\n\(item.partner)\n\(item.direction)\n\(item.sha256)"
            #expect(SHA256.hash(data: Data(line.utf8)).hexadecimal == item.entryHash, "\(item.file)")
            let jwk = try JSONDecoder().decode(Ed25519JWK.self, from: Data(contentsOf: folder.appendingPathComponent("keys/\(item.keyID).jwk")))
            guard case .object(let envelope) = try JSONValue(parsing: Array(bytes)) else { Issue.record("\(item.file) is not an object"); continue }
            #expect(CanonicalSignature.hasValidSignature(envelope, by: try jwk.publicKey()), "\(item.file)")
        }
    }

    @Test("a bundle of a 石家庄 matter and a 北京 matter (多地联办) completes in 石家庄 with both licences, and not before 北京 decided")
    func splitBundle() async throws {
        let deployment = try await Deployment()
        let materials = ["applicant-identity", "company-registration-application", "articles-of-association", "premises-proof", "branch-registration-application", "parent-company-licence"]
        let number = try await deployment.apply(ApplicationRequest(
            bundle: "jingji-branch-opening", applicant: Self.enterprise, site: Self.site,
            materials: materials.map { MaterialUpload.document($0) }
        ))

        // A's own matter is an immediate item (即办件): its licence comes at once from A's seal;
        // the case is not done while B's part is open.
        let homeLicensed = try await eventually(timeout: .seconds(90)) { try await deployment.caseAtA(number).licences.count == 1 }
        let halfway = try await deployment.caseAtA(number)
        #expect(homeLicensed)
        #expect(halfway.licences.map(\.issuingRegion) == ["130100"])
        #expect(halfway.licences.first?.kind.name == "营业执照")
        #expect(halfway.status == .underReview)

        // B was sent the materials of its matter, not those of A's own.
        let inB = try await deployment.approvalB.client.get("/tasks/\(try await deployment.taskInB(number).id)", token: try await deployment.regions.b.token(Self.beijingOfficer)).decode(DepartmentTask.self)
        #expect(Set(inB.materials?.map(\.code) ?? []) == Set(Self.branchMaterials))

        _ = try await deployment.approveInB(number)
        let completed = try await eventually(timeout: .seconds(90)) { try await deployment.caseAtA(number).status == .completed }
        let view = try await deployment.caseAtA(number)
        #expect(completed, "case \(number) at A: \(view.status.rawValue), \(view.timeline.map(\.kind))")
        #expect(Set(view.licences.map(\.issuingRegion)) == ["130100", "110100"])
        #expect(Set(view.licences.map(\.kind.name)) == ["营业执照", "营业执照（分公司）"])
        for licence in view.licences {
            let seal = licence.issuingRegion == "130100" ? deployment.sealA : deployment.sealB
            #expect(try await seal.client.get(try #require(URL(string: licence.verificationURL)).path).decode(LicenceVerification.self).verdict == .valid)
        }
    }

    @Test("a case handed to 北京 and withdrawn by its applicant in 石家庄 is withdrawn in 北京 too: the task closes and the officer can no longer decide it")
    func withdrawnAfterHandOver() async throws {
        let deployment = try await Deployment()
        let number = try await deployment.apply(Self.branchRegistration)
        let task = try await deployment.taskInB(number)
        #expect(task.state == .open)

        let withdrawn = try await deployment.intakeA.client.post(
            "/cases/\(number)/withdrawal", json: ["reason": "改在北京直接办理"], token: try await deployment.regions.a.token(Self.applicant)
        )
        #expect(withdrawn.status == 200, "\(withdrawn.text)")

        let officer = try await deployment.regions.b.token(Self.beijingOfficer)
        var seen: DepartmentTask?
        let closed = try await eventually(timeout: .seconds(90)) {
            seen = try await deployment.approvalB.client.get("/tasks/\(task.id)", token: officer).decode(DepartmentTask.self)
            return seen?.state == .withdrawn
        }
        #expect(closed, "B's task is \(seen?.state.rawValue ?? "unknown")")
        let late = try await deployment.approvalB.client.post("/tasks/\(task.id)/approval", json: ["comment": "准予登记。"], token: officer)
        #expect(late.status == 409, "\(late.text)")
        #expect(late.text.contains("case-withdrawn"))
        #expect(try await deployment.caseAtA(number).status == .withdrawn)
    }
}
