import Crypto
public import Foundation
public import Postgres
public import Signing

/// 跨省通办's lasting evidence, after X-Road's signed message log and AS4's non-repudiation
/// receipts: every envelope the relay sends a partner or takes from one, kept with its exact signed
/// bytes, in an append-only log per partner whose entries are hash-chained. The partner's receipts
/// are envelopes it signed, so they are in the log too. The keys that signed are kept beside it, so
/// a retired key still verifies what it signed.
///
/// The relay appends, in the transaction of what it logs; `tongban relay log verify|export` reads.
///
/// An entry's hash is the lower-case hex SHA-256 of the UTF-8 text
/// `<previous hash>\n<position>\n<partner>\n<direction>\n<SHA-256 of the signed bytes>`, where the
/// first entry's previous hash is 64 zeros: changing, removing or reordering an entry breaks every
/// hash after it.
public enum MessageLog {
    public enum Direction: String, Sendable, Codable {
        case sent, received
    }

    public static let genesis = String(repeating: "0", count: 64)

    public static func migration(version: Int) -> PostgresMigration {
        PostgresMigration(version: version, name: "message_log", sql: """
            -- Every envelope sent to or taken from a partner, its signed bytes as they went or came,
            -- chained per partner (MessageLog). Nothing updates or deletes an entry but the
            -- retention (TONGBAN_RELAY_LOG_RETENTION_DAYS), oldest first.
            CREATE TABLE message_log (
                partner        text        NOT NULL,
                position       bigint      NOT NULL,
                direction      text        NOT NULL CHECK (direction IN ('sent', 'received')),
                envelope_id    text        NOT NULL,
                kind           text        NOT NULL,
                case_reference text        NOT NULL,
                sequence       integer     NOT NULL,
                key_id         text        NOT NULL,
                signed         bytea       NOT NULL,
                logged_at      timestamptz NOT NULL DEFAULT now(),
                previous_hash  text        NOT NULL,
                entry_hash     text        NOT NULL,
                PRIMARY KEY (partner, position)
            );
            CREATE INDEX message_log_by_case ON message_log (case_reference);
            CREATE INDEX message_log_by_time ON message_log (logged_at);
            -- Each partner's last entry: appending locks it, so one partner's entries are written one
            -- after another, and a removed last entry shows.
            CREATE TABLE message_log_heads (
                partner  text   PRIMARY KEY,
                position bigint NOT NULL,
                hash     text   NOT NULL
            );
            -- The public keys that signed logged envelopes, this region's and partners', kept after
            -- a key is retired.
            CREATE TABLE message_log_keys (
                key_id          text        PRIMARY KEY,
                region          text        NOT NULL,
                public_key      text        NOT NULL,
                first_logged_at timestamptz NOT NULL DEFAULT now()
            );
            """)
    }

    /// One logged envelope.
    public struct Entry: Sendable, Equatable {
        public var partner: String
        public var position: Int
        public var direction: Direction
        public var envelopeID: String
        public var kind: String
        public var caseReference: String
        public var sequence: Int
        public var keyID: String
        public var signed: [UInt8]
        public var loggedAt: Date
        public var previousHash: String
        public var entryHash: String

        public init(partner: String, position: Int, direction: Direction, envelopeID: String, kind: String, caseReference: String, sequence: Int, keyID: String,
                    signed: [UInt8], loggedAt: Date, previousHash: String, entryHash: String) {
            self.partner = partner
            self.position = position
            self.direction = direction
            self.envelopeID = envelopeID
            self.kind = kind
            self.caseReference = caseReference
            self.sequence = sequence
            self.keyID = keyID
            self.signed = signed
            self.loggedAt = loggedAt
            self.previousHash = previousHash
            self.entryHash = entryHash
        }

        /// The hash this entry must have (see `MessageLog`).
        public var expectedHash: String {
            MessageLog.hash(previous: previousHash, position: position, partner: partner, direction: direction, signed: signed)
        }

        public var label: String { "\(partner) #\(position) (\(direction.rawValue) \(kind), envelope \(envelopeID), case \(caseReference))" }
    }

    /// What an envelope says of itself, as the relay logs it.
    public struct Envelope: Sendable {
        public var id: String
        public var kind: String
        public var caseReference: String
        public var sequence: Int
        public var keyID: String
        /// The exact bytes as sent or received.
        public var signed: [UInt8]

        public init(id: String, kind: String, caseReference: String, sequence: Int, keyID: String, signed: [UInt8]) {
            self.id = id
            self.kind = kind
            self.caseReference = caseReference
            self.sequence = sequence
            self.keyID = keyID
            self.signed = signed
        }
    }

