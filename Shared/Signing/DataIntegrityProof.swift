public import Crypto
public import Foundation

/// W3C Data Integrity EdDSA Cryptosuites v1.0, cryptosuite `eddsa-jcs-2022`: a `DataIntegrityProof`
/// whose value is Ed25519 over SHA-256(JCS(proof configuration)) ‖ SHA-256(JCS(document)),
/// multibase base58btc. Keys are resolved by the caller from the proof's `verificationMethod`.
public enum EddsaJcs2022 {
    public static let proofType = "DataIntegrityProof"
    public static let cryptosuite = "eddsa-jcs-2022"

    /// What the proof says about itself, besides its value.
    public struct ProofOptions: Sendable {
        /// The verification method's URL, e.g. `https://…/issuers/130100#key-1`.
        public var verificationMethod: String
        public var proofPurpose: String
        public var created: Date?
        /// Further members (`expires`, `domain`, `challenge`, `nonce`, `id`) as they are.
        public var additional: JSONObject

        public init(verificationMethod: String, proofPurpose: String = "assertionMethod", created: Date? = nil, additional: JSONObject = [:]) {
            self.verificationMethod = verificationMethod
            self.proofPurpose = proofPurpose
            self.created = created
            self.additional = additional
        }

        var object: JSONObject {
            var object = additional
            object["type"] = .string(EddsaJcs2022.proofType)
            object["cryptosuite"] = .string(EddsaJcs2022.cryptosuite)
            if let created { object["created"] = .string(JSONValue.formatDateTime(created)) }
            object["verificationMethod"] = .string(verificationMethod)
            object["proofPurpose"] = .string(proofPurpose)
            return object
        }
    }

    /// The proof for `document` (which must not carry one yet), signed with `key`.
    public static func createProof(for document: JSONObject, options: ProofOptions, key: Curve25519.Signing.PrivateKey) throws -> JSONObject {
        var proof = options.object
        // Step 2 of "Create Proof": the document's context binds into the proof configuration.
        if let context = document["@context"] { proof["@context"] = context }
        let signature = try key.signature(for: hashData(document: document, proofConfiguration: proof))
        proof["proofValue"] = .string(Multibase.encode(Array(signature), as: .base58btc))
        return proof
    }

    /// `document` with its proof attached.
    public static func sign(_ document: JSONObject, options: ProofOptions, key: Curve25519.Signing.PrivateKey) throws -> JSONObject {
        var secured = document
        secured["proof"] = .object(try createProof(for: document, options: options, key: key))
        return secured
    }

    /// SHA-256 of the canonical proof configuration, then of the canonical document.
    public static func hashData(document: JSONObject, proofConfiguration: JSONObject) -> [UInt8] {
        Array(SHA256.hash(data: proofConfiguration.canonicalBytes)) + Array(SHA256.hash(data: document.canonicalBytes))
    }

    /// Why a proof does not verify.
    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        case noProof
        /// A proof of another type or cryptosuite.
        case unsupportedProof(String)
        case malformedProof(String)
        /// The proof's context is not the start of the document's.
        case contextMismatch
        /// Nobody knows the key the proof names.
        case unknownVerificationMethod(String)
        /// The signature does not match: the document or the proof was changed, or another key signed.
        case signatureMismatch

        public var description: String {
            switch self {
            case .noProof: "the document carries no proof"
            case .unsupportedProof(let what): "unsupported proof: \(what)"
            case .malformedProof(let what): "malformed proof: \(what)"
            case .contextMismatch: "the proof's @context does not match the document's"
            case .unknownVerificationMethod(let method): "unknown verification method \(method)"
            case .signatureMismatch: "the signature does not match the document"
            }
        }
    }

    /// The proof of a secured document, read and checked for form only.
    public struct Proof: Sendable {
        public var verificationMethod: String
        public var proofPurpose: String
        public var created: Date?
        public var options: JSONObject
        public var signature: [UInt8]
    }

    /// Reads the proof's form: type, cryptosuite, verification method and a 64-byte base58btc value.
    public static func proof(of securedDocument: JSONObject) throws(Failure) -> Proof {
        guard let proofValue = securedDocument["proof"] else { throw .noProof }
        guard let proof = proofValue.objectValue else {
            throw .unsupportedProof(proofValue.arrayValue != nil ? "a proof set; present one proof" : "proof is not an object")
        }
        guard proof["type"]?.stringValue == proofType, proof["cryptosuite"]?.stringValue == cryptosuite else {
            throw .unsupportedProof("type \(proof["type"]?.stringValue ?? "?"), cryptosuite \(proof["cryptosuite"]?.stringValue ?? "?")")
        }
        guard let method = proof["verificationMethod"]?.stringValue else { throw .malformedProof("no verificationMethod") }
        guard let purpose = proof["proofPurpose"]?.stringValue else { throw .malformedProof("no proofPurpose") }
        var created: Date?
        if let text = proof["created"] {
            guard let string = text.stringValue, let date = JSONValue.parseDateTime(string) else {
                throw .malformedProof("created is not a date-time")
            }
            created = date
        }
        guard let encoded = proof["proofValue"]?.stringValue, encoded.first == "z",
              let signature = Multibase.decode(encoded), signature.count == 64
        else { throw .malformedProof("proofValue is not a base58btc Ed25519 signature") }
        return Proof(verificationMethod: method, proofPurpose: purpose, created: created, options: proof.removing("proofValue"), signature: signature)
    }

    /// Verifies `securedDocument`'s proof with the public key `resolveKey` finds for its
    /// verification method (nil: unknown). Returns the proof on success.
    @discardableResult
    public static func verify(
        _ securedDocument: JSONObject,
        resolveKey: (String) throws -> Curve25519.Signing.PublicKey?
    ) throws -> Proof {
        let proof = try proof(of: securedDocument)
        guard let key = try resolveKey(proof.verificationMethod) else {
            throw Failure.unknownVerificationMethod(proof.verificationMethod)
        }
        var unsecured = securedDocument.removing("proof")
        if let proofContext = proof.options["@context"] {
            let documentContext = securedDocument["@context"].map { $0.arrayValue ?? [$0] } ?? []
            let expected = proofContext.arrayValue ?? [proofContext]
            guard documentContext.starts(with: expected) else { throw Failure.contextMismatch }
            unsecured["@context"] = proofContext
        }
        guard key.isValidSignature(proof.signature, for: hashData(document: unsecured, proofConfiguration: proof.options)) else {
            throw Failure.signatureMismatch
        }
        return proof
    }
}
