import Domain
import Foundation
import Logging
import Messaging
import Postgres
import ServiceKit

/// Supervision's own projection of every case and task clock (审管分离): built only from the events
/// of intake, approval and seal, and read with the shared `WorkingDayClock`. Events of different
/// topics may arrive in any order, so each one records what it knows and merges with the rest.
struct SupervisionProjection: Sendable {
    let settings: EvaluationSettings
    let alerts: AlertDesk
    let logger: Logger

    static let topics: [Topic] = [
        .caseSubmitted, .caseReceived, .caseWithdrawn, .handedInCaseWithdrawn, .partnerUpdate,
        .tasksOpened, .supplementRequested, .taskResumed, .taskDecided, .bundleDecided, .decisionRevoked,
        .licencesIssued,
    ]

    /// Applies one event inside the consumer's inbox transaction.
    func apply(_ envelope: Envelope, on connection: PostgresConnection) async throws {
        switch envelope.type {
        case Topic.caseSubmitted.eventType:
            let submitted = try envelope.decode(CaseSubmitted.self)
            try await recordCase(submitted.caseNumber, region: submitted.region, applicant: submitted.applicant, bundle: submitted.bundle, acceptedAt: submitted.acceptedAt, on: connection)
            try await recordParts(of: submitted, on: connection)
        case Topic.caseReceived.eventType:
            // Handed in by a partner: every matter is this region's, and the case is done when they are.
            let received = try envelope.decode(CaseSubmitted.self)
            try await recordCase(received.caseNumber, region: received.region, applicant: received.applicant, bundle: received.bundle, acceptedAt: received.acceptedAt, on: connection)
        case Topic.partnerUpdate.eventType:
            let update = try envelope.decode(PartnerUpdate.self)
            guard update.status == .decided || update.kind == .result else { return }
            try await recordCase(update.caseNumber, region: nil, on: connection)
            _ = try await connection.query("""
                INSERT INTO partner_parts (case_number, region, decided_at) VALUES (\(update.caseNumber), \(update.partnerRegion), \(update.occurredAt))
                ON CONFLICT (case_number, region) DO UPDATE SET decided_at = COALESCE(partner_parts.decided_at, EXCLUDED.decided_at)
                """)
            try await refreshCompletion(update.caseNumber, on: connection)
        case Topic.tasksOpened.eventType:
            let opened = try envelope.decode(TasksOpened.self)
            try await open(opened, on: connection)
        case Topic.supplementRequested.eventType:
            let request = try envelope.decode(SupplementRequested.self)
            _ = try await connection.query("""
                INSERT INTO suspensions (task_id, request_id, started_at) VALUES (\(request.taskID), \(request.requestID), \(request.requestedAt))
                ON CONFLICT (task_id, request_id) DO UPDATE SET started_at = EXCLUDED.started_at
                """)
            try await alerts.review(task: request.taskID, on: connection)
        case Topic.taskResumed.eventType:
            let resumed = try envelope.decode(TaskResumed.self)
            _ = try await connection.query("""
                INSERT INTO suspensions (task_id, request_id, ended_at) VALUES (\(resumed.taskID), \(resumed.requestID), \(resumed.resumedAt))
                ON CONFLICT (task_id, request_id) DO UPDATE SET ended_at = EXCLUDED.ended_at
                """)
            try await alerts.review(task: resumed.taskID, on: connection)
        case Topic.taskDecided.eventType:
            let decided = try envelope.decode(TaskDecided.self)
            try await recordCase(decided.caseNumber, region: decided.region, on: connection)
            try await record(decided.decision, caseNumber: decided.caseNumber, region: decided.region, caseAcceptedAt: nil, on: connection)
        case Topic.bundleDecided.eventType:
            let bundle = try envelope.decode(BundleDecided.self)
            try await recordCase(bundle.caseNumber, region: bundle.region, applicant: bundle.applicant, bundle: bundle.bundle, acceptedAt: bundle.acceptedAt, on: connection)
            _ = try await connection.query("""
                UPDATE cases SET home_decided_at = \(bundle.decidedAt), approval_on_time = \(bundle.onTime) WHERE case_number = \(bundle.caseNumber)
                """)
            try await refreshCompletion(bundle.caseNumber, on: connection)
            for decision in bundle.decisions {
                try await record(decision, caseNumber: bundle.caseNumber, region: bundle.region, caseAcceptedAt: bundle.acceptedAt, on: connection)
            }
        case Topic.decisionRevoked.eventType:
            let revoked = try envelope.decode(DecisionRevoked.self)
            _ = try await connection.query("UPDATE tasks SET revoked_at = \(revoked.revokedAt) WHERE task_id = \(revoked.taskID)")
        case Topic.caseWithdrawn.eventType, Topic.handedInCaseWithdrawn.eventType:
            let withdrawn = try envelope.decode(CaseWithdrawn.self)
            try await recordCase(withdrawn.caseNumber, region: nil, on: connection)
            _ = try await connection.query("UPDATE cases SET withdrawn_at = \(withdrawn.withdrawnAt) WHERE case_number = \(withdrawn.caseNumber)")
            // Open clocks stop for good: no light changes after a withdrawal.
            _ = try await connection.query("""
                UPDATE tasks SET withdrawn_at = \(withdrawn.withdrawnAt), next_check_at = NULL
                WHERE case_number = \(withdrawn.caseNumber) AND decided_at IS NULL
                """)
        case Topic.licencesIssued.eventType:
            let issued = try envelope.decode(LicencesIssued.self)
            try await recordCase(issued.caseNumber, region: nil, on: connection)
            _ = try await connection.query("UPDATE cases SET licences_issued_at = \(issued.issuedAt) WHERE case_number = \(issued.caseNumber)")
        default:
            throw PermanentEventFailure("evaluation does not apply \(envelope.type)")
        }
    }

