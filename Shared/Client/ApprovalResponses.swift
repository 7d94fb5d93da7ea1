public import Foundation
public import Messaging

// Approval's answers to its officers, written once: approval renders these types and every client
// reads them.

/// The tasks an officer's department may see, soonest deadline first (`GET /tasks`).
public struct DepartmentTaskList: Codable, Sendable, Equatable {
    public var tasks: [DepartmentTask]

    public init(tasks: [DepartmentTask]) {
        self.tasks = tasks
    }
}

/// One department's task on one matter of a case (并联审批), as its officer sees it: the matter,
/// the applicant, its clocks as they stand, its steps, supplement requests, decision and
/// verification (`GET /tasks/{id}`, each of `GET /tasks`, and the answer to every action on a task).
public struct DepartmentTask: Codable, Sendable, Equatable {
    /// Where a task stands.
    public enum State: String, Codable, Sendable, CaseIterable {
        /// Waiting for the department's review and decision.
        case open
        /// Waiting for the applicant's supplement (补正); the clock stands still.
        case suspended
        /// Approved on the applicant's commitment (告知承诺); the department still has to verify it.
        case verifying
        /// Decided, nothing more to do.
        case decided
        /// A commitment approval revoked after a failed verification.
        case revoked
        /// Closed undecided: the applicant withdrew the case.
        case withdrawn
    }

    /// The matter the task decides, as the catalogue describes it.
    public struct Matter: Codable, Sendable, Equatable {
        public var code: String
        public var name: String
        /// How it is decided: standard, commitment (告知承诺) or immediate (即办件).
        public var mode: ApprovalMode
        /// Ordered steps before the decision, e.g. joint-inspection (联合踏勘).
        public var stepsBeforeDecision: [String]
        /// The licence an approval earns; nil for a matter that earns none.
        public var licence: LicenceKind?

        public init(code: String, name: String, mode: ApprovalMode, stepsBeforeDecision: [String], licence: LicenceKind?) {
            self.code = code
            self.name = name
            self.mode = mode
            self.stepsBeforeDecision = stepsBeforeDecision
            self.licence = licence
        }
    }

    /// Who applied.
    public struct Applicant: Codable, Sendable, Equatable {
        public var kind: ApplicantRecord.Kind
        public var name: String
        /// The resident identity number or the unified social credit code.
        public var identifier: String

        public init(kind: ApplicantRecord.Kind, name: String, identifier: String) {
            self.kind = kind
            self.name = name
            self.identifier = identifier
        }
    }

    /// Both limits (限时办结) and their deadlines. While suspended the deadlines are as if the
    /// clock ran again now; a decided task's are read at its decision.
    public struct Clock: Codable, Sendable, Equatable {
        /// The limit the law sets, in working days.
        public var legalLimitDays: Int
        /// The shorter limit the government promises, in working days.
        public var promisedLimitDays: Int
        public var legalDeadline: Date
        public var promisedDeadline: Date
        /// Working days left to the legal deadline, to the hundredth (negative when overdue);
        /// nil once the task is decided.
        public var legalRemainingWorkingDays: Double?
        /// Working days left to the promised deadline, likewise.
        public var promisedRemainingWorkingDays: Double?
        /// The clock stands still for a supplement (补正).
        public var suspended: Bool

        public init(legalLimitDays: Int, promisedLimitDays: Int, legalDeadline: Date, promisedDeadline: Date,
                    legalRemainingWorkingDays: Double?, promisedRemainingWorkingDays: Double?, suspended: Bool) {
            self.legalLimitDays = legalLimitDays
            self.promisedLimitDays = promisedLimitDays
            self.legalDeadline = legalDeadline
            self.promisedDeadline = promisedDeadline
            self.legalRemainingWorkingDays = legalRemainingWorkingDays
            self.promisedRemainingWorkingDays = promisedRemainingWorkingDays
            self.suspended = suspended
        }
    }

