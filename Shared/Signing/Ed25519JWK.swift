public import Crypto
import Foundation

/// An Ed25519 key as a JSON Web Key (RFC 8037: `kty` OKP, `crv` Ed25519, `x` the public key, `d`
/// the private key, base64url): how relay signing keys are kept in a file and handed to partners,
/// and how bearer tokens' keys are given to the services (a JWKS).
public struct Ed25519JWK: Codable, Sendable, Equatable {
    public var kty: String
    public var crv: String
    public var kid: String
    public var x: String
    public var d: String?
    /// RFC 7517's optional `alg` (`EdDSA` for tokens) and `use` (`sig`).
    public var alg: String?
    public var use: String?

    /// The public key only, for partners.
    public init(keyID: String, publicKey: Curve25519.Signing.PublicKey) {
        kty = "OKP"
        crv = "Ed25519"
        kid = keyID
        x = Base64URL.encode(Array(publicKey.rawRepresentation))
    }

    /// The private key, for its owner's file.
    public init(keyID: String, privateKey: Curve25519.Signing.PrivateKey) {
        self.init(keyID: keyID, publicKey: privateKey.publicKey)
        d = Base64URL.encode(Array(privateKey.rawRepresentation))
    }

    /// The key without its private part.
    public var publicOnly: Ed25519JWK {
        var key = self
        key.d = nil
        return key
    }

    public var isPrivate: Bool { d != nil }

    public func publicKey() throws(JWKError) -> Curve25519.Signing.PublicKey {
        guard kty == "OKP", crv == "Ed25519" else { throw JWKError("not an Ed25519 key (kty OKP, crv Ed25519)") }
        guard !kid.isEmpty else { throw JWKError("kid is empty") }
        guard let raw = Base64URL.decode(x), raw.count == 32, let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else {
            throw JWKError("x is not a 32-byte base64url Ed25519 public key")
        }
        return key
    }

    public func privateKey() throws(JWKError) -> Curve25519.Signing.PrivateKey {
        let publicKey = try publicKey()
        guard let d, let raw = Base64URL.decode(d), raw.count == 32, let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw) else {
            throw JWKError("d is not a 32-byte base64url Ed25519 private key")
        }
        guard key.publicKey.rawRepresentation == publicKey.rawRepresentation else { throw JWKError("x is not the public half of d") }
        return key
    }

    /// The key as one line of JSON, members in a fixed order.
    public var json: String {
        Self.json(self)
    }

    /// A JSON Web Key Set (RFC 7517 §5) of these keys, as one line of JSON.
    public static func keySet(_ keys: [Ed25519JWK]) -> String {
        struct KeySet: Encodable { var keys: [Ed25519JWK] }
        return json(KeySet(keys: keys))
    }

    private static func json(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self)
    }
}

/// Why a JSON Web Key cannot be used. It never quotes the key.
public struct JWKError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