    public static func hash(previous: String, position: Int, partner: String, direction: Direction, signed: [UInt8]) -> String {
        let line = "\(previous)\n\(position)\n\(partner)\n\(direction.rawValue)\n\(SHA256.hash(data: signed).hexadecimal)"
        return SHA256.hash(data: Data(line.utf8)).hexadecimal
    }

    // MARK: Writing (the relay)

    /// Appends `envelope` to `partner`'s log, in the caller's transaction; `key` is the public key
    /// that signed it (of `region`), kept for verifying it later.
    public static func append(_ envelope: Envelope, partner: String, direction: Direction, key: Ed25519JWK, region: String, on connection: PostgresConnection) async throws {
        _ = try await connection.query("""
            INSERT INTO message_log_keys (key_id, region, public_key) VALUES (\(key.kid), \(region), \(key.json)) ON CONFLICT DO NOTHING
            """)
        _ = try await connection.query("INSERT INTO message_log_heads (partner, position, hash) VALUES (\(partner), 0, \(genesis)) ON CONFLICT DO NOTHING")
        let (last, previous) = try await connection.query("""
            SELECT position, hash FROM message_log_heads WHERE partner = \(partner) FOR UPDATE
            """).decode((Int, String).self).first ?? (0, genesis)
        let position = last + 1
        let entryHash = hash(previous: previous, position: position, partner: partner, direction: direction, signed: envelope.signed)
        _ = try await connection.query("""
            INSERT INTO message_log (partner, position, direction, envelope_id, kind, case_reference, sequence, key_id, signed, previous_hash, entry_hash)
            VALUES (\(partner), \(position), \(direction.rawValue), \(envelope.id), \(envelope.kind), \(envelope.caseReference), \(envelope.sequence),
                    \(envelope.keyID), \(Data(envelope.signed)), \(previous), \(entryHash))
            """)
        _ = try await connection.query("UPDATE message_log_heads SET position = \(position), hash = \(entryHash) WHERE partner = \(partner)")
    }

    /// Removes entries logged before `cutoff`, oldest first; the chain stays verifiable from the
    /// first entry kept (its previous hash is then the anchor). Returns how many went.
    @discardableResult
    public static func prune(before cutoff: Date, on connection: PostgresConnection) async throws -> Int {
        try await connection.query("DELETE FROM message_log WHERE logged_at < \(cutoff) RETURNING 1").count
    }

    // MARK: Reading (`tongban relay log`)

    static let columns = """
        SELECT partner, position, direction, envelope_id, kind, case_reference, sequence, key_id, signed, logged_at, previous_hash, entry_hash FROM message_log
        """

    static func decode(_ rows: PostgresRows) throws -> [Entry] {
        try rows.decode((String, Int, String, String, String, String, Int, String, Data, Date, String, String).self).map {
            Entry(partner: $0.0, position: $0.1, direction: Direction(rawValue: $0.2) ?? .received, envelopeID: $0.3, kind: $0.4, caseReference: $0.5,
                  sequence: $0.6, keyID: $0.7, signed: Array($0.8), loggedAt: $0.9, previousHash: $0.10, entryHash: $0.11)
        }
    }

    public static func partners(on connection: PostgresConnection) async throws -> [String] {
        try await connection.query("SELECT partner FROM message_log_heads ORDER BY partner").decode(String.self)
    }

    public static func entries(of partner: String, on connection: PostgresConnection) async throws -> [Entry] {
        try decode(try await connection.query("\(unescaped: columns) WHERE partner = \(partner) ORDER BY position"))
    }

    /// Every entry about one case, with every partner, in each partner's order.
    public static func entries(ofCase caseReference: String, on connection: PostgresConnection) async throws -> [Entry] {
        try decode(try await connection.query("\(unescaped: columns) WHERE case_reference = \(caseReference) ORDER BY partner, position"))
    }

    public static func head(of partner: String, on connection: PostgresConnection) async throws -> (position: Int, hash: String)? {
        try await connection.query("SELECT position, hash FROM message_log_heads WHERE partner = \(partner)").decode((Int, String).self).first.map { ($0.0, $0.1) }
    }

    /// A key that signed logged envelopes.
    public struct Key: Sendable {
        public var region: String
        public var jwk: Ed25519JWK

        public init(region: String, jwk: Ed25519JWK) {
            self.region = region
            self.jwk = jwk
        }
    }

