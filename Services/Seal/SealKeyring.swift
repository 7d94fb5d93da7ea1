import Crypto
import Foundation
import Logging
import Postgres
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

/// The bureau's seal keys in seal's schema (电子印章): generated at first start or imported, rotated
/// by an administrator, each with an id. Private halves are wrapped by the key encryption key and
/// unwrapped only to sign; nothing here logs or returns them.
struct SealKeyring: Sendable {
    let database: PostgresClient
    let bureau: String
    let encryptionKey: KeyEncryptionKey
    let logger: Logger

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

    /// Makes sure the bureau has a signing key: generates one the first time. Several instances
    /// starting together end up with the same one.
    func ensureSigningKey() async throws {
        let existing = try await database.query("SELECT key_id FROM seal_keys WHERE bureau = \(bureau) AND retired_at IS NULL")
        guard existing.isEmpty else { return }
        let key = Curve25519.Signing.PrivateKey()
        let keyID = Self.newKeyID()
        let inserted = try await database.query("""
            INSERT INTO seal_keys (key_id, bureau, public_key, wrapped_private_key, origin)
            VALUES (\(keyID), \(bureau), \(Data(key.publicKey.rawRepresentation)), \(Data(try wrap(key, keyID: keyID))), 'generated')
            ON CONFLICT (bureau) WHERE retired_at IS NULL DO NOTHING
            RETURNING key_id
            """)
        if !inserted.isEmpty {
            logger.info("seal key generated", metadata: ["seal.key_id": "\(keyID)", "seal.bureau": "\(bureau)"])
        }
    }

    /// Retires the signing key and puts a new one in its place: `imported` when given (a Multikey
    /// `z3u2…` Ed25519 private key), generated otherwise. Licences sealed before stay verifiable.
    func rotate(importing imported: Curve25519.Signing.PrivateKey? = nil, now: Date = Date()) async throws -> SealKey {
        let key = imported ?? Curve25519.Signing.PrivateKey()
        let keyID = Self.newKeyID(now: now)
        let publicKey = Data(key.publicKey.rawRepresentation)
        let origin = imported == nil ? "generated" : "imported"
        let wrapped = Data(try wrap(key, keyID: keyID))
        let retired: [String] = try await database.withTransaction { connection in
            let known = try await connection.query("SELECT key_id FROM seal_keys WHERE public_key = \(publicKey)")
            guard known.isEmpty else { throw SealKeyImportError(description: "this key is already one of the bureau's seal keys") }
            let retired = try await connection.query("""
                UPDATE seal_keys SET retired_at = \(now) WHERE bureau = \(bureau) AND retired_at IS NULL RETURNING key_id
                """).decode(String.self)
            _ = try await connection.query("""
                INSERT INTO seal_keys (key_id, bureau, public_key, wrapped_private_key, origin, created_at)
                VALUES (\(keyID), \(bureau), \(publicKey), \(wrapped), \(origin), \(now))
                """)
            return retired
        }
        logger.info("seal key rotated", metadata: [
            "seal.key_id": "\(keyID)", "seal.retired_key_id": "\(retired.joined(separator: ","))", "seal.key_origin": "\(origin)",
        ])
        return SealKey(keyID: keyID, publicKey: Array(publicKey), origin: origin, createdAt: now, retiredAt: nil)
    }

    /// The key that seals now, locked against a concurrent rotation until `connection`'s
    /// transaction ends.
    func signingKey(on connection: PostgresConnection) async throws -> SigningSealKey {
        let rows = try await connection.query("""
            SELECT key_id, wrapped_private_key FROM seal_keys WHERE bureau = \(bureau) AND retired_at IS NULL FOR SHARE
            """).decode((String, Data).self)
        guard let (keyID, wrapped) = rows.first else {
            throw SealKeyImportError(description: "the bureau has no signing seal key")
        }
        let raw = try encryptionKey.open(Array(wrapped), context: Self.wrappingContext(keyID: keyID, bureau: bureau))
        return SigningSealKey(keyID: keyID, privateKey: try Curve25519.Signing.PrivateKey(rawRepresentation: raw))
    }

    /// Every key the bureau ever sealed with, newest first.
    func keys() async throws -> [SealKey] {
        try await database.query("""
            SELECT key_id, public_key, origin, created_at, retired_at FROM seal_keys WHERE bureau = \(bureau)
            ORDER BY created_at DESC, key_id DESC
            """).decode((String, Data, String, Date, Date?).self).map {
            SealKey(keyID: $0.0, publicKey: Array($0.1), origin: $0.2, createdAt: $0.3, retiredAt: $0.4)
        }
    }

    func publicKey(id keyID: String) async throws -> Curve25519.Signing.PublicKey? {
        let rows = try await database.query("SELECT public_key FROM seal_keys WHERE key_id = \(keyID) AND bureau = \(bureau)").decode(Data.self)
        return try rows.first.map { try Curve25519.Signing.PublicKey(rawRepresentation: $0) }
    }

    func wrap(_ key: Curve25519.Signing.PrivateKey, keyID: String) throws -> [UInt8] {
        try encryptionKey.seal(key.rawRepresentation, context: Self.wrappingContext(keyID: keyID, bureau: bureau))
    }
}
