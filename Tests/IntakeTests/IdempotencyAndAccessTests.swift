import Domain
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

@Suite("Idempotency-Key on POST /cases")
struct IdempotencyTests {
    static let application = ApplicationRequest.make(matter: "eia-registration-filing", materials: ["applicant-identity", "eia-registration-form"])

    @Test("the same key and body returns the first response byte for byte and creates nothing new")
    func replay() async throws {
        try await IntakeFixture.run { intake in
            let body = try JSONEncoder().encode(Self.application)
            let first = try await intake.post("/cases", body: body, as: IntakeFixture.alice, idempotencyKey: "window-7-0001")
            #expect(first.status == .created)
            let before = try await intake.storedRows()
            let second = try await intake.post("/cases", body: body, as: IntakeFixture.alice, idempotencyKey: "window-7-0001")
            #expect(second.status == .created)
            #expect(second.data == first.data)
            #expect(second.headers[.location] == first.headers[.location])
            #expect(second.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
            #expect(try await intake.storedRows() == before)
            #expect(before["cases"] == 1 && before["outbox"] == 1)
        }
    }

    @Test("the same key with a different body is a 409, and nothing is created")
    func conflict() async throws {
        try await IntakeFixture.run { intake in
            _ = try await intake.post("/cases", json: Self.application, as: IntakeFixture.alice, idempotencyKey: "k-1")
            var other = Self.application
            other.applicant.name = "王建国"
            other.applicant.unifiedSocialCreditCode = nil
            other.applicant.residentIdentityNumber = "11010519491231002X"
            let response = try await intake.post("/cases", json: other, as: IntakeFixture.alice, idempotencyKey: "k-1")
            #expect(response.status == .conflict)
            #expect(response.problem?.type == "urn:tongban:problem:conflict")
            #expect(try await intake.count("cases") == 1)
        }
    }

    @Test("keys belong to their caller, and a request without one is a 400")
    func perCaller() async throws {
        try await IntakeFixture.run { intake in
            let alice = try await intake.post("/cases", json: Self.application, as: IntakeFixture.alice, idempotencyKey: "same")
            var bobs = Self.application
            bobs.applicant = ApplicationRequest.otherEnterprise
            let bob = try await intake.post("/cases", json: bobs, as: IntakeFixture.bob, idempotencyKey: "same")
            #expect(alice.status == .created && bob.status == .created)
            #expect(try alice.decode(CaseReceipt.self).caseNumber != bob.decode(CaseReceipt.self).caseNumber)
            let missing = try await intake.post("/cases", json: Self.application, as: IntakeFixture.alice)
            #expect(missing.status == .badRequest)
            #expect(missing.problem?.errors?.map(\.field) == ["Idempotency-Key"])
        }
    }
}

@Suite("who sees and registers cases")
struct AccessTests {
    static let application = ApplicationRequest.make(matter: "eia-registration-filing", materials: ["applicant-identity", "eia-registration-form"])

    @Test("the access log records the clerk's and the officer's reads, not the applicant's, and forgets what is past its retention")
    func accessLog() async throws {
        try await IntakeFixture.run { intake in
            let receipt = try await intake.applyAccepted(Self.application)
            #expect(try await intake.get("/cases/\(receipt.caseNumber)", as: IntakeFixture.alice).status == .ok)
            #expect(try await intake.get("/cases/\(receipt.caseNumber)", as: IntakeFixture.clerk).status == .ok)
            #expect(try await intake.get("/cases/130100-20260101-999999", as: IntakeFixture.clerk).status == .notFound)
            let supervisor = Principal(subject: "supervisor-1", role: .supervisor, region: "130100")
            #expect(try await intake.get("/access-log", as: IntakeFixture.clerk).status == .forbidden)
            let log = try await intake.get("/access-log?case=\(receipt.caseNumber)", as: supervisor).decode(AccessLogEntries.self)
            #expect(log.entries.map(\.subject) == [IntakeFixture.clerk.subject], "only the clerk's read of the case is a staff read")
            #expect(log.entries.first?.route == "GET /cases/{number}" && log.entries.first?.item == "/cases/\(receipt.caseNumber)")

            _ = try await intake.runtime.database.query("""
                INSERT INTO access_log (read_at, subject, role, route, item) VALUES (now() - interval '400 days', 'clerk-old', 'clerk', 'GET /cases', '/cases')
                """)
            let retention = AccessLogRetention(database: intake.runtime.database, retentionDays: 365, logger: intake.runtime.logger)
            #expect(try await retention.purge() == 1)
            #expect(try await intake.count("access_log") == 1, "the clerk's read of today is kept")
        }
    }

