import Domain
import Foundation
import Messaging
import TongbanClient

/// One department's task on one matter of a case. A case's tasks run in parallel (并联审批), each
/// under its own legal and promised limits (限时办结). Plain values and rules: the repository loads
/// and stores it, the workflow wraps each change in a transaction with its events.
struct DepartmentTask: Sendable, Equatable {
    /// Where a task stands, in the words its officers read: Shared/Client's, written once.
    typealias State = TongbanClient.DepartmentTask.State

    /// 补正: what an officer asked the applicant for. The clock stands still from `requestedAt`
    /// until `endedAt`.
    struct SupplementRequest: Sendable, Equatable {
        enum Ending: String, Codable, Sendable {
            /// The applicant supplied the materials: the clock runs again.
            case supplied
            /// The task was rejected or the case withdrawn while it waited.
            case closed
        }

        var id: UUID
        var items: [SupplementRequested.Item]
        var reason: String
        var requestedBy: String
        var requestedAt: Date
        var endedAt: Date?
        var ending: Ending?
    }

    /// A step before the decision, e.g. a joint site inspection (联合踏勘).
    struct StepRecord: Sendable, Equatable {
        enum Result: String, Codable, Sendable, CaseIterable {
            case passed, failed
        }

        var step: String
        var result: Result
        var findings: String
        var recordedBy: String
        var recordedAt: Date
    }

    struct Decision: Sendable, Equatable {
        var outcome: DecisionOutcome
        var legalBasis: String?
        /// The officer's comment on an approval, or the reasons of a rejection.
        var note: String?
        var decidedBy: String
        var decidedAt: Date
        var onTime: Bool
    }

    /// 告知承诺: the check that what the applicant committed to is true, within its own limit.
    struct Verification: Sendable, Equatable {
        var limitDays: Int
        var deadline: Date
        var passed: Bool?
        var findings: String?
        var legalBasis: String?
        var verifiedBy: String?
        var verifiedAt: Date?
    }

    var id: UUID
    var caseNumber: String
    var acceptedAt: Date
    var matter: CaseSubmitted.Matter
    var state: State
    var claimedBy: String?
    var claimedAt: Date?
    var supplementRequests: [SupplementRequest] = []
    var steps: [StepRecord] = []
    var decision: Decision?
    var verification: Verification?

    var department: String { matter.department }

    static let system = "system"

    /// The task's clock: from acceptance, held by every supplement request until it ended.
    func clock(_ calendar: WorkingCalendar) -> WorkingDayClock {
        WorkingDayClock(
            calendar: calendar,
            acceptedAt: acceptedAt,
            suspensions: supplementRequests.map { .init(start: $0.requestedAt, end: $0.endedAt) }
        )
    }

    /// Both deadlines as they stand at `instant` (a suspension still open counts up to `instant`).
    func deadlines(_ calendar: WorkingCalendar, asOf instant: Date) -> TaskDeadlines {
        let clock = clock(calendar)
        return TaskDeadlines(
            legalLimitDays: matter.legalLimitDays,
            promisedLimitDays: matter.promisedLimitDays,
            legalDeadline: clock.deadline(limitDays: matter.legalLimitDays, asOf: instant),
            promisedDeadline: clock.deadline(limitDays: matter.promisedLimitDays, asOf: instant)
        )
    }

    var openSupplementRequest: SupplementRequest? {
        supplementRequests.last { $0.endedAt == nil }
    }

    /// The step that must be recorded next; nil when every step is done.
    var nextStep: String? {
        steps.count < matter.stepsBeforeDecision.count ? matter.stepsBeforeDecision[steps.count] : nil
    }

    // MARK: Opening

