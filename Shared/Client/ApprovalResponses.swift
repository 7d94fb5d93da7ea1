public import Foundation
public import Messaging

/// The tasks an officer may see (`GET /tasks`).
public struct DepartmentTaskList: Decodable, Sendable {
    public var tasks: [DepartmentTask]
}

/// One department's task on one matter of a case (并联审批), as its officer sees it
/// (`GET /tasks/{id}`, and each of `GET /tasks`).
public struct DepartmentTask: Decodable, Sendable {
    /// The matter the task decides.
    public struct Matter: Decodable, Sendable {
        public var code: String
        public var name: String
        /// standard, commitment (告知承诺) or immediate (即办件).
        public var mode: String
        /// Ordered steps before the decision, e.g. joint-inspection (联合踏勘).
        public var stepsBeforeDecision: [String]
        public var licence: LicenceKind?
    }

    /// A step recorded before the decision.
    public struct Step: Decodable, Sendable {
        public var step: String
        /// passed or failed.
        public var result: String
        public var findings: String
        public var recordedBy: String
        public var recordedAt: Date
    }

    /// The department's decision.
    public struct Decision: Decodable, Sendable {
        /// approved or rejected.
        public var outcome: String
        public var legalBasis: String?
        public var comment: String?
        public var reason: String?
        /// The officer, or system for immediate and commitment matters.
        public var decidedBy: String
        public var decidedAt: Date
        /// Decided within the promised limit.
        public var onTime: Bool
    }

    /// The verification of a commitment (告知承诺) after its approval.
    public struct Verification: Decodable, Sendable {
        public var limitDays: Int
        public var deadline: Date
        public var remainingWorkingDays: Double?
        /// pending, passed, failed or not-done.
        public var state: String
        public var findings: String?
        public var legalBasis: String?
        public var verifiedBy: String?
        public var verifiedAt: Date?
    }

    public var id: String
    public var caseNumber: String
    /// open, suspended (补正), verifying, decided, revoked or withdrawn.
    public var state: String
    public var department: String
    public var departmentName: String
    public var matter: Matter
    public var bundle: CaseSubmitted.Bundle?
    public var acceptedAt: Date
    public var claimedBy: String?
    /// The step to record next, while the task is undecided.
    public var nextStep: String?
    public var steps: [Step]
    public var decision: Decision?
    public var verification: Verification?
    /// The origin case of a case a partner region handed over (跨省通办).
    public var handedOverFrom: CaseSubmitted.OriginCase?

    /// The steps still to record before the decision.
    public var nextSteps: [String] {
        matter.stepsBeforeDecision.filter { step in !steps.contains { $0.step == step } }
    }
}