    @Test("an online account applies only in the name of its verified identity, and not at all without one; nothing is stored")
    func applicantsApplyInTheirOwnName() async throws {
        try await IntakeFixture.run { intake in
            var someoneElse = Self.application
            someoneElse.applicant = ApplicationRequest.person
            let refused = try await intake.apply(someoneElse, as: IntakeFixture.alice)
            #expect(refused.status == .badRequest, "\(refused.text)")
            #expect(refused.problem?.errors?.map(\.field) == ["applicant.residentIdentityNumber"])
            #expect(refused.text.contains("11010519491231002X") == false, "the refusal repeats the identity number")
            let unverified = try await intake.apply(Self.application, as: Principal(subject: "applicant-new", role: .applicant))
            #expect(unverified.status == .forbidden, "\(unverified.text)")
            #expect(try await intake.count("cases") == 0)
        }
    }

    @Test("an applicant sees only their own cases: another's case and its materials answer 404, and their list is their own")
    func applicantsOwnCases() async throws {
        try await IntakeFixture.run { intake in
            let alices = try await intake.applyAccepted(Self.application, as: IntakeFixture.alice)
            var own = Self.application
            own.applicant = ApplicationRequest.otherEnterprise
            let bobs = try await intake.applyAccepted(own, as: IntakeFixture.bob)
            #expect(try await intake.get("/cases/\(alices.caseNumber)", as: IntakeFixture.bob).status == .notFound)
            #expect(try await intake.get(alices.materials[0].location, as: IntakeFixture.bob).status == .notFound)
            #expect(try await intake.post("/cases/\(alices.caseNumber)/withdrawal", json: ["reason": "x"], as: IntakeFixture.bob).status == .notFound)

            let list = try await intake.get("/cases", as: IntakeFixture.bob).decode(CaseList.self)
            #expect(list.cases.map(\.caseNumber) == [bobs.caseNumber])

            let content = try await intake.get(alices.materials[1].location, as: IntakeFixture.alice)
            #expect(content.status == .ok)
            #expect(content.headers[.contentType] == "application/pdf")
            #expect(MaterialUpload.sha256Hex(content.data) == alices.materials[1].sha256)
        }
    }

