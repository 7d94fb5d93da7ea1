import Domain
import Foundation
import Hummingbird
import Messaging

/// GET /tasks.
struct TaskList: ResponseEncodable {
    var tasks: [TaskView]
}

/// A task as an officer sees it: the matter, the applicant, its clocks as they stand, its steps,
/// supplement requests, decision and verification.
struct TaskView: ResponseEncodable {
    struct Matter: Encodable {
        var code: String
        var name: String
        var mode: ApprovalMode
        var stepsBeforeDecision: [String]
        var licence: LicenceKind?
    }

    struct Applicant: Encodable {
        var kind: ApplicantRecord.Kind
        var name: String
        var identifier: String
    }

    /// Both limits and their deadlines, with the working days left (negative when overdue) while
    /// the task is undecided. While suspended the deadlines are as if the clock ran again now.
    struct Clock: Encodable {
        var legalLimitDays: Int
        var promisedLimitDays: Int
        var legalDeadline: Date
        var promisedDeadline: Date
        var legalRemainingWorkingDays: Double?
        var promisedRemainingWorkingDays: Double?
        var suspended: Bool
    }

    struct DecisionView: Encodable {
        var outcome: DecisionOutcome
        var legalBasis: String?
        var comment: String?
        var reason: String?
        var decidedBy: String
        var decidedAt: Date
        var onTime: Bool
    }

    struct VerificationView: Encodable {
        var limitDays: Int
        var deadline: Date
        var remainingWorkingDays: Double?
        var state: String
        var findings: String?
        var legalBasis: String?
        var verifiedBy: String?
        var verifiedAt: Date?
    }

    /// The case as a whole: the latest of its tasks' deadlines, and how far each department is.
    struct CaseView: Encodable {
        struct Sibling: Encodable {
            var taskID: String
            var matterCode: String
            var department: String
            var departmentName: String
            var state: DepartmentTask.State
        }

        var state: String
        var legalLimitDays: Int
        var promisedLimitDays: Int
        var legalDeadline: Date
        var promisedDeadline: Date
        var tasks: [Sibling]
    }

    var id: String
    var caseNumber: String
    var state: DepartmentTask.State
    var department: String
    var departmentName: String
    var matter: Matter
    var bundle: CaseSubmitted.Bundle?
    var applicant: Applicant?
    var acceptedAt: Date
    var claimedBy: String?
    var claimedAt: Date?
    var deadlines: Clock
    var nextStep: String?
    var steps: [StepView]
    var supplementRequests: [SupplementRequestView]
    var decision: DecisionView?
    var verification: VerificationView?
    // Detail only (GET /tasks/{id}).
    var materials: [MaterialReference]?
    var deficiencies: [CaseSubmitted.Deficiency]?
    var handedOverFrom: CaseSubmitted.OriginCase?
    var `case`: CaseView?

