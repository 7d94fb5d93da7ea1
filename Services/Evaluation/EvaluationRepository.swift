import Domain
import Foundation
import Messaging
import Postgres
import ServiceKit
import TongbanClient

/// Evaluation's tables: its own projection of cases, task clocks, suspensions and partner regions'
/// parts (built from events only), the alerts raised, ratings and rectifications. Every function
/// runs on the caller's connection, so that a change, the rows it touches and the alerts it raises
/// share one transaction.
enum EvaluationRepository {
    // MARK: The projection: cases

    /// Creates the case or fills in what this event knows.
    static func recordCase(_ number: String, region: String?, applicant: ApplicantRecord? = nil, bundle: CaseSubmitted.Bundle? = nil, acceptedAt: Date? = nil, on connection: PostgresConnection) async throws {
        _ = try await connection.query("""
            INSERT INTO cases (case_number, region, applicant_account, applicant_identity_digest, applicant_name, bundle_name, accepted_at)
            VALUES (\(number), \(region), \(applicant?.account), \(applicant.map { Principal.identityDigest($0.identifier) }), \(applicant?.name), \(bundle?.name), \(acceptedAt))
            ON CONFLICT (case_number) DO UPDATE SET
                region = COALESCE(cases.region, EXCLUDED.region),
                applicant_account = COALESCE(cases.applicant_account, EXCLUDED.applicant_account),
                applicant_identity_digest = COALESCE(cases.applicant_identity_digest, EXCLUDED.applicant_identity_digest),
                applicant_name = COALESCE(cases.applicant_name, EXCLUDED.applicant_name),
                bundle_name = COALESCE(cases.bundle_name, EXCLUDED.bundle_name),
                accepted_at = COALESCE(cases.accepted_at, EXCLUDED.accepted_at)
            """)
    }

    /// Whether this region has matters of its own in the case.
    static func setHomeMatters(_ home: Bool, caseNumber: String, on connection: PostgresConnection) async throws {
        _ = try await connection.query("UPDATE cases SET home_matters = \(home) WHERE case_number = \(caseNumber)")
    }

    /// A partner region's part of the case, undecided until that region's decision arrives.
    static func insertPartnerPart(caseNumber: String, region: String, on connection: PostgresConnection) async throws {
        _ = try await connection.query("""
            INSERT INTO partner_parts (case_number, region) VALUES (\(caseNumber), \(region)) ON CONFLICT DO NOTHING
            """)
    }

    /// A partner region decided its part; the first decision it reported stays.
    static func recordPartnerDecision(caseNumber: String, region: String, decidedAt: Date, on connection: PostgresConnection) async throws {
        _ = try await connection.query("""
            INSERT INTO partner_parts (case_number, region, decided_at) VALUES (\(caseNumber), \(region), \(decidedAt))
            ON CONFLICT (case_number, region) DO UPDATE SET decided_at = COALESCE(partner_parts.decided_at, EXCLUDED.decided_at)
            """)
    }

    /// Approval decided this region's part of the case (bundle-decided).
    static func recordHomeDecision(caseNumber: String, decidedAt: Date, onTime: Bool, on connection: PostgresConnection) async throws {
        _ = try await connection.query("""
            UPDATE cases SET home_decided_at = \(decidedAt), approval_on_time = \(onTime) WHERE case_number = \(caseNumber)
            """)
    }

    /// 办结: the case is completed when its home part (if it has one) and every partner region's
    /// part are decided, at the last of those decisions; recomputed whatever order events came in.
    static func refreshCompletion(_ number: String, on connection: PostgresConnection) async throws {
        _ = try await connection.query("""
            UPDATE cases SET completed_at = CASE
                WHEN (home_decided_at IS NOT NULL OR home_matters = false)
                     AND NOT EXISTS (SELECT 1 FROM partner_parts p WHERE p.case_number = cases.case_number AND p.decided_at IS NULL)
                THEN GREATEST(home_decided_at, (SELECT max(p.decided_at) FROM partner_parts p WHERE p.case_number = cases.case_number))
                END
            WHERE case_number = \(number)
            """)
    }

    static func markCaseWithdrawn(_ number: String, at instant: Date, on connection: PostgresConnection) async throws {
        _ = try await connection.query("UPDATE cases SET withdrawn_at = \(instant) WHERE case_number = \(number)")
    }

