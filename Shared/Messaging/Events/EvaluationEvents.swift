public import Foundation

/// `tongban.evaluation.alert-raised.v1`: supervision (电子监察) saw a light change — a task's clock
/// turned yellow (little time left), red (past the promised limit) or passed the legal limit, or a
/// rectification (整改) went past its deadline. Each change of each task or rectification is
/// raised exactly once.
public struct AlertRaised: Codable, Sendable, Equatable {
    /// What the light is on.
    public enum Subject: String, Codable, Sendable, CaseIterable {
        /// A department's task of a case (the clock of one matter).
        case task
        /// A rectification opened after a bad rating.
        case rectification
    }

    /// The change seen.
    public enum Light: String, Codable, Sendable, CaseIterable {
        /// 黄灯: little time is left of the promised limit.
        case yellow
        /// 红灯: past the promised limit (for a rectification: past its deadline).
        case red
        /// Past the legal limit (超法定时限), a mark beyond red.
        case legalOverdue = "legal-overdue"
    }

    public var alertID: String
    public var subject: Subject
    /// The task's id or the rectification's id.
    public var subjectID: String
    public var light: Light
    public var caseNumber: String
    public var department: String
    public var departmentName: String?
    public var matterCode: String?
    public var matterName: String?
    /// The limit the light measures, in working days: the promised limit for yellow and red, the
    /// legal limit for legal-overdue, the rectification's limit for a rectification.
    public var limitDays: Int
    /// When that limit runs out as evaluation reckons it (suspensions included).
    public var deadline: Date
    /// Working days left of the limit when the change was seen; negative once past it.
    public var remainingWorkingDays: Double
    public var raisedAt: Date

    public init(alertID: String, subject: Subject, subjectID: String, light: Light, caseNumber: String, department: String, departmentName: String?, matterCode: String?, matterName: String?, limitDays: Int, deadline: Date, remainingWorkingDays: Double, raisedAt: Date) {
        self.alertID = alertID
        self.subject = subject
        self.subjectID = subjectID
        self.light = light
        self.caseNumber = caseNumber
        self.department = department
        self.departmentName = departmentName
        self.matterCode = matterCode
        self.matterName = matterName
        self.limitDays = limitDays
        self.deadline = deadline
        self.remainingWorkingDays = remainingWorkingDays
        self.raisedAt = raisedAt
    }

    static let schema = Schema.object([
        ("alertID", Schema.string("The alert's id.")),
        ("subject", Schema.string("task (a department's task of a case) or rectification (整改 after a bad rating).", oneOf: Subject.allCases.map(\.rawValue))),
        ("subjectID", Schema.string("The task's or the rectification's id.")),
        ("light", Schema.string("yellow: little time left of the promised limit; red: past the promised limit (a rectification: past its deadline); legal-overdue: past the legal limit.", oneOf: Light.allCases.map(\.rawValue))),
        ("caseNumber", Schema.caseNumber()),
        ("department", Schema.string("The responsible department's code.")),
        ("departmentName", Schema.string("The responsible department's name, when known.")),
        ("matterCode", Schema.string("The task's matter; absent for a rectification.")),
        ("matterName", Schema.string("The matter's name.")),
        ("limitDays", Schema.integer("The limit the light measures, in working days.", minimum: 0)),
        ("deadline", Schema.time("When that limit runs out as supervision reckons it, suspensions included.")),
        ("remainingWorkingDays", Schema.number("Working days left of the limit when the change was seen; negative once past it.")),
        ("raisedAt", Schema.time("When supervision saw the change.")),
    ], required: ["alertID", "subject", "subjectID", "light", "caseNumber", "department", "limitDays", "deadline", "remainingWorkingDays", "raisedAt"])
}

extension Topic {
    public static let alertRaised = Topic(
        owner: "evaluation", event: "alert-raised",
        summary: "Supervision (电子监察) saw a light change, once per change: a task turned yellow (little time left), red (past the promised limit) or passed the legal limit, or a rectification went past its deadline.",
        payload: AlertRaised.schema
    )
}

extension Schema {
    /// A JSON number, fractions allowed.
    static func number(_ description: String) -> DocumentNode {
        .mapping([("type", .string("number")), ("description", .string(description))])
    }
}
