public import Foundation
public import Messaging

// Evaluation's answers, written once: evaluation renders these types and every client reads them.

// MARK: 电子监察 (supervision)

/// The light of a task's clock under its promised limit, as supervision reckons it from the events
/// alone (审管分离); ordered from best to worst, so the worst of several is their `max()`.
public enum Light: String, Codable, Sendable, CaseIterable, Comparable {
    /// 绿灯: within the promised limit, with time to spare.
    case green
    /// 黄灯: little time is left.
    case yellow
    /// 红灯: past the promised limit.
    case red

    private var rank: Int {
        switch self {
        case .green: 0
        case .yellow: 1
        case .red: 2
        }
    }

    public static func < (lhs: Light, rhs: Light) -> Bool { lhs.rank < rhs.rank }
}

/// Where a case stands as evaluation knows it from the events.
public enum SupervisedCaseStatus: String, Codable, Sendable, CaseIterable {
    /// In approval, here or in a partner region.
    case open
    /// 办结: every part of it is decided.
    case completed
    /// 撤回: the applicant withdrew it.
    case withdrawn
}

/// One task's clock as supervision last read it.
public struct TaskClock: Codable, Sendable, Equatable {
    /// Why the clock runs or stopped.
    public enum Status: String, Codable, Sendable, CaseIterable {
        case open
        /// 补正: it stands still while the applicant supplies materials.
        case suspended
        case decided
        /// The case was withdrawn before the decision.
        case withdrawn
    }

    public var taskID: String
    public var caseNumber: String
    public var matterCode: String
    public var matterName: String
    public var department: String
    public var departmentName: String
    /// standard, commitment (告知承诺) or immediate (即办件).
    public var mode: String
    public var status: Status
    /// The worst light the clock has shown.
    public var light: Light
    /// Past the legal limit (超法定时限).
    public var pastLegalLimit: Bool
    public var promisedLimitDays: Int
    public var legalLimitDays: Int
    public var promisedDeadline: Date?
    public var legalDeadline: Date?
    /// Working days left of the promised limit when supervision last read the clock.
    public var remainingPromisedDays: Double?
    public var checkedAt: Date?
    public var decidedAt: Date?
    /// Decided within the promised limit, as supervision reckons it (suspensions excluded).
    public var decidedOnTime: Bool?

    public init(taskID: String, caseNumber: String, matterCode: String, matterName: String, department: String, departmentName: String, mode: String,
                status: Status, light: Light, pastLegalLimit: Bool, promisedLimitDays: Int, legalLimitDays: Int, promisedDeadline: Date?,
                legalDeadline: Date?, remainingPromisedDays: Double?, checkedAt: Date?, decidedAt: Date?, decidedOnTime: Bool?) {
        self.taskID = taskID
        self.caseNumber = caseNumber
        self.matterCode = matterCode
        self.matterName = matterName
        self.department = department
        self.departmentName = departmentName
        self.mode = mode
        self.status = status
        self.light = light
        self.pastLegalLimit = pastLegalLimit
        self.promisedLimitDays = promisedLimitDays
        self.legalLimitDays = legalLimitDays
        self.promisedDeadline = promisedDeadline
        self.legalDeadline = legalDeadline
        self.remainingPromisedDays = remainingPromisedDays
        self.checkedAt = checkedAt
        self.decidedAt = decidedAt
        self.decidedOnTime = decidedOnTime
    }
}

/// A case's clocks and lights, as supervisors see them (`GET /supervision/cases/{number}`).
public struct CaseClocks: Codable, Sendable, Equatable {
    public var caseNumber: String
    public var status: SupervisedCaseStatus
    public var acceptedAt: Date?
    public var completedAt: Date?
    /// The worst light among its tasks.
    public var light: Light
    public var tasks: [TaskClock]
    /// The alerts raised for it, in the order they were raised.
    public var alerts: [AlertRaised]

    public init(caseNumber: String, status: SupervisedCaseStatus, acceptedAt: Date?, completedAt: Date?, light: Light, tasks: [TaskClock], alerts: [AlertRaised]) {
        self.caseNumber = caseNumber
        self.status = status
        self.acceptedAt = acceptedAt
        self.completedAt = completedAt
        self.light = light
        self.tasks = tasks
        self.alerts = alerts
    }
}

/// A department's open tasks, counted by light.
public struct DepartmentLights: Codable, Sendable, Equatable {
    public var department: String
    public var departmentName: String
    public var open: Int
    public var green: Int
    public var yellow: Int
    public var red: Int
    /// Past the legal limit (超法定时限), whatever their light.
    public var legalOverdue: Int
    /// Standing still for a supplement (补正).
    public var suspended: Int