    static func markLicencesIssued(caseNumber: String, at instant: Date, on connection: PostgresConnection) async throws {
        _ = try await connection.query("UPDATE cases SET licences_issued_at = \(instant) WHERE case_number = \(caseNumber)")
    }

    /// When the case was withdrawn; nil when it was not, or is unknown.
    static func withdrawnAt(caseNumber: String, on connection: PostgresConnection) async throws -> Date? {
        try await connection.query("SELECT withdrawn_at FROM cases WHERE case_number = \(caseNumber)").decode(Date?.self).first ?? nil
    }

    /// When the case was accepted; nil while no event has told.
    static func acceptedAt(caseNumber: String, on connection: PostgresConnection) async throws -> Date? {
        try await connection.query("SELECT accepted_at FROM cases WHERE case_number = \(caseNumber)").decode(Date?.self).first ?? nil
    }

    // MARK: The projection: tasks and suspensions

    /// A task approval opened; `withdrawnAt` stops its clock at once when the case was withdrawn before.
    static func recordOpenedTask(_ task: TasksOpened.Task, of opened: TasksOpened, withdrawnAt withdrawn: Date?, on connection: PostgresConnection) async throws {
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
    }

    /// A decided task, created if its opening has not arrived yet; its clock is no longer scanned.
    static func recordDecidedTask(_ decision: MatterDecision, caseNumber: String, region: String, acceptedAt: Date?, on connection: PostgresConnection) async throws {
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
    }

    static func markTaskRevoked(_ taskID: String, at instant: Date, on connection: PostgresConnection) async throws {
        _ = try await connection.query("UPDATE tasks SET revoked_at = \(instant) WHERE task_id = \(taskID)")
    }

    /// Stops the case's undecided clocks at the withdrawal, for good: the scanner no longer looks at them.
    static func stopOpenClocks(caseNumber: String, at instant: Date, on connection: PostgresConnection) async throws {
        _ = try await connection.query("""
            UPDATE tasks SET withdrawn_at = \(instant), next_check_at = NULL
            WHERE case_number = \(caseNumber) AND decided_at IS NULL
            """)
    }

    /// 补正 began: the task's clock stands still from `instant`.
    static func startSuspension(task: String, request: String, at instant: Date, on connection: PostgresConnection) async throws {
        _ = try await connection.query("""
            INSERT INTO suspensions (task_id, request_id, started_at) VALUES (\(task), \(request), \(instant))
            ON CONFLICT (task_id, request_id) DO UPDATE SET started_at = EXCLUDED.started_at
            """)
    }

    /// The task resumed at `instant`; the resumption may arrive before the request.
    static func endSuspension(task: String, request: String, at instant: Date, on connection: PostgresConnection) async throws {
        _ = try await connection.query("""
            INSERT INTO suspensions (task_id, request_id, ended_at) VALUES (\(task), \(request), \(instant))
            ON CONFLICT (task_id, request_id) DO UPDATE SET ended_at = EXCLUDED.ended_at
            """)
    }

    /// The task's suspensions whose start is known; an open one has no end.
    static func suspensions(ofTask task: String, on connection: PostgresConnection) async throws -> [WorkingDayClock.Suspension] {
        try await connection.query("""
            SELECT started_at, ended_at FROM suspensions WHERE task_id = \(task) AND started_at IS NOT NULL
            """).decode((Date, Date?).self).map { WorkingDayClock.Suspension(start: $0.0, end: $0.1) }
    }

    // MARK: Reading clocks

    /// What reading a task's clock needs, and what the last reading found.
    struct ClockRow: Decodable, Sendable {
        var caseNumber: String
        var region: String?
        var matterCode: String
        var matterName: String
        var department: String
        var departmentName: String
        var acceptedAt: Date?
        var legalLimitDays: Int
        var promisedLimitDays: Int
        var decidedAt: Date?
        var withdrawnAt: Date?
        var light: String
        var pastLegalLimit: Bool
    }

