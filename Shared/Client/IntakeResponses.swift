public import Domain
public import Foundation
public import Messaging

// Intake's answers, written once: intake renders these types and every client reads them.

// MARK: The catalogue (事项目录)

/// A matter of the catalogue as the public reads it (`GET /matters`, and in bundles and notices).
public struct MatterSummary: Codable, Sendable, Equatable {
    /// The matter's catalogue code.
    public var code: String
    public var name: String
    /// The competent department's code, e.g. `housing-construction`.
    public var department: String
    public var departmentName: String
    /// The competent authority's region (GB/T 2260).
    public var region: String
    /// Decided by a partner region's authority; accepted here and handed over (异地代收代办).
    public var handedOver: Bool
    public var mode: MatterCatalogue.Mode
    /// 法定时限, in working days.
    public var legalLimitDays: Int
    /// 承诺时限, in working days.
    public var promisedLimitDays: Int
    /// The licence an approval earns; nil for matters that produce none.
    public var licence: MatterCatalogue.Licence?

    public init(code: String, name: String, department: String, departmentName: String, region: String, handedOver: Bool,
                mode: MatterCatalogue.Mode, legalLimitDays: Int, promisedLimitDays: Int, licence: MatterCatalogue.Licence?) {
        self.code = code
        self.name = name
        self.department = department
        self.departmentName = departmentName
        self.region = region
        self.handedOver = handedOver
        self.mode = mode
        self.legalLimitDays = legalLimitDays
        self.promisedLimitDays = promisedLimitDays
        self.licence = licence
    }
}

/// Every matter of the catalogue (`GET /matters`).
public struct MatterList: Codable, Sendable, Equatable {
    public var catalogueVersion: String
    /// The home region whose windows use the catalogue.
    public var region: String
    public var matters: [MatterSummary]

    public init(catalogueVersion: String, region: String, matters: [MatterSummary]) {
        self.catalogueVersion = catalogueVersion
        self.region = region
        self.matters = matters
    }
}

/// One matter with what it takes to apply for it (`GET /matters/{code}`).
public struct MatterDetail: Codable, Sendable, Equatable {
    /// A document the matter needs.
    public struct Material: Codable, Sendable, Equatable {
        public var code: String
        public var name: String
        public var description: String?
        /// mandatory, or tolerable (容缺: may follow after acceptance).
        public var requirement: MatterCatalogue.Requirement
        /// The signed commitment stands in for it (告知承诺).
        public var replaceableByCommitment: Bool

        public init(code: String, name: String, description: String?, requirement: MatterCatalogue.Requirement, replaceableByCommitment: Bool) {
            self.code = code
            self.name = name
            self.description = description
            self.requirement = requirement
            self.replaceableByCommitment = replaceableByCommitment
        }
    }

    public var matter: MatterSummary
    /// Steps before the decision, in order, e.g. `joint-inspection` (联合踏勘).
    public var stepsBeforeDecision: [String]
    /// Commitment matters: working days the department has to verify the commitment.
    public var verificationLimitDays: Int?
    public var legalBasis: String
    public var materials: [Material]
    /// Commitment matters: the commitment (告知承诺书) the applicant signs.
    public var commitment: MatterCatalogue.Commitment?
    public var catalogueVersion: String

    public init(matter: MatterSummary, stepsBeforeDecision: [String], verificationLimitDays: Int?, legalBasis: String, materials: [Material],
                commitment: MatterCatalogue.Commitment?, catalogueVersion: String) {
        self.matter = matter
        self.stepsBeforeDecision = stepsBeforeDecision
        self.verificationLimitDays = verificationLimitDays
        self.legalBasis = legalBasis
        self.materials = materials
        self.commitment = commitment
        self.catalogueVersion = catalogueVersion
    }
}

/// 一件事: matters applied for together under one case number (`GET /bundles/{code}`, and each of
/// `GET /bundles`).
public struct BundleSummary: Codable, Sendable, Equatable {
    public var code: String
    public var name: String
    public var description: String?
    public var matters: [MatterSummary]
    /// The longest promised limit of its matters: they run in parallel (并联审批).
    public var promisedLimitDays: Int
    /// The longest legal limit of its matters.
    public var legalLimitDays: Int

