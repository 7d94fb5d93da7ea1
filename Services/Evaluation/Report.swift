import Domain
import Foundation
import TongbanClient

/// How a report's rows are grouped (`groupBy`).
enum ReportGrouping: String, Sendable {
    case department, matter
}

/// The facts a report counts, as the projection holds them (EvaluationRepository.reportFacts);
/// `report` works out the rates as TongbanClient's `Report` defines them.
struct ReportFacts: Sendable {
    struct TaskFact: Sendable {
        var caseNumber: String
        var matterCode: String
        var matterName: String
        var department: String
        var departmentName: String
        var promisedLimitDays: Int
        var legalLimitDays: Int
        var decidedInPeriod: Bool
        var decidedOnTime: Bool
        var light: Light
        var pastLegalLimit: Bool
        var caseCompletedInPeriod: Bool
        var rating: RatingLevel?
    }

    struct RectificationFact: Sendable {
        var caseNumber: String
        var department: String
        var closed: Bool
    }

    var tasks: [TaskFact]
    var rectifications: [RectificationFact]

    /// The report's rows, one per department or matter in the facts, by code, and the total.
    func report(from: CalendarDay, to: CalendarDay, groupBy grouping: ReportGrouping) -> Report {
        func key(_ task: TaskFact) -> (String, String) {
            grouping == .department ? (task.department, task.departmentName) : (task.matterCode, task.matterName)
        }
        var names: [String: String] = [:]
        for task in tasks { names[key(task).0] = names[key(task).0] ?? key(task).1 }
        let rows = names.keys.sorted().map { code in
            row(key: code, name: names[code]!, tasks: tasks.filter { key($0).0 == code })
        }
        return Report(from: from.description, to: to.description, groupBy: grouping.rawValue, rows: rows, total: row(key: "all", name: "全部", tasks: tasks))
    }

    private func row(key: String, name: String, tasks: [TaskFact]) -> Report.Row {
        func rate(_ part: Int, _ whole: Int) -> Double? { whole == 0 ? nil : Double(part) / Double(whole) }
        var ratingByCase: [String: RatingLevel?] = [:]
        for task in tasks where task.caseCompletedInPeriod { ratingByCase[task.caseNumber] = task.rating }
        let ratings = ratingByCase.values.compactMap { $0 }
        let positive = ratings.filter(\.isPositive).count
        let decided = tasks.filter(\.decidedInPeriod)
        let onTime = decided.filter(\.decidedOnTime).count
        let withLegal = decided.filter { $0.legalLimitDays > 0 }
        let share = withLegal.isEmpty ? nil : withLegal.map { Double($0.promisedLimitDays) / Double($0.legalLimitDays) }.reduce(0, +) / Double(withLegal.count)
        // A rectification counts where its department handled the case within this row's tasks.
        let handled = Set(tasks.filter(\.caseCompletedInPeriod).map { "\($0.caseNumber)|\($0.department)" })
        let rectifications = self.rectifications.filter { handled.contains("\($0.caseNumber)|\($0.department)") }
        var lights = Report.Lights()
        for task in decided {
            switch task.light {
            case .green: lights.green += 1
            case .yellow: lights.yellow += 1
            case .red: lights.red += 1
            }
            if task.pastLegalLimit { lights.legalOverdue += 1 }
        }
        return Report.Row(
            key: key,
            name: name,
            completedCases: ratingByCase.count,
            ratedCases: ratings.count,
            positiveRatings: positive,
            positiveRatingRate: rate(positive, ratings.count),
            activeRatingRate: rate(ratings.count, ratingByCase.count),
            decidedTasks: decided.count,
            onTimeTasks: onTime,
            onTimeCompletionRate: rate(onTime, decided.count),
            promisedShareOfLegalLimit: share,
            rectifications: rectifications.count,
            closedRectifications: rectifications.filter(\.closed).count,
            rectificationRate: rate(rectifications.filter(\.closed).count, rectifications.count),
            lights: lights
        )
    }
}

/// A period of local days from query parameters `from` and `to` (YYYY-MM-DD, both included);
/// by default the current month up to today.
struct ReportPeriod: Sendable {
    var from: CalendarDay
    var to: CalendarDay
    var start: Date
    var end: Date

    init(from fromText: String?, to toText: String?, calendar: WorkingCalendar, now: Date) throws(InvalidFields) {
        let today = calendar.day(of: now)
        var errors: [FieldError] = []
        func day(_ text: String?, field: String, default value: CalendarDay) -> CalendarDay {
            guard let text else { return value }
            do {
                return try CalendarDay(text)
            } catch {
                errors.append(FieldError(field: field, problem: "must be a day, YYYY-MM-DD"))
                return value
            }
        }
        let from = day(fromText, field: "from", default: CalendarDay(year: today.year, month: today.month, day: 1))
        let to = day(toText, field: "to", default: today)
        if errors.isEmpty, to < from {
            errors.append(FieldError(field: "to", problem: "must not be before from"))
        }
        guard errors.isEmpty else { throw InvalidFields(errors) }
        self.from = from
        self.to = to
        start = calendar.startOfDay(from)
        end = calendar.startOfDay(to.adding(days: 1))
    }
}
