import Crypto
public import Foundation
public import Postgres
import Signing

/// One piece of a material's content on its way across Kafka (跨省通办: documents travel with the
/// case): intake → its relay, relay → the partner's relay (inside a signed `material-chunk`
/// envelope), the partner's relay → its approval. A material is known by its case and its SHA-256;
/// its pieces go in order, each small enough for the hop's message size, and the receiver puts
/// them together (`MaterialStore`) and checks the digest against the list it trusts — the
/// case's `materials`, which the signed hand-over carries.
public struct MaterialChunk: Codable, Sendable, Equatable {
    /// The case the material belongs to (the origin's case number).
    public var caseNumber: String
    /// Lower-case hex SHA-256 of the whole material: which material this is a piece of.
    public var sha256: String
    /// This piece's place, from 0.
    public var index: Int
    /// How many pieces the material has (at least 1; an empty material is one empty piece).
    public var count: Int
    /// The piece's bytes; base64 in JSON.
    public var data: Data

    public init(caseNumber: String, sha256: String, index: Int, count: Int, data: Data) {
        self.caseNumber = caseNumber
        self.sha256 = sha256
        self.index = index
        self.count = count
        self.data = data
    }

    /// Within a region: 256 KiB of content, about 350 KB as base64 — well inside Apache Kafka's
    /// default message size of 1 MB.
    public static let regionalPieceBytes = 256 * 1024

    /// The material's content in pieces of at most `pieceBytes`.
    public static func split(_ content: Data, caseNumber: String, sha256: String, pieceBytes: Int) -> [MaterialChunk] {
        precondition(pieceBytes > 0)
        let count = max(1, (content.count + pieceBytes - 1) / pieceBytes)
        return (0..<count).map { index in
            let start = content.startIndex + index * pieceBytes
            let end = min(start + pieceBytes, content.endIndex)
            return MaterialChunk(caseNumber: caseNumber, sha256: sha256, index: index, count: count, data: Data(content[start..<end]))
        }
    }

    /// The content bytes that fit a message of `messageBytes` once base64-encoded and wrapped
    /// (envelope members, signature, headers: 4 KiB is ample).
    public static func pieceBytes(fittingMessagesOf messageBytes: Int) -> Int {
        max(1024, (messageBytes - 4096) / 4 * 3)
    }

    static let schema = Schema.object([
        ("caseNumber", Schema.caseNumber("The case the material belongs to, the origin's number.")),
        ("sha256", Schema.string("Lower-case hex SHA-256 of the whole material, as the case's materials list it.", pattern: "^[0-9a-f]{64}$")),
        ("index", Schema.integer("This piece's place, from 0; pieces go in order.", minimum: 0)),
        ("count", Schema.integer("How many pieces the material has.", minimum: 1)),
        ("data", Schema.string("The piece's bytes, base64 (RFC 4648 §4, with padding).")),
    ], required: ["caseNumber", "sha256", "index", "count", "data"])
}

extension Topic {
    public static let materialChunk = Topic(
        owner: "intake", event: "material-chunk",
        summary: "The content of a material that a partner region needs (the materials of its matters, handed in at registration or supplied later), in pieces of at most 256 KiB, in order, keyed by case number. The relay puts them together, checks each material's SHA-256 against the case's materials and sends them on to the partner.",
        payload: MaterialChunk.schema
    )
    public static let receivedMaterialChunk = Topic(
        owner: "relay", event: "material-chunk",
        summary: "The content of a material of a case a partner region handed over, in pieces, in order, keyed by the origin's case number, published once the relay received every material of the case and checked each against the digests the partner signed — just before the case's tongban.relay.case-received.v1. Approval keeps them for the case's officers.",
        payload: MaterialChunk.schema
    )
}

/// Materials put together from their pieces, in the schema of the service that receives them
/// (its migrations include `migration(version:)`). All of it inside the caller's transaction.
public enum MaterialStore {
    public static func migration(version: Int) -> PostgresMigration {
        PostgresMigration(version: version, name: "material_chunks", sql: """
            -- Pieces of materials received (MaterialChunk), by case and the material's SHA-256.
            CREATE TABLE material_chunks (
                case_number text        NOT NULL,
                sha256      text        NOT NULL,
                chunk_index integer     NOT NULL,
                chunk_count integer     NOT NULL,
                content     bytea       NOT NULL,
                received_at timestamptz NOT NULL DEFAULT now(),
                PRIMARY KEY (case_number, sha256, chunk_index)
            );
            """)
    }

