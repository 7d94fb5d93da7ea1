import Domain
import Foundation

/// 整改: what a bad rating sets in motion for one responsible department — the department records
/// what it did by a deadline in working days, and a supervisor calls the applicant back (回访) and
/// closes it. As evaluation keeps it; the names are its columns'.
struct Rectification: Decodable, Sendable {
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

    /// When the department must have acted on a rectification opened at `openedAt`: the end of
    /// its `limitDays`th working day.
    static func dueAt(openedAt: Date, limitDays: Int, calendar: WorkingCalendar) -> Date {
        WorkingDayClock(calendar: calendar, acceptedAt: openedAt).deadline(limitDays: limitDays, asOf: openedAt)
    }
}

/// A rectification as applicants, officers and supervisors see it.
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

extension RectificationView {
    /// `row` as it stands at `now`, its due day told in `calendar` (the home region's).
    init(_ row: Rectification, calendar: WorkingCalendar, now: Date) {
        let status = row.closedAt != nil ? "closed" : row.actedAt != nil ? "acted" : "open"
        var action: RectificationView.Action?
        if let description = row.action, let by = row.actedBy, let at = row.actedAt {
            action = .init(description: description, by: by, at: at)
        }
        var callback: RectificationView.Callback?
        if let summary = row.callback, let satisfied = row.applicantSatisfied, let by = row.callbackBy, let at = row.closedAt {
            callback = .init(summary: summary, applicantSatisfied: satisfied, by: by, at: at)
        }
        self.init(
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
}
