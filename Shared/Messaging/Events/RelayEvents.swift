public import Foundation

// 跨省通办: what partner regions' relays exchange (signed envelopes on each other's inbox topic)
// and what the relay tells its own region's services. The envelope itself is built and checked by
// the relay (Services/Relay); its JSON Schema is published here with the inbox topic.

/// What one relay envelope carries; `payload`'s schema depends on it.
public enum RelayEnvelopeKind: String, Codable, Sendable, CaseIterable {
    /// A case (or the part of a bundle) the receiver handles: a `CaseSubmitted` with `handedOverFrom`.
    case caseHandedOver = "case-handed-over"
    /// The receiver checked and took an envelope: a `RelayReceipt`.
    case receipt
    /// Progress of a handed-over case where it is handled: a `CaseProgress`.
    case status
    /// The licences a handed-over case earned, and the refusals: a `CaseResult`.
    case result
    /// The applicant withdrew the case where it was applied for; the receiver closes its open
    /// tasks: a `CaseWithdrawn` (its case number the origin's).
    case caseWithdrawn = "case-withdrawn"
    /// A piece of one of the case's materials, whose SHA-256 the signed hand-over (or a later
    /// status) lists: a `MaterialChunk`. The receiver releases the case once every material is whole.
    case materialChunk = "material-chunk"
    /// The applicant supplied materials at the origin (容缺, or answering the receiver's 补正): a
    /// `MaterialsSupplemented` listing them with their digests (their pieces follow as
    /// `material-chunk`s) and the receiver's supplement requests they answer.
    case materialsSupplemented = "materials-supplemented"
}

/// Where a handed-over case stands in the region that handles it.
public enum CaseProgressStatus: String, Codable, Sendable, CaseIterable {
    /// The partner's relay took the case (its receipt arrived).
    case received
    /// The partner opened its departments' tasks; the clocks run.
    case accepted
    /// A department asked for materials (补正); its clock stands still.
    case supplementRequested = "supplement-requested"
    /// The materials arrived; the clock runs again.
    case resumed
    /// A department decided one matter.
    case matterDecided = "matter-decided"
    /// Every matter handed over is decided.
    case decided
    /// An approval was revoked.
    case decisionRevoked = "decision-revoked"
    /// The partner's bureau issued the licences (a result).
    case licencesIssued = "licences-issued"
}

/// One matter of a handed-over case, as a status reports it.
public struct MatterProgress: Codable, Sendable, Equatable {
    public var matterCode: String
    public var matterName: String?
    public var department: String?
    public var departmentName: String?
    public var outcome: DecisionOutcome?
    public var legalBasis: String?
    public var decidedAt: Date?
    public var promisedDeadline: Date?
    public var legalDeadline: Date?

    public init(matterCode: String, matterName: String? = nil, department: String? = nil, departmentName: String? = nil, outcome: DecisionOutcome? = nil, legalBasis: String? = nil, decidedAt: Date? = nil, promisedDeadline: Date? = nil, legalDeadline: Date? = nil) {
        self.matterCode = matterCode
        self.matterName = matterName
        self.department = department
        self.departmentName = departmentName
        self.outcome = outcome
        self.legalBasis = legalBasis
        self.decidedAt = decidedAt
        self.promisedDeadline = promisedDeadline
        self.legalDeadline = legalDeadline
    }

    static let schema = Schema.object([
        ("matterCode", Schema.string("The matter.")),
        ("matterName", Schema.string("The matter's name.")),
        ("department", Schema.string("The partner's competent department.")),
        ("departmentName", Schema.string("Its name.")),
        ("outcome", Schema.string("approved or rejected, once decided.", oneOf: DecisionOutcome.allCases.map(\.rawValue))),
        ("legalBasis", Schema.string("The legal basis of a rejection or revocation.")),
        ("decidedAt", Schema.time("When it was decided.")),
        ("promisedDeadline", Schema.time("When the promised limit runs out.")),
        ("legalDeadline", Schema.time("When the legal limit runs out.")),
    ], required: ["matterCode"])
}

/// The `status` envelope's payload: a step of a handed-over case in the region handling it.
public struct CaseProgress: Codable, Sendable, Equatable {
    /// The origin case number.
    public var caseNumber: String
    public var status: CaseProgressStatus
    public var occurredAt: Date
    public var matters: [MatterProgress]
    /// Why: the supplement request's or the revocation's reason.
    public var note: String?
    /// What the applicant must supply, for `supplement-requested`.
    public var supplementItems: [SupplementRequested.Item]
    /// For `supplement-requested`: the request's id in the handling region, which the applicant's
    /// answer (a `materials-supplemented` envelope) names.
    public var requestID: String?

    public init(caseNumber: String, status: CaseProgressStatus, occurredAt: Date, matters: [MatterProgress], note: String? = nil, supplementItems: [SupplementRequested.Item] = [], requestID: String? = nil) {
        self.caseNumber = caseNumber
        self.status = status
        self.occurredAt = occurredAt
        self.matters = matters
        self.note = note
        self.supplementItems = supplementItems
        self.requestID = requestID
    }

