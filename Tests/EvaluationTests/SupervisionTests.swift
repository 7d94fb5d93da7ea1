@testable import Evaluation
import Domain
import Foundation
import HTTPTypes
import HummingbirdTesting
import Messaging
import ServiceKit
import ServiceTestSupport
import Testing
import TongbanClient

/// 电子监察 through events and HTTP: approval's events are published as approval would, the
/// evaluation clock is moved forward, and the lights and alert events are read as a supervisor and
/// a subscribing system would.
@Suite("supervision: lights, alerts, suspensions")
struct SupervisionTests {
    /// Accepted Monday 2026-11-16 09:00; the clock runs from Tuesday 17th. Promised 10 working days:
    /// yellow (2 days left) from 27th 00:00, red after 1 December 00:00; legal 20 days: past it after
    /// 15 December 00:00.
    static let accepted = EvaluationFixture.at("2026-11-16T09:00")

    @Test("a case crossing yellow, red and the legal limit raises exactly one alert each", arguments: [1, 2])
    func lightsRaiseOneAlertEach(instances: Int) async throws {
        try await EvaluationFixture.run(instances: instances, start: EvaluationFixture.at("2026-11-23T10:00")) { fixture in
            let number = "130100-20261116-000001"
            let matter = Sample.MatterSpec(code: "130100-SC-001", name: "食品经营许可", department: Sample.marketRegulation, legal: 20, promised: 10)
            try await fixture.publish(Sample.submitted(number, account: "applicant-1", accepted: Self.accepted, matters: [matter]), to: .caseSubmitted, key: number)
            try await fixture.publish(Sample.opened(number, accepted: Self.accepted, tasks: [("t-1", matter)]), to: .tasksOpened, key: number)

            let green = try await fixture.waitForCase(number) { $0.tasks.first?.checkedAt != nil }
            #expect(green.light == .green)
            #expect(green.alerts.isEmpty)
            #expect(green.tasks[0].promisedDeadline == EvaluationFixture.at("2026-12-01T00:00"))
            #expect(green.tasks[0].legalDeadline == EvaluationFixture.at("2026-12-15T00:00"))

            fixture.advance(to: "2026-11-27T12:00")
            try await fixture.waitForCase(number) { $0.light == .yellow }
            fixture.advance(to: "2026-12-01T09:00")
            try await fixture.waitForCase(number) { $0.light == .red }
            fixture.advance(to: "2026-12-15T09:00")
            let overdue = try await fixture.waitForCase(number) { $0.tasks.first?.pastLegalLimit == true }
            #expect(overdue.alerts.map(\.light) == [.yellow, .red, .legalOverdue])

            // What a subscribing system receives: the three changes, once each, in order.
            let events = try await fixture.region.events(on: .alertRaised, key: number, count: 3)
            let alerts = try events.map { try $0.decode(AlertRaised.self) }
            #expect(alerts.map(\.light) == [.yellow, .red, .legalOverdue])
            #expect(alerts.allSatisfy { $0.subject == .task && $0.subjectID == "t-1" && $0.department == "market-regulation" })
            #expect(alerts[1].deadline == EvaluationFixture.at("2026-12-01T00:00"))
            #expect(alerts[2].limitDays == 20)
            // Later readings change nothing: approval's event arrives again (a replay) and the task is
            // read anew, yet there are still three alerts, in the table and in the outbox.
            fixture.advance(to: "2026-12-21T09:00")
            try await fixture.publish(Sample.opened(number, accepted: Self.accepted, tasks: [("t-1", matter)]), to: .tasksOpened, key: number)
            try await fixture.waitForCase(number) { $0.tasks.first?.checkedAt == EvaluationFixture.at("2026-12-21T09:00") }
            let after = try await fixture.region.events(on: .alertRaised, key: number, exactly: 3)
            #expect(after.count == 3)
            #expect(try await fixture.count("SELECT count(*) FROM alerts") == 3)
            #expect(try await fixture.count("SELECT count(*) FROM outbox WHERE event_type = 'tongban.evaluation.alert-raised.v1'") == 3)
            // Every instance serves the same view.
            let last = fixture.clients.indices.last!
            let fromLast = try await fixture.get("/supervision/alerts?department=market-regulation", as: EvaluationFixture.supervisor, on: last)
            // A NUL in the query once reached PostgreSQL (SQLSTATE 22021) and came back as a 500.
            let nul = try await fixture.get("/supervision/alerts?department=market%00regulation", as: EvaluationFixture.supervisor, on: last)
            #expect(nul.status == .badRequest)
            #expect(nul.problem?.errors?.first?.field == "department")
            #expect(try fromLast.decode(AlertList.self).alerts.count == 3)
        }
    }

    @Test("a task waiting for the applicant's supplement does not turn red while suspended; its deadline moves by the pause")
    func suspendedClockStandsStill() async throws {
        try await EvaluationFixture.run(start: EvaluationFixture.at("2026-11-23T10:00")) { fixture in
            let number = "130100-20261116-000002"
            let food = Sample.MatterSpec(code: "130100-SC-001", name: "食品经营许可", department: Sample.marketRegulation, legal: 20, promised: 10)
            let building = Sample.MatterSpec(code: "130100-JS-004", name: "建筑工程施工许可", department: Sample.housing, legal: 20, promised: 10)
            try await fixture.publish(Sample.opened(number, accepted: Self.accepted, tasks: [("running", food), ("waiting", building)]), to: .tasksOpened, key: number)
            try await fixture.publish(SupplementRequested(
                caseNumber: number, requestID: "s-1", taskID: "waiting", matterCode: building.code, department: building.department.0,
                items: [.init(materialCode: "site-plan", name: "建设工程规划许可证")], reason: "规划许可证复印件不清晰",
                requestedAt: EvaluationFixture.at("2026-11-23T09:00")
            ), to: .supplementRequested, key: number)
            try await fixture.waitForCase(number) { $0.tasks.first { $0.taskID == "waiting" }?.status == .suspended }

            // Well past the promised limit: the running task turns red (the scanner has looked),
            // the suspended one does not.
            fixture.advance(to: "2026-12-02T10:00")
            let seen = try await fixture.waitForCase(number) { $0.tasks.first { $0.taskID == "running" }?.light == .red }
            let waiting = try #require(seen.tasks.first { $0.taskID == "waiting" })
            #expect(waiting.light == .green)
            #expect(waiting.status == .suspended)
            #expect(!seen.alerts.contains { $0.subjectID == "waiting" && $0.light == .red })

            // The materials arrive: the clock runs again with 5.625 working days left (4 days and
            // 9 hours ran before the pause), so the promised limit now ends 10 December 01:00.
            try await fixture.publish(TaskResumed(
                caseNumber: number, taskID: "waiting", requestID: "s-1", resumedAt: EvaluationFixture.at("2026-12-02T10:00"),
                deadlines: Sample.deadlines(building, from: Self.accepted)
            ), to: .taskResumed, key: number)
            let resumed = try await fixture.waitForCase(number) { $0.tasks.first { $0.taskID == "waiting" }?.status == .open }
            let task = try #require(resumed.tasks.first { $0.taskID == "waiting" })
            #expect(task.light == .green)
            #expect(task.promisedDeadline == EvaluationFixture.at("2026-12-10T01:00"))
            #expect(abs((task.remainingPromisedDays ?? 0) - 5.625) < 1e-6)
            fixture.advance(to: "2026-12-10T09:00")
            try await fixture.waitForCase(number) { $0.tasks.first { $0.taskID == "waiting" }?.light == .red }
        }
    }
}
