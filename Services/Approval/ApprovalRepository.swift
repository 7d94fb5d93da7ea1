import Domain
import Foundation
import Messaging
import Postgres
import TongbanClient

/// A case as approval keeps it: the submission and whether its bundle is decided.
struct ApprovalCase: Sendable {
    /// Where the case stands at approval, in the words its officers read (Shared/Client's).
    typealias State = TongbanClient.DepartmentTask.CaseOverview.State

    var caseNumber: String
    var submission: CaseSubmitted
    var state: State
    var decidedAt: Date?
}

/// Approval's tables. Every function runs on the caller's connection, so that a change, the rows
/// it touches and the events it causes share one transaction.
enum ApprovalRepository {
    // MARK: Cases

    /// Stores a submitted case; false when it is known already (the same case delivered again).
    static func insertCase(_ submission: CaseSubmitted, on connection: PostgresConnection) async throws -> Bool {
        let rows = try await connection.query("""
            INSERT INTO cases (case_number, accepted_at, submission)
            VALUES (\(submission.caseNumber), \(submission.acceptedAt), \(try PostgresJSONB(submission)))
            ON CONFLICT (case_number) DO NOTHING
            RETURNING 1
            """)
        return !rows.isEmpty
    }

    /// Adds materials supplied later to the case's submission (those it lists already stay once).
    static func addMaterials(_ materials: [MaterialReference], to caseNumber: String, on connection: PostgresConnection) async throws {
        _ = try await connection.query("""
            UPDATE cases SET submission = jsonb_set(submission, '{materials}', submission -> 'materials' || (
                SELECT COALESCE(jsonb_agg(m), '[]'::jsonb) FROM jsonb_array_elements(\(try PostgresJSONB(materials))) AS m
                WHERE NOT EXISTS (SELECT 1 FROM jsonb_array_elements(submission -> 'materials') AS held WHERE held ->> 'sha256' = m ->> 'sha256')))
            WHERE case_number = \(caseNumber)
            """)
    }

    /// The case, its row locked until the transaction ends. Every change to a case's tasks takes
    /// this lock first, so that two officers deciding the last two tasks at once, on two instances,
    /// are serialized, and the second one sees the first one's decision.
    static func lockCase(_ caseNumber: String, on connection: PostgresConnection) async throws -> ApprovalCase? {
        try await approvalCase(caseNumber, lock: true, on: connection)
    }

    static func approvalCase(_ caseNumber: String, lock: Bool = false, on connection: PostgresConnection) async throws -> ApprovalCase? {
        let rows = try await connection.query("""
            SELECT case_number, submission, state, decided_at FROM cases WHERE case_number = \(caseNumber) \(unescaped: lock ? "FOR UPDATE" : "")
            """)
        return try rows.decode((String, PostgresJSONB<CaseSubmitted>, String, Date?).self).first.map {
            // The column's CHECK admits only the enum's values.
            ApprovalCase(caseNumber: $0.0, submission: $0.1.value, state: ApprovalCase.State(rawValue: $0.2) ?? .open, decidedAt: $0.3)
        }
    }

    static func markCase(_ caseNumber: String, _ state: ApprovalCase.State, at instant: Date, on connection: PostgresConnection) async throws {
        switch state {
        case .decided:
            _ = try await connection.query("UPDATE cases SET state = 'decided', decided_at = \(instant) WHERE case_number = \(caseNumber)")
        case .withdrawn:
            _ = try await connection.query("UPDATE cases SET state = 'withdrawn', withdrawn_at = \(instant) WHERE case_number = \(caseNumber)")
        case .open:
            preconditionFailure("a case never opens again")
        }
    }

    /// The submissions of the cases with these numbers.
    static func submissions(_ caseNumbers: Set<String>, on connection: PostgresConnection) async throws -> [String: CaseSubmitted] {
        guard !caseNumbers.isEmpty else { return [:] }
        let rows = try await connection.query("""
            SELECT case_number, submission FROM cases WHERE case_number = ANY(\(Array(caseNumbers)))
            """)
        return Dictionary(uniqueKeysWithValues: try rows.decode((String, PostgresJSONB<CaseSubmitted>).self).map { ($0.0, $0.1.value) })
    }

    // MARK: Tasks

    /// Stores new tasks: each row opens, then `save` writes its state together with any decision
    /// taken at acceptance, as the table's checks want them.
    static func insert(_ tasks: [DepartmentTask], calendar: WorkingCalendar, on connection: PostgresConnection) async throws {
        for (position, task) in tasks.enumerated() {
            let deadlines = task.deadlines(calendar, asOf: task.acceptedAt)
            _ = try await connection.query("""
                INSERT INTO tasks (id, case_number, position, matter_code, department, matter, state, legal_deadline, promised_deadline,
                                   verification_limit_days, verification_deadline)
                VALUES (\(task.id), \(task.caseNumber), \(position), \(task.matter.code), \(task.department), \(try PostgresJSONB(task.matter)),
                        \(DepartmentTask.State.open.rawValue), \(deadlines.legalDeadline), \(deadlines.promisedDeadline),
                        \(task.verification?.limitDays), \(task.verification?.deadline))
                """)
            try await save(task, calendar: calendar, asOf: task.acceptedAt, on: connection)
        }
    }

