public import Foundation

/// A task's clock as approval reckons it: the limits in working days and the instants they run
/// out, already moved for any suspensions.
public struct TaskDeadlines: Codable, Sendable, Equatable {
    public var legalLimitDays: Int
    public var promisedLimitDays: Int
    public var legalDeadline: Date
    public var promisedDeadline: Date

    public init(legalLimitDays: Int, promisedLimitDays: Int, legalDeadline: Date, promisedDeadline: Date) {
        self.legalLimitDays = legalLimitDays
        self.promisedLimitDays = promisedLimitDays
        self.legalDeadline = legalDeadline
        self.promisedDeadline = promisedDeadline
    }

    static let schema = Schema.object([
        ("legalLimitDays", Schema.integer("Legal limit in working days.", minimum: 0)),
        ("promisedLimitDays", Schema.integer("Promised limit in working days.", minimum: 0)),
        ("legalDeadline", Schema.time("When the legal limit runs out, suspensions included.")),
        ("promisedDeadline", Schema.time("When the promised limit runs out, suspensions included.")),
    ], required: ["legalLimitDays", "promisedLimitDays", "legalDeadline", "promisedDeadline"])
}

/// What a department decided on a matter.
public enum DecisionOutcome: String, Codable, Sendable, CaseIterable {
    case approved, rejected
}

/// `tongban.approval.tasks-opened.v1`: approval opened one task per competent department and
/// matter of an accepted case, all at once (并联审批); supervisors' clocks start from it.
public struct TasksOpened: Codable, Sendable, Equatable {
    public struct Task: Codable, Sendable, Equatable {
        public var taskID: String
        public var matterCode: String
        public var matterName: String
        public var department: String
        public var departmentName: String
        public var mode: ApprovalMode
        public var deadlines: TaskDeadlines

        public init(taskID: String, matterCode: String, matterName: String, department: String, departmentName: String, mode: ApprovalMode, deadlines: TaskDeadlines) {
            self.taskID = taskID
            self.matterCode = matterCode
            self.matterName = matterName
            self.department = department
            self.departmentName = departmentName
            self.mode = mode
            self.deadlines = deadlines
        }
    }

    public var caseNumber: String
    public var region: String
    public var acceptedAt: Date
    public var tasks: [Task]

    public init(caseNumber: String, region: String, acceptedAt: Date, tasks: [Task]) {
        self.caseNumber = caseNumber
        self.region = region
        self.acceptedAt = acceptedAt
        self.tasks = tasks
    }

    static let schema = Schema.object([
        ("caseNumber", Schema.caseNumber()),
        ("region", Schema.region("The region whose departments handle the tasks.")),
        ("acceptedAt", Schema.time("When the case was accepted; the clocks run from it.")),
        ("tasks", Schema.array(of: Schema.object([
            ("taskID", Schema.string("The task's id.")),
            ("matterCode", Schema.string("The matter.")),
            ("matterName", Schema.string("The matter's name.")),
            ("department", Schema.string("The competent department's code.")),
            ("departmentName", Schema.string("The competent department's name.")),
            ("mode", Schema.string("standard, commitment or immediate.", oneOf: ApprovalMode.allCases.map(\.rawValue))),
            ("deadlines", TaskDeadlines.schema),
        ], required: ["taskID", "matterCode", "matterName", "department", "departmentName", "mode", "deadlines"]), "One task per department and matter.")),
    ], required: ["caseNumber", "region", "acceptedAt", "tasks"])
}

/// `tongban.approval.supplement-requested.v1`: an officer asked the applicant for materials (补正);
/// the task's clock stops until they arrive.
public struct SupplementRequested: Codable, Sendable, Equatable {
    public struct Item: Codable, Sendable, Equatable {
        /// The catalogue's material code, or a free code for something the catalogue does not list.
        public var materialCode: String
        public var name: String

        public init(materialCode: String, name: String) {
            self.materialCode = materialCode
            self.name = name
        }
    }

    public var caseNumber: String
    public var requestID: String
    public var taskID: String
    public var matterCode: String
    public var department: String
    public var items: [Item]
    public var reason: String
    public var requestedAt: Date

    public init(caseNumber: String, requestID: String, taskID: String, matterCode: String, department: String, items: [Item], reason: String, requestedAt: Date) {
        self.caseNumber = caseNumber
        self.requestID = requestID
        self.taskID = taskID
        self.matterCode = matterCode
        self.department = department
        self.items = items
        self.reason = reason
        self.requestedAt = requestedAt
    }

    static let schema = Schema.object([
        ("caseNumber", Schema.caseNumber()),
        ("requestID", Schema.string("The request's id; the supplement names it.")),
        ("taskID", Schema.string("The task whose clock stops.")),
        ("matterCode", Schema.string("The matter.")),
        ("department", Schema.string("The requesting department.")),
        ("items", Schema.array(of: Schema.object([
            ("materialCode", Schema.string("The material's code.")),
            ("name", Schema.string("What to supply.")),
        ], required: ["materialCode", "name"]), "What the applicant must supply.")),
        ("reason", Schema.string("Why.")),
        ("requestedAt", Schema.time("When; the task's clock is suspended from here.")),
    ], required: ["caseNumber", "requestID", "taskID", "matterCode", "department", "items", "reason", "requestedAt"])
}