    static let statusSchema = Schema.string("Where the case stands.", oneOf: CaseProgressStatus.allCases.map(\.rawValue))
    static let itemsSchema = Schema.array(of: Schema.object([
        ("materialCode", Schema.string("The material's code.")),
        ("name", Schema.string("What to supply.")),
    ], required: ["materialCode", "name"]), "For supplement-requested: what the applicant must supply.")

    static let schema = Schema.object([
        ("caseNumber", Schema.caseNumber("The case number in the origin region.")),
        ("status", statusSchema),
        ("occurredAt", Schema.time("When it happened.")),
        ("matters", Schema.array(of: MatterProgress.schema, "The matters this step is about.")),
        ("note", Schema.string("Why: a supplement request's or a revocation's reason.")),
        ("supplementItems", itemsSchema),
        ("requestID", Schema.string("For supplement-requested: the request's id where the case is handled; the answer names it.")),
    ], required: ["caseNumber", "status", "occurredAt", "matters", "supplementItems"])
}

/// The `result` envelope's payload: the licences the handling region issued for a handed-over case.
public struct CaseResult: Codable, Sendable, Equatable {
    /// The origin case number.
    public var caseNumber: String
    public var issuedAt: Date
    public var licences: [LicenceSummary]
    public var refused: [LicencesIssued.Refusal]

    public init(caseNumber: String, issuedAt: Date, licences: [LicenceSummary], refused: [LicencesIssued.Refusal]) {
        self.caseNumber = caseNumber
        self.issuedAt = issuedAt
        self.licences = licences
        self.refused = refused
    }

    static let refusedSchema = Schema.array(of: Schema.object([
        ("matterCode", Schema.string("The refused matter.")),
        ("matterName", Schema.string("Its name.")),
        ("legalBasis", Schema.string("The legal basis of the refusal.")),
    ], required: ["matterCode", "matterName", "legalBasis"]), "Matters refused, with their legal basis.")

    static let schema = Schema.object([
        ("caseNumber", Schema.caseNumber("The case number in the origin region.")),
        ("issuedAt", Schema.time("When the licences were issued, together.")),
        ("licences", Schema.array(of: LicenceSummary.schema, "The licences, sealed by the handling region's bureau.")),
        ("refused", refusedSchema),
    ], required: ["caseNumber", "issuedAt", "licences", "refused"])
}

/// The `receipt` envelope's payload. Cumulative: every envelope of the case up to
/// `acknowledgedSequence` from this sender has been taken.
public struct RelayReceipt: Codable, Sendable, Equatable {
    /// The id of the envelope this receipt answers.
    public var acknowledgedID: String
    public var acknowledgedKind: RelayEnvelopeKind
    public var acknowledgedSequence: Int
    public var receivedAt: Date

    public init(acknowledgedID: String, acknowledgedKind: RelayEnvelopeKind, acknowledgedSequence: Int, receivedAt: Date) {
        self.acknowledgedID = acknowledgedID
        self.acknowledgedKind = acknowledgedKind
        self.acknowledgedSequence = acknowledgedSequence
        self.receivedAt = receivedAt
    }

    static let schema = Schema.object([
        ("acknowledgedID", Schema.string("The id of the envelope answered.")),
        ("acknowledgedKind", Schema.string("Its kind.", oneOf: RelayEnvelopeKind.allCases.map(\.rawValue))),
        ("acknowledgedSequence", Schema.integer("Every envelope of the case up to this sequence has been taken.", minimum: 1)),
        ("receivedAt", Schema.time("When the receiver took it.")),
    ], required: ["acknowledgedID", "acknowledgedKind", "acknowledgedSequence", "receivedAt"])
}

/// `tongban.relay.partner-update.v1`: a partner region reported on a case this region handed over
/// (异地代收代办, 多地联办): a status, or the licences it issued. Intake shows it on the origin
/// case's timeline; the partner's licences join the case's own.
public struct PartnerUpdate: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case status, result
    }

    /// The case in this region (the origin).
    public var caseNumber: String
    public var partnerRegion: String
    public var partnerName: String
    public var kind: Kind
    public var status: CaseProgressStatus
    public var occurredAt: Date
    public var matters: [MatterProgress]
    public var note: String?
    public var supplementItems: [SupplementRequested.Item]
    /// For `supplement-requested`: the partner's request id; the applicant's answer names it.
    public var requestID: String?
    /// For a result: the licences the partner's bureau issued and sealed.
    public var licences: [LicenceSummary]
    /// For a result: the partner's refusals.
    public var refused: [LicencesIssued.Refusal]

    public init(caseNumber: String, partnerRegion: String, partnerName: String, kind: Kind, status: CaseProgressStatus, occurredAt: Date, matters: [MatterProgress] = [], note: String? = nil, supplementItems: [SupplementRequested.Item] = [], requestID: String? = nil, licences: [LicenceSummary] = [], refused: [LicencesIssued.Refusal] = []) {
        self.caseNumber = caseNumber
        self.partnerRegion = partnerRegion
        self.partnerName = partnerName
        self.kind = kind
        self.status = status
        self.occurredAt = occurredAt
        self.matters = matters
        self.note = note
        self.supplementItems = supplementItems
        self.requestID = requestID
        self.licences = licences
        self.refused = refused
    }

    static let schema = Schema.object([
        ("caseNumber", Schema.caseNumber("The case in this region, which handed it over.")),
        ("partnerRegion", Schema.region("The partner region handling it.")),
        ("partnerName", Schema.string("The partner region's name.")),
        ("kind", Schema.string("status, or result (licences issued).", oneOf: Kind.allCases.map(\.rawValue))),
        ("status", CaseProgress.statusSchema),
        ("occurredAt", Schema.time("When it happened at the partner.")),
        ("matters", Schema.array(of: MatterProgress.schema, "The matters this update is about.")),
        ("note", Schema.string("Why: a supplement request's or a revocation's reason.")),
        ("supplementItems", CaseProgress.itemsSchema),
        ("requestID", Schema.string("For supplement-requested: the partner's request id; the applicant's answer names it.")),
        ("licences", Schema.array(of: LicenceSummary.schema, "For a result: the partner's licences.")),
        ("refused", CaseResult.refusedSchema),
    ], required: ["caseNumber", "partnerRegion", "partnerName", "kind", "status", "occurredAt", "matters", "supplementItems", "licences", "refused"])
}