    public init(code: String, name: String, description: String?, matters: [MatterSummary], promisedLimitDays: Int, legalLimitDays: Int) {
        self.code = code
        self.name = name
        self.description = description
        self.matters = matters
        self.promisedLimitDays = promisedLimitDays
        self.legalLimitDays = legalLimitDays
    }
}

/// Every bundle of the catalogue (`GET /bundles`).
public struct BundleList: Codable, Sendable, Equatable {
    public var catalogueVersion: String
    public var region: String
    public var bundles: [BundleSummary]

    public init(catalogueVersion: String, region: String, bundles: [BundleSummary]) {
        self.catalogueVersion = catalogueVersion
        self.region = region
        self.bundles = bundles
    }
}

/// 一次性告知书: everything to bring for a matter or a bundle, each document once
/// (`GET /matters/{code}/notice`, `GET /bundles/{code}/notice`).
public struct OneTimeNotice: Codable, Sendable, Equatable {
    /// A document to bring, once for all the matters that need it.
    public struct Material: Codable, Sendable, Equatable {
        public var code: String
        public var name: String
        public var description: String?
        /// mandatory when any matter needs it without exception; tolerable when every matter
        /// accepts it later (容缺受理).
        public var requirement: MatterCatalogue.Requirement
        /// The matters that need it.
        public var neededFor: [String]
        /// The matters whose signed commitment (告知承诺) stands in for it.
        public var replaceableByCommitmentFor: [String]

        public init(code: String, name: String, description: String?, requirement: MatterCatalogue.Requirement, neededFor: [String], replaceableByCommitmentFor: [String]) {
            self.code = code
            self.name = name
            self.description = description
            self.requirement = requirement
            self.neededFor = neededFor
            self.replaceableByCommitmentFor = replaceableByCommitmentFor
        }
    }

    /// The commitment (告知承诺书) a commitment matter lets the applicant sign instead of materials.
    public struct Commitment: Codable, Sendable, Equatable {
        public var matterCode: String
        public var matterName: String
        public var statement: String
        /// The materials it stands in for.
        public var replaces: [String]
        public var verificationLimitDays: Int?

        public init(matterCode: String, matterName: String, statement: String, replaces: [String], verificationLimitDays: Int?) {
            self.matterCode = matterCode
            self.matterName = matterName
            self.statement = statement
            self.replaces = replaces
            self.verificationLimitDays = verificationLimitDays
        }
    }

    public var title: String
    public var catalogueVersion: String
    /// The region's name.
    public var issuedBy: String
    /// The bundle's code, for a bundle's notice.
    public var bundle: String?
    public var matters: [MatterSummary]
    public var materials: [Material]
    public var commitments: [Commitment]
    /// Working days to supply a tolerated missing material after acceptance.
    public var deficiencyLimitDays: Int
    public var promisedLimitDays: Int
    public var legalLimitDays: Int
    public var notes: [String]

    public init(title: String, catalogueVersion: String, issuedBy: String, bundle: String?, matters: [MatterSummary], materials: [Material],
                commitments: [Commitment], deficiencyLimitDays: Int, promisedLimitDays: Int, legalLimitDays: Int, notes: [String]) {
        self.title = title
        self.catalogueVersion = catalogueVersion
        self.issuedBy = issuedBy
        self.bundle = bundle
        self.matters = matters
        self.materials = materials
        self.commitments = commitments
        self.deficiencyLimitDays = deficiencyLimitDays
        self.promisedLimitDays = promisedLimitDays
        self.legalLimitDays = legalLimitDays
        self.notes = notes
    }
}

// MARK: Cases

/// Where a case stands, as the applicant and the clerk see it. Intake derives it from what
/// happened to the case, so events applied in any order give the same answer.
public enum CaseStatus: String, Codable, Sendable, CaseIterable {
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
    public var isClosed: Bool { self == .decided || self == .completed || self == .withdrawn }
}

