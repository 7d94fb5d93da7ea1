import Foundation
import HTTPTypes
import HummingbirdTesting
@testable import Intake
import Messaging
import Postgres
import ServiceKit
import ServiceTestSupport
import TestSupport
import Testing
import TongbanClient

/// Approval's and seal's events for a case, as those services would publish them.
enum ApprovalScript {
    static func deadlines(_ matter: CaseSubmitted.Matter, from start: Date) -> TaskDeadlines {
        TaskDeadlines(legalLimitDays: 20, promisedLimitDays: 5, legalDeadline: start.addingTimeInterval(28 * 86400), promisedDeadline: start.addingTimeInterval(7 * 86400))
    }

    static func taskID(_ receipt: CaseReceipt, _ matter: CaseSubmitted.Matter) -> String {
        "\(receipt.caseNumber)/\(matter.code)"
    }

    static func tasksOpened(_ receipt: CaseReceipt, at time: Date = Date()) -> TasksOpened {
        TasksOpened(caseNumber: receipt.caseNumber, region: "130100", acceptedAt: time, tasks: receipt.matters.map { matter in
            .init(taskID: taskID(receipt, matter), matterCode: matter.code, matterName: matter.code, department: matter.department,
                  departmentName: "部门 \(matter.department)", mode: matter.mode, deadlines: deadlines(matter, from: time))
        })
    }

    static func decision(_ receipt: CaseReceipt, _ matter: CaseSubmitted.Matter, at time: Date) -> MatterDecision {
        MatterDecision(
            taskID: taskID(receipt, matter), matterCode: matter.code, matterName: matter.code, department: matter.department,
            departmentName: "部门 \(matter.department)", mode: matter.mode, outcome: .approved, legalBasis: nil,
            decidedBy: "officer-9", decidedAt: time, deadlines: deadlines(matter, from: time), onTime: true, licence: matter.licence
        )
    }
}

@Suite("events in and out of intake")
struct CaseEventTests {
    @Test("a submitted case's event, read from the topic with kcat, is a CloudEvent that satisfies the topic's schema in Docs/asyncapi.yaml")
    func kcatReadsTheEvent() async throws {
        try await IntakeFixture.run { intake in
            let receipt = try await intake.applyAccepted(ApplicationRequest.make(
                bundle: "restaurant-opening", materials: SampleMaterials.restaurantMandatory, commitments: ["public-place-hygiene-licence"]
            ))
            var message: KcatMessage?
            let found = try await eventually(timeout: .seconds(30)) {
                message = try await kcat(intake.region.topic(.caseSubmitted)).first { $0.key == receipt.caseNumber }
                return message != nil
            }
            #expect(found)
            let read = try #require(message)
            let headers = read.headerMap
            #expect(headers["ce_type"] == "tongban.intake.case-submitted.v1")
            #expect(headers["ce_specversion"] == "1.0")
            #expect(headers["ce_source"] == "/tongban/130100/intake")
            #expect(headers["content-type"] == "application/json")
            let payload = Array(read.payload.utf8)
            #expect(Topic.caseSubmitted.violations(of: payload) == [])
            let submitted = try Envelope(source: "kcat", type: Topic.caseSubmitted.eventType, key: read.key, data: payload).decode(CaseSubmitted.self)
            #expect(submitted.caseNumber == receipt.caseNumber)
            #expect(submitted.bundle?.code == "restaurant-opening")
            #expect(submitted.deficiencies.map(\.materialCode) == SampleMaterials.restaurantTolerable)
            #expect(submitted.materials.map(\.sha256) == receipt.materials.map(\.sha256))

            // The published document is the one departments build against.
            let asyncapi = try String(contentsOf: LocalInfrastructure.repositoryRoot.appendingPathComponent("Docs/asyncapi.yaml"), encoding: .utf8)
            #expect(asyncapi.contains("tongban.intake.case-submitted.v1"))
            #expect(asyncapi.contains("replacesMaterials"))
        }
    }