    /// The task's clock row, locked until the transaction ends, so that two readings of one task
    /// (the consumer's and a scanner's, or two instances') follow one another.
    static func lockClock(ofTask task: String, on connection: PostgresConnection) async throws -> ClockRow? {
        try await connection.query("""
            SELECT case_number, region, matter_code, matter_name, department, department_name, accepted_at,
                   legal_limit_days, promised_limit_days, decided_at, withdrawn_at, light, past_legal_limit
            FROM tasks WHERE task_id = \(task) FOR UPDATE
            """).decodeRecords(ClockRow.self, keys: .convertFromSnakeCase).first
    }

    /// Records a reading of the task's clock and when the scanner is to look again (nil: never).
    static func recordReading(
        task: String, light: Light, pastLegalLimit: Bool, suspended: Bool, reading: ClockReading,
        nextCheck: Date?, checkedAt: Date, decidedOnTime: Bool?, on connection: PostgresConnection
    ) async throws {
        _ = try await connection.query("""
            UPDATE tasks SET light = \(light.rawValue), past_legal_limit = \(pastLegalLimit),
                suspended = \(suspended), remaining_promised_days = \(reading.remainingPromisedDays),
                promised_deadline = \(reading.promisedDeadline), legal_deadline = \(reading.legalDeadline),
                next_check_at = \(nextCheck), checked_at = \(checkedAt), decided_on_time = \(decidedOnTime)
            WHERE task_id = \(task)
            """)
    }

    /// Up to `limit` tasks whose clock is due to be read again at `instant`, locked; rows another
    /// instance holds are skipped, so instances share the work.
    static func lockTasksDue(at instant: Date, limit: Int, on connection: PostgresConnection) async throws -> [String] {
        try await connection.query("""
            SELECT task_id FROM tasks WHERE next_check_at <= \(instant)
            ORDER BY next_check_at LIMIT \(limit) FOR UPDATE SKIP LOCKED
            """).decode(String.self)
    }

    // MARK: Alerts

    /// Stores `alert` unless its subject already showed its light; false when it had.
    static func insertAlert(_ alert: AlertRaised, on connection: PostgresConnection) async throws -> Bool {
        let inserted = try await connection.query("""
            INSERT INTO alerts (alert_id, subject, subject_id, light, case_number, department, raised_at, alert)
            VALUES (\(alert.alertID), \(alert.subject.rawValue), \(alert.subjectID), \(alert.light.rawValue), \(alert.caseNumber),
                    \(alert.department), \(alert.raisedAt), \(try PostgresJSONB(alert)))
            ON CONFLICT (subject, subject_id, light) DO NOTHING
            RETURNING alert_id
            """)
        return !inserted.isEmpty
    }

    /// The case's alerts, in the order they were raised.
    static func alerts(caseNumber: String, on connection: PostgresConnection) async throws -> [AlertRaised] {
        try await connection.query("""
            SELECT alert FROM alerts WHERE case_number = \(caseNumber) ORDER BY raised_at, alert_id
            """).decode(PostgresJSONB<AlertRaised>.self).map(\.value)
    }

    /// The latest 1000 alerts, of one department and one light when given.
    static func alerts(department: String?, light: String?, on connection: PostgresConnection) async throws -> [AlertRaised] {
        try await connection.query("""
            SELECT alert FROM alerts
            WHERE (\(department)::text IS NULL OR department = \(department)) AND (\(light)::text IS NULL OR light = \(light))
            ORDER BY raised_at DESC, alert_id LIMIT 1000
            """).decode(PostgresJSONB<AlertRaised>.self).map(\.value)
    }

    // MARK: Supervisors' views

    /// A department's open tasks, counted by light.
    struct DepartmentLightsRow: Sendable {
        var department: String
        var departmentName: String
        var open: Int
        var green: Int
        var yellow: Int
        var red: Int
        var legalOverdue: Int
        var suspended: Int
    }

    /// A task's clock as supervision last read it.
    struct TaskClockRow: Decodable, Sendable {
        var taskId: String
        var caseNumber: String
        var matterCode: String
        var matterName: String
        var department: String
        var departmentName: String
        var mode: String
        var light: String
        var pastLegalLimit: Bool
        var suspended: Bool
        var promisedLimitDays: Int
        var legalLimitDays: Int
        var promisedDeadline: Date?
        var legalDeadline: Date?
        var remainingPromisedDays: Double?
        var checkedAt: Date?
        var decidedAt: Date?
        var decidedOnTime: Bool?
        var withdrawnAt: Date?
    }