    init(_ task: DepartmentTask, submission: CaseSubmitted?, workflow: ApprovalWorkflow, now: Date) {
        let calendar = workflow.calendar
        let clock = task.clock(calendar)
        let undecided = task.state == .open || task.state == .suspended
        // A decided task's clock is read at its decision.
        let asOf = undecided ? now : task.decision?.decidedAt ?? now
        let deadlines = task.deadlines(calendar, asOf: asOf)
        id = task.id.uuidString.lowercased()
        caseNumber = task.caseNumber
        state = task.state
        department = task.department
        departmentName = task.matter.departmentName
        matter = Matter(code: task.matter.code, name: task.matter.name, mode: task.matter.mode, stepsBeforeDecision: task.matter.stepsBeforeDecision, licence: task.matter.licence)
        bundle = submission?.bundle
        applicant = submission.map { Applicant(kind: $0.applicant.kind, name: $0.applicant.name, identifier: $0.applicant.identifier) }
        // The list shows it too: an officer sees at once which cases a partner region handed over (跨省通办).
        handedOverFrom = submission?.handedOverFrom
        acceptedAt = task.acceptedAt
        claimedBy = task.claimedBy
        claimedAt = task.claimedAt
        self.deadlines = Clock(
            legalLimitDays: deadlines.legalLimitDays,
            promisedLimitDays: deadlines.promisedLimitDays,
            legalDeadline: deadlines.legalDeadline,
            promisedDeadline: deadlines.promisedDeadline,
            legalRemainingWorkingDays: undecided ? Self.rounded(clock.remainingWorkingDays(limitDays: deadlines.legalLimitDays, at: now)) : nil,
            promisedRemainingWorkingDays: undecided ? Self.rounded(clock.remainingWorkingDays(limitDays: deadlines.promisedLimitDays, at: now)) : nil,
            suspended: task.state == .suspended
        )
        nextStep = undecided ? task.nextStep : nil
        steps = task.steps.map(StepView.init)
        supplementRequests = task.supplementRequests.map(SupplementRequestView.init)
        decision = task.decision.map {
            DecisionView(
                outcome: $0.outcome, legalBasis: $0.legalBasis,
                comment: $0.outcome == .approved ? $0.note : nil, reason: $0.outcome == .rejected ? $0.note : nil,
                decidedBy: $0.decidedBy, decidedAt: $0.decidedAt, onTime: $0.onTime
            )
        }
        verification = task.verification.map { verification in
            let verificationClock = WorkingDayClock(calendar: calendar, acceptedAt: task.acceptedAt)
            return VerificationView(
                limitDays: verification.limitDays,
                deadline: verification.deadline,
                remainingWorkingDays: task.state == .verifying ? Self.rounded(verificationClock.remainingWorkingDays(limitDays: verification.limitDays, at: now)) : nil,
                state: verification.passed.map { $0 ? "passed" : "failed" } ?? (task.state == .verifying ? "pending" : "not-done"),
                findings: verification.findings,
                legalBasis: verification.legalBasis,
                verifiedBy: verification.verifiedBy,
                verifiedAt: verification.verifiedAt
            )
        }
    }

    /// What only the single task's page shows: the materials, what is owed, and the whole case.
    mutating func addDetail(_ approvalCase: ApprovalCase, tasks: [DepartmentTask], workflow: ApprovalWorkflow, now: Date) {
        let submission = approvalCase.submission
        materials = submission.materials
        deficiencies = submission.deficiencies.filter { $0.matterCode == matter.code }
        let clocks = tasks.map { task in
            task.deadlines(workflow.calendar, asOf: task.decision?.decidedAt ?? now)
        }
        `case` = CaseView(
            state: approvalCase.state.rawValue,
            legalLimitDays: clocks.map(\.legalLimitDays).max() ?? 0,
            promisedLimitDays: clocks.map(\.promisedLimitDays).max() ?? 0,
            legalDeadline: clocks.map(\.legalDeadline).max() ?? acceptedAt,
            promisedDeadline: clocks.map(\.promisedDeadline).max() ?? acceptedAt,
            tasks: tasks.map {
                .init(taskID: $0.id.uuidString.lowercased(), matterCode: $0.matter.code, department: $0.department, departmentName: $0.matter.departmentName, state: $0.state)
            }
        )
    }

    /// Working days to the hundredth: what an officer can act on.
    static func rounded(_ days: Double) -> Double {
        (days * 100).rounded() / 100
    }
}

struct StepView: ResponseEncodable {
    var step: String
    var result: DepartmentTask.StepRecord.Result
    var findings: String
    var recordedBy: String
    var recordedAt: Date

    init(_ record: DepartmentTask.StepRecord) {
        step = record.step
        result = record.result
        findings = record.findings
        recordedBy = record.recordedBy
        recordedAt = record.recordedAt
    }
}

struct SupplementRequestView: ResponseEncodable {
    var id: String
    var items: [SupplementRequested.Item]
    var reason: String
    var requestedBy: String
    var requestedAt: Date
    /// When the clock ran again: the supplement arrived, or the task was closed.
    var endedAt: Date?
    var ending: DepartmentTask.SupplementRequest.Ending?

    init(_ request: DepartmentTask.SupplementRequest) {
        id = request.id.uuidString.lowercased()
        items = request.items
        reason = request.reason
        requestedBy = request.requestedBy
        requestedAt = request.requestedAt
        endedAt = request.endedAt
        ending = request.ending
    }
}
