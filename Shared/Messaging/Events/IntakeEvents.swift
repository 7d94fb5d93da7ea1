public import Foundation

/// `tongban.intake.case-submitted.v1`: the window accepted an application (fully, or with
/// deficiencies it tolerates). Approval opens the tasks of the home region's matters from it; the
/// relay forwards the matters of other regions. The relay publishes the same payload on
/// `tongban.relay.case-received.v1` for cases a partner region handed over, with `handedOverFrom`.
public struct CaseSubmitted: Codable, Sendable, Equatable {
    public struct Bundle: Codable, Sendable, Equatable {
        public var code: String
        public var name: String

        public init(code: String, name: String) {
            self.code = code
            self.name = name
        }

        static func schema(description: String) -> DocumentNode {
            Schema.object([
                ("code", Schema.string("The bundle's catalogue code.")),
                ("name", Schema.string("The bundle's name, e.g. 开餐馆一件事.")),
            ], required: ["code", "name"], description: description)
        }
    }

    /// One matter of the case and everything approval needs to handle it, copied from the
    /// catalogue version the window used, so that approval never reads the catalogue.
    public struct Matter: Codable, Sendable, Equatable {
        public var code: String
        public var name: String
        /// The competent department's code, e.g. `housing-construction`.
        public var department: String
        public var departmentName: String
        /// The competent authority's region; another region's matters go through the relay.
        public var region: String
        public var legalLimitDays: Int
        public var promisedLimitDays: Int
        public var mode: ApprovalMode
        /// Ordered steps before the decision, e.g. `joint-inspection` (联合踏勘); empty for most matters.
        public var stepsBeforeDecision: [String]
        /// For commitment matters: working days the department has to verify the commitment.
        public var verificationLimitDays: Int?
        /// The licence an approval earns; nil for matters that produce none.
        public var licence: LicenceKind?
        /// The catalogue's codes of the materials this matter needs: a partner region is sent
        /// these and no others. Absent from events of older producers (then: all of the case's).
        public var materials: [String]?

        public init(code: String, name: String, department: String, departmentName: String, region: String, legalLimitDays: Int, promisedLimitDays: Int, mode: ApprovalMode, stepsBeforeDecision: [String] = [], verificationLimitDays: Int? = nil, licence: LicenceKind? = nil, materials: [String]? = nil) {
            self.code = code
            self.name = name
            self.department = department
            self.departmentName = departmentName
            self.region = region
            self.legalLimitDays = legalLimitDays
            self.promisedLimitDays = promisedLimitDays
            self.mode = mode
            self.stepsBeforeDecision = stepsBeforeDecision
            self.verificationLimitDays = verificationLimitDays
            self.licence = licence
            self.materials = materials
        }
    }

    /// A material accepted as owed (容缺受理), due by a working day.
    public struct Deficiency: Codable, Sendable, Equatable {
        public var matterCode: String
        public var materialCode: String
        public var name: String
        /// YYYY-MM-DD, the working day by which it must be supplied.
        public var dueBy: String

        public init(matterCode: String, materialCode: String, name: String, dueBy: String) {
            self.matterCode = matterCode
            self.materialCode = materialCode
            self.name = name
            self.dueBy = dueBy
        }
    }

    /// 告知承诺: what the applicant committed to for a commitment matter, in the catalogue's words;
    /// the department verifies it afterwards, and regulators receive it.
    public struct Commitment: Codable, Sendable, Equatable {
        public var matterCode: String
        public var statement: String
        /// The catalogue materials the commitment stands in for.
        public var replacesMaterials: [String]

        public init(matterCode: String, statement: String, replacesMaterials: [String]) {
            self.matterCode = matterCode
            self.statement = statement
            self.replacesMaterials = replacesMaterials
        }
    }

    /// The case in the region where the applicant applied, for a case handed over by the relay.
    public struct OriginCase: Codable, Sendable, Equatable {
        public var region: String
        public var caseNumber: String

        public init(region: String, caseNumber: String) {
            self.region = region
            self.caseNumber = caseNumber
        }

        static func schema(description: String) -> DocumentNode {
            Schema.object([
                ("region", Schema.region("The origin region.")),
                ("caseNumber", Schema.caseNumber("The case number in the origin region.")),
            ], required: ["region", "caseNumber"], description: description)
        }
    }

    public var caseNumber: String
    /// The region of the window that accepted it.
    public var region: String
    /// The bundle ("one thing") applied for; nil for a single matter.
    public var bundle: Bundle?
    public var applicant: ApplicantRecord
    public var acceptedAt: Date
    /// The catalogue version the window used.
    public var catalogueVersion: String
    public var matters: [Matter]
    public var materials: [MaterialReference]
    public var deficiencies: [Deficiency]
    /// The commitments signed for commitment matters; absent from events of older producers.
    public var commitments: [Commitment]?
    public var handedOverFrom: OriginCase?

    public init(caseNumber: String, region: String, bundle: Bundle?, applicant: ApplicantRecord, acceptedAt: Date, catalogueVersion: String, matters: [Matter], materials: [MaterialReference], deficiencies: [Deficiency], commitments: [Commitment]? = nil, handedOverFrom: OriginCase? = nil) {
        self.caseNumber = caseNumber
        self.region = region
        self.bundle = bundle
        self.applicant = applicant
        self.acceptedAt = acceptedAt
        self.catalogueVersion = catalogueVersion
        self.matters = matters
        self.materials = materials
        self.deficiencies = deficiencies
        self.commitments = commitments
        self.handedOverFrom = handedOverFrom
    }

