public import Foundation
public import Messaging

// Seal's typed answers, written once: seal renders these types and every client reads them. The
// licence credential, the status lists and the controller document are signed or canonical JSON
// that seal renders from Signing's JSONValue; `LicenceCredential` only reads the first.

/// 核验结果: what seal found when it checked a licence (`GET /verifications/{reference}`,
/// `POST /verifications`).
public struct LicenceVerification: Codable, Sendable, Equatable {
    /// What checking a presented licence finds.
    public enum Verdict: String, Codable, Sendable, CaseIterable {
        /// Sealed by this bureau, unchanged, in force.
        case valid
        /// Genuine, but revoked (撤销).
        case revoked
        /// Genuine, but suspended (暂扣) for now.
        case suspended
        /// Genuine, but past its validity.
        case expired
        /// The seal does not hold: changed, unsealed, or sealed with a key the bureau never had.
        case forged
        /// Not a licence of this bureau's register.
        case unknown
    }

    /// The licence as the register holds it.
    public struct Licence: Codable, Sendable, Equatable {
        public var licenceNumber: String
        /// The licence's name as printed, e.g. 建筑工程施工许可证.
        public var name: String
        public var holderName: String
        public var matterName: String
        /// The bureau that sealed it.
        public var issuer: String
        public var validFrom: Date
        /// Nil for a licence that does not expire.
        public var validUntil: Date?

        public init(licenceNumber: String, name: String, holderName: String, matterName: String, issuer: String, validFrom: Date, validUntil: Date?) {
            self.licenceNumber = licenceNumber
            self.name = name
            self.holderName = holderName
            self.matterName = matterName
            self.issuer = issuer
            self.validFrom = validFrom
            self.validUntil = validUntil
        }
    }

    /// The revocation (撤销) of the licence's decision, for good.
    public struct Revocation: Codable, Sendable, Equatable {
        public var revokedAt: Date
        public var reason: String
        public var legalBasis: String

        public init(revokedAt: Date, reason: String, legalBasis: String) {
            self.revokedAt = revokedAt
            self.reason = reason
            self.legalBasis = legalBasis
        }
    }

    /// A suspension (暂扣) of the licence, until a set instant.
    public struct Suspension: Codable, Sendable, Equatable {
        public var suspendedAt: Date
        public var suspendedUntil: Date
        public var reason: String
        public var legalBasis: String

        public init(suspendedAt: Date, suspendedUntil: Date, reason: String, legalBasis: String) {
            self.suspendedAt = suspendedAt
            self.suspendedUntil = suspendedUntil
            self.reason = reason
            self.legalBasis = legalBasis
        }
    }

    public var verdict: Verdict
    /// The verdict in words, for the person at the counter.
    public var reason: String
    public var checkedAt: Date
    /// The register's licence; nil when the register has none or the seal does not hold.
    public var licence: Licence?
    /// The seal key that sealed it, when the seal holds.
    public var keyID: String?
    /// Why it is revoked, when it is.
    public var revocation: Revocation?
    /// Why and until when it is suspended, when it is.
    public var suspension: Suspension?

    public init(verdict: Verdict, reason: String, checkedAt: Date, licence: Licence? = nil, keyID: String? = nil,
                revocation: Revocation? = nil, suspension: Suspension? = nil) {
        self.verdict = verdict
        self.reason = reason
        self.checkedAt = checkedAt
        self.licence = licence
        self.keyID = keyID
        self.revocation = revocation
        self.suspension = suspension
    }
}

/// A case's licences with the standing of each, for the applicant and the staff
/// (`GET /cases/{caseNumber}/licences`).
public struct CaseLicences: Codable, Sendable, Equatable {
    /// One licence of the case.
    public struct Entry: Codable, Sendable, Equatable {
        public var summary: LicenceSummary
        /// What a verification would find now: valid, revoked, suspended or expired.
        public var standing: LicenceVerification.Verdict

        public init(summary: LicenceSummary, standing: LicenceVerification.Verdict) {
            self.summary = summary
            self.standing = standing
        }
    }

    public var caseNumber: String
    public var licences: [Entry]

    public init(caseNumber: String, licences: [Entry]) {
        self.caseNumber = caseNumber
        self.licences = licences
    }
}

/// A seal key's public entry: the answer to a key rotation (`POST /keys/rotation`), never its
/// private side.
public struct SealKeyEntry: Codable, Sendable, Equatable {
    public var keyID: String
    /// The key's id in the bureau's controller document: the issuer's id, '#', `keyID`.
    public var verificationMethod: String
    /// The Ed25519 public key as a Multikey (z6Mk…).
    public var publicKeyMultibase: String
    /// generated, or imported by an administrator.
    public var origin: String
    public var createdAt: Date

    public init(keyID: String, verificationMethod: String, publicKeyMultibase: String, origin: String, createdAt: Date) {
        self.keyID = keyID
        self.verificationMethod = verificationMethod
        self.publicKeyMultibase = publicKeyMultibase
        self.origin = origin
        self.createdAt = createdAt
    }
}

/// A sealed licence, a W3C Verifiable Credential (`GET /licences/{number}`).
public struct LicenceCredential: Decodable, Sendable {
    /// The bureau that sealed it.
    public struct Issuer: Decodable, Sendable {
        public var id: String
        /// The bureau, e.g. 石家庄市行政审批局.
        public var name: String
    }

    /// What the licence is about: its number and the case that earned it.
    public struct Subject: Decodable, Sendable {
        public var licenceNumber: String
        public var caseNumber: String
    }

    /// The seal: a Data Integrity proof.
    public struct Proof: Decodable, Sendable {
        public var type: String
        /// eddsa-jcs-2022.
        public var cryptosuite: String
        /// The issuer's id, '#', the seal key's id.
        public var verificationMethod: String
        public var proofPurpose: String
        public var proofValue: String
        public var created: Date?
    }

    /// The licence's URL.
    public var id: String
    public var type: [String]
    public var name: String?
    public var issuer: Issuer
    public var validFrom: Date
    public var validUntil: Date?
    public var credentialSubject: Subject
    public var proof: Proof
}
