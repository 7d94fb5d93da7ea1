public import Foundation

// Parts that several services' events carry. The events are the contract between the services
// and with the departments' own systems (Docs/asyncapi.yaml); each payload type sits beside its
// topic and JSON Schema, and a test checks that samples of every type satisfy their schema.

/// Who applied: a person (resident identity number, GB 11643) or an enterprise (unified social
/// credit code, GB 32100). Applicants reach their case, licences and rating by `identifier`, which
/// their token's verified identity must match; `account` is only the online account the case was
/// applied from, or the one a clerk noted at the window (empty when none), and grants nothing.
public struct ApplicantRecord: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case person, enterprise
    }

    public var kind: Kind
    public var name: String
    /// The resident identity number or the unified social credit code.
    public var identifier: String
    public var account: String

    public init(kind: Kind, name: String, identifier: String, account: String) {
        self.kind = kind
        self.name = name
        self.identifier = identifier
        self.account = account
    }

    static let schema = Schema.object([
        ("kind", Schema.string("person or enterprise.", oneOf: Kind.allCases.map(\.rawValue))),
        ("name", Schema.string("The person's or the enterprise's name.")),
        ("identifier", Schema.string("Resident identity number (GB 11643) of a person, unified social credit code (GB 32100) of an enterprise.", pattern: "^[0-9A-Z]{18}$")),
        ("account", Schema.string("The online account the case was applied from (token subject), or the one a clerk noted at the window; empty when none. It grants nothing: applicants reach their cases by their verified identity, which must equal identifier.")),
    ], required: ["kind", "name", "identifier", "account"])
}

/// How a matter is decided (审批方式).
public enum ApprovalMode: String, Codable, Sendable, CaseIterable {
    /// Reviewed by the department within the limits.
    case standard
    /// 告知承诺: approved at acceptance on the applicant's commitment, verified afterwards.
    case commitment
    /// 即办件: decided at acceptance.
    case immediate
}

/// The licence a matter earns when approved.
public struct LicenceKind: Codable, Sendable, Equatable {
    /// A stable code for the licence type, e.g. `construction-permit`.
    public var type: String
    /// Its name as printed, e.g. 建筑工程施工许可证.
    public var name: String
    /// How long it is valid; nil when it does not expire.
    public var validityYears: Int?

    public init(type: String, name: String, validityYears: Int? = nil) {
        self.type = type
        self.name = name
        self.validityYears = validityYears
    }

    static let schema = Schema.object([
        ("type", Schema.string("Stable code of the licence type.")),
        ("name", Schema.string("The licence's name as printed, e.g. 建筑工程施工许可证.")),
        ("validityYears", Schema.integer("Years of validity; absent when it does not expire.", minimum: 1)),
    ], required: ["type", "name"])
}

/// A document the applicant handed in, kept by intake; the content itself never travels in events.
public struct MaterialReference: Codable, Sendable, Equatable {
    /// The catalogue's code of the required material.
    public var code: String
    public var name: String
    public var mediaType: String
    /// Lower-case hex SHA-256 of the content.
    public var sha256: String
    public var size: Int
    /// Where an authorised caller reads it: intake's path of the material.
    public var location: String

    public init(code: String, name: String, mediaType: String, sha256: String, size: Int, location: String) {
        self.code = code
        self.name = name
        self.mediaType = mediaType
        self.sha256 = sha256
        self.size = size
        self.location = location
    }

    static let schema = Schema.object([
        ("code", Schema.string("The catalogue's code of the required material.")),
        ("name", Schema.string("The material's name.")),
        ("mediaType", Schema.string("Its media type, e.g. application/pdf.")),
        ("sha256", Schema.string("Lower-case hex SHA-256 of the content.", pattern: "^[0-9a-f]{64}$")),
        ("size", Schema.integer("Bytes.", minimum: 0)),
        ("location", Schema.string("Intake's path where an authorised caller reads the content.")),
    ], required: ["code", "name", "mediaType", "sha256", "size", "location"])
}

/// An issued licence, as other services and the origin window see it.
public struct LicenceSummary: Codable, Sendable, Equatable {
    public var licenceNumber: String
    public var matterCode: String
    public var kind: LicenceKind
    public var holderName: String
    /// The region whose bureau issued and sealed it.
    public var issuingRegion: String
    public var validFrom: Date
    public var validUntil: Date?
    /// Where anyone verifies it: what its QR code holds, seal's verification by the licence's
    /// unguessable reference (the licence number alone reaches nothing).
    public var verificationURL: String

    public init(licenceNumber: String, matterCode: String, kind: LicenceKind, holderName: String, issuingRegion: String, validFrom: Date, validUntil: Date?, verificationURL: String) {
        self.licenceNumber = licenceNumber
        self.matterCode = matterCode
        self.kind = kind
        self.holderName = holderName
        self.issuingRegion = issuingRegion
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.verificationURL = verificationURL
    }

    static let schema = Schema.object([
        ("licenceNumber", Schema.string("The licence number.")),
        ("matterCode", Schema.string("The matter it was issued for.")),
        ("kind", LicenceKind.schema),
        ("holderName", Schema.string("The holder's name.")),
        ("issuingRegion", Schema.string("Division code (GB/T 2260) of the issuing bureau.", pattern: regionPattern)),
        ("validFrom", Schema.time("Start of validity.")),
        ("validUntil", Schema.time("End of validity; absent when it does not expire.")),
        ("verificationURL", Schema.string("Where anyone verifies it: what its QR code holds, seal's verification by the licence's unguessable reference (the number alone reaches nothing).", format: "uri")),
    ], required: ["licenceNumber", "matterCode", "kind", "holderName", "issuingRegion", "validFrom", "verificationURL"])
}

/// A six-digit administrative division code (GB/T 2260).
let regionPattern = "^[1-9][0-9]{5}$"
/// A case number: region, acceptance day, sequence.
let caseNumberPattern = "^[1-9][0-9]{5}-[0-9]{8}-[0-9]{6}$"

extension Schema {
    /// An instant, RFC 3339.
    public static func time(_ description: String) -> DocumentNode {
        string(description, format: "date-time")
    }

    /// A calendar day, YYYY-MM-DD, in the region's local time.
    public static func day(_ description: String) -> DocumentNode {
        string(description, format: "date")
    }

    static func caseNumber(_ description: String = "The case number: region code, acceptance day, sequence.") -> DocumentNode {
        string(description, pattern: caseNumberPattern)
    }

    static func region(_ description: String) -> DocumentNode {
        string(description, pattern: regionPattern)
    }
}