    /// The tasks a submitted case opens here: one per matter of `homeRegion`. Immediate matters
    /// (即办件) are approved at acceptance; commitment matters (告知承诺) are approved at acceptance
    /// on the applicant's commitment and wait for their verification.
    static func open(_ submission: CaseSubmitted, homeRegion: String, calendar: WorkingCalendar, makeID: () -> UUID = UUID.init) throws(TaskRefusal) -> [DepartmentTask] {
        var seen: Set<String> = []
        var tasks: [DepartmentTask] = []
        for matter in submission.matters where matter.region == homeRegion {
            guard matter.legalLimitDays >= 0, matter.promisedLimitDays >= 0, (matter.verificationLimitDays ?? 1) >= 1 else {
                throw .invalidSubmission("matter \(matter.code) has a negative limit")
            }
            guard seen.insert("\(matter.department)\u{0}\(matter.code)").inserted else {
                throw .invalidSubmission("matter \(matter.code) of \(matter.department) is listed twice")
            }
            var task = DepartmentTask(id: makeID(), caseNumber: submission.caseNumber, acceptedAt: submission.acceptedAt, matter: matter, state: .open)
            switch matter.mode {
            case .standard:
                break
            case .immediate:
                task.state = .decided
                task.decision = Decision(outcome: .approved, legalBasis: nil, note: nil, decidedBy: system, decidedAt: submission.acceptedAt, onTime: true)
            case .commitment:
                // A catalogue entry without its own verification limit is verified within the legal limit.
                let limit = matter.verificationLimitDays ?? matter.legalLimitDays
                task.state = .verifying
                task.decision = Decision(outcome: .approved, legalBasis: nil, note: nil, decidedBy: system, decidedAt: submission.acceptedAt, onTime: true)
                task.verification = Verification(limitDays: limit, deadline: task.clock(calendar).deadline(limitDays: limit, asOf: submission.acceptedAt))
            }
            tasks.append(task)
        }
        return tasks
    }

    // MARK: Officers' actions

    /// 认领: the officer takes the task; colleagues then leave it to them.
    mutating func claim(by officer: String, at instant: Date) throws(TaskRefusal) {
        guard State.awaitingWork.contains(state) else { throw refusalForClosedTask() }
        try requireNotClaimedByAnother(officer)
        if claimedBy == nil {
            claimedBy = officer
            claimedAt = instant
        }
    }

    /// 补正: asks the applicant for `items`; the clock stops until they arrive.
    mutating func requestSupplement(_ items: [SupplementRequested.Item], reason: String, id: UUID, by officer: String, at instant: Date) throws(TaskRefusal) -> SupplementRequest {
        var missing: [FieldError] = []
        if items.isEmpty { missing.append(FieldError(field: "items", problem: "must name at least one material")) }
        for (index, item) in items.enumerated() {
            if item.materialCode.isBlank { missing.append(FieldError(field: "items[\(index)].materialCode", problem: "must not be blank")) }
            if item.name.isBlank { missing.append(FieldError(field: "items[\(index)].name", problem: "must not be blank")) }
        }
        if reason.isBlank { missing.append(FieldError(field: "reason", problem: "must say why the materials are needed")) }
        guard missing.isEmpty else { throw .unprocessable(missing) }
        switch state {
        case .open: break
        case .suspended: throw .waitingForSupplement("The task already waits for a supplement; one request at a time.")
        default: throw refusalForClosedTask()
        }
        try requireNotClaimedByAnother(officer)
        let request = SupplementRequest(id: id, items: items, reason: reason, requestedBy: officer, requestedAt: instant)
        supplementRequests.append(request)
        state = .suspended
        return request
    }

    /// The applicant supplied what request `id` asked for: the clock runs again. False when the
    /// request is not waiting any more (the supplement came twice, or the task was closed).
    mutating func resume(request id: UUID, at instant: Date) -> Bool {
        guard let index = supplementRequests.firstIndex(where: { $0.id == id && $0.endedAt == nil }) else { return false }
        // A supplement is never earlier than the request it answers.
        supplementRequests[index].endedAt = max(instant, supplementRequests[index].requestedAt)
        supplementRequests[index].ending = .supplied
        if state == .suspended { state = .open }
        return true
    }