/// 受理回执: the receipt for an accepted application (`POST /cases`, 201).
public struct CaseReceipt: Codable, Sendable, Equatable {
    public var caseNumber: String
    /// accepted, or accepted-with-deficiency (容缺受理).
    public var outcome: CaseStatus
    public var status: CaseStatus
    public var acceptedAt: Date
    public var catalogueVersion: String
    public var bundle: CaseSubmitted.Bundle?
    public var applicant: ApplicantRecord
    /// Where the project or business is (项目/经营场所所在地), as the application gave it.
    public var site: ApplicationRequest.Site?
    /// The matters as the case-submitted event carries them.
    public var matters: [CaseSubmitted.Matter]
    public var materials: [MaterialReference]
    /// 容缺受理: what is owed, and by which working day.
    public var deficiencies: [CaseSubmitted.Deficiency]
    public var commitments: [CaseSubmitted.Commitment]
    /// The case's path at intake.
    public var location: String

    public init(caseNumber: String, outcome: CaseStatus, status: CaseStatus, acceptedAt: Date, catalogueVersion: String, bundle: CaseSubmitted.Bundle?,
                applicant: ApplicantRecord, site: ApplicationRequest.Site?, matters: [CaseSubmitted.Matter], materials: [MaterialReference],
                deficiencies: [CaseSubmitted.Deficiency], commitments: [CaseSubmitted.Commitment], location: String) {
        self.caseNumber = caseNumber
        self.outcome = outcome
        self.status = status
        self.acceptedAt = acceptedAt
        self.catalogueVersion = catalogueVersion
        self.bundle = bundle
        self.applicant = applicant
        self.site = site
        self.matters = matters
        self.materials = materials
        self.deficiencies = deficiencies
        self.commitments = commitments
        self.location = location
    }
}

/// 不予受理: an application refused at the window, with everything missing listed at once
/// (`POST /cases`, 422, a problem of type `urn:tongban:problem:registration-refused`).
public struct RegistrationRefusal: Codable, Sendable, Equatable {
    /// Something missing that the window cannot accept without.
    public struct MissingItem: Codable, Sendable, Equatable {
        public enum Kind: String, Codable, Sendable {
            /// A mandatory material.
            case material
            /// The signed commitment of a commitment matter (告知承诺书).
            case commitment
        }

        public var kind: Kind
        public var matterCode: String
        public var matterName: String
        /// The material's code, or the matter's code for a commitment.
        public var code: String
        public var name: String

        public init(kind: Kind, matterCode: String, matterName: String, code: String, name: String) {
            self.kind = kind
            self.matterCode = matterCode
            self.matterName = matterName
            self.code = code
            self.name = name
        }
    }

    /// The problem type (RFC 9457).
    public var type: String
    public var title: String
    /// The HTTP status, 422.
    public var status: Int
    public var detail: String
    public var catalogueVersion: String
    public var missing: [MissingItem]

    public init(type: String = "urn:tongban:problem:registration-refused", title: String = "The application cannot be accepted", status: Int = 422,
                detail: String, catalogueVersion: String, missing: [MissingItem]) {
        self.type = type
        self.title = title
        self.status = status
        self.detail = detail
        self.catalogueVersion = catalogueVersion
        self.missing = missing
    }
}

/// The receipt for materials supplied, owed (容缺) or requested (补正)
/// (`POST /cases/{number}/supplements`, 201).
public struct SupplementReceipt: Codable, Sendable, Equatable {
    public var caseNumber: String
    /// The case's status after the supplement.
    public var status: CaseStatus
    public var materials: [MaterialReference]
    /// The supplement requests (补正) these materials completed.
    public var answers: [String]
    public var supplementedAt: Date

    public init(caseNumber: String, status: CaseStatus, materials: [MaterialReference], answers: [String], supplementedAt: Date) {
        self.caseNumber = caseNumber
        self.status = status
        self.materials = materials
        self.answers = answers
        self.supplementedAt = supplementedAt
    }
}

/// The receipt for the applicant's withdrawal (撤回) (`POST /cases/{number}/withdrawal`).
public struct WithdrawalReceipt: Codable, Sendable, Equatable {
    public var caseNumber: String
    public var status: CaseStatus
    public var withdrawnAt: Date
    /// The applicant's reason, if given.
    public var reason: String?

