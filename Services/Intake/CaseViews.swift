import Foundation
import HTTPTypes
import Hummingbird
import Messaging
import NIOCore
import ServiceKit

/// Where a case stands, as the applicant and the clerk see it. Derived from what happened to the
/// case (see `IntakeRepository.refreshStatus`), so events applied in any order give the same answer.
enum CaseStatus: String, Codable, Sendable, CaseIterable {
    /// 受理: accepted with everything.
    case accepted
    /// 容缺受理: accepted; materials are still owed.
    case acceptedWithDeficiency = "accepted-with-deficiency"
    /// 审批中: the departments are working on it.
    case underReview = "under-review"
    /// 补正: a department waits for materials from the applicant.
    case awaitingSupplement = "awaiting-supplement"
    /// 办结: every matter is decided.
    case decided
    /// 出证: the licences are issued.
    case completed
    /// 撤回: the applicant withdrew it.
    case withdrawn

    /// Nothing more can be supplied or withdrawn.
    var isClosed: Bool { self == .decided || self == .completed || self == .withdrawn }
}

/// The 201 body of POST /cases: the receipt (受理回执).
struct RegistrationReceipt: Encodable, Sendable {
    var caseNumber: String
    /// accepted or accepted-with-deficiency.
    var outcome: String
    var status: CaseStatus
    var acceptedAt: Date
    var catalogueVersion: String
    var bundle: CaseSubmitted.Bundle?
    var applicant: ApplicantRecord
    var site: SiteForm?
    var matters: [CaseSubmitted.Matter]
    var materials: [MaterialReference]
    /// 容缺受理: what is owed, and by which working day.
    var deficiencies: [CaseSubmitted.Deficiency]
    var commitments: [CaseSubmitted.Commitment]
    var location: String
}

/// The 201 body of POST /cases/{number}/supplements.
struct SupplementReceipt: Encodable, Sendable {
    var caseNumber: String
    var status: CaseStatus
    var materials: [MaterialReference]
    /// The supplement requests (补正) these materials completed.
    var answers: [String]
    var supplementedAt: Date
}

/// The body of POST /cases/{number}/withdrawal.
struct WithdrawalReceipt: Encodable, Sendable {
    var caseNumber: String
    var status: CaseStatus
    var withdrawnAt: Date
    var reason: String?
}

/// The 422 body of POST /cases: refused, with everything missing listed once.
struct RegistrationRefusal: Encodable, Sendable {
    var type = "urn:tongban:problem:registration-refused"
    var title = "The application cannot be accepted"
    var status = 422
    var detail: String
    var catalogueVersion: String
    var missing: [MissingItem]
}

/// GET /cases/{number}.
struct CaseView: Encodable, Sendable {
    struct Matter: Encodable, Sendable {
        var code: String
        var name: String
        var department: String
        var departmentName: String
        var region: String
        var mode: ApprovalMode
        var legalLimitDays: Int
        var promisedLimitDays: Int
        var stepsBeforeDecision: [String]
        var licence: LicenceKind?
        /// Decided by a partner region's authority; the relay hands it over (异地代收代办).
        var handedOver: Bool
        var task: Task?
    }

    struct Task: Encodable, Sendable {
        var taskID: String
        var department: String
        var departmentName: String
        /// under-review, awaiting-supplement, approved, rejected or revoked.
        var status: String
        var deadlines: TaskDeadlines?
        var decision: MatterDecision?
    }

    struct Material: Encodable, Sendable {
        var id: String
        var code: String
        var name: String
        var mediaType: String
        var fileName: String?
        var sha256: String
        var size: Int
        var location: String
        var receivedAt: Date
    }

    struct Deficiency: Encodable, Sendable {
        var matterCode: String
        var materialCode: String
        var name: String
        var dueBy: String
        var suppliedAt: Date?
    }

    struct SupplementRequest: Encodable, Sendable {
        var requestID: String
        var taskID: String
        var matterCode: String
        var department: String
        var items: [SupplementRequested.Item]
        var reason: String
        var requestedAt: Date
        var answeredAt: Date?
    }

    struct Withdrawal: Encodable, Sendable {
        var at: Date
        var reason: String?
    }

    struct TimelineEntry: Encodable, Sendable {
        var at: Date
        /// What happened: accepted, tasks-opened, supplement-requested, materials-supplemented,
        /// task-resumed, task-decided, bundle-decided, decision-revoked, licences-issued, withdrawn.
        var kind: String
        var summary: String
        /// The case's status after it.
        var status: CaseStatus
    }

    var caseNumber: String
    var region: String
    var status: CaseStatus
    var acceptedAt: Date
    var catalogueVersion: String
    var bundle: CaseSubmitted.Bundle?
    var applicant: ApplicantRecord
    var site: SiteForm?
    var matters: [Matter]
    var materials: [Material]
    var deficiencies: [Deficiency]
    var commitments: [CaseSubmitted.Commitment]
    var supplementRequests: [SupplementRequest]
    var withdrawal: Withdrawal?
    var licences: [LicenceSummary]
    var refused: [LicencesIssued.Refusal]
    var timeline: [TimelineEntry]
}

/// One line of GET /cases.
struct CaseSummary: Encodable, Sendable {
    var caseNumber: String
    var status: CaseStatus
    var acceptedAt: Date
    var bundle: CaseSubmitted.Bundle?
    var applicantName: String
    var matters: [String]
}

struct CaseList: Encodable, Sendable {
    var cases: [CaseSummary]
    /// The cursor for the next page (`before`), when there may be more.
    var next: String?
}