    /// The columns `TaskClockRow` reads from `tasks`.
    private static let taskClockColumns = """
        task_id, case_number, matter_code, matter_name, department, department_name, mode, light, past_legal_limit, suspended,
        promised_limit_days, legal_limit_days, promised_deadline, legal_deadline, remaining_promised_days, checked_at,
        decided_at, decided_on_time, withdrawn_at
        """

    /// The open tasks (accepted, neither decided nor withdrawn) of each department by light, by department.
    static func departmentLights(on connection: PostgresConnection) async throws -> [DepartmentLightsRow] {
        try await connection.query("""
            SELECT department, min(department_name), count(*),
                   count(*) FILTER (WHERE light = 'green'), count(*) FILTER (WHERE light = 'yellow'), count(*) FILTER (WHERE light = 'red'),
                   count(*) FILTER (WHERE past_legal_limit), count(*) FILTER (WHERE suspended)
            FROM tasks WHERE accepted_at IS NOT NULL AND decided_at IS NULL AND withdrawn_at IS NULL
            GROUP BY department ORDER BY department
            """).decode((String, String, Int, Int, Int, Int, Int, Int).self).map {
            DepartmentLightsRow(department: $0.0, departmentName: $0.1, open: $0.2, green: $0.3, yellow: $0.4, red: $0.5, legalOverdue: $0.6, suspended: $0.7)
        }
    }

    /// The open tasks past their promised limit, soonest deadline first, at most 500.
    static func overdueTasks(on connection: PostgresConnection) async throws -> [TaskClockRow] {
        try await connection.query("""
            SELECT \(unescaped: taskClockColumns) FROM tasks
            WHERE light = 'red' AND accepted_at IS NOT NULL AND decided_at IS NULL AND withdrawn_at IS NULL
            ORDER BY promised_deadline, task_id LIMIT 500
            """).decodeRecords(TaskClockRow.self, keys: .convertFromSnakeCase)
    }

    /// The case's tasks, by id.
    static func taskClocks(caseNumber: String, on connection: PostgresConnection) async throws -> [TaskClockRow] {
        try await connection.query("""
            SELECT \(unescaped: taskClockColumns) FROM tasks WHERE case_number = \(caseNumber) ORDER BY task_id
            """).decodeRecords(TaskClockRow.self, keys: .convertFromSnakeCase)
    }

    /// When the case was accepted, completed and withdrawn, as far as known; nil for a case supervision has no events of.
    static func caseTimes(_ number: String, on connection: PostgresConnection) async throws -> (acceptedAt: Date?, completedAt: Date?, withdrawnAt: Date?)? {
        try await connection.query("""
            SELECT accepted_at, completed_at, withdrawn_at FROM cases WHERE case_number = \(number)
            """).decode((Date?, Date?, Date?).self).first.map { (acceptedAt: $0.0, completedAt: $0.1, withdrawnAt: $0.2) }
    }

    /// The facts of the period [start, end) that a report counts.
    static func reportFacts(from start: Date, to end: Date, on connection: PostgresConnection) async throws -> ReportFacts {
        let tasks = try await connection.query("""
            SELECT t.case_number, t.matter_code, t.matter_name, t.department, t.department_name, t.promised_limit_days, t.legal_limit_days,
                   (t.decided_at >= \(start) AND t.decided_at < \(end)) IS TRUE, coalesce(t.decided_on_time, false), t.light, t.past_legal_limit,
                   (c.completed_at >= \(start) AND c.completed_at < \(end)) IS TRUE, r.level
            FROM tasks t JOIN cases c ON c.case_number = t.case_number LEFT JOIN ratings r ON r.case_number = t.case_number
            WHERE (t.decided_at >= \(start) AND t.decided_at < \(end)) OR (c.completed_at >= \(start) AND c.completed_at < \(end))
            """).decode((String, String, String, String, String, Int, Int, Bool, Bool, String, Bool, Bool, String?).self)
        let rectifications = try await connection.query("""
            SELECT x.case_number, x.department, x.closed_at IS NOT NULL
            FROM rectifications x JOIN cases c ON c.case_number = x.case_number
            WHERE c.completed_at >= \(start) AND c.completed_at < \(end)
            """).decode((String, String, Bool).self)
        return ReportFacts(
            tasks: tasks.map {
                ReportFacts.TaskFact(
                    caseNumber: $0.0, matterCode: $0.1, matterName: $0.2, department: $0.3, departmentName: $0.4,
                    promisedLimitDays: $0.5, legalLimitDays: $0.6, decidedInPeriod: $0.7, decidedOnTime: $0.8,
                    light: Light(rawValue: $0.9) ?? .green, pastLegalLimit: $0.10, caseCompletedInPeriod: $0.11,
                    rating: $0.12.flatMap(RatingLevel.init(rawValue:))
                )
            },
            rectifications: rectifications.map { ReportFacts.RectificationFact(caseNumber: $0.0, department: $0.1, closed: $0.2) }
        )
    }