    /// Records the next step before the decision; steps come in the catalogue's order.
    mutating func recordStep(_ step: String, result: StepRecord.Result, findings: String, by officer: String, at instant: Date) throws(TaskRefusal) -> StepRecord {
        guard matter.stepsBeforeDecision.contains(step) else {
            let known = matter.stepsBeforeDecision.isEmpty ? "this matter has none" : "its steps are \(matter.stepsBeforeDecision.joined(separator: ", "))"
            throw .unprocessable([FieldError(field: "step", problem: "is not a step of matter \(matter.code): \(known)")])
        }
        if findings.isBlank { throw .unprocessable([FieldError(field: "findings", problem: "must record what was found")]) }
        guard state == .open || state == .suspended else { throw refusalForClosedTask() }
        try requireNotClaimedByAnother(officer)
        guard let expected = nextStep else { throw .stepOutOfOrder("Every step before the decision is recorded already.") }
        guard step == expected else { throw .stepOutOfOrder("The next step is \(expected); \(step) comes after it.") }
        let record = StepRecord(step: step, result: result, findings: findings, recordedBy: officer, recordedAt: instant)
        steps.append(record)
        return record
    }

    /// Approves the matter. Every step must be recorded, and passed.
    mutating func approve(legalBasis: String?, comment: String?, by officer: String, at instant: Date, calendar: WorkingCalendar) throws(TaskRefusal) {
        switch state {
        case .open: break
        case .suspended: throw .waitingForSupplement("The task waits for the applicant's supplement; approve it once the materials arrived.")
        default: throw refusalForClosedTask()
        }
        try requireNotClaimedByAnother(officer)
        try requireStepsRecorded()
        if let failed = steps.first(where: { $0.result == .failed }) {
            throw .stepFailed("The step \(failed.step) failed (\(failed.findings)); the matter cannot be approved.")
        }
        decide(.approved, legalBasis: legalBasis.nonBlank, note: comment.nonBlank, by: officer, at: instant, calendar: calendar)
    }

    /// Rejects the matter (不予许可), always on a legal basis and with reasons. A task waiting for a
    /// supplement may be rejected too (the applicant did not supply in time), which ends the wait.
    mutating func reject(legalBasis: String?, reason: String?, by officer: String, at instant: Date, calendar: WorkingCalendar) throws(TaskRefusal) {
        var missing: [FieldError] = []
        if legalBasis.nonBlank == nil { missing.append(FieldError(field: "legalBasis", problem: "is required: a rejection must cite its legal basis")) }
        if reason.nonBlank == nil { missing.append(FieldError(field: "reason", problem: "is required: a rejection must give its reasons")) }
        guard missing.isEmpty else { throw .unprocessable(missing) }
        guard state == .open || state == .suspended else { throw refusalForClosedTask() }
        try requireNotClaimedByAnother(officer)
        try requireStepsRecorded()
        closeOpenSupplementRequest(at: instant)
        decide(.rejected, legalBasis: legalBasis.nonBlank, note: reason.nonBlank, by: officer, at: instant, calendar: calendar)
    }

    /// 告知承诺 verified: passed keeps the approval; failed revokes it, on a legal basis.
    mutating func recordVerification(passed: Bool, findings: String?, legalBasis: String?, by officer: String, at instant: Date) throws(TaskRefusal) {
        var missing: [FieldError] = []
        if findings.nonBlank == nil { missing.append(FieldError(field: "findings", problem: "must record what the verification found")) }
        if !passed, legalBasis.nonBlank == nil { missing.append(FieldError(field: "legalBasis", problem: "is required: revoking an approval must cite its legal basis")) }
        guard missing.isEmpty else { throw .unprocessable(missing) }
        guard state == .verifying, var verification else {
            if matter.mode != .commitment {
                throw .nothingToVerify("Matter \(matter.code) is not approved on commitment; there is nothing to verify.")
            }
            throw refusalForClosedTask()
        }
        try requireNotClaimedByAnother(officer)
        verification.passed = passed
        verification.findings = findings.nonBlank
        verification.legalBasis = legalBasis.nonBlank
        verification.verifiedBy = officer
        verification.verifiedAt = instant
        self.verification = verification
        state = passed ? .decided : .revoked
    }

    // MARK: The case

    /// The applicant withdrew the case: whatever is still open closes undecided.
    mutating func withdraw(at instant: Date) -> Bool {
        guard State.awaitingWork.contains(state) else { return false }
        closeOpenSupplementRequest(at: instant)
        state = .withdrawn
        return true
    }

