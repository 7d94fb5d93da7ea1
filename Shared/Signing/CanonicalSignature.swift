public import Crypto

/// A detached Ed25519 signature over a JSON value's RFC 8785 canonical form, multibase base58btc:
/// what relay's envelopes between regions carry. Signer and verifier need only agree on the value,
/// not on how it was formatted in transit.
public enum CanonicalSignature {
    public static func sign(_ value: JSONValue, with key: Curve25519.Signing.PrivateKey) throws -> String {
        Multibase.encode(Array(try key.signature(for: value.canonicalBytes)), as: .base58btc)
    }

    public static func isValid(_ signature: String, of value: JSONValue, by key: Curve25519.Signing.PublicKey) -> Bool {
        guard signature.first == "z", let bytes = Multibase.decode(signature), bytes.count == 64 else { return false }
        return key.isValidSignature(bytes, for: value.canonicalBytes)
    }

    /// `object` with `member` set to the signature of the object without it (an envelope that
    /// carries its own signature).
    public static func signing(_ object: JSONObject, member: String = "signature", with key: Curve25519.Signing.PrivateKey) throws -> JSONObject {
        var signed = object.removing(member)
        signed[member] = .string(try sign(.object(signed), with: key))
        return signed
    }

    /// Whether `object`'s `member` is a valid signature, by `key`, of the object without it.
    public static func hasValidSignature(_ object: JSONObject, member: String = "signature", by key: Curve25519.Signing.PublicKey) -> Bool {
        guard let signature = object[member]?.stringValue else { return false }
        return isValid(signature, of: .object(object.removing(member)), by: key)
    }
}
