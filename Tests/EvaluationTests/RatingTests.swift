import Domain
@testable import Evaluation
import Foundation
import HTTPTypes
import HummingbirdTesting
import Messaging
import ServiceKit
import ServiceTestSupport
import TestSupport
import Testing
import TongbanClient

/// 好差评 and 整改 through the HTTP API, with the cases made by publishing approval's events.
@Suite("ratings and rectifications")
struct RatingTests {
    static let accepted = EvaluationFixture.at("2026-11-02T09:00")
    static let now = "2026-11-23T10:00"

    /// A case both departments decided at `decidedAt`, for `account`.
    func complete(_ number: String, account: String, decidedAt: Date, fixture: EvaluationFixture) async throws {
        try await fixture.publish(Sample.bundleDecided(number, account: account, accepted: Self.accepted, decisions: [
            Sample.decision("\(number)-mr", Sample.foodLicence, accepted: Self.accepted, decidedAt: decidedAt),
            Sample.decision("\(number)-hc", Sample.constructionPermit, accepted: Self.accepted, decidedAt: decidedAt),
        ]), to: .bundleDecided, key: number)
    }

    func waitForStatus(_ number: String, _ status: SupervisedCaseStatus, as account: String, fixture: EvaluationFixture) async throws {
        let reached = try await eventually {
            let response = try await fixture.get("/cases/\(number)/rating", as: EvaluationFixture.applicant(account))
            return response.status == .ok && (try? response.decode(CaseRating.self).status) == status
        }
        try #require(reached, "case \(number) never became \(status)")
    }

    static let good = #"{"level":"satisfied","channel":"window-device","tags":["办事快"],"comment":"一次办好"}"#