    /// Decided, for the bundle: approved or rejected, or approved on commitment and not yet verified.
    var countsAsDecided: Bool {
        [.decided, .verifying, .revoked].contains(state)
    }

    /// The matter's decision as events carry it. A revoked approval is reported, in a bundle decided
    /// after it, as the refusal it became, so that no licence is issued for it.
    func matterDecision(_ calendar: WorkingCalendar) -> MatterDecision? {
        guard let decision else { return nil }
        var outcome = decision.outcome
        var legalBasis = decision.legalBasis
        var decidedBy = decision.decidedBy
        var decidedAt = decision.decidedAt
        if state == .revoked, let verification, let verifiedAt = verification.verifiedAt, let verifiedBy = verification.verifiedBy {
            outcome = .rejected
            legalBasis = verification.legalBasis
            decidedBy = verifiedBy
            decidedAt = verifiedAt
        }
        return MatterDecision(
            taskID: id.uuidString.lowercased(),
            matterCode: matter.code,
            matterName: matter.name,
            department: matter.department,
            departmentName: matter.departmentName,
            mode: matter.mode,
            outcome: outcome,
            legalBasis: legalBasis,
            decidedBy: decidedBy,
            decidedAt: decidedAt,
            deadlines: deadlines(calendar, asOf: decision.decidedAt),
            onTime: decision.onTime,
            licence: matter.licence
        )
    }

    // MARK: Rules

    private mutating func decide(_ outcome: DecisionOutcome, legalBasis: String?, note: String?, by officer: String, at instant: Date, calendar: WorkingCalendar) {
        let onTime = instant <= clock(calendar).deadline(limitDays: matter.promisedLimitDays, asOf: instant)
        decision = Decision(outcome: outcome, legalBasis: legalBasis, note: note, decidedBy: officer, decidedAt: instant, onTime: onTime)
        state = .decided
    }

    private mutating func closeOpenSupplementRequest(at instant: Date) {
        guard let index = supplementRequests.firstIndex(where: { $0.endedAt == nil }) else { return }
        supplementRequests[index].endedAt = max(instant, supplementRequests[index].requestedAt)
        supplementRequests[index].ending = .closed
        if state == .suspended { state = .open }
    }

    private func requireNotClaimedByAnother(_ officer: String) throws(TaskRefusal) {
        if let claimedBy, claimedBy != officer {
            throw .claimedByAnother("Officer \(claimedBy) has claimed this task.")
        }
    }

    private func requireStepsRecorded() throws(TaskRefusal) {
        if let nextStep {
            throw .stepsOutstanding("The step \(nextStep) must be recorded before the decision (steps: \(matter.stepsBeforeDecision.joined(separator: ", "))).")
        }
    }

    private func refusalForClosedTask() -> TaskRefusal {
        switch state {
        case .withdrawn: .caseWithdrawn("The applicant withdrew the case; the task is closed.")
        case .verifying: .alreadyDecided("The matter was approved on the applicant's commitment; record its verification instead.")
        case .revoked: .alreadyDecided("The approval was revoked after a failed verification.")
        default: .alreadyDecided("The task is decided already.")
        }
    }
}

/// Why a task refuses a change; each becomes a problem with its own stable type.
enum TaskRefusal: Error, Equatable {
    /// Fields that are well-formed but say too little (422).
    case unprocessable([FieldError])
    case alreadyDecided(String)
    case caseWithdrawn(String)
    case waitingForSupplement(String)
    case claimedByAnother(String)
    case stepsOutstanding(String)
    case stepOutOfOrder(String)
    case stepFailed(String)
    case nothingToVerify(String)
    /// A submitted case approval can never open tasks from (for the dead-letter topic).
    case invalidSubmission(String)
}

extension String {
    var isBlank: Bool { trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
}

extension String? {
    /// The text without surrounding white space; nil when there is none.
    var nonBlank: String? {
        guard let trimmed = self?.trimmingCharacters(in: .whitespacesAndNewlines), !trimmed.isEmpty else { return nil }
        return trimmed
    }
}

extension DepartmentTask.State {
    /// States in which the department still has work to do: what an officer's list shows by default.
    static let awaitingWork: [Self] = [.open, .suspended, .verifying]
}
