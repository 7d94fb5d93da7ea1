import Domain
import Foundation
import Messaging
import Postgres
import TongbanClient

/// Who may see a case: its applicant (by identity), its region, and the departments handling its tasks.
struct CaseAccessFacts: Sendable {
    var number: String
    var region: String
    /// The applicant's resident identity number or unified social credit code.
    var applicantIdentifier: String
    /// (department, region) of every task approval opened for the case.
    var departments: [(department: String, region: String)]
}

/// A region's window accepted 999,999 cases in one day; the next one cannot be numbered.
struct CaseNumbersExhausted: Error, CustomStringConvertible {
    var region: String
    var day: String
    var description: String { "region \(region) used every case number of \(day)" }
}

/// A stored response to an Idempotency-Key.
struct StoredResponse: Sendable {
    var requestSHA256: String
    var status: Int
    var location: String?
    var body: Data
}

/// A material's content, for an authorised reader.
struct StoredMaterial: Sendable {
    var code: String
    var mediaType: String
    var fileName: String?
    var sha256: String
    var content: Data
}

/// Intake's tables (see `IntakeMigrations`). Every method that changes a case takes the
/// connection of the caller's transaction, so the change and its event commit together.
struct IntakeRepository: Sendable {
    let database: PostgresClient

    /// On the caller's transaction when there is one, else on any pooled connection.
    private func run(_ query: PostgresQuery, on connection: PostgresConnection?) async throws -> PostgresRows {
        if let connection { return try await connection.query(query) }
        return try await database.query(query)
    }

    // MARK: Idempotency

    func storedResponse(caller: String, key: String, on connection: PostgresConnection? = nil) async throws -> StoredResponse? {
        let query: PostgresQuery = "SELECT request_sha256, status, location, body FROM idempotency_keys WHERE caller = \(caller) AND key = \(key)"
        let rows = try await run(query, on: connection)
        return try rows.decode((String, Int, String?, Data).self).first.map {
            StoredResponse(requestSHA256: $0.0, status: $0.1, location: $0.2, body: $0.3)
        }
    }