    /// A step recorded before the decision, e.g. a joint site inspection (联合踏勘)
    /// (also the answer to `POST /tasks/{id}/inspections`).
    public struct Step: Codable, Sendable, Equatable {
        /// What the step found.
        public enum Result: String, Codable, Sendable, CaseIterable {
            case passed, failed
        }

        public var step: String
        public var result: Result
        public var findings: String
        /// The officer who recorded it.
        public var recordedBy: String
        public var recordedAt: Date

        public init(step: String, result: Result, findings: String, recordedBy: String, recordedAt: Date) {
            self.step = step
            self.result = result
            self.findings = findings
            self.recordedBy = recordedBy
            self.recordedAt = recordedAt
        }
    }

    /// 补正: what an officer asked the applicant for; the clock stands still from `requestedAt`
    /// until `endedAt` (also the answer to `POST /tasks/{id}/supplement-requests`).
    public struct SupplementRequest: Codable, Sendable, Equatable {
        /// How the wait ended.
        public enum Ending: String, Codable, Sendable, CaseIterable {
            /// The applicant supplied the materials: the clock runs again.
            case supplied
            /// The task was rejected or the case withdrawn while it waited.
            case closed
        }

        public var id: String
        /// The materials asked for.
        public var items: [SupplementRequested.Item]
        public var reason: String
        /// The officer who asked.
        public var requestedBy: String
        public var requestedAt: Date
        /// When the clock ran again; nil while the task waits.
        public var endedAt: Date?
        public var ending: Ending?

        public init(id: String, items: [SupplementRequested.Item], reason: String, requestedBy: String, requestedAt: Date, endedAt: Date?, ending: Ending?) {
            self.id = id
            self.items = items
            self.reason = reason
            self.requestedBy = requestedBy
            self.requestedAt = requestedAt
            self.endedAt = endedAt
            self.ending = ending
        }
    }

    /// The department's decision.
    public struct Decision: Codable, Sendable, Equatable {
        public var outcome: DecisionOutcome
        public var legalBasis: String?
        /// The officer's comment on an approval.
        public var comment: String?
        /// The reasons of a rejection (不予许可).
        public var reason: String?
        /// The officer, or system for immediate and commitment matters.
        public var decidedBy: String
        public var decidedAt: Date
        /// Decided within the promised limit.
        public var onTime: Bool

        public init(outcome: DecisionOutcome, legalBasis: String?, comment: String?, reason: String?, decidedBy: String, decidedAt: Date, onTime: Bool) {
            self.outcome = outcome
            self.legalBasis = legalBasis
            self.comment = comment
            self.reason = reason
            self.decidedBy = decidedBy
            self.decidedAt = decidedAt
            self.onTime = onTime
        }
    }

    /// The verification of a commitment (告知承诺) after its approval, within its own limit.
    public struct Verification: Codable, Sendable, Equatable {
        /// The verification's limit, in working days from acceptance.
        public var limitDays: Int
        public var deadline: Date
        /// Working days left, to the hundredth, while the task waits for it.
        public var remainingWorkingDays: Double?
        /// Where the verification stands.
        public enum State: String, Codable, Sendable, CaseIterable {
            case pending
            case passed
            case failed
            /// The case was withdrawn first.
            case notDone = "not-done"
        }

        public var state: State
        public var findings: String?
        /// The legal basis of revoking the approval, after a failed verification.
        public var legalBasis: String?
        public var verifiedBy: String?
        public var verifiedAt: Date?

        public init(limitDays: Int, deadline: Date, remainingWorkingDays: Double?, state: State, findings: String?,
                    legalBasis: String?, verifiedBy: String?, verifiedAt: Date?) {
            self.limitDays = limitDays
            self.deadline = deadline
            self.remainingWorkingDays = remainingWorkingDays
            self.state = state
            self.findings = findings
            self.legalBasis = legalBasis
            self.verifiedBy = verifiedBy
            self.verifiedAt = verifiedAt
        }
    }

    /// The case as a whole (`GET /tasks/{id}` only): the latest of its tasks' limits and
    /// deadlines, and how far each department is.
    public struct CaseOverview: Codable, Sendable, Equatable {
        /// Where the case stands at approval.
        public enum State: String, Codable, Sendable, CaseIterable {
            /// Some task is still undecided.
            case open
            /// Every task is decided: the bundle's decision is out.
            case decided
            /// The applicant withdrew it.
            case withdrawn
        }

