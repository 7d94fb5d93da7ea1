@testable import Approval
import Domain
import Foundation
import Messaging
import Testing
import TongbanClient

/// A task's rules, without a database: what an officer may do to it, and in which order.
@Suite("a department's task")
struct DepartmentTaskTests {
    let calendar: WorkingCalendar

    init() throws {
        calendar = try WorkingCalendar.load(region: "130100")
    }

    func openTask(_ matter: CaseSubmitted.Matter = ApprovalFixture.constructionPermit) throws -> Approval.DepartmentTask {
        let submission = ApprovalFixture.submission("130100-20261123-000042", matters: [matter])
        return try #require(try Approval.DepartmentTask.open(submission, homeRegion: "130100", calendar: calendar).first)
    }

    @Test("only the home region's matters open tasks; a matter listed twice is refused")
    func opening() throws {
        let elsewhere = ApprovalFixture.matter("sh-permit", "上海市某许可", department: "market-regulation", departmentName: "上海市市场监督管理局", region: "310100")
        let submission = ApprovalFixture.submission("130100-20261123-000042", matters: [ApprovalFixture.planningPermit, elsewhere])
        #expect(try Approval.DepartmentTask.open(submission, homeRegion: "130100", calendar: calendar).map(\.matter.code) == ["planning-permit"])
        let twice = ApprovalFixture.submission("130100-20261123-000042", matters: [ApprovalFixture.planningPermit, ApprovalFixture.planningPermit])
        #expect(throws: TaskRefusal.invalidSubmission("matter planning-permit of natural-resources is listed twice")) {
            try Approval.DepartmentTask.open(twice, homeRegion: "130100", calendar: calendar)
        }
    }

    @Test("steps come in the catalogue's order, and a failed step forbids the approval but not the rejection")
    func stepsInOrder() throws {
        var task = try openTask(ApprovalFixture.matter("x", "x", department: "housing-construction", departmentName: "住建局", steps: ["joint-inspection", "expert-review"]))
        let now = at("2026-11-24T10:00:00+08:00")
        #expect(throws: TaskRefusal.stepOutOfOrder("The next step is joint-inspection; expert-review comes after it.")) {
            try task.recordStep("expert-review", result: .passed, findings: "ok", by: "officer-1", at: now)
        }
        _ = try task.recordStep("joint-inspection", result: .passed, findings: "一致", by: "officer-1", at: now)
        _ = try task.recordStep("expert-review", result: .failed, findings: "结构计算书有误", by: "officer-1", at: now)
        #expect(throws: TaskRefusal.stepFailed("The step expert-review failed (结构计算书有误); the matter cannot be approved.")) {
            try task.approve(legalBasis: nil, comment: nil, by: "officer-1", at: now, calendar: calendar)
        }
        try task.reject(legalBasis: "《建筑工程施工许可管理办法》第四条", reason: "结构计算书有误", by: "officer-1", at: now, calendar: calendar)
        #expect(task.state == .decided && task.decision?.outcome == .rejected)
    }

    @Test("rejecting a task that waits for a supplement ends the wait at the decision")
    func rejectWhileWaiting() throws {
        var task = try openTask(ApprovalFixture.planningPermit)
        let request = try task.requestSupplement([.init(materialCode: "site-plan", name: "总平面图")], reason: "未盖章", id: UUID(), by: "officer-1", at: at("2026-11-24T10:00:00+08:00"))
        #expect(task.state == .suspended)
        try task.reject(legalBasis: "《行政许可法》第三十二条", reason: "逾期未补正", by: "officer-1", at: at("2026-12-01T10:00:00+08:00"), calendar: calendar)
        #expect(task.state == .decided)
        #expect(task.supplementRequests.first?.endedAt == at("2026-12-01T10:00:00+08:00"))
        #expect(task.supplementRequests.first?.ending == .closed)
        // The supplement arriving afterwards resumes nothing.
        let resumed = task.resume(request: request.id, at: at("2026-12-02T10:00:00+08:00"))
        #expect(!resumed)
    }

    @Test("a supplement stamped before its request ends the wait at the request, never earlier")
    func supplementBeforeRequest() throws {
        var task = try openTask(ApprovalFixture.planningPermit)
        let request = try task.requestSupplement([.init(materialCode: "site-plan", name: "总平面图")], reason: "未盖章", id: UUID(), by: "officer-1", at: at("2026-11-24T10:00:00+08:00"))
        let resumed = task.resume(request: request.id, at: at("2026-11-24T09:00:00+08:00"))
        #expect(resumed)
        #expect(task.supplementRequests.first?.endedAt == at("2026-11-24T10:00:00+08:00"))
        #expect(task.state == .open)
    }

    @Test("a commitment approved at acceptance waits for its verification; a standard matter has none to record")
    func verification() throws {
        var commitment = try openTask(ApprovalFixture.matter("food", "食品经营许可", department: "market-regulation", departmentName: "市场监管局", mode: .commitment, verificationLimitDays: 5))
        #expect(commitment.state == .verifying && commitment.decision?.decidedBy == "system")
        try commitment.recordVerification(passed: true, findings: "与承诺一致", legalBasis: nil, by: "officer-2", at: at("2026-11-25T10:00:00+08:00"))
        #expect(commitment.state == .decided)

        var standard = try openTask(ApprovalFixture.planningPermit)
        #expect(throws: TaskRefusal.nothingToVerify("Matter planning-permit is not approved on commitment; there is nothing to verify.")) {
            try standard.recordVerification(passed: true, findings: "—", legalBasis: nil, by: "officer-2", at: at("2026-11-25T10:00:00+08:00"))
        }
    }
}
