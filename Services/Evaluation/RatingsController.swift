import Domain
import Foundation
import Hummingbird
import Messaging
import Postgres
import ServiceKit

/// 好差评 routes: the applicant rates a completed case once, within the window, from the window's
/// rating device, the web portal or through the 12345 hotline (each acts with the applicant's own
/// token); a bad rating opens the responsible departments' rectifications.
struct RatingsController: Sendable {
    let database: PostgresClient
    let settings: EvaluationSettings
    let rectifications: RectificationStore

    func addRoutes(to router: Router<TongbanRequestContext>) {
        router.post("cases/{number}/rating") { request, context in try await rate(request, context) }
        router.get("cases/{number}/rating") { _, context in try await read(context) }
    }

    struct RatingDocument: Codable, Sendable, Equatable {
        var level: String
        var levelName: String
        var positive: Bool
        var channel: String
        var tags: [String]
        var comment: String?
        var ratedAt: Date
    }

    /// The case as its applicant sees it here: whether and until when it can be rated, its rating
    /// and what the departments do about a bad one.
    struct CaseRating: Codable, Sendable, Equatable {
        var caseNumber: String
        /// open (in approval), completed or withdrawn.
        var status: String
        var completedAt: Date?
        var ratableUntil: Date?
        var ratable: Bool
        var rating: RatingDocument?
        var rectifications: [RectificationView]
    }

    private struct CaseRow: Decodable {
        var applicantAccount: String?
        var completedAt: Date?
        var withdrawnAt: Date?
    }

    func caseNumber(_ context: TongbanRequestContext) throws -> String {
        let text = try context.parameters.require("number")
        do {
            return try CaseNumber(text).description
        } catch {
            throw Problem.notFound("No such case.")
        }
    }

    /// The case, if `caller` may see it: its applicant, or a supervisor. Anyone else's case answers
    /// 404, so that case numbers cannot be probed.
    private func accessibleCase(_ number: String, caller: Principal, lock: Bool, on connection: PostgresConnection) async throws -> CaseRow {
        let rows = try await connection.query("""
            SELECT applicant_account, completed_at, withdrawn_at FROM cases WHERE case_number = \(number) \(unescaped: lock ? "FOR UPDATE" : "")
            """).decodeRecords(CaseRow.self, keys: .convertFromSnakeCase)
        guard let row = rows.first, let account = row.applicantAccount else {
            throw Problem.notFound("No such case among the cases evaluation knows.")
        }
        if caller.role != .supervisor {
            try caller.requireOwnCase(applicantID: account)
        }
        return row
    }

    // MARK: POST /cases/{number}/rating

    func rate(_ request: Request, _ context: TongbanRequestContext) async throws -> Response {
        let caller = try context.requirePrincipal(.applicant)
        let number = try caseNumber(context)
        let body = try await request.decode(as: RatingRequest.self, context: context)
        let rating = try body.validated()
        let now = settings.now()
        let window = settings.ratingWindowDays
        let document = try await database.withTransaction { connection in
            let row = try await accessibleCase(number, caller: caller, lock: true, on: connection)
            if row.withdrawnAt != nil {
                throw Problem(type: .caseNotCompleted, status: .conflict, title: "The case is not completed", detail: "Case \(number) was withdrawn; only completed cases are rated.")
            }
            guard let completedAt = row.completedAt else {
                throw Problem(type: .caseNotCompleted, status: .conflict, title: "The case is not completed", detail: "Case \(number) is still being handled; it can be rated once every department has decided.")
            }
            let until = completedAt.addingTimeInterval(Double(window) * 86400)
            guard now <= until else {
                throw Problem(type: .ratingWindowClosed, status: .conflict, title: "The rating window has closed", detail: "Case \(number) could be rated until \(Envelope.formatTime(until)), \(window) days after it was completed.")
            }
            let departments = try await connection.query("""
                SELECT department, min(department_name) FROM tasks WHERE case_number = \(number) GROUP BY department ORDER BY department
                """).decode((String, String).self)
            var responsible = departments
            if let named = body.department {
                responsible = departments.filter { $0.0 == named }
                guard !responsible.isEmpty else {
                    throw Problem.validation([FieldError(field: "department", problem: "must be one of the departments that handled the case: \(departments.map(\.0).joined(separator: ", "))")])
                }
            }
            let inserted = try await connection.query("""
                INSERT INTO ratings (case_number, applicant_account, level, tags, comment, channel, rated_at)
                VALUES (\(number), \(caller.subject), \(rating.level.rawValue), \(try PostgresJSONB(rating.tags)), \(rating.comment), \(rating.channel.rawValue), \(now))
                ON CONFLICT (case_number) DO NOTHING
                RETURNING case_number
                """)
            guard !inserted.isEmpty else {
                throw Problem(type: .alreadyRated, status: .conflict, title: "The case was rated already", detail: "Case \(number) has its rating; each case is rated once.")
            }
            if !rating.level.isPositive {
                for (department, name) in responsible {
                    try await rectifications.open(caseNumber: number, department: department, departmentName: name, level: rating.level, ratedAt: now, on: connection)
                }
            }
            return try await caseRating(number, caller: caller, on: connection)
        }
        return try Response.json(document, status: .created, headers: [.location: "/cases/\(number)/rating"])
    }

    // MARK: GET /cases/{number}/rating

    func read(_ context: TongbanRequestContext) async throws -> Response {
        let caller = try context.requirePrincipal(.applicant, .supervisor)
        let number = try caseNumber(context)
        let document = try await database.withConnection { connection in
            try await caseRating(number, caller: caller, on: connection)
        }
        return try Response.json(document)
    }

    private func caseRating(_ number: String, caller: Principal, on connection: PostgresConnection) async throws -> CaseRating {
        let row = try await accessibleCase(number, caller: caller, lock: false, on: connection)
        let ratings = try await connection.query("""
            SELECT level, channel, tags, comment, rated_at FROM ratings WHERE case_number = \(number)
            """).decode((String, String, PostgresJSONB<[String]>, String?, Date).self)
        let rating = ratings.first.map { level, channel, tags, comment, ratedAt in
            RatingDocument(
                level: level,
                levelName: RatingLevel(rawValue: level)?.name ?? level,
                positive: RatingLevel(rawValue: level)?.isPositive ?? false,
                channel: channel,
                tags: tags.value,
                comment: comment,
                ratedAt: ratedAt
            )
        }
        let until = row.completedAt?.addingTimeInterval(Double(settings.ratingWindowDays) * 86400)
        let status = row.withdrawnAt != nil ? "withdrawn" : row.completedAt != nil ? "completed" : "open"
        return CaseRating(
            caseNumber: number,
            status: status,
            completedAt: row.completedAt,
            ratableUntil: status == "completed" ? until : nil,
            ratable: status == "completed" && rating == nil && until.map { settings.now() <= $0 } == true,
            rating: rating,
            rectifications: try await rectifications.list(caseNumber: number, on: connection)
        )
    }
}