    @Test("a second rating, someone else's case, an unfinished or withdrawn case, a closed window and bad fields are each refused clearly, and nothing is stored")
    func refusedRatings() async throws {
        try await EvaluationFixture.run(start: EvaluationFixture.at(Self.now)) { fixture in
            let done = "130100-20261102-000001"
            let open = "130100-20261102-000002"
            let old = "130100-20261102-000003"
            let withdrawn = "130100-20261102-000004"
            try await complete(done, account: "alice", decidedAt: EvaluationFixture.at("2026-11-06T12:00"), fixture: fixture)
            try await complete(old, account: "alice", decidedAt: EvaluationFixture.at("2026-10-20T12:00"), fixture: fixture)
            try await fixture.publish(Sample.submitted(open, account: "alice", accepted: Self.accepted, matters: [Sample.foodLicence]), to: .caseSubmitted, key: open)
            try await fixture.publish(Sample.submitted(withdrawn, account: "alice", accepted: Self.accepted, matters: [Sample.foodLicence]), to: .caseSubmitted, key: withdrawn)
            try await fixture.publish(CaseWithdrawn(caseNumber: withdrawn, reason: "不再开店", withdrawnAt: EvaluationFixture.at("2026-11-10T10:00")), to: .caseWithdrawn, key: withdrawn)
            try await waitForStatus(done, .completed, as: "alice", fixture: fixture)
            try await waitForStatus(old, .completed, as: "alice", fixture: fixture)
            try await waitForStatus(open, .open, as: "alice", fixture: fixture)
            try await waitForStatus(withdrawn, .withdrawn, as: "alice", fixture: fixture)
            let alice = EvaluationFixture.applicant("alice")

            func refused(_ path: String, _ body: String, as principal: Principal?) async throws -> (Int, ProblemDocument?) {
                let response = try await fixture.post(path, rawJSON: body, as: principal)
                return (Int(response.status.code), response.problem)
            }
            let anonymous = try await refused("/cases/\(done)/rating", Self.good, as: nil)
            #expect(anonymous.0 == 401)
            let officer = try await refused("/cases/\(done)/rating", Self.good, as: EvaluationFixture.marketOfficer)
            #expect(officer.0 == 403 && officer.1?.type == "urn:tongban:problem:forbidden")
            let someoneElses = try await refused("/cases/\(done)/rating", Self.good, as: EvaluationFixture.applicant("bob"))
            #expect(someoneElses.0 == 404 && someoneElses.1?.type == "urn:tongban:problem:not-found")
            let unknown = try await refused("/cases/130100-20261102-000099/rating", Self.good, as: alice)
            #expect(unknown.0 == 404)
            let unfinished = try await refused("/cases/\(open)/rating", Self.good, as: alice)
            #expect(unfinished.0 == 409 && unfinished.1?.type == "urn:tongban:problem:case-not-completed")
            #expect(unfinished.1?.detail?.contains("still being handled") == true)
            let gone = try await refused("/cases/\(withdrawn)/rating", Self.good, as: alice)
            #expect(gone.0 == 409 && gone.1?.type == "urn:tongban:problem:case-not-completed")
            let late = try await refused("/cases/\(old)/rating", Self.good, as: alice)
            #expect(late.0 == 409 && late.1?.type == "urn:tongban:problem:rating-window-closed")
            let badFields = try await refused("/cases/\(done)/rating", #"{"level":"great","channel":"fax","comment":"\#(String(repeating: "长", count: 501))"}"#, as: alice)
            #expect(badFields.0 == 400 && badFields.1?.type == "urn:tongban:problem:validation")
            #expect(Set(badFields.1?.errors?.map(\.field) ?? []) == ["level", "channel", "comment"])
            let missing = try await refused("/cases/\(done)/rating", #"{"channel":"web"}"#, as: alice)
            #expect(missing.0 == 400 && missing.1?.errors?.map(\.field) == ["level"])
            let strangeDepartment = try await refused("/cases/\(done)/rating", #"{"level":"dissatisfied","channel":"web","department":"tax"}"#, as: alice)
            #expect(strangeDepartment.0 == 400 && strangeDepartment.1?.errors?.map(\.field) == ["department"])
            #expect(try await fixture.count("SELECT count(*) FROM ratings") == 0)
            #expect(try await fixture.count("SELECT count(*) FROM rectifications") == 0)

            let first = try await fixture.post("/cases/\(done)/rating", rawJSON: Self.good, as: alice)
            #expect(first.status == .created, "\(first.text)")
            let rated = try first.decode(CaseRating.self)
            #expect(rated.rating?.levelName == "满意" && rated.rating?.tags == ["办事快"] && rated.ratable == false)
            let second = try await refused("/cases/\(done)/rating", #"{"level":"very-dissatisfied","channel":"hotline-12345"}"#, as: alice)
            #expect(second.0 == 409 && second.1?.type == "urn:tongban:problem:already-rated")
            #expect(try await fixture.count("SELECT count(*) FROM ratings") == 1)
            #expect(try await fixture.count("SELECT count(*) FROM rectifications") == 0)
        }
    }

    @Test("a case handed over to a partner region, in part (多地联办) or whole (异地代收代办), is completed, and can be rated, only once the partner's part is decided")
    func partnerParts() async throws {
        try await EvaluationFixture.run(start: EvaluationFixture.at(Self.now)) { fixture in
            let split = "130100-20261102-000021"
            let handedOver = "130100-20261102-000022"
            var branch = Sample.submitted(split, account: "carol", accepted: Self.accepted, matters: [Sample.foodLicence, Sample.specialEquipment]).matters[1]
            branch.code = "110100-SC-002"
            branch.name = "分公司设立登记"
            branch.region = "110100"
            var splitCase = Sample.submitted(split, account: "carol", accepted: Self.accepted, matters: [Sample.foodLicence])
            splitCase.matters.append(branch)
            var wholeCase = Sample.submitted(handedOver, account: "carol", accepted: Self.accepted, matters: [])
            wholeCase.matters = [branch]
            try await fixture.publish(splitCase, to: .caseSubmitted, key: split)
            try await fixture.publish(wholeCase, to: .caseSubmitted, key: handedOver)
            // 石家庄 decides its own part of the split case on 6 November.
            try await fixture.publish(Sample.bundleDecided(split, account: "carol", accepted: Self.accepted, decisions: [
                Sample.decision("\(split)-mr", Sample.foodLicence, accepted: Self.accepted, decidedAt: EvaluationFixture.at("2026-11-06T12:00")),
            ]), to: .bundleDecided, key: split)
            let homeDecided = try await fixture.waitForCase(split) { $0.tasks.contains { $0.status == .decided } }
            #expect(homeDecided.status == .open && homeDecided.completedAt == nil, "北京's part is still open")
            let carol = EvaluationFixture.applicant("carol")
            let early = try await fixture.post("/cases/\(split)/rating", rawJSON: Self.good, as: carol)
            #expect(early.status == .conflict, "\(early.text)")
            try await waitForStatus(handedOver, .open, as: "carol", fixture: fixture)

            // 北京 reports its decisions through the relay: each case is completed at the last decision.
            for (number, day) in [(split, "2026-11-09T15:00"), (handedOver, "2026-11-10T11:00")] {
                try await fixture.publish(PartnerUpdate(
                    caseNumber: number, partnerRegion: "110100", partnerName: "北京市", kind: .status, status: .decided,
                    occurredAt: EvaluationFixture.at(day)
                ), to: .partnerUpdate, key: number)
            }
            let splitDone = try await fixture.waitForCase(split) { $0.status == .completed }
            #expect(splitDone.completedAt == EvaluationFixture.at("2026-11-09T15:00"))
            let wholeDone = try await fixture.waitForCase(handedOver) { $0.status == .completed }
            #expect(wholeDone.completedAt == EvaluationFixture.at("2026-11-10T11:00"))
            for number in [split, handedOver] {
                let rated = try await fixture.post("/cases/\(number)/rating", rawJSON: Self.good, as: carol)
                #expect(rated.status == .created, "\(number): \(rated.text)")
            }
        }
    }

    @Test("a bad rating opens a rectification with a working-day deadline; the department acts, the supervisor calls back and closes it; an overdue one lights red")
    func badRatingOpensRectification() async throws {
        try await EvaluationFixture.run(start: EvaluationFixture.at(Self.now)) { fixture in
            let named = "130100-20261102-000011"
            let unnamed = "130100-20261102-000012"
            try await complete(named, account: "carol", decidedAt: EvaluationFixture.at("2026-11-12T12:00"), fixture: fixture)
            try await complete(unnamed, account: "dave", decidedAt: EvaluationFixture.at("2026-11-12T12:00"), fixture: fixture)
            try await waitForStatus(named, .completed, as: "carol", fixture: fixture)
            try await waitForStatus(unnamed, .completed, as: "dave", fixture: fixture)

            // Rated Monday 23 November: 15 working days run 24 November to 14 December.
            let response = try await fixture.post("/cases/\(named)/rating", rawJSON: #"{"level":"dissatisfied","channel":"hotline-12345","department":"market-regulation","comment":"许可证等了很久"}"#, as: EvaluationFixture.applicant("carol"))
            #expect(response.status == .created, "\(response.text)")
            let rectifications = try response.decode(CaseRating.self).rectifications
            #expect(rectifications.count == 1)
            let rectification = try #require(rectifications.first)
            #expect(rectification.department == "market-regulation")
            #expect(rectification.limitDays == 15)
            #expect(rectification.dueDay == "2026-12-14")
            #expect(rectification.dueAt == EvaluationFixture.at("2026-12-15T00:00"))
            #expect(rectification.status == .open && !rectification.overdue)

            let path = "/rectifications/\(rectification.id)"
            // Only the responsible department acts; the callback waits for its action.
            let otherDepartment = try await fixture.post("\(path)/action", json: ["description": "已整改"], as: EvaluationFixture.housingOfficer)
            #expect(otherDepartment.status == .notFound)
            // The same department of another region acts in its own region's services: refused before any lookup.
            let marketElsewhere = Principal(subject: "officer-mr-bj", role: .officer, region: "110100", department: "market-regulation")
            #expect(try await fixture.post("\(path)/action", json: ["description": "已整改"], as: marketElsewhere).status == .forbidden)
            #expect(try await fixture.get(path, as: marketElsewhere).status == .forbidden)
            #expect(try await fixture.get("/rectifications", as: marketElsewhere).status == .forbidden)
            let tooEarly = try await fixture.post("\(path)/callback", json: CallbackBody(summary: "回访", applicantSatisfied: true), as: EvaluationFixture.supervisor)
            #expect(tooEarly.status == .conflict && tooEarly.problem?.type == "urn:tongban:problem:rectification-state")
            let officerList = try await fixture.get("/rectifications", as: EvaluationFixture.housingOfficer)
            #expect(try officerList.decode(RectificationList.self).rectifications.isEmpty)
            let acted = try await fixture.post("\(path)/action", json: ["description": "窗口增派人员，许可审查改为两日内完成"], as: EvaluationFixture.marketOfficer)
            #expect(acted.status == .ok, "\(acted.text)")
            #expect(try acted.decode(Rectification.self).status == .acted)
            let notBySupervisor = try await fixture.post("\(path)/callback", json: CallbackBody(summary: "回访", applicantSatisfied: true), as: EvaluationFixture.marketOfficer)
            #expect(notBySupervisor.status == .forbidden)
            let closed = try await fixture.post("\(path)/callback", json: CallbackBody(summary: "电话回访，申请人认可整改", applicantSatisfied: true), as: EvaluationFixture.supervisor)
            #expect(closed.status == .ok, "\(closed.text)")
            let closedView = try closed.decode(Rectification.self)
            #expect(closedView.status == .closed && closedView.callback?.applicantSatisfied == true)

            // Without a named department, each department of the case rectifies; left undone past
            // the deadline, both light red once.
            let bad = try await fixture.post("/cases/\(unnamed)/rating", rawJSON: #"{"level":"very-dissatisfied","channel":"web"}"#, as: EvaluationFixture.applicant("dave"))
            #expect(try bad.decode(CaseRating.self).rectifications.map(\.department) == ["housing-construction", "market-regulation"])
            fixture.advance(to: "2026-12-15T09:00")
            let lit = try await eventually {
                let alerts = try await fixture.get("/supervision/alerts", as: EvaluationFixture.supervisor).decode(AlertList.self).alerts
                return alerts.filter { $0.subject == .rectification && $0.caseNumber == unnamed && $0.light == .red }.count == 2
            }
            #expect(lit)
            let overdue = try await fixture.get("/rectifications?status=overdue", as: EvaluationFixture.supervisor).decode(RectificationList.self).rectifications
            #expect(overdue.map(\.caseNumber) == [unnamed, unnamed])
            // The closed one is not overdue: its department acted in time.
            #expect(!overdue.contains { $0.id == rectification.id })
        }
    }
}

struct CallbackBody: Encodable {
    var summary: String
    var applicantSatisfied: Bool
}