    @Test("approval's and seal's events build the case's timeline: review, supplement (补正), decisions, licences")
    func timeline() async throws {
        try await IntakeFixture.run { intake in
            let receipt = try await intake.applyAccepted(ApplicationRequest.make(
                bundle: "restaurant-opening",
                materials: SampleMaterials.restaurantMandatory + SampleMaterials.restaurantTolerable,
                commitments: ["public-place-hygiene-licence"]
            ))
            let number = receipt.caseNumber
            let start = Date()
            _ = try await intake.region.publish(ApprovalScript.tasksOpened(receipt, at: start), to: .tasksOpened, key: number)
            #expect(try await eventually { try await intake.caseView(number).status == .underReview })

            let food = receipt.matters[1]
            let request = SupplementRequested(
                caseNumber: number, requestID: "req-1", taskID: ApprovalScript.taskID(receipt, food), matterCode: food.code, department: food.department,
                items: [.init(materialCode: "kitchen-photos", name: "后厨现场照片")], reason: "布局图与现场不符，请补充后厨照片。", requestedAt: start.addingTimeInterval(60)
            )
            _ = try await intake.region.publish(request, to: .supplementRequested, key: number)
            #expect(try await eventually { try await intake.caseView(number).status == .awaitingSupplement })

            let supply = try await intake.post("/cases/\(number)/supplements", json: ["materials": [MaterialUpload.document("kitchen-photos")]], as: IntakeFixture.alice)
            #expect(supply.status == .created, "\(supply.text)")
            let supplemented = try #require(try await intake.region.events(on: .materialsSupplemented, key: number).first).decode(MaterialsSupplemented.self)
            #expect(supplemented.answers == ["req-1"])
            #expect(supplemented.materials.map(\.name) == ["后厨现场照片"])

            _ = try await intake.region.publish(
                TaskResumed(caseNumber: number, taskID: request.taskID, requestID: "req-1", resumedAt: start.addingTimeInterval(120), deadlines: ApprovalScript.deadlines(food, from: start)),
                to: .taskResumed, key: number
            )
            let decisions = receipt.matters.map { ApprovalScript.decision(receipt, $0, at: start.addingTimeInterval(180)) }
            for decision in decisions {
                _ = try await intake.region.publish(TaskDecided(caseNumber: number, region: "130100", decision: decision), to: .taskDecided, key: number)
            }
            _ = try await intake.region.publish(BundleDecided(
                caseNumber: number, region: "130100", bundle: receipt.bundle, applicant: receipt.applicant, acceptedAt: start,
                decidedAt: start.addingTimeInterval(200), decisions: decisions, onTime: true
            ), to: .bundleDecided, key: number)
            let licences = receipt.matters.compactMap { matter in
                matter.licence.map {
                    LicenceSummary(licenceNumber: "130100-\(matter.code)-1", matterCode: matter.code, kind: $0, holderName: receipt.applicant.name,
                                   issuingRegion: "130100", validFrom: start, validUntil: nil, verificationURL: "https://seal.example/verifications/4f9c2a7be1d04c6a9b3e5f7a2c8d1e06")
                }
            }
            _ = try await intake.region.publish(LicencesIssued(caseNumber: number, issuedAt: start.addingTimeInterval(240), licences: licences, refused: []), to: .licencesIssued, key: number)

            #expect(try await eventually { try await intake.caseView(number).status == .completed })
            let view = try await intake.caseView(number)
            #expect(view.licences.map(\.kind.name) == ["营业执照", "食品经营许可证", "公共场所卫生许可证"])
            #expect(view.matters.compactMap(\.task?.status) == [.approved, .approved, .approved])
            #expect(view.timeline.map(\.kind).first == "accepted")
            #expect(Set(view.timeline.map(\.kind)) == [
                "accepted", "tasks-opened", "supplement-requested", "materials-supplemented", "task-resumed", "task-decided", "bundle-decided", "licences-issued",
            ])
            #expect(view.timeline.last?.status == .completed)