    // MARK: Ratings

    /// A case as its applicant rates it: whose it is and whether it is completed or withdrawn.
    struct CaseRow: Decodable, Sendable {
        var applicantIdentityDigest: String?
        var completedAt: Date?
        var withdrawnAt: Date?
    }

    /// A rating as given.
    struct RatingRow: Sendable {
        var level: String
        var channel: String
        var tags: [String]
        var comment: String?
        var ratedAt: Date
    }

    /// The case; with `lock`, its row locked until the transaction ends, so that one case is rated once at a time.
    static func applicantCase(_ number: String, lock: Bool, on connection: PostgresConnection) async throws -> CaseRow? {
        try await connection.query("""
            SELECT applicant_identity_digest, completed_at, withdrawn_at FROM cases WHERE case_number = \(number) \(unescaped: lock ? "FOR UPDATE" : "")
            """).decodeRecords(CaseRow.self, keys: .convertFromSnakeCase).first
    }

    /// The departments that handled the case, with their names, by code.
    static func departments(ofCase number: String, on connection: PostgresConnection) async throws -> [(String, String)] {
        try await connection.query("""
            SELECT department, min(department_name) FROM tasks WHERE case_number = \(number) GROUP BY department ORDER BY department
            """).decode((String, String).self)
    }

    /// Stores the case's rating; false when it had one already.
    static func insertRating(
        caseNumber number: String, applicantAccount: String, level: RatingLevel, tags: [String], comment: String?, channel: RatingChannel,
        ratedAt: Date, on connection: PostgresConnection
    ) async throws -> Bool {
        let inserted = try await connection.query("""
            INSERT INTO ratings (case_number, applicant_account, level, tags, comment, channel, rated_at)
            VALUES (\(number), \(applicantAccount), \(level.rawValue), \(try PostgresJSONB(tags)), \(comment), \(channel.rawValue), \(ratedAt))
            ON CONFLICT (case_number) DO NOTHING
            RETURNING case_number
            """)
        return !inserted.isEmpty
    }

    static func rating(caseNumber number: String, on connection: PostgresConnection) async throws -> RatingRow? {
        try await connection.query("""
            SELECT level, channel, tags, comment, rated_at FROM ratings WHERE case_number = \(number)
            """).decode((String, String, PostgresJSONB<[String]>, String?, Date).self).first.map { level, channel, tags, comment, ratedAt in
            RatingRow(level: level, channel: channel, tags: tags.value, comment: comment, ratedAt: ratedAt)
        }
    }

    // MARK: Rectifications

    /// The columns `RectificationRow` reads from `rectifications`.
    private static let rectificationColumns = """
        rectification_id, case_number, department, department_name, rating_level, opened_at, limit_days, due_at,
        action, acted_by, acted_at, callback, applicant_satisfied, callback_by, closed_at, overdue
        """

    /// Opens a department's rectification of the case, unless it has one already.
    static func insertRectification(
        id: String, caseNumber: String, department: String, departmentName: String, level: RatingLevel, openedAt: Date,
        limitDays: Int, dueAt: Date, on connection: PostgresConnection
    ) async throws {
        _ = try await connection.query("""
            INSERT INTO rectifications (rectification_id, case_number, department, department_name, rating_level, opened_at, limit_days, due_at)
            VALUES (\(id), \(caseNumber), \(department), \(departmentName), \(level.rawValue), \(openedAt), \(limitDays), \(dueAt))
            ON CONFLICT (case_number, department) DO NOTHING
            """)
    }