/// `tongban.approval.task-resumed.v1`: the requested materials arrived; the task's clock runs
/// again, and its deadlines moved by the time it stood still.
public struct TaskResumed: Codable, Sendable, Equatable {
    public var caseNumber: String
    public var taskID: String
    public var requestID: String
    public var resumedAt: Date
    public var deadlines: TaskDeadlines

    public init(caseNumber: String, taskID: String, requestID: String, resumedAt: Date, deadlines: TaskDeadlines) {
        self.caseNumber = caseNumber
        self.taskID = taskID
        self.requestID = requestID
        self.resumedAt = resumedAt
        self.deadlines = deadlines
    }

    static let schema = Schema.object([
        ("caseNumber", Schema.caseNumber()),
        ("taskID", Schema.string("The task.")),
        ("requestID", Schema.string("The supplement request answered.")),
        ("resumedAt", Schema.time("When the clock resumed.")),
        ("deadlines", TaskDeadlines.schema),
    ], required: ["caseNumber", "taskID", "requestID", "resumedAt", "deadlines"])
}

/// One matter's decision, as `task-decided` and `bundle-decided` carry it.
public struct MatterDecision: Codable, Sendable, Equatable {
    public var taskID: String
    public var matterCode: String
    public var matterName: String
    public var department: String
    public var departmentName: String
    public var mode: ApprovalMode
    public var outcome: DecisionOutcome
    /// The legal basis; mandatory for a rejection.
    public var legalBasis: String?
    /// The officer, or `system` for immediate and commitment matters.
    public var decidedBy: String
    public var decidedAt: Date
    public var deadlines: TaskDeadlines
    /// Decided within the promised limit.
    public var onTime: Bool
    /// The licence an approval earns; nil for matters that produce none.
    public var licence: LicenceKind?

    public init(taskID: String, matterCode: String, matterName: String, department: String, departmentName: String, mode: ApprovalMode, outcome: DecisionOutcome, legalBasis: String?, decidedBy: String, decidedAt: Date, deadlines: TaskDeadlines, onTime: Bool, licence: LicenceKind?) {
        self.taskID = taskID
        self.matterCode = matterCode
        self.matterName = matterName
        self.department = department
        self.departmentName = departmentName
        self.mode = mode
        self.outcome = outcome
        self.legalBasis = legalBasis
        self.decidedBy = decidedBy
        self.decidedAt = decidedAt
        self.deadlines = deadlines
        self.onTime = onTime
        self.licence = licence
    }

    static let schema = Schema.object([
        ("taskID", Schema.string("The task.")),
        ("matterCode", Schema.string("The matter.")),
        ("matterName", Schema.string("The matter's name.")),
        ("department", Schema.string("The deciding department's code.")),
        ("departmentName", Schema.string("The deciding department's name.")),
        ("mode", Schema.string("standard, commitment or immediate.", oneOf: ApprovalMode.allCases.map(\.rawValue))),
        ("outcome", Schema.string("approved or rejected.", oneOf: DecisionOutcome.allCases.map(\.rawValue))),
        ("legalBasis", Schema.string("The legal basis; always present for a rejection.")),
        ("decidedBy", Schema.string("The officer, or system for immediate and commitment matters.")),
        ("decidedAt", Schema.time("When it was decided.")),
        ("deadlines", TaskDeadlines.schema),
        ("onTime", Schema.boolean("Decided within the promised limit.")),
        ("licence", LicenceKind.schema),
    ], required: ["taskID", "matterCode", "matterName", "department", "departmentName", "mode", "outcome", "decidedBy", "decidedAt", "deadlines", "onTime"])
}

/// `tongban.approval.task-decided.v1`: one department decided one matter.
public struct TaskDecided: Codable, Sendable, Equatable {
    public var caseNumber: String
    public var region: String
    public var decision: MatterDecision

    public init(caseNumber: String, region: String, decision: MatterDecision) {
        self.caseNumber = caseNumber
        self.region = region
        self.decision = decision
    }

    static let schema = Schema.object([
        ("caseNumber", Schema.caseNumber()),
        ("region", Schema.region("The deciding region.")),
        ("decision", MatterDecision.schema),
    ], required: ["caseNumber", "region", "decision"])
}

/// `tongban.approval.bundle-decided.v1`: every task of a case is decided. Seal issues the
/// licences of the approved matters from it; departments' systems take the decisions.
public struct BundleDecided: Codable, Sendable, Equatable {
    public var caseNumber: String
    public var region: String
    public var bundle: CaseSubmitted.Bundle?
    public var applicant: ApplicantRecord
    public var acceptedAt: Date
    public var decidedAt: Date
    public var decisions: [MatterDecision]
    /// Every matter decided within its promised limit.
    public var onTime: Bool
    public var handedOverFrom: CaseSubmitted.OriginCase?