    /// Which regions' parts the case has: this region's matters (if any) and each partner region's.
    private func recordParts(of submitted: CaseSubmitted, on connection: PostgresConnection) async throws {
        let home = submitted.matters.contains { $0.region == submitted.region }
        _ = try await connection.query("UPDATE cases SET home_matters = \(home) WHERE case_number = \(submitted.caseNumber)")
        for region in Set(submitted.matters.map(\.region)).subtracting([submitted.region]).sorted() {
            _ = try await connection.query("""
                INSERT INTO partner_parts (case_number, region) VALUES (\(submitted.caseNumber), \(region)) ON CONFLICT DO NOTHING
                """)
        }
        try await refreshCompletion(submitted.caseNumber, on: connection)
    }

    /// 办结: the case is completed when its home part (if it has one) and every partner region's
    /// part are decided, at the last of those decisions; recomputed whatever order events came in.
    private func refreshCompletion(_ number: String, on connection: PostgresConnection) async throws {
        _ = try await connection.query("""
            UPDATE cases SET completed_at = CASE
                WHEN (home_decided_at IS NOT NULL OR home_matters = false)
                     AND NOT EXISTS (SELECT 1 FROM partner_parts p WHERE p.case_number = cases.case_number AND p.decided_at IS NULL)
                THEN GREATEST(home_decided_at, (SELECT max(p.decided_at) FROM partner_parts p WHERE p.case_number = cases.case_number))
                END
            WHERE case_number = \(number)
            """)
    }

    private func open(_ opened: TasksOpened, on connection: PostgresConnection) async throws {
        guard settings.calendars.calendar(for: opened.region) != nil else {
            throw PermanentEventFailure("no working-day calendar for region \(opened.region): the clocks of case \(opened.caseNumber) cannot be read")
        }
        try await recordCase(opened.caseNumber, region: opened.region, acceptedAt: opened.acceptedAt, on: connection)
        let withdrawn = try await connection.query("SELECT withdrawn_at FROM cases WHERE case_number = \(opened.caseNumber)").decode(Date?.self).first ?? nil
        for task in opened.tasks {
            _ = try await connection.query("""
                INSERT INTO tasks (task_id, case_number, region, matter_code, matter_name, department, department_name, mode,
                                   accepted_at, legal_limit_days, promised_limit_days, withdrawn_at)
                VALUES (\(task.taskID), \(opened.caseNumber), \(opened.region), \(task.matterCode), \(task.matterName), \(task.department),
                        \(task.departmentName), \(task.mode.rawValue), \(opened.acceptedAt), \(task.deadlines.legalLimitDays),
                        \(task.deadlines.promisedLimitDays), \(withdrawn))
                ON CONFLICT (task_id) DO UPDATE SET
                    region = EXCLUDED.region, accepted_at = EXCLUDED.accepted_at,
                    legal_limit_days = EXCLUDED.legal_limit_days, promised_limit_days = EXCLUDED.promised_limit_days
                """)
            try await alerts.review(task: task.taskID, on: connection)
        }
    }

    /// A decided task: its clock stops at the decision, and any light it reached before is raised.
    private func record(_ decision: MatterDecision, caseNumber: String, region: String, caseAcceptedAt: Date?, on connection: PostgresConnection) async throws {
        let known = try await connection.query("SELECT accepted_at FROM cases WHERE case_number = \(caseNumber)").decode(Date?.self).first ?? nil
        let acceptedAt = caseAcceptedAt ?? known
        _ = try await connection.query("""
            INSERT INTO tasks (task_id, case_number, region, matter_code, matter_name, department, department_name, mode,
                               accepted_at, legal_limit_days, promised_limit_days, decided_at, outcome, approval_on_time)
            VALUES (\(decision.taskID), \(caseNumber), \(region), \(decision.matterCode), \(decision.matterName), \(decision.department),
                    \(decision.departmentName), \(decision.mode.rawValue), \(acceptedAt), \(decision.deadlines.legalLimitDays),
                    \(decision.deadlines.promisedLimitDays), \(decision.decidedAt), \(decision.outcome.rawValue), \(decision.onTime))
            ON CONFLICT (task_id) DO UPDATE SET
                decided_at = EXCLUDED.decided_at, outcome = EXCLUDED.outcome, approval_on_time = EXCLUDED.approval_on_time,
                accepted_at = COALESCE(tasks.accepted_at, EXCLUDED.accepted_at), region = COALESCE(tasks.region, EXCLUDED.region),
                next_check_at = NULL
            """)
        try await alerts.review(task: decision.taskID, on: connection)
    }

    /// Creates the case or fills in what this event knows.
    private func recordCase(_ number: String, region: String?, applicant: ApplicantRecord? = nil, bundle: CaseSubmitted.Bundle? = nil, acceptedAt: Date? = nil, on connection: PostgresConnection) async throws {
        _ = try await connection.query("""
            INSERT INTO cases (case_number, region, applicant_account, applicant_name, bundle_name, accepted_at)
            VALUES (\(number), \(region), \(applicant?.account), \(applicant?.name), \(bundle?.name), \(acceptedAt))
            ON CONFLICT (case_number) DO UPDATE SET
                region = COALESCE(cases.region, EXCLUDED.region),
                applicant_account = COALESCE(cases.applicant_account, EXCLUDED.applicant_account),
                applicant_name = COALESCE(cases.applicant_name, EXCLUDED.applicant_name),
                bundle_name = COALESCE(cases.bundle_name, EXCLUDED.bundle_name),
                accepted_at = COALESCE(cases.accepted_at, EXCLUDED.accepted_at)
            """)
    }
}
