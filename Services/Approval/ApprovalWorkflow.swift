import Domain
import Foundation
import HTTPTypes
import Logging
import Messaging
import Postgres
import ServiceKit
import TongbanClient

/// Every change approval makes, each in one transaction with the events it causes (outbox): tasks
/// opened from submitted cases, officers' actions on them, supplements that resume a clock,
/// withdrawals, and the bundle decision once every task of a case is decided.
struct ApprovalWorkflow: Sendable {
    let database: PostgresClient
    let calendar: WorkingCalendar
    /// The region whose departments this deployment serves (TONGBAN_REGION).
    let homeRegion: String
    let eventSource: String
    let topicNamespace: String
    let logger: Logger
    /// The time of officers' actions; tests set it.
    let now: Now

    // MARK: Events from other services

    /// The consumer's handler: runs inside the inbox transaction.
    func apply(_ envelope: Envelope, on connection: PostgresConnection) async throws {
        switch envelope.type {
        case Topic.caseSubmitted.eventType, Topic.caseReceived.eventType:
            try await openTasks(for: envelope.decode(CaseSubmitted.self), on: connection)
        case Topic.receivedMaterialChunk.eventType:
            try await keep(envelope.decode(MaterialChunk.self), on: connection)
        case Topic.materialsSupplemented.eventType:
            try await resumeClocks(for: envelope.decode(MaterialsSupplemented.self), on: connection)
        case Topic.handedInMaterialsSupplemented.eventType:
            // Supplied in the region that handed the case over; their pieces came first.
            let supplement = try envelope.decode(MaterialsSupplemented.self)
            try await ApprovalRepository.addMaterials(supplement.materials, to: supplement.caseNumber, on: connection)
            try await resumeClocks(for: supplement, on: connection)
        case Topic.caseWithdrawn.eventType, Topic.handedInCaseWithdrawn.eventType:
            try await withdraw(envelope.decode(CaseWithdrawn.self), on: connection)
        default:
            throw PermanentEventFailure("approval does not handle events of type \(envelope.type)")
        }
    }

    /// Opens one task per department and matter of the home region, all at once. The same case
    /// arriving again (redelivered, or submitted twice) opens nothing more.
    func openTasks(for submission: CaseSubmitted, on connection: PostgresConnection) async throws {
        var logger = logger
        logger[metadataKey: "case.number"] = "\(submission.caseNumber)"
        let tasks: [DepartmentTask]
        do {
            tasks = try DepartmentTask.open(submission, homeRegion: homeRegion, calendar: calendar)
        } catch .invalidSubmission(let reason) {
            throw PermanentEventFailure("case \(submission.caseNumber): \(reason)")
        } catch {
            throw PermanentEventFailure("case \(submission.caseNumber): \(error)")
        }
        guard !tasks.isEmpty else {
            logger.debug("no matter of the case is for this region's departments")
            return
        }
        guard try await ApprovalRepository.insertCase(submission, on: connection) else {
            logger.info("case known already; no tasks opened again")
            return
        }
        if let day = tasks.map({ $0.deadlines(calendar, asOf: submission.acceptedAt).legalDeadline }).max().map(calendar.day(of:)),
           !calendar.isCovered(day) || calendar.provisionalYears.contains(day.year) {
            logger.warning("a deadline falls where the working-day calendar is not final; update the calendar file", metadata: ["calendar.day": "\(day)"])
        }
        try await ApprovalRepository.insert(tasks, calendar: calendar, on: connection)
        try await publish(TasksOpened(
            caseNumber: submission.caseNumber,
            region: homeRegion,
            acceptedAt: submission.acceptedAt,
            tasks: tasks.map {
                .init(taskID: $0.id.uuidString.lowercased(), matterCode: $0.matter.code, matterName: $0.matter.name, department: $0.department,
                      departmentName: $0.matter.departmentName, mode: $0.matter.mode, deadlines: $0.deadlines(calendar, asOf: submission.acceptedAt))
            }
        ), to: .tasksOpened, key: submission.caseNumber, on: connection)
        // 即办件 and 告知承诺 are decided at acceptance.
        for task in tasks {
            if let decision = task.matterDecision(calendar) {
                try await publish(TaskDecided(caseNumber: task.caseNumber, region: homeRegion, decision: decision), to: .taskDecided, key: task.caseNumber, on: connection)
            }
        }
        if let approvalCase = try await ApprovalRepository.lockCase(submission.caseNumber, on: connection) {
            try await decideBundleIfComplete(approvalCase, on: connection)
        }
        logger.info("tasks opened", metadata: ["task.count": "\(tasks.count)"])
    }

    /// A piece of a material of a case a partner region handed over (the relay checked the whole
    /// material against the digest the partner signed); kept for the case's officers.
    func keep(_ chunk: MaterialChunk, on connection: PostgresConnection) async throws {
        try await MaterialStore.take(chunk, on: connection)
    }