/// The relay envelope: what partner regions put on each other's inbox topic, signed by the sender.
public enum RelayEnvelopeSchema {
    /// The payload schema of each kind.
    public static func payload(of kind: RelayEnvelopeKind) -> DocumentNode {
        switch kind {
        case .caseHandedOver: CaseSubmitted.schema
        case .receipt: RelayReceipt.schema
        case .status: CaseProgress.schema
        case .result: CaseResult.schema
        case .caseWithdrawn: CaseWithdrawn.schema
        case .materialChunk: MaterialChunk.schema
        case .materialsSupplemented: MaterialsSupplemented.schema
        }
    }

    static let schema = Schema.object([
        ("id", Schema.string("Unique per envelope, every transmission included; a receiver takes each id once.")),
        ("sender", Schema.region("The sending region.")),
        ("receiver", Schema.region("The region it is addressed to.")),
        ("kind", Schema.string("What the payload is.", oneOf: RelayEnvelopeKind.allCases.map(\.rawValue))),
        ("caseReference", Schema.caseNumber("The case number in the origin region; the Kafka key too.")),
        ("sequence", Schema.integer("Per sender, receiver and case, from 1, in the order the receiver must apply them; 0 for receipts. A retransmission keeps its sequence.", minimum: 0)),
        ("issuedAt", Schema.time("When this transmission was signed; the receiver refuses it outside its allowed clock skew.")),
        ("payload", .mapping([
            ("type", .string("object")),
            ("description", .string("By kind: case-handed-over a tongban.intake.case-submitted.v1 payload with handedOverFrom; case-withdrawn a tongban.intake.case-withdrawn.v1 payload; receipt, status and result as given here.")),
            ("anyOf", .sequence(RelayEnvelopeKind.allCases.map(payload(of:)))),
        ])),
        ("keyID", Schema.string("The id of the sender's signing key.")),
        ("signature", Schema.string("Ed25519 over the RFC 8785 canonical form of the envelope without this member, multibase base58btc (z…).", pattern: "^z[1-9A-HJ-NP-Za-km-z]+$")),
    ], required: ["id", "sender", "receiver", "kind", "caseReference", "sequence", "issuedAt", "payload", "keyID", "signature"])
}

extension Topic {
    public static let relayInbox = Topic(
        owner: "relay", event: "inbox",
        summary: "This region's inbox on its own Kafka cluster, written by partner regions' relays (跨省通办): signed envelopes (case handed over, material chunk, materials supplemented, case withdrawn, receipt, status, result) as JSON, the case reference as key. The relay checks every envelope (known sender, signature, receiver, clock skew, id not seen, schema, size) before anything acts on it.",
        payload: RelayEnvelopeSchema.schema
    )
    public static let relayQuarantine = Topic(
        owner: "relay", event: "quarantine",
        partitions: 1,
        retention: .seconds(30 * 24 * 3600),
        summary: "Inbox messages that failed a check, exactly as they arrived (key, headers, value), with the dead-letter headers added; dlq_reason starts with the reason's code: oversized, malformed, unknown-sender, bad-signature, wrong-receiver, stale, replayed-id, schema-invalid, unknown-case, unlisted-material, duplicate-chunk, chunk-out-of-order, chunk-invalid or digest-mismatch. Nothing acted on them.",
        payload: .mapping([("description", .string("The original message's value, unchanged; it may not be valid JSON."))])
    )
    public static let partnerUpdate = Topic(
        owner: "relay", event: "partner-update",
        summary: "A partner region reported on a case this region handed over: a status (received, accepted, supplement requested, matter decided, …) or the licences its bureau issued. Intake shows it on the origin case's timeline.",
        payload: PartnerUpdate.schema
    )
}