    /// Writes what a change did to `task`: its state and decision, new supplement requests and
    /// their endings, new steps.
    static func save(_ task: DepartmentTask, calendar: WorkingCalendar, asOf instant: Date, on connection: PostgresConnection) async throws {
        let deadlines = task.deadlines(calendar, asOf: instant)
        let decision = task.decision
        let verification = task.verification
        _ = try await connection.query("""
            UPDATE tasks SET
                state = \(task.state.rawValue), claimed_by = \(task.claimedBy), claimed_at = \(task.claimedAt),
                legal_deadline = \(deadlines.legalDeadline), promised_deadline = \(deadlines.promisedDeadline),
                outcome = \(decision?.outcome.rawValue), legal_basis = \(decision?.legalBasis), decision_note = \(decision?.note),
                decided_by = \(decision?.decidedBy), decided_at = \(decision?.decidedAt), on_time = \(decision?.onTime),
                verification_passed = \(verification?.passed), verification_findings = \(verification?.findings),
                verification_legal_basis = \(verification?.legalBasis), verified_by = \(verification?.verifiedBy),
                verified_at = \(verification?.verifiedAt)
            WHERE id = \(task.id)
            """)
        for request in task.supplementRequests {
            _ = try await connection.query("""
                INSERT INTO supplement_requests (id, task_id, items, reason, requested_by, requested_at, ended_at, ending)
                VALUES (\(request.id), \(task.id), \(try PostgresJSONB(request.items)), \(request.reason), \(request.requestedBy),
                        \(request.requestedAt), \(request.endedAt), \(request.ending?.rawValue))
                ON CONFLICT (id) DO UPDATE SET ended_at = excluded.ended_at, ending = excluded.ending
                """)
        }
        for (position, step) in task.steps.enumerated() {
            _ = try await connection.query("""
                INSERT INTO task_steps (task_id, position, step, result, findings, recorded_by, recorded_at)
                VALUES (\(task.id), \(position), \(step.step), \(step.result.rawValue), \(step.findings), \(step.recordedBy), \(step.recordedAt))
                ON CONFLICT (task_id, position) DO NOTHING
                """)
        }
    }

    /// The case a task belongs to, without locking anything.
    static func caseNumber(ofTask id: UUID, on connection: PostgresConnection) async throws -> String? {
        try await connection.query("SELECT case_number FROM tasks WHERE id = \(id)").decode(String.self).first
    }

    static func task(_ id: UUID, on connection: PostgresConnection) async throws -> DepartmentTask? {
        try await tasks("\(unescaped: selectTasks) WHERE t.id = \(id)", on: connection).first
    }

    /// A case's tasks, in the order of its matters.
    static func tasks(ofCase caseNumber: String, on connection: PostgresConnection) async throws -> [DepartmentTask] {
        try await tasks("\(unescaped: selectTasks) WHERE t.case_number = \(caseNumber) ORDER BY t.position", on: connection)
    }

    /// A department's tasks in `states`, soonest promised deadline first. `dueBefore` is applied
    /// to the stored deadlines, which a running suspension only moves later: the caller filters
    /// again on the deadlines as they stand.
    static func tasks(department: String, states: [DepartmentTask.State], dueBefore: Date?, limit: Int, on connection: PostgresConnection) async throws -> [DepartmentTask] {
        try await tasks("""
            \(unescaped: selectTasks)
            WHERE t.department = \(department) AND t.state = ANY(\(states.map(\.rawValue)))
              AND (\(dueBefore)::timestamptz IS NULL OR
                   (CASE WHEN t.state = 'verifying' THEN t.verification_deadline ELSE t.promised_deadline END) < \(dueBefore))
            ORDER BY CASE WHEN t.state = 'verifying' THEN t.verification_deadline ELSE t.promised_deadline END, t.id
            LIMIT \(limit)
            """, on: connection)
    }

    /// The supplement request `id` while it waits: its task and case.
    static func waitingRequest(_ id: UUID, on connection: PostgresConnection) async throws -> (task: UUID, caseNumber: String)? {
        try await connection.query("""
            SELECT r.task_id, t.case_number FROM supplement_requests r JOIN tasks t ON t.id = r.task_id
            WHERE r.id = \(id) AND r.ended_at IS NULL
            """).decode((UUID, String).self).first.map { (task: $0.0, caseNumber: $0.1) }
    }

    // MARK: Reading tasks whole