    public static func keys(on connection: PostgresConnection) async throws -> [String: Key] {
        var keys: [String: Key] = [:]
        for (keyID, region, json) in try await connection.query("SELECT key_id, region, public_key FROM message_log_keys").decode((String, String, String).self) {
            if let jwk = try? JSONDecoder().decode(Ed25519JWK.self, from: Data(json.utf8)) { keys[keyID] = Key(region: region, jwk: jwk) }
        }
        return keys
    }

    // MARK: Verifying

    /// The first entry that does not hold, and why.
    public struct Finding: Error, Sendable, CustomStringConvertible {
        public var entry: String
        public var problem: String
        public var description: String { "\(entry): \(problem)" }
    }

    /// What a chain that holds covers.
    public struct Verified: Sendable, Equatable {
        public var partner: String
        public var entries: Int
        public var first: Int
        public var last: Int
        /// Entries before `first` were pruned by the retention; `first`'s previous hash is the anchor.
        public var pruned: Bool

        public init(partner: String, entries: Int, first: Int, last: Int, pruned: Bool) {
            self.partner = partner
            self.entries = entries
            self.first = first
            self.last = last
            self.pruned = pruned
        }
    }

    /// Checks one partner's chain: positions without gaps, each entry's previous hash the one
    /// before's hash, each hash recomputed from the stored bytes, the head pointing at the last
    /// entry, and each envelope signed by the key its `keyID` names, of the region that sent it,
    /// and saying of itself what its entry says. Plain code, no I/O.
    public static func verify(_ entries: [Entry], partner: String, head: (position: Int, hash: String)?, keys: [String: Key]) -> Result<Verified, Finding> {
        var previous: Entry?
        for entry in entries {
            if let previous {
                guard entry.position == previous.position + 1 else {
                    return .failure(Finding(entry: entry.label, problem: "follows #\(previous.position): entries between them are missing"))
                }
                guard entry.previousHash == previous.entryHash else {
                    return .failure(Finding(entry: entry.label, problem: "its previous hash is not #\(previous.position)'s hash"))
                }
            } else if entry.position == 1, entry.previousHash != genesis {
                return .failure(Finding(entry: entry.label, problem: "the first entry's previous hash is not 64 zeros"))
            }
            guard entry.expectedHash == entry.entryHash else {
                return .failure(Finding(entry: entry.label, problem: "its stored bytes or fields do not match its hash: the entry was altered"))
            }
            if let problem = signatureProblem(entry, keys: keys) {
                return .failure(Finding(entry: entry.label, problem: problem))
            }
            previous = entry
        }
        if let head {
            guard head.position == (previous?.position ?? head.position), head.hash == (previous?.entryHash ?? head.hash) else {
                return .failure(Finding(entry: "\(partner) head", problem: "the log's head is #\(head.position), its last entry #\(previous?.position ?? 0): entries at the end were removed"))
            }
            if previous == nil, head.position > 0 {
                return .failure(Finding(entry: "\(partner) head", problem: "the head is #\(head.position) and no entry is left"))
            }
        }
        return .success(Verified(partner: partner, entries: entries.count, first: entries.first?.position ?? 0, last: previous?.position ?? 0,
                                 pruned: (entries.first?.position ?? 1) > 1))
    }

    /// Why an entry's envelope is not what it should be, if it is not.
    static func signatureProblem(_ entry: Entry, keys: [String: Key]) -> String? {
        guard case .object(let object)? = try? JSONValue(parsing: entry.signed) else { return "its bytes are not a JSON envelope" }
        guard object["keyID"]?.stringValue == entry.keyID, let key = keys[entry.keyID] else { return "key \(entry.keyID) is not among the log's keys" }
        guard let publicKey = try? key.jwk.publicKey(), CanonicalSignature.hasValidSignature(object, by: publicKey) else {
            return "its signature is not key \(entry.keyID)'s over its bytes"
        }
        let sender = object["sender"]?.stringValue, receiver = object["receiver"]?.stringValue
        guard sender == key.region else { return "signed with \(key.region)'s key \(entry.keyID) but sent by \(sender ?? "nobody")" }
        guard (entry.direction == .sent ? receiver : sender) == entry.partner else { return "it is not an envelope between this region and \(entry.partner)" }
        guard object["id"]?.stringValue == entry.envelopeID, object["kind"]?.stringValue == entry.kind,
              object["caseReference"]?.stringValue == entry.caseReference, object["sequence"]?.numberValue.map(Int.init) == entry.sequence
        else { return "its envelope's id, kind, case or sequence is not the entry's" }
        return nil
    }
}