    public init(caseNumber: String, status: CaseStatus, withdrawnAt: Date, reason: String?) {
        self.caseNumber = caseNumber
        self.status = status
        self.withdrawnAt = withdrawnAt
        self.reason = reason
    }
}

/// A case as its applicant, the clerk and the departments handling it see it, with everything that
/// happened to it (`GET /cases/{number}`).
public struct CaseDocument: Codable, Sendable, Equatable {
    /// One matter of the case, and where its department's task stands.
    public struct Matter: Codable, Sendable, Equatable {
        public var code: String
        public var name: String
        public var department: String
        public var departmentName: String
        public var region: String
        public var mode: ApprovalMode
        public var legalLimitDays: Int
        public var promisedLimitDays: Int
        public var stepsBeforeDecision: [String]
        public var licence: LicenceKind?
        /// Decided by a partner region's authority; the relay hands it over (异地代收代办).
        public var handedOver: Bool
        /// Once approval opened the task.
        public var task: TaskStanding?

        public init(code: String, name: String, department: String, departmentName: String, region: String, mode: ApprovalMode, legalLimitDays: Int,
                    promisedLimitDays: Int, stepsBeforeDecision: [String], licence: LicenceKind?, handedOver: Bool, task: TaskStanding?) {
            self.code = code
            self.name = name
            self.department = department
            self.departmentName = departmentName
            self.region = region
            self.mode = mode
            self.legalLimitDays = legalLimitDays
            self.promisedLimitDays = promisedLimitDays
            self.stepsBeforeDecision = stepsBeforeDecision
            self.licence = licence
            self.handedOver = handedOver
            self.task = task
        }
    }

    /// Where the department's task on a matter stands, as approval's events told intake.
    public struct TaskStanding: Codable, Sendable, Equatable {
        public enum Status: String, Codable, Sendable, CaseIterable {
            case underReview = "under-review"
            /// 补正: waiting for the applicant's materials.
            case awaitingSupplement = "awaiting-supplement"
            case approved
            case rejected
            /// The approval was revoked after the decision.
            case revoked
        }

        public var taskID: String
        public var department: String
        public var departmentName: String
        public var status: Status
        public var deadlines: TaskDeadlines?
        public var decision: MatterDecision?

        public init(taskID: String, department: String, departmentName: String, status: Status, deadlines: TaskDeadlines?, decision: MatterDecision?) {
            self.taskID = taskID
            self.department = department
            self.departmentName = departmentName
            self.status = status
            self.deadlines = deadlines
            self.decision = decision
        }
    }

    /// A document handed in, at application or later.
    public struct Material: Codable, Sendable, Equatable {
        public var id: String
        /// The catalogue's code of the material.
        public var code: String
        public var name: String
        public var mediaType: String
        public var fileName: String?
        /// Lower-case hex SHA-256 of the content.
        public var sha256: String
        public var size: Int
        /// Where an authorised caller reads the content.
        public var location: String
        public var receivedAt: Date

        public init(id: String, code: String, name: String, mediaType: String, fileName: String?, sha256: String, size: Int, location: String, receivedAt: Date) {
            self.id = id
            self.code = code
            self.name = name
            self.mediaType = mediaType
            self.fileName = fileName
            self.sha256 = sha256
            self.size = size
            self.location = location
            self.receivedAt = receivedAt
        }
    }

    /// A material accepted as owed (容缺受理), due by a working day.
    public struct Deficiency: Codable, Sendable, Equatable {
        public var matterCode: String
        public var materialCode: String
        public var name: String
        /// YYYY-MM-DD.
        public var dueBy: String
        /// Once supplied.
        public var suppliedAt: Date?

        public init(matterCode: String, materialCode: String, name: String, dueBy: String, suppliedAt: Date?) {
            self.matterCode = matterCode
            self.materialCode = materialCode
            self.name = name
            self.dueBy = dueBy
            self.suppliedAt = suppliedAt
        }
    }

    /// A department's request for materials (补正).
    public struct SupplementRequest: Codable, Sendable, Equatable {
        public var requestID: String
        public var taskID: String
        public var matterCode: String
        public var department: String
        public var items: [SupplementRequested.Item]
        public var reason: String
        public var requestedAt: Date
        /// Once every item it named has arrived.
        public var answeredAt: Date?