    /// The content of a material of a handed-in case, for an officer of one of its tasks: nil
    /// while its pieces are still on their way from the relay.
    func material(_ sha256: String, task id: UUID, by officer: Principal) async throws -> (MaterialReference, Data?) {
        let (_, approvalCase, _) = try await view(task: id, by: officer)
        guard approvalCase.submission.handedOverFrom != nil,
              let reference = approvalCase.submission.materials.first(where: { $0.sha256 == sha256 })
        else { throw Problem.notFound("No such material in this task's case.") }
        let content = try await database.withConnection { connection in
            try await MaterialStore.content(caseNumber: approvalCase.submission.caseNumber, sha256: sha256, on: connection)
        }
        return (reference, content)
    }

    /// The applicant answered supplement requests: their tasks' clocks run again, with moved deadlines.
    func resumeClocks(for supplement: MaterialsSupplemented, on connection: PostgresConnection) async throws {
        guard !supplement.answers.isEmpty,
              try await ApprovalRepository.lockCase(supplement.caseNumber, on: connection) != nil
        else { return }
        for answer in supplement.answers {
            // Requests of other regions' departments (多地联办) are not ours to resume.
            guard let requestID = UUID(uuidString: answer),
                  let waiting = try await ApprovalRepository.waitingRequest(requestID, on: connection),
                  waiting.caseNumber == supplement.caseNumber,
                  var task = try await ApprovalRepository.task(waiting.task, on: connection),
                  task.resume(request: requestID, at: supplement.supplementedAt),
                  let resumedAt = task.supplementRequests.first(where: { $0.id == requestID })?.endedAt
            else { continue }
            try await ApprovalRepository.save(task, calendar: calendar, asOf: resumedAt, on: connection)
            try await publish(TaskResumed(
                caseNumber: task.caseNumber,
                taskID: task.id.uuidString.lowercased(),
                requestID: requestID.uuidString.lowercased(),
                resumedAt: resumedAt,
                deadlines: task.deadlines(calendar, asOf: resumedAt)
            ), to: .taskResumed, key: task.caseNumber, on: connection)
        }
    }

    /// The applicant withdrew the case: its open tasks close, and no bundle decision follows.
    func withdraw(_ withdrawal: CaseWithdrawn, on connection: PostgresConnection) async throws {
        guard let approvalCase = try await ApprovalRepository.lockCase(withdrawal.caseNumber, on: connection) else { return }
        guard approvalCase.state == .open else {
            logger.info("withdrawal of a case already \(approvalCase.state.rawValue); nothing to close", metadata: ["case.number": "\(withdrawal.caseNumber)"])
            return
        }
        for var task in try await ApprovalRepository.tasks(ofCase: withdrawal.caseNumber, on: connection) where task.withdraw(at: withdrawal.withdrawnAt) {
            try await ApprovalRepository.save(task, calendar: calendar, asOf: withdrawal.withdrawnAt, on: connection)
        }
        try await ApprovalRepository.markCase(withdrawal.caseNumber, .withdrawn, at: withdrawal.withdrawnAt, on: connection)
    }

    // MARK: Officers' actions

    /// Changes one task for `officer`, in one transaction that locks the task's case first, and
    /// publishes what `events` derives from the change. Decides the bundle when the change decided
    /// the case's last open task.
    func change<Outcome: Sendable>(
        task id: UUID,
        by officer: Principal,
        _ body: (inout DepartmentTask, Date) throws(TaskRefusal) -> Outcome,
        events: (DepartmentTask, Outcome, Date, PostgresConnection) async throws -> Void = { _, _, _, _ in }
    ) async throws -> (DepartmentTask, Outcome) {
        try await database.withTransaction { connection in
            guard let caseNumber = try await ApprovalRepository.caseNumber(ofTask: id, on: connection),
                  let approvalCase = try await ApprovalRepository.lockCase(caseNumber, on: connection),
                  let before = try await ApprovalRepository.task(id, on: connection)
            else { throw Problem.notFound(Self.noTask) }
            try officer.requireOwnDepartment(before.department, notFound: Self.noTask)
            let instant = now()
            var task = before
            let outcome: Outcome
            do throws(TaskRefusal) {
                outcome = try body(&task, instant)
            } catch {
                throw Problem(error)
            }
            try await ApprovalRepository.save(task, calendar: calendar, asOf: instant, on: connection)
            try await events(task, outcome, instant, connection)
            if task.countsAsDecided, !before.countsAsDecided {
                try await decideBundleIfComplete(approvalCase, on: connection)
            }
            return (task, outcome)
        }
    }

    /// A task for reading, with the tasks of its case: only for officers of its department.
    func view(task id: UUID, by officer: Principal) async throws -> (DepartmentTask, ApprovalCase, [DepartmentTask]) {
        try await database.withConnection { connection in
            guard let task = try await ApprovalRepository.task(id, on: connection),
                  let approvalCase = try await ApprovalRepository.approvalCase(task.caseNumber, on: connection)
            else { throw Problem.notFound(Self.noTask) }
            try officer.requireOwnDepartment(task.department, notFound: Self.noTask)
            return (task, approvalCase, try await ApprovalRepository.tasks(ofCase: task.caseNumber, on: connection))
        }
    }

