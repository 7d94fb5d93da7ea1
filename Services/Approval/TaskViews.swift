import Domain
import Foundation
import Messaging
import TongbanClient

// A task as its officer sees it is Shared/Client's `DepartmentTask` (TongbanClient's, not this
// module's domain type of the same name): built here from the domain's task, its case and its
// clocks as they stand.

private typealias TaskResponse = TongbanClient.DepartmentTask

extension DepartmentTask {
    /// The task as an officer sees it at `now`: the matter, the applicant (when `submission` is
    /// given), its clocks, its steps, supplement requests, decision and verification.
    func view(submission: CaseSubmitted?, workflow: ApprovalWorkflow, now: Date) -> TongbanClient.DepartmentTask {
        let calendar = workflow.calendar
        let clock = self.clock(calendar)
        let undecided = state == .open || state == .suspended
        // A decided task's clock is read at its decision.
        let asOf = undecided ? now : decision?.decidedAt ?? now
        let deadlines = self.deadlines(calendar, asOf: asOf)
        let clockView = TaskResponse.Clock(
            legalLimitDays: deadlines.legalLimitDays,
            promisedLimitDays: deadlines.promisedLimitDays,
            legalDeadline: deadlines.legalDeadline,
            promisedDeadline: deadlines.promisedDeadline,
            legalRemainingWorkingDays: undecided ? rounded(clock.remainingWorkingDays(limitDays: deadlines.legalLimitDays, at: now)) : nil,
            promisedRemainingWorkingDays: undecided ? rounded(clock.remainingWorkingDays(limitDays: deadlines.promisedLimitDays, at: now)) : nil,
            suspended: state == .suspended
        )
        let applicant = submission.map { TaskResponse.Applicant(kind: $0.applicant.kind, name: $0.applicant.name, identifier: $0.applicant.identifier) }
        let decisionView = decision.map { decision in
            TaskResponse.Decision(
                outcome: decision.outcome, legalBasis: decision.legalBasis,
                comment: decision.outcome == .approved ? decision.note : nil, reason: decision.outcome == .rejected ? decision.note : nil,
                decidedBy: decision.decidedBy, decidedAt: decision.decidedAt, onTime: decision.onTime
            )
        }
        let verificationView = verification.map { verification in
            let verificationClock = WorkingDayClock(calendar: calendar, acceptedAt: acceptedAt)
            let remaining: Double? = state == .verifying ? rounded(verificationClock.remainingWorkingDays(limitDays: verification.limitDays, at: now)) : nil
            let outcome: TaskResponse.Verification.State = verification.passed.map { $0 ? .passed : .failed } ?? (state == .verifying ? .pending : .notDone)
            return TaskResponse.Verification(
                limitDays: verification.limitDays,
                deadline: verification.deadline,
                remainingWorkingDays: remaining,
                state: outcome,
                findings: verification.findings,
                legalBasis: verification.legalBasis,
                verifiedBy: verification.verifiedBy,
                verifiedAt: verification.verifiedAt
            )
        }
        return TaskResponse(
            id: id.uuidString.lowercased(),
            caseNumber: caseNumber,
            state: state,
            department: department,
            departmentName: matter.departmentName,
            matter: TaskResponse.Matter(code: matter.code, name: matter.name, mode: matter.mode, stepsBeforeDecision: matter.stepsBeforeDecision, licence: matter.licence),
            bundle: submission?.bundle,
            applicant: applicant,
            acceptedAt: acceptedAt,
            claimedBy: claimedBy,
            claimedAt: claimedAt,
            deadlines: clockView,
            nextStep: undecided ? nextStep : nil,
            steps: steps.map(\.view),
            supplementRequests: supplementRequests.map(\.view),
            decision: decisionView,
            verification: verificationView,
            // The list shows it too: an officer sees at once which cases a partner region handed over (跨省通办).
            handedOverFrom: submission?.handedOverFrom
        )
    }

    /// The single task's page (`GET /tasks/{id}`): the view, with the materials, what is owed for
    /// this matter, and the whole case among `siblings` (the case's tasks, this one included).
    func detailedView(_ approvalCase: ApprovalCase, siblings: [DepartmentTask], workflow: ApprovalWorkflow, now: Date) -> TongbanClient.DepartmentTask {
        let submission = approvalCase.submission
        var view = self.view(submission: submission, workflow: workflow, now: now)
        view.materials = submission.materials
        if submission.handedOverFrom != nil {
            // A partner region's materials came with the case: its officers read them here.
            let task = id.uuidString.lowercased()
            view.materials = submission.materials.map { material in
                var material = material
                material.location = "/tasks/\(task)/materials/\(material.sha256)"
                return material
            }
        }
        view.deficiencies = submission.deficiencies.filter { $0.matterCode == matter.code }
        let clocks = siblings.map { task in
            task.deadlines(workflow.calendar, asOf: task.decision?.decidedAt ?? now)
        }
        view.case = TaskResponse.CaseOverview(
            state: approvalCase.state,
            legalLimitDays: clocks.map(\.legalLimitDays).max() ?? 0,
            promisedLimitDays: clocks.map(\.promisedLimitDays).max() ?? 0,
            legalDeadline: clocks.map(\.legalDeadline).max() ?? acceptedAt,
            promisedDeadline: clocks.map(\.promisedDeadline).max() ?? acceptedAt,
            tasks: siblings.map {
                TaskResponse.CaseOverview.Sibling(taskID: $0.id.uuidString.lowercased(), matterCode: $0.matter.code, department: $0.department, departmentName: $0.matter.departmentName, state: $0.state)
            }
        )
        return view
    }
}

/// Working days to the hundredth: what an officer can act on.
private func rounded(_ days: Double) -> Double {
    (days * 100).rounded() / 100
}

// The domain's records in the client's words. Exhaustive switches: a case added on
// either side does not compile until both agree.

extension DepartmentTask.StepRecord {
    /// The step as officers read it (also the answer to recording it).
    var view: TongbanClient.DepartmentTask.Step {
        let result: TaskResponse.Step.Result = switch self.result {
        case .passed: .passed
        case .failed: .failed
        }
        return .init(step: step, result: result, findings: findings, recordedBy: recordedBy, recordedAt: recordedAt)
    }
}

extension DepartmentTask.SupplementRequest {
    /// The request as officers read it (also the answer to making it).
    var view: TongbanClient.DepartmentTask.SupplementRequest {
        let ending: TaskResponse.SupplementRequest.Ending? = switch self.ending {
        case .supplied: .supplied
        case .closed: .closed
        case nil: nil
        }
        return .init(id: id.uuidString.lowercased(), items: items, reason: reason, requestedBy: requestedBy, requestedAt: requestedAt, endedAt: endedAt, ending: ending)
    }
}