    public init(department: String, departmentName: String, open: Int, green: Int, yellow: Int, red: Int, legalOverdue: Int, suspended: Int) {
        self.department = department
        self.departmentName = departmentName
        self.open = open
        self.green = green
        self.yellow = yellow
        self.red = red
        self.legalOverdue = legalOverdue
        self.suspended = suspended
    }
}

/// What the supervisors' dashboard (电子监察大屏) shows (`GET /supervision/overview`).
public struct SupervisionOverview: Codable, Sendable, Equatable {
    public var generatedAt: Date
    /// The open tasks' lights, by department.
    public var departments: [DepartmentLights]
    /// The open tasks past their promised limit, soonest deadline first.
    public var overdue: [TaskClock]
    public var overdueRectifications: [Rectification]
    /// The period's report, by department.
    public var rates: Report

    public init(generatedAt: Date, departments: [DepartmentLights], overdue: [TaskClock], overdueRectifications: [Rectification], rates: Report) {
        self.generatedAt = generatedAt
        self.departments = departments
        self.overdue = overdue
        self.overdueRectifications = overdueRectifications
        self.rates = rates
    }
}

/// The latest alerts raised, newest first (`GET /supervision/alerts`).
public struct AlertList: Codable, Sendable, Equatable {
    public var alerts: [AlertRaised]

    public init(alerts: [AlertRaised]) {
        self.alerts = alerts
    }
}

/// The rates a service centre publishes, by department or matter, for a period of local days
/// (`GET /reports`). Each definition is written once, in evaluation's `ReportFacts` and in
/// Docs/openapi.yaml:
/// - completed cases: cases whose last decision (bundle-decided) falls in the period; a case
///   counts for every department and matter among its tasks.
/// - 好评率 positive rating rate: ratings of 基本满意 or better / ratings, among completed cases.
/// - 主动评价率 active rating rate: rated completed cases / completed cases.
/// - 按时办结率 on-time completion rate: tasks decided in the period within their promised limit
///   as supervision reckons it (suspensions excluded) / tasks decided in the period.
/// - promised share of legal limit: the mean of promised ÷ legal limit over the tasks decided in
///   the period whose legal limit is above zero.
/// - 整改率 rectification rate: closed rectifications / rectifications, among those opened for
///   completed cases (by matter: those of the departments that handled the matter in the case).
/// - lights: the tasks decided in the period by the worst light their clock showed, and how many
///   passed their legal limit.
/// A rate whose denominator is zero is null.
public struct Report: Codable, Sendable, Equatable {
    /// Tasks by the worst light their clock showed.
    public struct Lights: Codable, Sendable, Equatable {
        public var green: Int
        public var yellow: Int
        public var red: Int
        public var legalOverdue: Int

        public init(green: Int = 0, yellow: Int = 0, red: Int = 0, legalOverdue: Int = 0) {
            self.green = green
            self.yellow = yellow
            self.red = red
            self.legalOverdue = legalOverdue
        }
    }

    /// One department's or matter's rates, or the total.
    public struct Row: Codable, Sendable, Equatable {
        /// The department's or matter's code; `all` for the total.
        public var key: String
        public var name: String
        public var completedCases: Int
        public var ratedCases: Int
        public var positiveRatings: Int
        public var positiveRatingRate: Double?
        public var activeRatingRate: Double?
        public var decidedTasks: Int
        public var onTimeTasks: Int
        public var onTimeCompletionRate: Double?
        public var promisedShareOfLegalLimit: Double?
        public var rectifications: Int
        public var closedRectifications: Int
        public var rectificationRate: Double?
        public var lights: Lights

        public init(key: String, name: String, completedCases: Int, ratedCases: Int, positiveRatings: Int, positiveRatingRate: Double?,
                    activeRatingRate: Double?, decidedTasks: Int, onTimeTasks: Int, onTimeCompletionRate: Double?, promisedShareOfLegalLimit: Double?,
                    rectifications: Int, closedRectifications: Int, rectificationRate: Double?, lights: Lights) {
            self.key = key
            self.name = name
            self.completedCases = completedCases
            self.ratedCases = ratedCases
            self.positiveRatings = positiveRatings
            self.positiveRatingRate = positiveRatingRate
            self.activeRatingRate = activeRatingRate
            self.decidedTasks = decidedTasks
            self.onTimeTasks = onTimeTasks
            self.onTimeCompletionRate = onTimeCompletionRate
            self.promisedShareOfLegalLimit = promisedShareOfLegalLimit
            self.rectifications = rectifications
            self.closedRectifications = closedRectifications
            self.rectificationRate = rectificationRate
            self.lights = lights
        }
    }

    /// The period's first and last day, YYYY-MM-DD, both included.
    public var from: String
    public var to: String
    /// department or matter.
    public var groupBy: String
    public var rows: [Row]
    public var total: Row

    public init(from: String, to: String, groupBy: String, rows: [Row], total: Row) {
        self.from = from
        self.to = to
        self.groupBy = groupBy
        self.rows = rows
        self.total = total
    }
}