    static let schema = Schema.object([
        ("caseNumber", Schema.caseNumber()),
        ("region", Schema.region("Division code of the accepting window's region.")),
        ("bundle", CaseSubmitted.Bundle.schema(description: "The bundle applied for; absent for a single matter.")),
        ("applicant", ApplicantRecord.schema),
        ("acceptedAt", Schema.time("When the window accepted the case; the clocks start from it.")),
        ("catalogueVersion", Schema.string("The matter catalogue version the window used.")),
        ("matters", Schema.array(of: Schema.object([
            ("code", Schema.string("The matter's catalogue code.")),
            ("name", Schema.string("The matter's name.")),
            ("department", Schema.string("The competent department's code.")),
            ("departmentName", Schema.string("The competent department's name.")),
            ("region", Schema.region("Division code of the competent authority; not the home region means the relay hands it over.")),
            ("legalLimitDays", Schema.integer("Legal limit (法定时限) in working days.", minimum: 0)),
            ("promisedLimitDays", Schema.integer("Promised limit (承诺时限) in working days.", minimum: 0)),
            ("mode", Schema.string("standard, commitment (告知承诺) or immediate (即办件).", oneOf: ApprovalMode.allCases.map(\.rawValue))),
            ("stepsBeforeDecision", Schema.array(of: Schema.string("A step, e.g. joint-inspection."), "Steps that must be done, in order, before the decision.")),
            ("verificationLimitDays", Schema.integer("Commitment matters: working days to verify the commitment.", minimum: 1)),
            ("licence", LicenceKind.schema),
            ("materials", Schema.array(of: Schema.string("A material's catalogue code."), "The materials this matter needs; a partner region handling it is sent these.")),
        ], required: ["code", "name", "department", "departmentName", "region", "legalLimitDays", "promisedLimitDays", "mode", "stepsBeforeDecision"]), "Every matter of the case.")),
        ("materials", Schema.array(of: MaterialReference.schema, "The materials handed in.")),
        ("deficiencies", Schema.array(of: Schema.object([
            ("matterCode", Schema.string("The matter that needs it.")),
            ("materialCode", Schema.string("The material's catalogue code.")),
            ("name", Schema.string("The material's name.")),
            ("dueBy", Schema.day("The working day by which it must be supplied.")),
        ], required: ["matterCode", "materialCode", "name", "dueBy"]), "Materials owed under 容缺受理.")),
        ("commitments", Schema.array(of: Schema.object([
            ("matterCode", Schema.string("The commitment matter.")),
            ("statement", Schema.string("The commitment (告知承诺书) the applicant signed, in the catalogue's words.")),
            ("replacesMaterials", Schema.array(of: Schema.string("A material's catalogue code."), "The materials the commitment stands in for.")),
        ], required: ["matterCode", "statement", "replacesMaterials"]), "Commitments signed for commitment matters (告知承诺); regulators verify them afterwards.")),
        ("handedOverFrom", CaseSubmitted.OriginCase.schema(description: "Set by the relay for a case another region handed over.")),
    ], required: ["caseNumber", "region", "applicant", "acceptedAt", "catalogueVersion", "matters", "materials", "deficiencies"])
}

/// `tongban.intake.materials-supplemented.v1`: the applicant supplied materials, owed or requested.
public struct MaterialsSupplemented: Codable, Sendable, Equatable {
    public var caseNumber: String
    public var materials: [MaterialReference]
    /// The supplement requests (from approval) these materials answer; empty for owed materials.
    public var answers: [String]
    public var supplementedAt: Date

    public init(caseNumber: String, materials: [MaterialReference], answers: [String], supplementedAt: Date) {
        self.caseNumber = caseNumber
        self.materials = materials
        self.answers = answers
        self.supplementedAt = supplementedAt
    }

    static let schema = Schema.object([
        ("caseNumber", Schema.caseNumber()),
        ("materials", Schema.array(of: MaterialReference.schema, "The materials supplied.")),
        ("answers", Schema.array(of: Schema.string("A supplement request id."), "The supplement requests these materials answer.")),
        ("supplementedAt", Schema.time("When they were supplied; suspended clocks resume from it.")),
    ], required: ["caseNumber", "materials", "answers", "supplementedAt"])
}

/// `tongban.intake.case-withdrawn.v1`: the applicant withdrew the case; open tasks close.
public struct CaseWithdrawn: Codable, Sendable, Equatable {
    public var caseNumber: String
    public var reason: String?
    public var withdrawnAt: Date

    public init(caseNumber: String, reason: String?, withdrawnAt: Date) {
        self.caseNumber = caseNumber
        self.reason = reason
        self.withdrawnAt = withdrawnAt
    }

    static let schema = Schema.object([
        ("caseNumber", Schema.caseNumber()),
        ("reason", Schema.string("The applicant's reason, if given.")),
        ("withdrawnAt", Schema.time("When it was withdrawn.")),
    ], required: ["caseNumber", "withdrawnAt"])
}

extension Topic {
    public static let caseSubmitted = Topic(
        owner: "intake", event: "case-submitted",
        summary: "A window accepted an application for one matter or a bundle (fully or 容缺受理): the case, its applicant, every matter with its department, region, limits and approval mode, the materials' references and what is owed.",
        payload: CaseSubmitted.schema
    )
    public static let materialsSupplemented = Topic(
        owner: "intake", event: "materials-supplemented",
        summary: "The applicant supplied materials for a case: owed ones, or those a department requested; suspended clocks resume.",
        payload: MaterialsSupplemented.schema
    )
    public static let caseWithdrawn = Topic(
        owner: "intake", event: "case-withdrawn",
        summary: "The applicant withdrew a case; its open tasks close undecided.",
        payload: CaseWithdrawn.schema
    )
}
