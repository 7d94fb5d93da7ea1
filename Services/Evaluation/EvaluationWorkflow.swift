import Domain
import Foundation
import Logging
import Messaging
import Postgres
import ServiceKit

/// Supervision's work (电子监察), each change in one transaction with the alerts it raises (outbox):
/// its own projection of every case and task clock (审管分离), built only from the events of intake,
/// approval, seal and the relay; the scans that read clocks again as time passes; and the
/// supervisors' overview, clocks, alerts and reports. Ratings and rectifications are
/// RatingsWorkflow's.
struct EvaluationWorkflow: Sendable {
    let database: PostgresClient
    let settings: EvaluationSettings
    let alerts: AlertDesk
    let logger: Logger

    static let topics: [Topic] = [
        .caseSubmitted, .caseReceived, .caseWithdrawn, .handedInCaseWithdrawn, .partnerUpdate,
        .tasksOpened, .supplementRequested, .taskResumed, .taskDecided, .bundleDecided, .decisionRevoked,
        .licencesIssued,
    ]

    // MARK: Events from the other services

    /// The consumer's handler: runs inside the inbox transaction. Events of different topics may
    /// arrive in any order, so each one records what it knows and merges with the rest.
    func apply(_ envelope: Envelope, on connection: PostgresConnection) async throws {
        switch envelope.type {
        case Topic.caseSubmitted.eventType:
            let submitted = try envelope.decode(CaseSubmitted.self)
            try await EvaluationRepository.recordCase(submitted.caseNumber, region: submitted.region, applicant: submitted.applicant, bundle: submitted.bundle, acceptedAt: submitted.acceptedAt, on: connection)
            try await recordParts(of: submitted, on: connection)
        case Topic.caseReceived.eventType:
            // Handed in by a partner: every matter is this region's, and the case is done when they are.
            let received = try envelope.decode(CaseSubmitted.self)
            try await EvaluationRepository.recordCase(received.caseNumber, region: received.region, applicant: received.applicant, bundle: received.bundle, acceptedAt: received.acceptedAt, on: connection)
        case Topic.partnerUpdate.eventType:
            let update = try envelope.decode(PartnerUpdate.self)
            guard update.status == .decided || update.kind == .result else { return }
            try await EvaluationRepository.recordCase(update.caseNumber, region: nil, on: connection)
            try await EvaluationRepository.recordPartnerDecision(caseNumber: update.caseNumber, region: update.partnerRegion, decidedAt: update.occurredAt, on: connection)
            try await EvaluationRepository.refreshCompletion(update.caseNumber, on: connection)
        case Topic.tasksOpened.eventType:
            let opened = try envelope.decode(TasksOpened.self)
            try await open(opened, on: connection)
        case Topic.supplementRequested.eventType:
            let request = try envelope.decode(SupplementRequested.self)
            try await EvaluationRepository.startSuspension(task: request.taskID, request: request.requestID, at: request.requestedAt, on: connection)
            try await alerts.review(task: request.taskID, on: connection)
        case Topic.taskResumed.eventType:
            let resumed = try envelope.decode(TaskResumed.self)
            try await EvaluationRepository.endSuspension(task: resumed.taskID, request: resumed.requestID, at: resumed.resumedAt, on: connection)
            try await alerts.review(task: resumed.taskID, on: connection)
        case Topic.taskDecided.eventType:
            let decided = try envelope.decode(TaskDecided.self)
            try await EvaluationRepository.recordCase(decided.caseNumber, region: decided.region, on: connection)
            try await record(decided.decision, caseNumber: decided.caseNumber, region: decided.region, caseAcceptedAt: nil, on: connection)
        case Topic.bundleDecided.eventType:
            let bundle = try envelope.decode(BundleDecided.self)
            try await EvaluationRepository.recordCase(bundle.caseNumber, region: bundle.region, applicant: bundle.applicant, bundle: bundle.bundle, acceptedAt: bundle.acceptedAt, on: connection)
            try await EvaluationRepository.recordHomeDecision(caseNumber: bundle.caseNumber, decidedAt: bundle.decidedAt, onTime: bundle.onTime, on: connection)
            try await EvaluationRepository.refreshCompletion(bundle.caseNumber, on: connection)
            for decision in bundle.decisions {
                try await record(decision, caseNumber: bundle.caseNumber, region: bundle.region, caseAcceptedAt: bundle.acceptedAt, on: connection)
            }
        case Topic.decisionRevoked.eventType:
            let revoked = try envelope.decode(DecisionRevoked.self)
            try await EvaluationRepository.markTaskRevoked(revoked.taskID, at: revoked.revokedAt, on: connection)
        case Topic.caseWithdrawn.eventType, Topic.handedInCaseWithdrawn.eventType:
            let withdrawn = try envelope.decode(CaseWithdrawn.self)
            try await EvaluationRepository.recordCase(withdrawn.caseNumber, region: nil, on: connection)
            try await EvaluationRepository.markCaseWithdrawn(withdrawn.caseNumber, at: withdrawn.withdrawnAt, on: connection)
            // Open clocks stop for good: no light changes after a withdrawal.
            try await EvaluationRepository.stopOpenClocks(caseNumber: withdrawn.caseNumber, at: withdrawn.withdrawnAt, on: connection)
        case Topic.licencesIssued.eventType:
            let issued = try envelope.decode(LicencesIssued.self)
            try await EvaluationRepository.recordCase(issued.caseNumber, region: nil, on: connection)
            try await EvaluationRepository.markLicencesIssued(caseNumber: issued.caseNumber, at: issued.issuedAt, on: connection)
        default:
            throw PermanentEventFailure("evaluation does not apply \(envelope.type)")
        }
    }

