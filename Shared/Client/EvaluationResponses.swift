public import Foundation

/// 好差评: whether and until when a case can be rated, and its rating (`GET /cases/{number}/rating`).
public struct CaseRating: Decodable, Sendable {
    /// The applicant's rating, given once.
    public struct Rating: Decodable, Sendable {
        /// very-satisfied, satisfied, basically-satisfied, dissatisfied or very-dissatisfied.
        public var level: String
        /// e.g. 满意.
        public var levelName: String
        /// 好评.
        public var positive: Bool
        /// window-device, web or hotline-12345.
        public var channel: String
        public var tags: [String]
        public var comment: String?
        public var ratedAt: Date
    }

    public var caseNumber: String
    /// open (in approval), completed or withdrawn.
    public var status: String
    public var completedAt: Date?
    public var ratableUntil: Date?
    public var ratable: Bool
    public var rating: Rating?
}

/// 电子监察: a case's clocks and lights, as supervisors see them (`GET /supervision/cases/{number}`).
public struct CaseClocks: Decodable, Sendable {
    /// One task's clock.
    public struct Clock: Decodable, Sendable {
        public var taskID: String
        public var matterCode: String
        public var matterName: String
        public var department: String
        public var departmentName: String
        /// open, suspended, decided or withdrawn.
        public var status: String
        /// green, yellow or red: the worst light the clock has shown.
        public var light: String
        public var pastLegalLimit: Bool
        public var promisedLimitDays: Int
        public var legalLimitDays: Int
        public var promisedDeadline: Date?
        public var legalDeadline: Date?
        public var decidedAt: Date?
        public var decidedOnTime: Bool?
    }

    public var caseNumber: String
    /// open, completed or withdrawn.
    public var status: String
    public var acceptedAt: Date?
    public var completedAt: Date?
    /// The worst light among its tasks.
    public var light: String
    public var tasks: [Clock]
}