            // Decided cases can no longer be withdrawn.
            #expect(try await intake.post("/cases/\(number)/withdrawal", json: ["reason": "late"], as: IntakeFixture.alice).status == .conflict)
        }
    }

    @Test("withdrawal: the case is closed, its event published once, and a second withdrawal is a 409")
    func withdrawal() async throws {
        try await IntakeFixture.run { intake in
            let receipt = try await intake.applyAccepted(ApplicationRequest.make(matter: "eia-registration-filing", materials: ["applicant-identity", "eia-registration-form"]))
            let response = try await intake.post("/cases/\(receipt.caseNumber)/withdrawal", json: ["reason": "项目选址调整"], as: IntakeFixture.alice)
            #expect(response.status == .ok)
            #expect(try await intake.caseView(receipt.caseNumber).status == .withdrawn)
            let withdrawn = try #require(try await intake.region.events(on: .caseWithdrawn, key: receipt.caseNumber).first).decode(CaseWithdrawn.self)
            #expect(withdrawn.reason == "项目选址调整")
            #expect(try await intake.post("/cases/\(receipt.caseNumber)/withdrawal", json: ["reason": "again"], as: IntakeFixture.alice).status == .conflict)
        }
    }

    @Test("a case handed over to the partner region follows the partner's updates to its licences, which join the case")
    func partnerUpdates() async throws {
        try await IntakeFixture.run { intake in
            let receipt = try await intake.applyAccepted(ApplicationRequest.make(
                matter: "beijing-construction-qualification-transfer",
                materials: ["applicant-identity", "qualification-application", "qualification-certificate", "registered-staff-proof"]
            ))
            let number = receipt.caseNumber
            let start = Date()
            _ = try await intake.region.publish(PartnerUpdate(
                caseNumber: number, partnerRegion: "110100", partnerName: "北京市", kind: .status, status: .accepted, occurredAt: start,
                matters: [.init(matterCode: receipt.matters[0].code, departmentName: "北京市住房和城乡建设委员会")]
            ), to: .partnerUpdate, key: number)
            let licence = LicenceSummary(
                licenceNumber: "D211000001", matterCode: receipt.matters[0].code, kind: try #require(receipt.matters[0].licence), holderName: receipt.applicant.name,
                issuingRegion: "110100", validFrom: start, validUntil: nil, verificationURL: "https://seal.beijing.example/verifications/4f9c2a7be1d04c6a9b3e5f7a2c8d1e06"
            )
            _ = try await intake.region.publish(PartnerUpdate(
                caseNumber: number, partnerRegion: "110100", partnerName: "北京市", kind: .result, status: .licencesIssued, occurredAt: start.addingTimeInterval(60),
                licences: [licence]
            ), to: .partnerUpdate, key: number)
            #expect(try await eventually { try await intake.caseView(number).status == .completed })
            let view = try await intake.caseView(number)
            #expect(view.licences.map(\.licenceNumber) == ["D211000001"])
            #expect(view.timeline.map(\.kind) == ["accepted", "partner-update", "partner-update"])
            #expect(view.timeline.last?.summary.contains("建筑业企业资质证书 D211000001") == true)
        }
    }

    @Test("a split bundle (多地联办) whose home licence arrives before approval's tasks-opened is under review, not accepted, until 北京 has decided")
    func homeLicenceBeforeTasks() async throws {
        try await IntakeFixture.run { intake in
            let receipt = try await intake.applyAccepted(ApplicationRequest.make(
                bundle: "jingji-branch-opening",
                materials: ["applicant-identity", "company-registration-application", "articles-of-association", "premises-proof", "branch-registration-application", "parent-company-licence"]
            ))
            let number = receipt.caseNumber
            let home = try #require(receipt.matters.first { $0.region == "130100" })
            // Seal's event first: approval's come on other topics and may be read later.
            let licence = LicenceSummary(
                licenceNumber: "130100-\(home.code)-1", matterCode: home.code, kind: try #require(home.licence), holderName: receipt.applicant.name,
                issuingRegion: "130100", validFrom: Date(), validUntil: nil, verificationURL: "https://seal.example/verifications/4f9c2a7be1d04c6a9b3e5f7a2c8d1e06"
            )
            let issued = try await intake.region.publish(LicencesIssued(caseNumber: number, issuedAt: Date(), licences: [licence], refused: []), to: .licencesIssued, key: number)
            #expect(try await eventually {
                try await intake.runtime.database.query("SELECT 1 FROM inbox WHERE event_id = \(issued.id)").count == 1
            })
            let view = try await intake.caseView(number)
            #expect(view.licences.map(\.licenceNumber) == [licence.licenceNumber])
            #expect(view.status == .underReview)
        }
    }

    @Test("a case a partner region handed over is kept, so approval's events about it build its timeline here")
    func handedOverCase() async throws {
        try await IntakeFixture.run { intake in
            let number = "130100-20261123-000901"
            let matter = CaseSubmitted.Matter(
                code: "water-abstraction-permit", name: "取水许可", department: "water-resources", departmentName: "石家庄市水利局",
                region: "130100", legalLimitDays: 45, promisedLimitDays: 20, mode: .standard
            )
            let handedOver = CaseSubmitted(
                caseNumber: number, region: "110100", bundle: nil,
                applicant: ApplicantRecord(kind: .enterprise, name: "北京京西水务有限公司", identifier: "91350100M000100Y43", account: "bj-applicant-3"),
                acceptedAt: Date(), catalogueVersion: "110100-2026.2", matters: [matter], materials: [], deficiencies: [],
                handedOverFrom: .init(region: "110100", caseNumber: "110100-20261123-000017")
            )
            _ = try await intake.region.publish(handedOver, to: .caseReceived, key: number)
            // Approval opens the tasks only after it received the case itself.
            #expect(try await eventually { try await intake.runtime.database.query("SELECT 1 FROM cases WHERE number = \(number)").count == 1 })
            let deadlines = TaskDeadlines(legalLimitDays: 45, promisedLimitDays: 20, legalDeadline: Date().addingTimeInterval(60 * 86400), promisedDeadline: Date().addingTimeInterval(28 * 86400))
            _ = try await intake.region.publish(TasksOpened(caseNumber: number, region: "130100", acceptedAt: Date(), tasks: [
                .init(taskID: "t-901", matterCode: matter.code, matterName: matter.name, department: matter.department, departmentName: matter.departmentName, mode: .standard, deadlines: deadlines),
            ]), to: .tasksOpened, key: number)
            let officer = Principal(subject: "officer-5", role: .officer, region: "130100", department: "water-resources")
            #expect(try await eventually { try await intake.get("/cases/\(number)", as: officer).status == .ok })
            let view = try await intake.caseView(number, as: officer)
            #expect(view.status == .underReview)
            #expect(view.timeline.map(\.kind) == ["handed-over", "tasks-opened"])
            #expect(view.timeline.first?.summary.contains("110100-20261123-000017") == true)

            // Withdrawn only where it was applied for: here, even its applicant's account is refused,
            // and nothing changes (北京's withdrawal comes through the relay).
            let attempt = try await intake.post("/cases/\(number)/withdrawal", json: ["reason": "不办了"], as: Principal(subject: "bj-applicant-3", role: .applicant, identity: "91350100M000100Y43"))
            #expect(attempt.status == .conflict)
            #expect(attempt.problem?.type == "urn:tongban:problem:handed-over-case", "\(attempt.text)")
            #expect(attempt.problem?.detail?.contains("110100") == true)
            #expect(try await intake.caseView(number, as: officer).status == .underReview)
            #expect(try await intake.runtime.database.query("SELECT 1 FROM outbox WHERE event_key = \(number) AND topic LIKE '%case-withdrawn%'").count == 0)
        }
    }

    @Test("an event for a case intake never registered goes to intake's dead letters with the reason")
    func unknownCase() async throws {
        try await IntakeFixture.run { intake in
            let stray = TasksOpened(caseNumber: "130100-20261123-999999", region: "130100", acceptedAt: Date(), tasks: [])
            _ = try await intake.region.publish(stray, to: .tasksOpened, key: stray.caseNumber)
            var dead: KcatMessage?
            #expect(try await eventually {
                dead = try await kcat(intake.region.topic(.deadLetters(of: "intake"))).first { $0.key == stray.caseNumber }
                return dead != nil
            })
            #expect(dead?.headerMap["dlq_reason"]?.contains("intake has no case 130100-20261123-999999") == true)
            #expect(dead?.headerMap["ce_type"] == "tongban.approval.tasks-opened.v1")
        }
    }
}

/// Everything on `topic` so far, read by kcat as a department's system would.
func kcat(_ topic: Topic) async throws -> [KcatMessage] {
    let (status, output) = try await runCommand("/usr/bin/kcat", [
        "-C", "-b", TestInfrastructure.kafkaBootstrapServers, "-t", topic.name, "-o", "beginning", "-e", "-q", "-J",
    ], timeout: .seconds(30))
    guard status == 0 else { return [] }
    return output.split(separator: "\n").compactMap { try? JSONDecoder().decode(KcatMessage.self, from: Data($0.utf8)) }
}

/// One line of `kcat -J`.
struct KcatMessage: Decodable {
    var key: String
    var payload: String
    var headers: [String]?

    var headerMap: [String: String] {
        var map: [String: String] = [:]
        let list = headers ?? []
        for index in stride(from: 0, to: list.count - 1, by: 2) { map[list[index]] = list[index + 1] }
        return map
    }
}