    /// Which regions' parts the case has: this region's matters (if any) and each partner region's.
    private func recordParts(of submitted: CaseSubmitted, on connection: PostgresConnection) async throws {
        let home = submitted.matters.contains { $0.region == submitted.region }
        try await EvaluationRepository.setHomeMatters(home, caseNumber: submitted.caseNumber, on: connection)
        for region in Set(submitted.matters.map(\.region)).subtracting([submitted.region]).sorted() {
            try await EvaluationRepository.insertPartnerPart(caseNumber: submitted.caseNumber, region: region, on: connection)
        }
        try await EvaluationRepository.refreshCompletion(submitted.caseNumber, on: connection)
    }

    /// Opened tasks: their clocks start from the case's acceptance, in their region's calendar.
    private func open(_ opened: TasksOpened, on connection: PostgresConnection) async throws {
        guard settings.calendars.calendar(for: opened.region) != nil else {
            throw PermanentEventFailure("no working-day calendar for region \(opened.region): the clocks of case \(opened.caseNumber) cannot be read")
        }
        try await EvaluationRepository.recordCase(opened.caseNumber, region: opened.region, acceptedAt: opened.acceptedAt, on: connection)
        let withdrawn = try await EvaluationRepository.withdrawnAt(caseNumber: opened.caseNumber, on: connection)
        for task in opened.tasks {
            try await EvaluationRepository.recordOpenedTask(task, of: opened, withdrawnAt: withdrawn, on: connection)
            try await alerts.review(task: task.taskID, on: connection)
        }
    }

    /// A decided task: its clock stops at the decision, and any light it reached before is raised.
    private func record(_ decision: MatterDecision, caseNumber: String, region: String, caseAcceptedAt: Date?, on connection: PostgresConnection) async throws {
        let known = try await EvaluationRepository.acceptedAt(caseNumber: caseNumber, on: connection)
        let acceptedAt = caseAcceptedAt ?? known
        try await EvaluationRepository.recordDecidedTask(decision, caseNumber: caseNumber, region: region, acceptedAt: acceptedAt, on: connection)
        try await alerts.review(task: decision.taskID, on: connection)
    }

    // MARK: Scans

    /// Reads again, in one transaction, up to `limit` clocks whose next change is due at `now`;
    /// true when there may be more.
    func reviewDueClocks(at now: Date, limit: Int) async throws -> Bool {
        try await database.withTransaction { connection in
            let due = try await EvaluationRepository.lockTasksDue(at: now, limit: limit, on: connection)
            for task in due {
                try await alerts.review(task: task, on: connection)
            }
            return due.count == limit
        }
    }

    /// Marks overdue, in one transaction, up to `limit` rectifications past their deadline at
    /// `now`; true when there may be more.
    func reviewOverdueRectifications(at now: Date, limit: Int) async throws -> Bool {
        try await database.withTransaction { connection in
            let overdue = try await EvaluationRepository.lockRectificationsOverdue(at: now, limit: limit, on: connection)
            for id in overdue {
                try await alerts.reviewRectification(id, on: connection)
            }
            return overdue.count == limit
        }
    }

    // MARK: Supervisors' views

    /// What the dashboard shows: the open tasks' lights by department, the overdue tasks, the
    /// rectifications not closed yet, and the facts of `period` for the rates.
    func overview(of period: ReportPeriod) async throws -> (
        departments: [EvaluationRepository.DepartmentLightsRow],
        overdue: [EvaluationRepository.TaskClockRow],
        unclosedRectifications: [RectificationRow],
        facts: ReportFacts
    ) {
        try await database.withConnection { connection in
            let departments = try await EvaluationRepository.departmentLights(on: connection)
            let overdue = try await EvaluationRepository.overdueTasks(on: connection)
            let unclosed = try await EvaluationRepository.unclosedRectifications(on: connection)
            let facts = try await EvaluationRepository.reportFacts(from: period.start, to: period.end, on: connection)
            return (departments: departments, overdue: overdue, unclosedRectifications: unclosed, facts: facts)
        }
    }

    /// A case's times, its task clocks and the alerts raised on it.
    func caseClocks(_ number: String) async throws -> (
        times: (acceptedAt: Date?, completedAt: Date?, withdrawnAt: Date?),
        tasks: [EvaluationRepository.TaskClockRow],
        alerts: [AlertRaised]
    ) {
        try await database.withConnection { connection in
            guard let times = try await EvaluationRepository.caseTimes(number, on: connection) else {
                throw Problem.notFound("Supervision has no case \(number).")
            }
            let tasks = try await EvaluationRepository.taskClocks(caseNumber: number, on: connection)
            let raised = try await EvaluationRepository.alerts(caseNumber: number, on: connection)
            return (times: times, tasks: tasks, alerts: raised)
        }
    }

    /// The latest alerts, of one department and one light when given.
    func raisedAlerts(department: String?, light: String?) async throws -> [AlertRaised] {
        try await database.withConnection { try await EvaluationRepository.alerts(department: department, light: light, on: $0) }
    }

    /// The facts a report of `period` counts.
    func reportFacts(of period: ReportPeriod) async throws -> ReportFacts {
        try await database.withConnection { try await EvaluationRepository.reportFacts(from: period.start, to: period.end, on: $0) }
    }
}