    public init(caseNumber: String, region: String, bundle: CaseSubmitted.Bundle?, applicant: ApplicantRecord, acceptedAt: Date, decidedAt: Date, decisions: [MatterDecision], onTime: Bool, handedOverFrom: CaseSubmitted.OriginCase? = nil) {
        self.caseNumber = caseNumber
        self.region = region
        self.bundle = bundle
        self.applicant = applicant
        self.acceptedAt = acceptedAt
        self.decidedAt = decidedAt
        self.decisions = decisions
        self.onTime = onTime
        self.handedOverFrom = handedOverFrom
    }

    static let schema = Schema.object([
        ("caseNumber", Schema.caseNumber()),
        ("region", Schema.region("The deciding region.")),
        ("bundle", CaseSubmitted.Bundle.schema(description: "The bundle; absent for a single matter.")),
        ("applicant", ApplicantRecord.schema),
        ("acceptedAt", Schema.time("When the case was accepted.")),
        ("decidedAt", Schema.time("When its last task was decided.")),
        ("decisions", Schema.array(of: MatterDecision.schema, "Each matter's decision.")),
        ("onTime", Schema.boolean("Every matter decided within its promised limit.")),
        ("handedOverFrom", CaseSubmitted.OriginCase.schema(description: "For a case another region handed over.")),
    ], required: ["caseNumber", "region", "applicant", "acceptedAt", "decidedAt", "decisions", "onTime"])
}

/// `tongban.approval.decision-revoked.v1`: an approval was revoked (a commitment failed its
/// verification, or the department withdrew it); seal revokes the licence. With `suspendedUntil`
/// the approval is only suspended (暂扣) until then, and seal suspends the licence instead.
public struct DecisionRevoked: Codable, Sendable, Equatable {
    public var caseNumber: String
    public var taskID: String
    public var matterCode: String
    public var department: String
    public var reason: String
    public var legalBasis: String
    public var revokedBy: String
    public var revokedAt: Date
    /// Set when the approval is suspended rather than revoked: it holds again from this instant.
    public var suspendedUntil: Date?

    public init(caseNumber: String, taskID: String, matterCode: String, department: String, reason: String, legalBasis: String, revokedBy: String, revokedAt: Date, suspendedUntil: Date? = nil) {
        self.caseNumber = caseNumber
        self.taskID = taskID
        self.matterCode = matterCode
        self.department = department
        self.reason = reason
        self.legalBasis = legalBasis
        self.revokedBy = revokedBy
        self.revokedAt = revokedAt
        self.suspendedUntil = suspendedUntil
    }

    static let schema = Schema.object([
        ("caseNumber", Schema.caseNumber()),
        ("taskID", Schema.string("The task whose approval is revoked.")),
        ("matterCode", Schema.string("The matter.")),
        ("department", Schema.string("The department.")),
        ("reason", Schema.string("Why, e.g. the commitment's verification failed.")),
        ("legalBasis", Schema.string("The legal basis for revoking.")),
        ("revokedBy", Schema.string("The officer.")),
        ("revokedAt", Schema.time("When.")),
        ("suspendedUntil", Schema.time("Only for a suspension (暂扣): when the approval holds again. Absent for a revocation.")),
    ], required: ["caseNumber", "taskID", "matterCode", "department", "reason", "legalBasis", "revokedBy", "revokedAt"])
}

extension Topic {
    public static let tasksOpened = Topic(
        owner: "approval", event: "tasks-opened",
        summary: "Approval opened the tasks of an accepted case, one per department and matter, all at once, with their limits and deadlines.",
        payload: TasksOpened.schema
    )
    public static let supplementRequested = Topic(
        owner: "approval", event: "supplement-requested",
        summary: "An officer asked the applicant for materials (补正); the task's clock stops until they arrive.",
        payload: SupplementRequested.schema
    )
    public static let taskResumed = Topic(
        owner: "approval", event: "task-resumed",
        summary: "The requested materials arrived; the task's clock runs again with moved deadlines.",
        payload: TaskResumed.schema
    )
    public static let taskDecided = Topic(
        owner: "approval", event: "task-decided",
        summary: "A department decided one matter of a case: outcome, legal basis, deadlines, on time or not.",
        payload: TaskDecided.schema
    )
    public static let bundleDecided = Topic(
        owner: "approval", event: "bundle-decided",
        summary: "Every task of a case is decided: each matter's outcome and legal basis, the deadlines and whether it was on time. Departments' systems subscribe here; seal issues the licences.",
        payload: BundleDecided.schema
    )
    public static let decisionRevoked = Topic(
        owner: "approval", event: "decision-revoked",
        summary: "An approval was revoked (a commitment failed its verification, or the department withdrew it), or suspended until a given time; its licence is revoked or suspended.",
        payload: DecisionRevoked.schema
    )
}