    /// The case's rectifications, by department.
    static func rectifications(caseNumber: String, on connection: PostgresConnection) async throws -> [RectificationRow] {
        try await connection.query("""
            SELECT \(unescaped: rectificationColumns) FROM rectifications WHERE case_number = \(caseNumber) ORDER BY department
            """).decodeRecords(RectificationRow.self, keys: .convertFromSnakeCase)
    }

    /// Every rectification, or one department's, soonest deadline first.
    static func rectifications(department: String?, on connection: PostgresConnection) async throws -> [RectificationRow] {
        try await connection.query("""
            SELECT \(unescaped: rectificationColumns) FROM rectifications
            WHERE (\(department)::text IS NULL OR department = \(department))
            ORDER BY due_at, rectification_id
            """).decodeRecords(RectificationRow.self, keys: .convertFromSnakeCase)
    }

    /// The rectifications not closed yet, soonest deadline first.
    static func unclosedRectifications(on connection: PostgresConnection) async throws -> [RectificationRow] {
        try await connection.query("""
            SELECT \(unescaped: rectificationColumns) FROM rectifications WHERE closed_at IS NULL ORDER BY due_at
            """).decodeRecords(RectificationRow.self, keys: .convertFromSnakeCase)
    }

    /// The rectification; with `lock`, its row locked until the transaction ends.
    static func rectification(_ id: String, lock: Bool, on connection: PostgresConnection) async throws -> RectificationRow? {
        try await connection.query("""
            SELECT \(unescaped: rectificationColumns) FROM rectifications WHERE rectification_id = \(id) \(unescaped: lock ? "FOR UPDATE" : "")
            """).decodeRecords(RectificationRow.self, keys: .convertFromSnakeCase).first
    }

    /// Records what the department did; the rectification as it now stands.
    static func recordAction(_ id: String, description: String, by subject: String, at instant: Date, on connection: PostgresConnection) async throws -> RectificationRow {
        let updated = try await connection.query("""
            UPDATE rectifications SET action = \(description), acted_by = \(subject), acted_at = \(instant)
            WHERE rectification_id = \(id)
            RETURNING \(unescaped: rectificationColumns)
            """).decodeRecords(RectificationRow.self, keys: .convertFromSnakeCase)
        return updated[0]
    }

    /// Records the callback (回访) and closes the rectification; the rectification as it now stands.
    static func recordCallback(_ id: String, summary: String, applicantSatisfied: Bool, by subject: String, at instant: Date, on connection: PostgresConnection) async throws -> RectificationRow {
        let updated = try await connection.query("""
            UPDATE rectifications SET callback = \(summary), applicant_satisfied = \(applicantSatisfied),
                callback_by = \(subject), closed_at = \(instant)
            WHERE rectification_id = \(id)
            RETURNING \(unescaped: rectificationColumns)
            """).decodeRecords(RectificationRow.self, keys: .convertFromSnakeCase)
        return updated[0]
    }

    /// Up to `limit` rectifications past their deadline at `instant` with no action and not marked
    /// overdue yet, locked; rows another instance holds are skipped.
    static func lockRectificationsOverdue(at instant: Date, limit: Int, on connection: PostgresConnection) async throws -> [String] {
        try await connection.query("""
            SELECT rectification_id FROM rectifications
            WHERE NOT overdue AND acted_at IS NULL AND closed_at IS NULL AND due_at < \(instant)
            ORDER BY due_at LIMIT \(limit) FOR UPDATE SKIP LOCKED
            """).decode(String.self)
    }

    /// Marks the rectification overdue if it is, at `instant`, and was not marked before; nil otherwise.
    static func markRectificationOverdue(
        _ id: String, at instant: Date, on connection: PostgresConnection
    ) async throws -> (caseNumber: String, department: String, departmentName: String, limitDays: Int, dueAt: Date, openedAt: Date)? {
        try await connection.query("""
            UPDATE rectifications SET overdue = true
            WHERE rectification_id = \(id) AND NOT overdue AND acted_at IS NULL AND closed_at IS NULL AND due_at < \(instant)
            RETURNING case_number, department, department_name, limit_days, due_at, opened_at
            """).decode((String, String, String, Int, Date, Date).self).first.map {
            (caseNumber: $0.0, department: $0.1, departmentName: $0.2, limitDays: $0.3, dueAt: $0.4, openedAt: $0.5)
        }
    }
}