    /// Where a piece would go among the material's pieces held.
    public enum Placement: Sendable, Equatable {
        /// The next piece; when it is the last, `completing` is the whole material with it, for
        /// the caller to check before it keeps the piece.
        case next(completing: Data?)
        /// That piece is here already: nothing to do.
        case duplicate
        /// Not the next piece: `expected` is.
        case outOfOrder(expected: Int)
        /// Its place or count disagrees with itself or with the material's earlier pieces.
        case inconsistent(String)
    }

    /// Where `chunk` goes; changes nothing. A material's pieces come in order, keyed by case, so
    /// one consumer takes them one after another.
    public static func place(_ chunk: MaterialChunk, on connection: PostgresConnection) async throws -> Placement {
        let (held, count) = try await connection.query("""
            SELECT count(*)::int, COALESCE(max(chunk_count), 0)::int FROM material_chunks
            WHERE case_number = \(chunk.caseNumber) AND sha256 = \(chunk.sha256)
            """).decode((Int, Int).self).first ?? (0, 0)
        guard chunk.index < chunk.count else { return .inconsistent("piece \(chunk.index) of \(chunk.count)") }
        if count != 0, count != chunk.count {
            return .inconsistent("piece \(chunk.index) says the material has \(chunk.count) pieces, its earlier pieces say \(count)")
        }
        if chunk.index < held { return .duplicate }
        guard chunk.index == held else { return .outOfOrder(expected: held) }
        guard chunk.index == chunk.count - 1 else { return .next(completing: nil) }
        let earlier = try await content(caseNumber: chunk.caseNumber, sha256: chunk.sha256, whole: false, on: connection) ?? Data()
        return .next(completing: earlier + chunk.data)
    }

    /// Keeps the piece that `place` found to be next.
    public static func keep(_ chunk: MaterialChunk, on connection: PostgresConnection) async throws {
        _ = try await connection.query("""
            INSERT INTO material_chunks (case_number, sha256, chunk_index, chunk_count, content)
            VALUES (\(chunk.caseNumber), \(chunk.sha256), \(chunk.index), \(chunk.count), \(chunk.data))
            """)
    }

    /// Takes a piece that another service of this region sent (intake to the relay, the relay to
    /// approval): a piece held already is a redelivery and changes nothing; one out of order, or
    /// pieces that do not make up their SHA-256, can never be taken (the event's dead letter).
    /// Returns the whole material when this piece completed it.
    @discardableResult
    public static func take(_ chunk: MaterialChunk, on connection: PostgresConnection) async throws -> Data? {
        switch try await place(chunk, on: connection) {
        case .duplicate:
            return nil
        case .outOfOrder(let expected):
            throw PermanentEventFailure("case \(chunk.caseNumber): piece \(chunk.index) of material \(chunk.sha256) came before piece \(expected)")
        case .inconsistent(let reason):
            throw PermanentEventFailure("case \(chunk.caseNumber), material \(chunk.sha256): \(reason)")
        case .next(let completing):
            if let content = completing, SHA256.hash(data: content).hexadecimal != chunk.sha256 {
                throw PermanentEventFailure("case \(chunk.caseNumber): the pieces of material \(chunk.sha256) do not match its SHA-256")
            }
            try await keep(chunk, on: connection)
            return completing
        }
    }

    /// A complete material's content; nil while pieces are missing (unless not `whole`: then
    /// the pieces held so far).
    public static func content(caseNumber: String, sha256: String, whole: Bool = true, on connection: PostgresConnection) async throws -> Data? {
        try await connection.query("""
            SELECT string_agg(content, ''::bytea ORDER BY chunk_index) FROM material_chunks
            WHERE case_number = \(caseNumber) AND sha256 = \(sha256)
            HAVING count(*) = max(chunk_count) OR NOT \(whole)
            """).decode(Data?.self).first ?? nil
    }

    /// The SHA-256s of the case's complete materials.
    public static func complete(caseNumber: String, on connection: PostgresConnection) async throws -> Set<String> {
        Set(try await connection.query("""
            SELECT sha256 FROM material_chunks WHERE case_number = \(caseNumber) GROUP BY sha256 HAVING count(*) = max(chunk_count)
            """).decode(String.self))
    }

    /// Drops a material's pieces (its digest failed), or all of a case's (`sha256` nil).
    public static func forget(caseNumber: String, sha256: String? = nil, on connection: PostgresConnection) async throws {
        _ = try await connection.query("""
            DELETE FROM material_chunks WHERE case_number = \(caseNumber) AND (\(sha256)::text IS NULL OR sha256 = \(sha256))
            """)
    }
}
