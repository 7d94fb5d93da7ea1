public import Foundation
public import Messaging

// What intake answers, as its users read it. Here and in the other services' responses, statuses,
// modes and verdicts stay strings, so that a client keeps reading a service that learned a new one.

/// 一次性告知书: everything to bring for a matter or a bundle, each document once
/// (`GET /matters/{code}/notice`, `GET /bundles/{code}/notice`).
public struct OneTimeNotice: Decodable, Sendable {
    /// A document to bring, once for all the matters that need it.
    public struct Material: Decodable, Sendable {
        public var code: String
        public var name: String
        public var description: String?
        /// mandatory, or tolerable (容缺: may follow after acceptance).
        public var requirement: String
        /// The matters that need it.
        public var neededFor: [String]
        /// The matters whose signed commitment (告知承诺) stands in for it.
        public var replaceableByCommitmentFor: [String]
    }

    /// The commitment (告知承诺书) a commitment matter lets the applicant sign instead of materials.
    public struct Commitment: Decodable, Sendable {
        public var matterCode: String
        public var matterName: String
        public var statement: String
        public var replaces: [String]
        public var verificationLimitDays: Int?
    }

    public var title: String
    public var catalogueVersion: String
    /// The region's name.
    public var issuedBy: String
    /// The bundle's code, for a bundle's notice.
    public var bundle: String?
    public var materials: [Material]
    public var commitments: [Commitment]
    /// Working days to supply a tolerated missing material after acceptance.
    public var deficiencyLimitDays: Int
    public var promisedLimitDays: Int
    public var legalLimitDays: Int
    public var notes: [String]
}

/// 受理回执: the receipt for an accepted application (`POST /cases`, 201).
public struct CaseReceipt: Decodable, Sendable {
    public var caseNumber: String
    /// accepted, or accepted-with-deficiency (容缺受理).
    public var outcome: String
    public var status: String
    public var acceptedAt: Date
    public var catalogueVersion: String
    public var bundle: CaseSubmitted.Bundle?
    public var matters: [CaseMatter]
    public var materials: [MaterialReference]
    /// 容缺受理: what is owed, and by which working day.
    public var deficiencies: [CaseDeficiency]
    public var commitments: [CaseSubmitted.Commitment]
    /// The case's path at intake.
    public var location: String
}

/// 不予受理: an application refused at the window, with everything missing listed at once
/// (`POST /cases`, 422, a problem of type `urn:tongban:problem:registration-refused`).
public struct RegistrationRefusal: Decodable, Sendable {
    /// Something missing that the window cannot accept without.
    public struct MissingItem: Decodable, Sendable {
        /// material, or commitment (a commitment matter's signed 告知承诺书).
        public var kind: String
        public var matterCode: String
        public var matterName: String
        /// The material's code, or the matter's for a commitment.
        public var code: String
        public var name: String
    }

    public var title: String
    public var detail: String
    public var catalogueVersion: String
    public var missing: [MissingItem]
}

/// A case as its applicant and the clerk see it (`GET /cases/{number}`).
public struct CaseDocument: Decodable, Sendable {
    /// One thing that happened to the case.
    public struct TimelineEntry: Decodable, Sendable {
        public var at: Date
        /// accepted, handed-over, partner-update, tasks-opened, task-decided, bundle-decided, licences-issued…
        public var kind: String
        public var summary: String
        /// The case's status after it.
        public var status: String
    }

    public var caseNumber: String
    public var region: String
    public var status: String
    public var acceptedAt: Date
    public var catalogueVersion: String
    public var bundle: CaseSubmitted.Bundle?
    public var matters: [CaseMatter]
    public var deficiencies: [CaseDeficiency]
    public var licences: [LicenceSummary]
    /// The matters refused on a legal basis, which earned no licence.
    public var refused: [LicencesIssued.Refusal]
    /// Oldest first.
    public var timeline: [TimelineEntry]
}

/// One matter of a case, as its receipt and its case document list it.
public struct CaseMatter: Decodable, Sendable {
    /// Where the department's task on the matter stands.
    public struct TaskStanding: Decodable, Sendable {
        public var taskID: String
        public var department: String
        public var departmentName: String
        /// under-review, awaiting-supplement, approved, rejected or revoked.
        public var status: String
        public var deadlines: TaskDeadlines?
    }

    public var code: String
    public var name: String
    public var department: String
    public var departmentName: String
    public var region: String
    /// standard, commitment (告知承诺) or immediate (即办件).
    public var mode: String
    public var legalLimitDays: Int
    public var promisedLimitDays: Int
    public var stepsBeforeDecision: [String]
    public var verificationLimitDays: Int?
    public var licence: LicenceKind?
    /// Decided by a partner region's authority (异地代收代办); the case document only.
    public var handedOver: Bool?
    /// The case document only, once approval opened the task.
    public var task: TaskStanding?
}

/// A material accepted as owed (容缺受理), due by a working day.
public struct CaseDeficiency: Decodable, Sendable {
    public var matterCode: String
    public var materialCode: String
    public var name: String
    /// YYYY-MM-DD.
    public var dueBy: String
    /// The case document only, once supplied.
    public var suppliedAt: Date?
}