    private struct TaskRow: Decodable {
        var id: UUID
        var caseNumber: String
        var acceptedAt: Date
        var matter: CaseSubmitted.Matter
        // Text: a Decodable field that is not PostgresCodable is read as JSON. The column's CHECK
        // admits only the enum's values.
        var state: String
        var claimedBy: String?
        var claimedAt: Date?
        var outcome: String?
        var legalBasis: String?
        var decisionNote: String?
        var decidedBy: String?
        var decidedAt: Date?
        var onTime: Bool?
        var verificationLimitDays: Int?
        var verificationDeadline: Date?
        var verificationPassed: Bool?
        var verificationFindings: String?
        var verificationLegalBasis: String?
        var verifiedBy: String?
        var verifiedAt: Date?
    }

    private struct RequestRow: Decodable {
        var id: UUID
        var taskID: UUID
        var items: [SupplementRequested.Item]
        var reason: String
        var requestedBy: String
        var requestedAt: Date
        var endedAt: Date?
        var ending: String?

        enum CodingKeys: String, CodingKey {
            case id, taskID = "task_id", items, reason, requestedBy = "requested_by", requestedAt = "requested_at", endedAt = "ended_at", ending
        }
    }

    private struct StepRow: Decodable {
        var taskID: UUID
        var step: String
        var result: String
        var findings: String
        var recordedBy: String
        var recordedAt: Date

        enum CodingKeys: String, CodingKey {
            case taskID = "task_id", step, result, findings, recordedBy = "recorded_by", recordedAt = "recorded_at"
        }
    }

    /// The columns `TaskRow` reads, over `tasks t` joined with `cases c`; callers add WHERE and ORDER BY.
    private static let selectTasks = """
        SELECT t.id, t.case_number, c.accepted_at, t.matter, t.state, t.claimed_by, t.claimed_at,
               t.outcome, t.legal_basis, t.decision_note, t.decided_by, t.decided_at, t.on_time,
               t.verification_limit_days, t.verification_deadline, t.verification_passed, t.verification_findings,
               t.verification_legal_basis, t.verified_by, t.verified_at
        FROM tasks t JOIN cases c ON c.case_number = t.case_number
        """

    /// Tasks with their supplement requests and steps; `query` selects `selectTasks`.
    private static func tasks(_ query: PostgresQuery, on connection: PostgresConnection) async throws -> [DepartmentTask] {
        let rows = try await connection.query(query).decodeRecords(TaskRow.self, keys: .convertFromSnakeCase)
        guard !rows.isEmpty else { return [] }
        let ids = rows.map(\.id)
        let requests = Dictionary(grouping: try await connection.query("""
            SELECT id, task_id, items, reason, requested_by, requested_at, ended_at, ending FROM supplement_requests
            WHERE task_id = ANY(\(ids)) ORDER BY requested_at, id
            """).decodeRecords(RequestRow.self), by: \.taskID)
        let steps = Dictionary(grouping: try await connection.query("""
            SELECT task_id, step, result, findings, recorded_by, recorded_at FROM task_steps
            WHERE task_id = ANY(\(ids)) ORDER BY position
            """).decodeRecords(StepRow.self), by: \.taskID)
        return rows.map { row in
            var task = DepartmentTask(
                id: row.id, caseNumber: row.caseNumber, acceptedAt: row.acceptedAt, matter: row.matter, state: DepartmentTask.State(rawValue: row.state) ?? .open,
                claimedBy: row.claimedBy, claimedAt: row.claimedAt
            )
            task.supplementRequests = (requests[row.id] ?? []).map {
                .init(id: $0.id, items: $0.items, reason: $0.reason, requestedBy: $0.requestedBy, requestedAt: $0.requestedAt,
                      endedAt: $0.endedAt, ending: $0.ending.flatMap(DepartmentTask.SupplementRequest.Ending.init(rawValue:)))
            }
            task.steps = (steps[row.id] ?? []).compactMap { step in
                DepartmentTask.StepRecord.Result(rawValue: step.result).map {
                    .init(step: step.step, result: $0, findings: step.findings, recordedBy: step.recordedBy, recordedAt: step.recordedAt)
                }
            }
            if let outcome = row.outcome.flatMap(DecisionOutcome.init(rawValue:)), let decidedBy = row.decidedBy, let decidedAt = row.decidedAt {
                task.decision = .init(outcome: outcome, legalBasis: row.legalBasis, note: row.decisionNote, decidedBy: decidedBy, decidedAt: decidedAt, onTime: row.onTime ?? false)
            }
            if let limit = row.verificationLimitDays, let deadline = row.verificationDeadline {
                task.verification = .init(
                    limitDays: limit, deadline: deadline, passed: row.verificationPassed, findings: row.verificationFindings,
                    legalBasis: row.verificationLegalBasis, verifiedBy: row.verifiedBy, verifiedAt: row.verifiedAt
                )
            }
            return task
        }
    }
}

