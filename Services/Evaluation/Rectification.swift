import Domain
import Foundation
import TongbanClient

/// 整改: what a bad rating sets in motion for one responsible department — the department records
/// what it did by a deadline in working days, and a supervisor calls the applicant back (回访) and
/// closes it. As evaluation keeps it, a row of `rectifications` (the names are its columns');
/// users read it as TongbanClient's `Rectification`.
struct RectificationRow: Decodable, Sendable {
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

extension Rectification {
    /// When the department must have acted on a rectification opened at `openedAt`: the end of
    /// its `limitDays`th working day.
    static func dueAt(openedAt: Date, limitDays: Int, calendar: WorkingCalendar) -> Date {
        WorkingDayClock(calendar: calendar, acceptedAt: openedAt).deadline(limitDays: limitDays, asOf: openedAt)
    }

    /// `row` as it stands at `now`, its due day told in `calendar` (the home region's).
    init(_ row: RectificationRow, calendar: WorkingCalendar, now: Date) {
        let status: Status = row.closedAt != nil ? .closed : row.actedAt != nil ? .acted : .open
        var action: Action?
        if let description = row.action, let by = row.actedBy, let at = row.actedAt {
            action = Action(description: description, by: by, at: at)
        }
        var callback: Callback?
        if let summary = row.callback, let satisfied = row.applicantSatisfied, let by = row.callbackBy, let at = row.closedAt {
            callback = Callback(summary: summary, applicantSatisfied: satisfied, by: by, at: at)
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