    /// The officer's department's tasks in `states`, due (promised limit, or the verification's for
    /// commitment matters) before `dueBefore`, soonest first, with their cases' submissions.
    func list(for officer: Principal, states: [DepartmentTask.State], dueBefore: Date?, limit: Int) async throws -> ([DepartmentTask], [String: CaseSubmitted]) {
        try officer.require([.officer])
        guard let department = officer.department else { throw Problem.forbidden("Officers act only for their own department.") }
        return try await database.withConnection { connection in
            let instant = now()
            var tasks = try await ApprovalRepository.tasks(department: department, states: states, dueBefore: dueBefore, limit: limit, on: connection)
            if let dueBefore {
                tasks = tasks.filter { dueAt($0, asOf: instant) < dueBefore }
            }
            let submissions = try await ApprovalRepository.submissions(Set(tasks.map(\.caseNumber)), on: connection)
            return (tasks, submissions)
        }
    }

    /// When the department must next have acted: the verification's deadline while a commitment
    /// waits for it, otherwise the promised deadline as it stands.
    func dueAt(_ task: DepartmentTask, asOf instant: Date) -> Date {
        if task.state == .verifying, let verification = task.verification { return verification.deadline }
        return task.deadlines(calendar, asOf: instant).promisedDeadline
    }

    static let noTask = "No such task."

    // MARK: The bundle

    /// Publishes bundle-decided, once, when every task of the case is decided. The caller holds the
    /// case's row lock, so two transactions deciding its last tasks cannot both see it complete.
    func decideBundleIfComplete(_ approvalCase: ApprovalCase, on connection: PostgresConnection) async throws {
        guard approvalCase.state == .open else { return }
        let tasks = try await ApprovalRepository.tasks(ofCase: approvalCase.caseNumber, on: connection)
        guard !tasks.isEmpty, tasks.allSatisfy(\.countsAsDecided) else { return }
        let decisions = tasks.compactMap { $0.matterDecision(calendar) }
        let decidedAt = decisions.map(\.decidedAt).max() ?? now()
        let submission = approvalCase.submission
        try await ApprovalRepository.markCase(approvalCase.caseNumber, .decided, at: decidedAt, on: connection)
        try await publish(BundleDecided(
            caseNumber: approvalCase.caseNumber,
            region: homeRegion,
            bundle: submission.bundle,
            applicant: submission.applicant,
            acceptedAt: submission.acceptedAt,
            decidedAt: decidedAt,
            decisions: decisions,
            onTime: decisions.allSatisfy(\.onTime),
            handedOverFrom: submission.handedOverFrom
        ), to: .bundleDecided, key: approvalCase.caseNumber, on: connection)
        logger.info("bundle decided", metadata: ["case.number": "\(approvalCase.caseNumber)"])
    }

    // MARK: Outbox

    func publish<Payload: Encodable>(_ payload: Payload, to topic: Topic, key: String, on connection: PostgresConnection) async throws {
        let envelope = try Envelope(source: eventSource, type: topic.eventType, key: key, payload: payload, time: now())
        try await Outbox.append(envelope, to: topic.inNamespace(topicNamespace), on: connection)
    }
}

extension Problem {
    /// What an officer is told when a task refuses a change.
    init(_ refusal: TaskRefusal) {
        func conflict(_ kind: String, _ title: String, _ detail: String) -> Problem {
            Problem(type: ProblemType(kind), status: .conflict, title: title, detail: detail)
        }
        switch refusal {
        case .unprocessable(let errors):
            self = Problem(
                type: .unprocessable,
                status: .unprocessableContent,
                title: "The request is incomplete",
                detail: errors.map { "\($0.field): \($0.problem)" }.joined(separator: "; "),
                errors: errors
            )
        case .alreadyDecided(let detail): self = conflict("already-decided", "The task is decided already", detail)
        case .caseWithdrawn(let detail): self = conflict("case-withdrawn", "The case was withdrawn", detail)
        case .waitingForSupplement(let detail): self = conflict("waiting-for-supplement", "The task waits for a supplement", detail)
        case .claimedByAnother(let detail): self = conflict("claimed-by-another-officer", "Another officer claimed the task", detail)
        case .stepsOutstanding(let detail): self = conflict("steps-outstanding", "Steps before the decision are outstanding", detail)
        case .stepOutOfOrder(let detail): self = conflict("step-out-of-order", "Steps come in order", detail)
        case .stepFailed(let detail): self = conflict("step-failed", "A step before the decision failed", detail)
        case .nothingToVerify(let detail): self = conflict("nothing-to-verify", "Nothing to verify", detail)
        case .invalidSubmission(let detail): self = .malformedRequest(detail)
        }
    }
}

extension ProblemType {
    /// Well-formed, but missing what the law requires (a legal basis, reasons, findings): 422.
    static let unprocessable = ProblemType("unprocessable")
}
