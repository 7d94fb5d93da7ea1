public import Foundation

/// `tongban.seal.licences-issued.v1`: every licence a decided case earned, issued together under
/// the bureau's seal (四证齐发), and the matters that earned none because they were refused.
public struct LicencesIssued: Codable, Sendable, Equatable {
    public struct Refusal: Codable, Sendable, Equatable {
        public var matterCode: String
        public var matterName: String
        public var legalBasis: String

        public init(matterCode: String, matterName: String, legalBasis: String) {
            self.matterCode = matterCode
            self.matterName = matterName
            self.legalBasis = legalBasis
        }
    }

    public var caseNumber: String
    public var issuedAt: Date
    public var licences: [LicenceSummary]
    public var refused: [Refusal]
    public var handedOverFrom: CaseSubmitted.OriginCase?

    public init(caseNumber: String, issuedAt: Date, licences: [LicenceSummary], refused: [Refusal], handedOverFrom: CaseSubmitted.OriginCase? = nil) {
        self.caseNumber = caseNumber
        self.issuedAt = issuedAt
        self.licences = licences
        self.refused = refused
        self.handedOverFrom = handedOverFrom
    }

    static let schema = Schema.object([
        ("caseNumber", Schema.caseNumber()),
        ("issuedAt", Schema.time("When they were issued, all at once.")),
        ("licences", Schema.array(of: LicenceSummary.schema, "The licences issued.")),
        ("refused", Schema.array(of: Schema.object([
            ("matterCode", Schema.string("The refused matter.")),
            ("matterName", Schema.string("Its name.")),
            ("legalBasis", Schema.string("The legal basis of the refusal.")),
        ], required: ["matterCode", "matterName", "legalBasis"]), "Matters that earned no licence because they were refused.")),
        ("handedOverFrom", CaseSubmitted.OriginCase.schema(description: "For a case another region handed over: where the licences go back to.")),
    ], required: ["caseNumber", "issuedAt", "licences", "refused"])
}

extension Topic {
    public static let licencesIssued = Topic(
        owner: "seal", event: "licences-issued",
        summary: "Every licence a decided case earned, issued together under the bureau's seal (四证齐发), and the refused matters.",
        payload: LicencesIssued.schema
    )
    public static let caseReceived = Topic(
        owner: "relay", event: "case-received",
        summary: "A partner region handed a case over (异地代收代办, 多地联办) and the relay verified its envelope: the same payload as tongban.intake.case-submitted.v1, with handedOverFrom set. Approval opens its tasks here.",
        payload: CaseSubmitted.schema
    )
    public static let handedInMaterialsSupplemented = Topic(
        owner: "relay", event: "materials-supplemented",
        summary: "The applicant supplied materials in the partner region that handed the case over (容缺, or answering this region's 补正), and every one came whole and matched the digest the partner signed: the same payload as tongban.intake.materials-supplemented.v1, its answers this region's supplement request ids, published after the materials' pieces on tongban.relay.material-chunk.v1. Approval keeps the materials and resumes the answered tasks' clocks.",
        payload: MaterialsSupplemented.schema
    )
    public static let handedInCaseWithdrawn = Topic(
        owner: "relay", event: "case-withdrawn",
        summary: "The applicant withdrew, in the partner region where it was applied for, a case that partner handed over (tongban.relay.case-received.v1), and the relay verified the envelope: the same payload as tongban.intake.case-withdrawn.v1, its case number the origin's. Approval closes the case's open tasks; supervision stops their clocks.",
        payload: CaseWithdrawn.schema
    )
}
