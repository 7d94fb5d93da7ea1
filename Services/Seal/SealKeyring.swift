import Crypto
import Foundation
import Signing

/// A seal key's public side: what licences name in their proofs and what GET /keys lists.
struct SealKey: Sendable, Equatable {
    var keyID: String
    var publicKey: [UInt8]
    var origin: String
    var createdAt: Date
    var retiredAt: Date?

    var publicKeyMultibase: String { Multikey.encodeEd25519PublicKey(publicKey) }
}

/// The key that seals now, unwrapped for the one transaction that uses it.
struct SigningSealKey {
    var keyID: String
    var privateKey: Curve25519.Signing.PrivateKey
}

/// Why a key could not be imported.
struct SealKeyImportError: Error, CustomStringConvertible {
    var description: String
}

/// A new seal key as stored: its private half wrapped by the key encryption key.
struct WrappedSealKey: Sendable {
    var keyID: String
    var publicKey: Data
    var wrappedPrivateKey: Data
    var origin: String
}

/// The bureau's seal keys' secrets (电子印章): each private half is wrapped by the key encryption
/// key, bound to its id and bureau, and unwrapped only to sign; nothing here logs or returns one.
/// Where they are kept is SealRepository's; generating, importing and rotating them is SealWorkflow's.
struct SealKeyring: Sendable {
    let bureau: String
    let encryptionKey: KeyEncryptionKey

    /// The wrapped key is bound to its id and bureau.
    static func wrappingContext(keyID: String, bureau: String) -> String {
        "tongban-seal-key:\(bureau):\(keyID)"
    }

    static func newKeyID(now: Date = Date()) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let day = calendar.dateComponents([.year, .month, .day], from: now)
        let stamp = String(format: "%04d%02d%02d", day.year!, day.month!, day.day!)
        return "seal-\(stamp)-\(UUID().uuidString.prefix(8).lowercased())"
    }

    /// `key` under a new id, ready to store; `imported` says where it came from.
    func wrap(_ key: Curve25519.Signing.PrivateKey, imported: Bool, now: Date) throws -> WrappedSealKey {
        let keyID = Self.newKeyID(now: now)
        return WrappedSealKey(
            keyID: keyID,
            publicKey: Data(key.publicKey.rawRepresentation),
            wrappedPrivateKey: Data(try encryptionKey.seal(key.rawRepresentation, context: Self.wrappingContext(keyID: keyID, bureau: bureau))),
            origin: imported ? "imported" : "generated"
        )
    }

    /// The signing key from its stored, wrapped form.
    func unwrap(keyID: String, wrapped: Data) throws -> SigningSealKey {
        let raw = try encryptionKey.open(Array(wrapped), context: Self.wrappingContext(keyID: keyID, bureau: bureau))
        return SigningSealKey(keyID: keyID, privateKey: try Curve25519.Signing.PrivateKey(rawRepresentation: raw))
    }
}
