public import Foundation
import Crypto
import Signing

/// What a window terminal or an applicant's portal sends to intake's `POST /cases`: one matter or
/// one bundle (一件事), the applicant, the site, and the materials as base64 with their SHA-256.
public struct ApplicationRequest: Encodable, Sendable {
    public struct Applicant: Encodable, Sendable {
        public var name: String
        public var residentIdentityNumber: String?
        public var unifiedSocialCreditCode: String?
        public var account: String?

        public init(name: String, residentIdentityNumber: String? = nil, unifiedSocialCreditCode: String? = nil, account: String? = nil) {
            self.name = name
            self.residentIdentityNumber = residentIdentityNumber
            self.unifiedSocialCreditCode = unifiedSocialCreditCode
            self.account = account
        }
    }

    /// Where the project or business is (项目/经营场所所在地); intake's receipt and case document
    /// give it back as sent.
    public struct Site: Codable, Sendable, Equatable {
        /// The county-level division (GB/T 2260).
        public var divisionCode: String
        public var address: String

        public init(divisionCode: String, address: String) {
            self.divisionCode = divisionCode
            self.address = address
        }
    }

    /// The applicant's commitment (告知承诺) for a matter that allows it.
    public struct Commitment: Encodable, Sendable {
        public var matterCode: String

        public init(matterCode: String) {
            self.matterCode = matterCode
        }
    }

    public var matter: String?
    public var bundle: String?
    public var applicant: Applicant
    public var site: Site?
    public var materials: [MaterialUpload]
    public var commitments: [Commitment]?

    public init(matter: String? = nil, bundle: String? = nil, applicant: Applicant, site: Site?, materials: [MaterialUpload], commitments: [Commitment]? = nil) {
        self.matter = matter
        self.bundle = bundle
        self.applicant = applicant
        self.site = site
        self.materials = materials
        self.commitments = commitments
    }
}

/// One material of an application or a supplement.
public struct MaterialUpload: Encodable, Sendable {
    public var code: String
    public var mediaType: String
    public var contentBase64: String
    public var sha256: String
    public var fileName: String?

    public init(code: String, mediaType: String, content: Data, fileName: String?) {
        self.code = code
        self.mediaType = mediaType
        contentBase64 = content.base64EncodedString()
        sha256 = Self.sha256Hex(content)
        self.fileName = fileName
    }

    /// A small PDF-like scan (扫描件) for `code`, with its true SHA-256.
    public static func document(_ code: String, content: Data? = nil) -> MaterialUpload {
        MaterialUpload(code: code, mediaType: "application/pdf", content: content ?? Data("%PDF-1.7\n% \(code) 扫描件\n%%EOF\n".utf8), fileName: "\(code).pdf")
    }

    public static func sha256Hex(_ data: Data) -> String {
        SHA256.hash(data: data).hexadecimal
    }
}
