public import Foundation

/// 核验结果: what seal found when it checked a licence (`GET /licences/{number}/verification`,
/// `POST /verifications`).
public struct LicenceVerification: Decodable, Sendable {
    /// The licence as the register holds it.
    public struct Licence: Decodable, Sendable {
        public var licenceNumber: String
        public var name: String
        public var holderName: String
        public var matterName: String
        public var issuer: String
        public var validFrom: Date
        public var validUntil: Date?
    }

    /// valid, revoked, suspended, expired, forged or unknown.
    public var verdict: String
    /// The verdict in words, for the person at the counter.
    public var reason: String
    public var checkedAt: Date
    public var licence: Licence?
    /// The seal key that sealed it, when the seal holds.
    public var keyID: String?
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
