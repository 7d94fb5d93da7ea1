import Domain
import Foundation
import Postgres
import ServiceKit

/// 整改: what a bad rating sets in motion for one responsible department — the department records
/// what it did by a deadline in working days, and a supervisor calls the applicant back (回访) and
/// closes it.
struct RectificationView: Codable, Sendable, Equatable {
    struct Action: Codable, Sendable, Equatable {
        var description: String
        var by: String
        var at: Date
    }

    struct Callback: Codable, Sendable, Equatable {
        var summary: String
        var applicantSatisfied: Bool
        var by: String
        var at: Date
    }

    var id: String
    var caseNumber: String
    var department: String
    var departmentName: String
    var ratingLevel: String
    var ratingLevelName: String
    var openedAt: Date
    var limitDays: Int
    /// The instant the limit runs out: the end of `dueDay`.
    var dueAt: Date
    /// The last working day for the department's action, in the region's local time.
    var dueDay: String
    /// open (waiting for the department), acted (waiting for the callback) or closed.
    var status: String
    /// The department did not record its action by the deadline.
    var overdue: Bool
    var action: Action?
    var callback: Callback?
}

/// Reads and writes rectifications.
struct RectificationStore: Sendable {
    let settings: EvaluationSettings

    struct Row: Decodable {
        var rectificationId: String
        var caseNumber: String
        var department: String
        var departmentName: String
        var ratingLevel: String
        var openedAt: Date
        var limitDays: Int
        var dueAt: Date
        var action: String?
        var actedBy: String?
        var actedAt: Date?
        var callback: String?
        var applicantSatisfied: Bool?
        var callbackBy: String?
        var closedAt: Date?
        var overdue: Bool
    }

    static let columns = """
        rectification_id, case_number, department, department_name, rating_level, opened_at, limit_days, due_at,
        action, acted_by, acted_at, callback, applicant_satisfied, callback_by, closed_at, overdue
        """

    /// Opens the rectification of `department` for a bad rating given at `ratedAt`.
    func open(caseNumber: String, department: String, departmentName: String, level: RatingLevel, ratedAt: Date, on connection: PostgresConnection) async throws {
        let limit = settings.rectificationWorkingDays
        let due = WorkingDayClock(calendar: settings.calendars.home, acceptedAt: ratedAt).deadline(limitDays: limit, asOf: ratedAt)
        _ = try await connection.query("""
            INSERT INTO rectifications (rectification_id, case_number, department, department_name, rating_level, opened_at, limit_days, due_at)
            VALUES (\(UUID().uuidString.lowercased()), \(caseNumber), \(department), \(departmentName), \(level.rawValue), \(ratedAt), \(limit), \(due))
            ON CONFLICT (case_number, department) DO NOTHING
            """)
    }

    func view(_ row: Row) -> RectificationView {
        let now = settings.now()
        let calendar = settings.calendars.home
        let status = row.closedAt != nil ? "closed" : row.actedAt != nil ? "acted" : "open"
        var action: RectificationView.Action?
        if let description = row.action, let by = row.actedBy, let at = row.actedAt {
            action = .init(description: description, by: by, at: at)
        }
        var callback: RectificationView.Callback?
        if let summary = row.callback, let satisfied = row.applicantSatisfied, let by = row.callbackBy, let at = row.closedAt {
            callback = .init(summary: summary, applicantSatisfied: satisfied, by: by, at: at)
        }
        return RectificationView(
            id: row.rectificationId,
            caseNumber: row.caseNumber,
            department: row.department,
            departmentName: row.departmentName,
            ratingLevel: row.ratingLevel,
            ratingLevelName: RatingLevel(rawValue: row.ratingLevel)?.name ?? row.ratingLevel,
            openedAt: row.openedAt,
            limitDays: row.limitDays,
            dueAt: row.dueAt,
            dueDay: calendar.day(of: row.dueAt.addingTimeInterval(-1)).description,
            status: status,
            overdue: row.overdue || (row.actedAt.map { $0 > row.dueAt } ?? (now > row.dueAt)),
            action: action,
            callback: callback
        )
    }

    func list(caseNumber: String, on connection: PostgresConnection) async throws -> [RectificationView] {
        try await connection.query("""
            SELECT \(unescaped: Self.columns) FROM rectifications WHERE case_number = \(caseNumber) ORDER BY department
            """).decodeRecords(Row.self, keys: .convertFromSnakeCase).map(view)
    }
}