    @Test("a clerk registers for anyone at their region's window and reads the region's cases; to other regions' clerks the case does not exist, other roles are refused")
    func clerksAndOthers() async throws {
        try await IntakeFixture.run { intake in
            var walkIn = Self.application
            walkIn.applicant.account = "applicant-carol"
            let receipt = try await intake.applyAccepted(walkIn, as: IntakeFixture.clerk)
            #expect(receipt.applicant.account == "applicant-carol")
            // The account a clerk names grants nothing: the case shows up for an account whose
            // verified identity is the applicant's, whatever its name, and for no other.
            let carol = Principal(subject: "applicant-carol", role: .applicant, identity: IntakeFixture.bob.identity)
            #expect(try await intake.get("/cases/\(receipt.caseNumber)", as: carol).status == .notFound)
            #expect(try await intake.get("/cases", as: carol).decode(CaseList.self).cases.isEmpty)
            #expect(try await intake.get("/cases/\(receipt.caseNumber)", as: Principal(subject: "applicant-carol", role: .applicant)).status == .notFound)
            #expect(try await intake.get("/cases/\(receipt.caseNumber)", as: IntakeFixture.alice).status == .ok)
            #expect(try await intake.get("/cases", as: IntakeFixture.alice).decode(CaseList.self).cases.map(\.caseNumber) == [receipt.caseNumber])
            #expect(try await intake.get("/cases/\(receipt.caseNumber)", as: IntakeFixture.clerk).status == .ok)
            #expect(try await intake.get("/cases", as: IntakeFixture.clerk).decode(CaseList.self).cases.count == 1)

            let beijingClerk = Principal(subject: "clerk-bj", role: .clerk, region: "110100")
            #expect(try await intake.apply(Self.application, as: beijingClerk).status == .forbidden)
            #expect(try await intake.get("/cases/\(receipt.caseNumber)", as: beijingClerk).status == .forbidden)
            #expect(try await intake.get("/cases", as: beijingClerk).status == .forbidden)
            for other in [
                Principal(subject: "officer-1", role: .officer, region: "130100", department: "ecology-environment"),
                Principal(subject: "supervisor-1", role: .supervisor),
            ] {
                #expect(try await intake.apply(Self.application, as: other).status == .forbidden)
                #expect(try await intake.get("/cases", as: other).status == .forbidden)
            }
            // A role that never reads cases here is refused alike for a case that exists and one that does not.
            let supervisor = Principal(subject: "supervisor-1", role: .supervisor)
            #expect(try await intake.get("/cases/\(receipt.caseNumber)", as: supervisor).status == .forbidden)
            #expect(try await intake.get("/cases/130100-20260101-999999", as: supervisor).status == .forbidden)
            #expect(try await intake.get("/cases/no-case-number", as: supervisor).status == .forbidden)
            #expect(try await intake.post("/cases", json: Self.application, as: nil, idempotencyKey: "x").status == .unauthorized)
            #expect(try await intake.count("cases") == 1)
        }
    }

    @Test("an officer reads a case and its materials only once approval opened a task for their department in their region; to anyone else the case does not exist")
    func officersHandlingIt() async throws {
        try await IntakeFixture.run { intake in
            let receipt = try await intake.applyAccepted(Self.application)
            let officer = Principal(subject: "officer-9", role: .officer, region: "130100", department: "ecology-environment")
            let otherDepartment = Principal(subject: "officer-3", role: .officer, region: "130100", department: "health")
            #expect(try await intake.get(receipt.materials[0].location, as: officer).status == .notFound)

            _ = try await intake.region.publish(ApprovalScript.tasksOpened(receipt), to: .tasksOpened, key: receipt.caseNumber)
            #expect(try await eventually { try await intake.get(receipt.materials[0].location, as: officer).status == .ok })
            #expect(try await intake.get("/cases/\(receipt.caseNumber)", as: officer).status == .ok)
            let sameDepartmentElsewhere = Principal(subject: "officer-bj", role: .officer, region: "110100", department: "ecology-environment")
            // The same department of another region acts in its own region's services: refused before any lookup.
            #expect(try await intake.get(receipt.materials[0].location, as: sameDepartmentElsewhere).status == .forbidden)
            #expect(try await intake.get("/cases/130100-20260101-999999", as: sameDepartmentElsewhere).status == .forbidden)
            for outsider in [otherDepartment] {
                #expect(try await intake.get(receipt.materials[0].location, as: outsider).status == .notFound)
                let withheld = try await intake.get("/cases/\(receipt.caseNumber)", as: outsider)
                let missing = try await intake.get("/cases/130100-20260101-999999", as: outsider)
                #expect(withheld.status == .notFound && missing.status == .notFound)
                #expect(try withheld.decode(ProblemDocument.self).detail == missing.decode(ProblemDocument.self).detail)
            }
        }
    }
}