        public init(requestID: String, taskID: String, matterCode: String, department: String, items: [SupplementRequested.Item], reason: String,
                    requestedAt: Date, answeredAt: Date?) {
            self.requestID = requestID
            self.taskID = taskID
            self.matterCode = matterCode
            self.department = department
            self.items = items
            self.reason = reason
            self.requestedAt = requestedAt
            self.answeredAt = answeredAt
        }
    }

    /// The applicant's withdrawal (撤回).
    public struct Withdrawal: Codable, Sendable, Equatable {
        public var at: Date
        public var reason: String?

        public init(at: Date, reason: String?) {
            self.at = at
            self.reason = reason
        }
    }

    /// One thing that happened to the case.
    public struct TimelineEntry: Codable, Sendable, Equatable {
        public var at: Date
        /// What happened: accepted, handed-over, tasks-opened, supplement-requested,
        /// materials-supplemented, task-resumed, task-decided, bundle-decided, decision-revoked,
        /// licences-issued, partner-update, withdrawn.
        public var kind: String
        public var summary: String
        /// The case's status after it.
        public var status: CaseStatus

        public init(at: Date, kind: String, summary: String, status: CaseStatus) {
            self.at = at
            self.kind = kind
            self.summary = summary
            self.status = status
        }
    }

    public var caseNumber: String
    /// The region of the window that accepted it.
    public var region: String
    public var status: CaseStatus
    public var acceptedAt: Date
    public var catalogueVersion: String
    public var bundle: CaseSubmitted.Bundle?
    public var applicant: ApplicantRecord
    public var site: ApplicationRequest.Site?
    public var matters: [Matter]
    public var materials: [Material]
    public var deficiencies: [Deficiency]
    public var commitments: [CaseSubmitted.Commitment]
    public var supplementRequests: [SupplementRequest]
    public var withdrawal: Withdrawal?
    public var licences: [LicenceSummary]
    /// The matters refused on a legal basis, which earned no licence.
    public var refused: [LicencesIssued.Refusal]
    /// In the order things happened.
    public var timeline: [TimelineEntry]

    public init(caseNumber: String, region: String, status: CaseStatus, acceptedAt: Date, catalogueVersion: String, bundle: CaseSubmitted.Bundle?,
                applicant: ApplicantRecord, site: ApplicationRequest.Site?, matters: [Matter], materials: [Material], deficiencies: [Deficiency],
                commitments: [CaseSubmitted.Commitment], supplementRequests: [SupplementRequest], withdrawal: Withdrawal?, licences: [LicenceSummary],
                refused: [LicencesIssued.Refusal], timeline: [TimelineEntry]) {
        self.caseNumber = caseNumber
        self.region = region
        self.status = status
        self.acceptedAt = acceptedAt
        self.catalogueVersion = catalogueVersion
        self.bundle = bundle
        self.applicant = applicant
        self.site = site
        self.matters = matters
        self.materials = materials
        self.deficiencies = deficiencies
        self.commitments = commitments
        self.supplementRequests = supplementRequests
        self.withdrawal = withdrawal
        self.licences = licences
        self.refused = refused
        self.timeline = timeline
    }
}

/// A page of cases, newest first: an applicant's own, or a clerk's region's (`GET /cases`).
public struct CaseList: Codable, Sendable, Equatable {
    /// One case of the list.
    public struct Summary: Codable, Sendable, Equatable {
        public var caseNumber: String
        public var status: CaseStatus
        public var acceptedAt: Date
        public var bundle: CaseSubmitted.Bundle?
        public var applicantName: String
        /// The matters' names.
        public var matters: [String]

        public init(caseNumber: String, status: CaseStatus, acceptedAt: Date, bundle: CaseSubmitted.Bundle?, applicantName: String, matters: [String]) {
            self.caseNumber = caseNumber
            self.status = status
            self.acceptedAt = acceptedAt
            self.bundle = bundle
            self.applicantName = applicantName
            self.matters = matters
        }
    }

    public var cases: [Summary]
    /// The cursor for the next page (`before`), when there may be more.
    public var next: String?

    public init(cases: [Summary], next: String?) {
        self.cases = cases
        self.next = next
    }
}