        /// One of the case's tasks, in the order of its matters.
        public struct Sibling: Codable, Sendable, Equatable {
            public var taskID: String
            public var matterCode: String
            public var department: String
            public var departmentName: String
            public var state: DepartmentTask.State

            public init(taskID: String, matterCode: String, department: String, departmentName: String, state: DepartmentTask.State) {
                self.taskID = taskID
                self.matterCode = matterCode
                self.department = department
                self.departmentName = departmentName
                self.state = state
            }
        }

        public var state: State
        public var legalLimitDays: Int
        public var promisedLimitDays: Int
        public var legalDeadline: Date
        public var promisedDeadline: Date
        public var tasks: [Sibling]

        public init(state: State, legalLimitDays: Int, promisedLimitDays: Int, legalDeadline: Date, promisedDeadline: Date, tasks: [Sibling]) {
            self.state = state
            self.legalLimitDays = legalLimitDays
            self.promisedLimitDays = promisedLimitDays
            self.legalDeadline = legalDeadline
            self.promisedDeadline = promisedDeadline
            self.tasks = tasks
        }
    }

    /// The task's id (a lower-case UUID).
    public var id: String
    public var caseNumber: String
    public var state: State
    public var department: String
    public var departmentName: String
    public var matter: Matter
    /// The 一件事 bundle the case applies for, if any; absent from the answers to actions on a task.
    public var bundle: CaseSubmitted.Bundle?
    /// Who applied; absent from the answers to actions on a task.
    public var applicant: Applicant?
    public var acceptedAt: Date
    /// The officer who claimed the task (认领); colleagues leave it to them.
    public var claimedBy: String?
    public var claimedAt: Date?
    public var deadlines: Clock
    /// The step to record next, while the task is undecided.
    public var nextStep: String?
    public var steps: [Step]
    public var supplementRequests: [SupplementRequest]
    public var decision: Decision?
    public var verification: Verification?
    /// The case's materials (`GET /tasks/{id}` only).
    public var materials: [MaterialReference]?
    /// What the applicant owes for this matter (容缺受理) (`GET /tasks/{id}` only).
    public var deficiencies: [CaseSubmitted.Deficiency]?
    /// The origin case of a case a partner region handed over (跨省通办).
    public var handedOverFrom: CaseSubmitted.OriginCase?
    /// The case as a whole (`GET /tasks/{id}` only).
    public var `case`: CaseOverview?

    public init(
        id: String, caseNumber: String, state: State, department: String, departmentName: String, matter: Matter,
        bundle: CaseSubmitted.Bundle?, applicant: Applicant?, acceptedAt: Date, claimedBy: String?, claimedAt: Date?,
        deadlines: Clock, nextStep: String?, steps: [Step], supplementRequests: [SupplementRequest],
        decision: Decision?, verification: Verification?, materials: [MaterialReference]? = nil,
        deficiencies: [CaseSubmitted.Deficiency]? = nil, handedOverFrom: CaseSubmitted.OriginCase?, `case`: CaseOverview? = nil
    ) {
        self.id = id
        self.caseNumber = caseNumber
        self.state = state
        self.department = department
        self.departmentName = departmentName
        self.matter = matter
        self.bundle = bundle
        self.applicant = applicant
        self.acceptedAt = acceptedAt
        self.claimedBy = claimedBy
        self.claimedAt = claimedAt
        self.deadlines = deadlines
        self.nextStep = nextStep
        self.steps = steps
        self.supplementRequests = supplementRequests
        self.decision = decision
        self.verification = verification
        self.materials = materials
        self.deficiencies = deficiencies
        self.handedOverFrom = handedOverFrom
        self.`case` = `case`
    }

    /// The steps still to record before the decision.
    public var nextSteps: [String] {
        matter.stepsBeforeDecision.filter { step in !steps.contains { $0.step == step } }
    }
}