    /// Serialises requests with the same caller and key until the transaction ends.
    func lockIdempotencyKey(caller: String, key: String, on connection: PostgresConnection) async throws {
        _ = try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(caller + "\u{1f}" + key), 7))")
    }

    func storeResponse(caller: String, key: String, response: StoredResponse, on connection: PostgresConnection) async throws {
        _ = try await connection.query("""
            INSERT INTO idempotency_keys (caller, key, request_sha256, status, location, body)
            VALUES (\(caller), \(key), \(response.requestSHA256), \(response.status), \(response.location), \(response.body))
            """)
    }

    // MARK: Registration

    /// The next case number of `region` on `acceptedAt`'s day (in Beijing time, as the number shows it).
    /// Without a connection it is taken in a statement of its own, which holds the day's sequence row
    /// only for that statement's commit.
    func nextCaseNumber(region: DivisionCode, acceptedAt: Date, on connection: PostgresConnection? = nil) async throws -> CaseNumber {
        let day = CaseNumber(region: region, acceptedAt: acceptedAt, sequence: 1).day
        let sequence = try await run("""
            INSERT INTO case_sequences (region, day, last_sequence) VALUES (\(region.value), \(day), 1)
            ON CONFLICT (region, day) DO UPDATE SET last_sequence = case_sequences.last_sequence + 1
            RETURNING last_sequence
            """, on: connection).decode(Int.self)[0]
        guard sequence <= CaseNumber.maximumSequence else { throw CaseNumbersExhausted(region: region.value, day: day) }
        return CaseNumber(region: region, acceptedAt: acceptedAt, sequence: sequence)
    }

    func insertCase(_ submitted: CaseSubmitted, site: ApplicationRequest.Site?, registeredBy: String, role: String, status: CaseStatus, on connection: PostgresConnection) async throws {
        _ = try await connection.query("""
            INSERT INTO cases (number, region, applicant_account, applicant_identifier, registered_by, registered_by_role, status, accepted_at, site, submission)
            VALUES (\(submitted.caseNumber), \(submitted.region), \(submitted.applicant.account), \(submitted.applicant.identifier), \(registeredBy), \(role), \(status.rawValue),
                    \(submitted.acceptedAt), \(try site.map(PostgresJSONB.init)), \(try PostgresJSONB(submitted)))
            """)
        for region in Set(submitted.matters.map(\.region)).subtracting([submitted.region]).sorted() {
            _ = try await connection.query("INSERT INTO partner_parts (case_number, region) VALUES (\(submitted.caseNumber), \(region))")
        }
        for deficiency in submitted.deficiencies {
            _ = try await connection.query("""
                INSERT INTO deficiencies (case_number, matter_code, material_code, name, due_by)
                VALUES (\(submitted.caseNumber), \(deficiency.matterCode), \(deficiency.materialCode), \(deficiency.name), \(deficiency.dueBy)::date)
                """)
        }
    }

    /// Stores a verified material and returns its reference.
    func insertMaterial(_ material: VerifiedMaterial, caseNumber: String, receivedAt: Date, on connection: PostgresConnection) async throws -> MaterialReference {
        let id = UUID()
        _ = try await connection.query("""
            INSERT INTO materials (id, case_number, code, name, media_type, file_name, sha256, size, content, received_at)
            VALUES (\(id), \(caseNumber), \(material.code), \(material.name), \(material.mediaType), \(material.fileName),
                    \(material.sha256), \(material.content.count), \(material.content), \(receivedAt))
            """)
        return MaterialReference(
            code: material.code,
            name: material.name,
            mediaType: material.mediaType,
            sha256: material.sha256,
            size: material.content.count,
            location: "/cases/\(caseNumber)/materials/\(id.uuidString.lowercased())"
        )
    }

    // MARK: Reading

    func accessFacts(number: String, on connection: PostgresConnection? = nil) async throws -> CaseAccessFacts? {
        let query: PostgresQuery = "SELECT region, applicant_identifier FROM cases WHERE number = \(number)"
        guard let (region, identifier) = try await run(query, on: connection).decode((String, String).self).first else {
            return nil
        }
        let tasks: PostgresQuery = "SELECT DISTINCT department, region FROM tasks WHERE case_number = \(number)"
        let departments = try await run(tasks, on: connection).decode((String, String).self)
        return CaseAccessFacts(number: number, region: region, applicantIdentifier: identifier, departments: departments.map { ($0.0, $0.1) })
    }

    /// Locks the case for a change and returns its status, or nil when there is no such case.
    func lockCase(_ number: String, on connection: PostgresConnection) async throws -> CaseStatus? {
        try await connection.query("SELECT status FROM cases WHERE number = \(number) FOR UPDATE")
            .decode(String.self).first.flatMap(CaseStatus.init(rawValue:))
    }

    func submission(_ number: String, on connection: PostgresConnection) async throws -> CaseSubmitted? {
        try await connection.query("SELECT submission FROM cases WHERE number = \(number)")
            .decode(PostgresJSONB<CaseSubmitted>.self).first?.value
    }

    func material(caseNumber: String, id: UUID) async throws -> StoredMaterial? {
        try await database.query("""
            SELECT code, media_type, file_name, sha256, content FROM materials WHERE case_number = \(caseNumber) AND id = \(id)
            """).decode((String, String, String?, String, Data).self).first.map {
            StoredMaterial(code: $0.0, mediaType: $0.1, fileName: $0.2, sha256: $0.3, content: $0.4)
        }
    }

    private struct CaseRow: Decodable {
        var number: String
        var region: String
        var status: String
        var acceptedAt: Date
        var site: ApplicationRequest.Site?
        var submission: CaseSubmitted
        var withdrawnAt: Date?
        var withdrawalReason: String?
        var licences: [LicenceSummary]
        var refused: [LicencesIssued.Refusal]
    }

    private struct TaskRow: Decodable {
        var taskId: String
        var matterCode: String
        var department: String
        var departmentName: String
        var status: String
        var deadlines: TaskDeadlines?
        var decision: MatterDecision?
    }

    private struct MaterialRow: Decodable {
        var id: UUID
        var code: String
        var name: String
        var mediaType: String
        var fileName: String?
        var sha256: String
        var size: Int
        var receivedAt: Date
    }

    private struct TimelineRow: Decodable {
        var at: Date
        var kind: String
        var summary: String
        var status: String
    }

    /// The case with everything that happened to it.
    func view(_ number: String) async throws -> CaseDocument? {
        try await database.withConnection { connection in
            guard let row = try await connection.query("""
                SELECT number, region, status, accepted_at, site, submission, withdrawn_at, withdrawal_reason, licences, refused
                FROM cases WHERE number = \(number)
                """).decodeRecords(CaseRow.self, keys: .convertFromSnakeCase).first
            else { return nil }
            let tasks = try await connection.query("""
                SELECT task_id, matter_code, department, department_name, status, deadlines, decision FROM tasks
                WHERE case_number = \(number) ORDER BY task_id
                """).decodeRecords(TaskRow.self, keys: .convertFromSnakeCase)
            let materials = try await connection.query("""
                SELECT id, code, name, media_type, file_name, sha256, size, received_at FROM materials
                WHERE case_number = \(number) ORDER BY received_at, code
                """).decodeRecords(MaterialRow.self, keys: .convertFromSnakeCase)
            // The deficiencies' and requests' columns are the document's own fields (`requestID` is `request_id`).
            let deficiencies = try await connection.query("""
                SELECT matter_code, material_code, name, due_by::text AS due_by, supplied_at FROM deficiencies
                WHERE case_number = \(number) ORDER BY matter_code, material_code
                """).decodeRecords(CaseDocument.Deficiency.self, keys: .convertFromSnakeCase)
            let requests = try await connection.query("""
                SELECT request_id, task_id, matter_code, department, items, reason, requested_at, answered_at FROM supplement_requests
                WHERE case_number = \(number) ORDER BY requested_at, request_id
                """).decodeRecords(CaseDocument.SupplementRequest.self, keys: .convertFromSnakeCase)
            // In the order things happened, not the order their events arrived (topics interleave);
            // what happens at one instant (an immediate item: accepted, opened, decided, issued) in its natural order.
            let timeline = try await connection.query("""
                SELECT at, kind, summary, status FROM timeline WHERE case_number = \(number)
                ORDER BY at, CASE kind WHEN 'accepted' THEN 0 WHEN 'handed-over' THEN 0 WHEN 'tasks-opened' THEN 1
                    WHEN 'task-decided' THEN 3 WHEN 'bundle-decided' THEN 4 WHEN 'licences-issued' THEN 5 ELSE 2 END, id
                """).decodeRecords(TimelineRow.self)

            let submitted = row.submission
            let homeRegion = row.region
            return CaseDocument(
                caseNumber: row.number,
                region: row.region,
                status: CaseStatus(rawValue: row.status) ?? .accepted,
                acceptedAt: row.acceptedAt,
                catalogueVersion: submitted.catalogueVersion,
                bundle: submitted.bundle,
                applicant: submitted.applicant,
                site: row.site,
                matters: submitted.matters.map { matter in
                    let task = tasks.first { $0.matterCode == matter.code && $0.department == matter.department }
                    return CaseDocument.Matter(
                        code: matter.code, name: matter.name, department: matter.department, departmentName: matter.departmentName,
                        region: matter.region, mode: matter.mode, legalLimitDays: matter.legalLimitDays,
                        promisedLimitDays: matter.promisedLimitDays, stepsBeforeDecision: matter.stepsBeforeDecision,
                        licence: matter.licence, handedOver: matter.region != homeRegion,
                        task: task.map {
                            // The column holds only the statuses this repository writes.
                            CaseDocument.TaskStanding(
                                taskID: $0.taskId, department: $0.department, departmentName: $0.departmentName,
                                status: CaseDocument.TaskStanding.Status(rawValue: $0.status) ?? .underReview, deadlines: $0.deadlines, decision: $0.decision
                            )
                        }
                    )
                },
                materials: materials.map {
                    let id = $0.id.uuidString.lowercased()
                    return CaseDocument.Material(
                        id: id, code: $0.code, name: $0.name, mediaType: $0.mediaType, fileName: $0.fileName, sha256: $0.sha256,
                        size: $0.size, location: "/cases/\(number)/materials/\(id)", receivedAt: $0.receivedAt
                    )
                },
                deficiencies: deficiencies,
                commitments: submitted.commitments ?? [],
                supplementRequests: requests,
                withdrawal: row.withdrawnAt.map { CaseDocument.Withdrawal(at: $0, reason: row.withdrawalReason) },
                licences: row.licences,
                refused: row.refused,
                timeline: timeline.map {
                    CaseDocument.TimelineEntry(at: $0.at, kind: $0.kind, summary: $0.summary, status: CaseStatus(rawValue: $0.status) ?? .accepted)
                }
            )
        }
    }

    private struct SummaryRow: Decodable {
        var number: String
        var status: String
        var acceptedAt: Date
        var submission: CaseSubmitted
    }

    /// Cases newest first, `limit` at a time, before the cursor `before` (a case number).
    func list(applicantIdentifier: String?, region: String?, status: CaseStatus?, before: String?, limit: Int) async throws -> CaseList {
        let rows = try await database.query("""
            SELECT number, status, accepted_at, submission FROM cases
            WHERE (\(applicantIdentifier)::text IS NULL OR applicant_identifier = \(applicantIdentifier))
              AND (\(region)::text IS NULL OR region = \(region))
              AND (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue))
              AND (\(before)::text IS NULL OR number < \(before))
            ORDER BY number DESC
            LIMIT \(limit + 1)
            """).decodeRecords(SummaryRow.self, keys: .convertFromSnakeCase)
        let page = rows.prefix(limit).map {
            CaseList.Summary(
                caseNumber: $0.number, status: CaseStatus(rawValue: $0.status) ?? .accepted, acceptedAt: $0.acceptedAt,
                bundle: $0.submission.bundle, applicantName: $0.submission.applicant.name, matters: $0.submission.matters.map(\.name)
            )
        }
        return CaseList(cases: Array(page), next: rows.count > limit ? page.last?.caseNumber : nil)
    }

    // MARK: What happens to a case

    func addTimeline(_ number: String, at: Date, kind: String, summary: String, on connection: PostgresConnection) async throws {
        let status = try await refreshStatus(number, on: connection)
        _ = try await connection.query("""
            INSERT INTO timeline (case_number, at, kind, summary, status) VALUES (\(number), \(at), \(kind), \(summary), \(status.rawValue))
            """)
    }

    /// Recomputes the case's status from what happened to it, whatever order the events came in.
    /// A case is decided, and completed, when its home part is (if it has one: `decided_at`,
    /// `licences_issued_at`) and every partner region's part is.
    @discardableResult
    func refreshStatus(_ number: String, on connection: PostgresConnection) async throws -> CaseStatus {
        let status = try await connection.query("""
            UPDATE cases SET status = CASE
                WHEN withdrawn_at IS NOT NULL THEN 'withdrawn'
                WHEN (licences_issued_at IS NOT NULL OR NOT home.has_matters)
                     AND NOT EXISTS (SELECT 1 FROM partner_parts p WHERE p.case_number = cases.number AND p.completed_at IS NULL) THEN 'completed'
                WHEN (decided_at IS NOT NULL OR NOT home.has_matters)
                     AND NOT EXISTS (SELECT 1 FROM partner_parts p WHERE p.case_number = cases.number AND p.decided_at IS NULL) THEN 'decided'
                WHEN EXISTS (SELECT 1 FROM supplement_requests r WHERE r.case_number = cases.number AND r.answered_at IS NULL) THEN 'awaiting-supplement'
                -- Seal's and approval's events come on topics of their own, in no order between
                -- them: a home part licensed or decided before its tasks-opened arrived is under review.
                WHEN decided_at IS NOT NULL OR licences_issued_at IS NOT NULL
                     OR EXISTS (SELECT 1 FROM tasks t WHERE t.case_number = cases.number) THEN 'under-review'
                WHEN EXISTS (SELECT 1 FROM deficiencies d WHERE d.case_number = cases.number AND d.supplied_at IS NULL) THEN 'accepted-with-deficiency'
                ELSE 'accepted'
            END
            FROM (SELECT EXISTS (SELECT 1 FROM cases c, jsonb_array_elements(c.submission->'matters') m
                                 WHERE c.number = \(number) AND m->>'region' = c.region) AS has_matters) AS home
            WHERE number = \(number)
            RETURNING status
            """).decode(String.self).first
        return status.flatMap(CaseStatus.init(rawValue:)) ?? .accepted
    }

    func markWithdrawn(_ number: String, at: Date, reason: String?, on connection: PostgresConnection) async throws {
        _ = try await connection.query("UPDATE cases SET withdrawn_at = \(at), withdrawal_reason = \(reason) WHERE number = \(number)")
    }

    /// What the applicant may supply now: owed materials (容缺) and open requests' items (补正),
    /// by material code, with the name to give each.
    func outstanding(_ number: String, on connection: PostgresConnection) async throws -> (owed: [String: String], requests: [(id: String, items: [SupplementRequested.Item])]) {
        let owed = try await connection.query("""
            SELECT material_code, name FROM deficiencies WHERE case_number = \(number) AND supplied_at IS NULL
            """).decode((String, String).self)
        let requests = try await connection.query("""
            SELECT request_id, items FROM supplement_requests WHERE case_number = \(number) AND answered_at IS NULL ORDER BY requested_at
            """).decode((String, PostgresJSONB<[SupplementRequested.Item]>).self)
        return (Dictionary(owed, uniquingKeysWith: { first, _ in first }), requests.map { ($0.0, $0.1.value) })
    }

    func markSupplied(_ number: String, codes: [String], at: Date, on connection: PostgresConnection) async throws {
        _ = try await connection.query("""
            UPDATE deficiencies SET supplied_at = \(at) WHERE case_number = \(number) AND material_code = ANY(\(codes)) AND supplied_at IS NULL
            """)
    }

    func markAnswered(_ requestIDs: [String], at: Date, on connection: PostgresConnection) async throws {
        _ = try await connection.query("UPDATE supplement_requests SET answered_at = \(at) WHERE request_id = ANY(\(requestIDs)) AND answered_at IS NULL")
    }

    /// The bytes of all of a case's materials, for the case limit.
    func materialBytes(_ number: String, on connection: PostgresConnection) async throws -> Int {
        try await connection.query("SELECT COALESCE(sum(size), 0)::bigint FROM materials WHERE case_number = \(number)").decode(Int.self).first ?? 0
    }

    /// The codes of the materials partner regions need of the case: those of its matters of other
    /// regions (the catalogue's), and those partner regions' open supplement requests ask for.
    func partnerMaterialCodes(_ number: String, homeRegion: String, on connection: PostgresConnection) async throws -> Set<String> {
        Set(try await connection.query("""
            SELECT code FROM cases, jsonb_array_elements(submission -> 'matters') AS matter, jsonb_array_elements_text(matter -> 'materials') AS code
            WHERE number = \(number) AND matter ->> 'region' <> \(homeRegion)
            UNION
            SELECT item ->> 'materialCode' FROM supplement_requests, jsonb_array_elements(items) AS item
            WHERE case_number = \(number) AND partner_region IS NOT NULL AND answered_at IS NULL
            """).decode(String.self))
    }

    /// The case's submission as the event announced it, materials included.
    func storeSubmission(_ submitted: CaseSubmitted, on connection: PostgresConnection) async throws {
        _ = try await connection.query("UPDATE cases SET submission = \(try PostgresJSONB(submitted)) WHERE number = \(submitted.caseNumber)")
    }

    // MARK: What approval, seal and partner regions report

    /// A task approval opened; opened again (redelivered), its deadlines as sent last.
    func openTask(_ task: TasksOpened.Task, caseNumber: String, region: String, on connection: PostgresConnection) async throws {
        _ = try await connection.query("""
            INSERT INTO tasks (task_id, case_number, matter_code, department, department_name, region, status, deadlines)
            VALUES (\(task.taskID), \(caseNumber), \(task.matterCode), \(task.department), \(task.departmentName), \(region),
                    'under-review', \(try PostgresJSONB(task.deadlines)))
            ON CONFLICT (task_id) DO UPDATE SET deadlines = EXCLUDED.deadlines
            """)
    }

    /// A supplement request (补正) of a task; the task waits for it.
    /// A supplement request (补正) of approval's, or of a partner region's (`partnerRegion`).
    func insertSupplementRequest(_ event: SupplementRequested, caseNumber: String, partnerRegion: String? = nil, on connection: PostgresConnection) async throws {
        _ = try await connection.query("""
            INSERT INTO supplement_requests (request_id, case_number, task_id, matter_code, department, items, reason, requested_at, partner_region)
            VALUES (\(event.requestID), \(caseNumber), \(event.taskID), \(event.matterCode), \(event.department), \(try PostgresJSONB(event.items)),
                    \(event.reason), \(event.requestedAt), \(partnerRegion))
            ON CONFLICT (request_id) DO NOTHING
            """)
        _ = try await connection.query("UPDATE tasks SET status = 'awaiting-supplement' WHERE task_id = \(event.taskID) AND status = 'under-review'")
    }

    /// The task's review resumed after a supplement, with its deadlines moved.
    func resumeTask(_ taskID: String, deadlines: TaskDeadlines, on connection: PostgresConnection) async throws {
        _ = try await connection.query("""
            UPDATE tasks SET status = 'under-review', deadlines = \(try PostgresJSONB(deadlines))
            WHERE task_id = \(taskID) AND status = 'awaiting-supplement'
            """)
    }

    /// A decided task, whatever order its events came in; a revoked one stays revoked.
    func recordDecision(_ decision: MatterDecision, caseNumber: String, region: String, on connection: PostgresConnection) async throws {
        _ = try await connection.query("""
            INSERT INTO tasks (task_id, case_number, matter_code, department, department_name, region, status, deadlines, decision)
            VALUES (\(decision.taskID), \(caseNumber), \(decision.matterCode), \(decision.department), \(decision.departmentName), \(region),
                    \(decision.outcome.rawValue), \(try PostgresJSONB(decision.deadlines)), \(try PostgresJSONB(decision)))
            ON CONFLICT (task_id) DO UPDATE SET
                status = CASE WHEN tasks.status = 'revoked' THEN tasks.status ELSE EXCLUDED.status END,
                deadlines = EXCLUDED.deadlines, decision = EXCLUDED.decision
            """)
    }

    func markDecided(_ number: String, at: Date, on connection: PostgresConnection) async throws {
        _ = try await connection.query("UPDATE cases SET decided_at = \(at) WHERE number = \(number)")
    }

    func markTaskRevoked(_ taskID: String, on connection: PostgresConnection) async throws {
        _ = try await connection.query("UPDATE tasks SET status = 'revoked' WHERE task_id = \(taskID)")
    }

    /// Licences issued for the case, at home (`issuedAt`, the home part's licences) or by a
    /// partner region (nil: the home part's issue time stays as it is).
    func addLicences(_ licences: [LicenceSummary], refused: [LicencesIssued.Refusal], issuedAt: Date?, to number: String, on connection: PostgresConnection) async throws {
        _ = try await connection.query("""
            UPDATE cases SET licences_issued_at = COALESCE(\(issuedAt), licences_issued_at),
                licences = licences || \(try PostgresJSONB(licences)), refused = refused || \(try PostgresJSONB(refused))
            WHERE number = \(number)
            """)
    }

    /// A partner region's part of the case decided, and done when `completed`.
    func markPartnerPart(_ number: String, region: String, at: Date, completed: Bool, on connection: PostgresConnection) async throws {
        _ = try await connection.query("""
            UPDATE partner_parts SET decided_at = COALESCE(decided_at, \(at)),
                completed_at = CASE WHEN \(completed) THEN COALESCE(completed_at, \(at)) ELSE completed_at END
            WHERE case_number = \(number) AND region = \(region)
            """)
    }

    func taskDepartmentName(_ taskID: String, on connection: PostgresConnection) async throws -> String? {
        try await connection.query("SELECT department_name FROM tasks WHERE task_id = \(taskID)").decode(String.self).first
    }
}