// MARK: 好差评 and 整改 (ratings and rectifications)

/// 整改: what a bad rating sets in motion for one responsible department, as applicants, officers
/// and supervisors see it (`GET /rectifications/{id}`, and in lists and ratings).
public struct Rectification: Codable, Sendable, Equatable {
    /// Where the rectification stands.
    public enum Status: String, Codable, Sendable, CaseIterable {
        /// Waiting for the department's action.
        case open
        /// The department acted; waiting for the supervisor's callback (回访).
        case acted
        /// Called back and closed.
        case closed
    }

    /// What the department did.
    public struct Action: Codable, Sendable, Equatable {
        public var description: String
        /// The officer who recorded it.
        public var by: String
        public var at: Date

        public init(description: String, by: String, at: Date) {
            self.description = description
            self.by = by
            self.at = at
        }
    }

    /// The supervisor's callback to the applicant (回访), which closed it.
    public struct Callback: Codable, Sendable, Equatable {
        public var summary: String
        public var applicantSatisfied: Bool
        /// The supervisor who recorded it.
        public var by: String
        public var at: Date

        public init(summary: String, applicantSatisfied: Bool, by: String, at: Date) {
            self.summary = summary
            self.applicantSatisfied = applicantSatisfied
            self.by = by
            self.at = at
        }
    }

    public var id: String
    public var caseNumber: String
    public var department: String
    public var departmentName: String
    /// The bad rating's level: dissatisfied or very-dissatisfied.
    public var ratingLevel: String
    /// e.g. 不满意.
    public var ratingLevelName: String
    public var openedAt: Date
    /// Working days the department has to act.
    public var limitDays: Int
    /// The instant the limit runs out: the end of `dueDay`.
    public var dueAt: Date
    /// The last working day for the department's action, in the region's local time.
    public var dueDay: String
    public var status: Status
    /// The department did not record its action by the deadline.
    public var overdue: Bool
    public var action: Action?
    public var callback: Callback?

    public init(id: String, caseNumber: String, department: String, departmentName: String, ratingLevel: String, ratingLevelName: String, openedAt: Date,
                limitDays: Int, dueAt: Date, dueDay: String, status: Status, overdue: Bool, action: Action?, callback: Callback?) {
        self.id = id
        self.caseNumber = caseNumber
        self.department = department
        self.departmentName = departmentName
        self.ratingLevel = ratingLevel
        self.ratingLevelName = ratingLevelName
        self.openedAt = openedAt
        self.limitDays = limitDays
        self.dueAt = dueAt
        self.dueDay = dueDay
        self.status = status
        self.overdue = overdue
        self.action = action
        self.callback = callback
    }
}

/// Rectifications, soonest deadline first (`GET /rectifications`).
public struct RectificationList: Codable, Sendable, Equatable {
    public var rectifications: [Rectification]

    public init(rectifications: [Rectification]) {
        self.rectifications = rectifications
    }
}

/// 好差评: whether and until when a case can be rated, its rating, and what the departments do
/// about a bad one (`GET /cases/{number}/rating`, and `POST` of a rating, 201).
public struct CaseRating: Codable, Sendable, Equatable {
    /// The applicant's rating, given once.
    public struct Rating: Codable, Sendable, Equatable {
        /// very-satisfied, satisfied, basically-satisfied, dissatisfied or very-dissatisfied.
        public var level: String
        /// e.g. 满意.
        public var levelName: String
        /// 好评: 基本满意 or better.
        public var positive: Bool
        /// window-device, web or hotline-12345.
        public var channel: String
        public var tags: [String]
        public var comment: String?
        public var ratedAt: Date

        public init(level: String, levelName: String, positive: Bool, channel: String, tags: [String], comment: String?, ratedAt: Date) {
            self.level = level
            self.levelName = levelName
            self.positive = positive
            self.channel = channel
            self.tags = tags
            self.comment = comment
            self.ratedAt = ratedAt
        }
    }

    public var caseNumber: String
    public var status: SupervisedCaseStatus
    public var completedAt: Date?
    /// The end of the rating window, for a completed case.
    public var ratableUntil: Date?
    /// Completed, not rated yet, and within the window.
    public var ratable: Bool
    public var rating: Rating?
    /// The rectifications a bad rating opened, by department.
    public var rectifications: [Rectification]

    public init(caseNumber: String, status: SupervisedCaseStatus, completedAt: Date?, ratableUntil: Date?, ratable: Bool, rating: Rating?, rectifications: [Rectification]) {
        self.caseNumber = caseNumber
        self.status = status
        self.completedAt = completedAt
        self.ratableUntil = ratableUntil
        self.ratable = ratable
        self.rating = rating
        self.rectifications = rectifications
    }
}
