import Foundation
import Messaging
import Postgres
import Signing

/// A licence as the register keeps it.
struct IssuedLicence: Sendable {
    var number: String
    var caseNumber: String
    var taskID: String
    var holderAccount: String
    var credential: JSONObject
    var summary: LicenceSummary
    var standing: LicenceStanding

    /// The department that decided the licence's matter.
    var department: String? { credential["credentialSubject", "matter", "department"]?.stringValue }
    /// The holder's resident identity number or unified social credit code: the holder reaches the
    /// licence through it (`Principal.identity`), not through the account the case named.
    var holderIdentifier: String? { credential["credentialSubject", "holder", "identifier"]?.stringValue }
    /// A natural person's licence, whose holder's name and identity number are personal data.
    var heldByPerson: Bool { credential["credentialSubject", "holder", "type"]?.stringValue == "Person" }
}

/// Seal's tables: the bureau's seal keys, decided cases, licences with their numbers and places
/// in the status lists, and revocations. Every function runs on the caller's connection, so that
/// a change, the rows it touches and the events it causes share one transaction.
enum SealRepository {
    // MARK: Decided cases and licences

    /// Records the case as decided; false when it already was, under whatever event id: the
    /// case number guards, so the same decision sent again issues nothing.
    static func insertDecidedCase(_ caseNumber: String, eventID: String, decidedAt: Date, issuedAt: Date, on connection: PostgresConnection) async throws -> Bool {
        try await !connection.query("""
            INSERT INTO decided_cases (case_number, event_id, decided_at, issued_at)
            VALUES (\(caseNumber), \(eventID), \(decidedAt), \(issuedAt))
            ON CONFLICT (case_number) DO NOTHING
            RETURNING 1
            """).isEmpty
    }

    /// The first of `count` consecutive licence sequence numbers of `year`.
    static func reserveSequences(year: Int, count: Int, on connection: PostgresConnection) async throws -> Int {
        let last = try await connection.query("""
            INSERT INTO licence_sequences (year, last) VALUES (\(year), \(count))
            ON CONFLICT (year) DO UPDATE SET last = licence_sequences.last + \(count)
            RETURNING last
            """).decode(Int.self)
        return last[0] - count + 1
    }

    /// `count` consecutive allocation positions in the current status list generation, opening
    /// the next generation when this one is full.
    static func reserveStatusIndexes(count: Int, length: Int, on connection: PostgresConnection) async throws -> (generation: Int, position: Int) {
        while true {
            let rows = try await connection.query("""
                UPDATE status_list_generations SET allocated = allocated + \(count)
                WHERE generation = (SELECT max(generation) FROM status_list_generations) AND allocated + \(count) <= length
                RETURNING generation, allocated
                """).decode((Int, Int).self)
            if let (generation, allocated) = rows.first { return (generation, allocated - count) }
            _ = try await connection.query("""
                INSERT INTO status_list_generations (generation, length)
                SELECT coalesce(max(generation), 0) + 1, \(length) FROM status_list_generations
                ON CONFLICT (generation) DO NOTHING
                """)
        }
    }

    /// Stores a sealed licence: `credential` exactly as sealed (canonical JSON), so that it is
    /// handed out unchanged.
    static func insertLicence(_ draft: LicenceDraft, keyID: String, credential: JSONObject, summary: LicenceSummary, issuedAt: Date, on connection: PostgresConnection) async throws {
        _ = try await connection.query("""
            INSERT INTO licences (licence_number, reference, case_number, task_id, matter_code, licence_name, holder_name,
                holder_account, valid_from, valid_until, key_id, status_generation, status_index, credential,
                summary, issued_at)
            VALUES (\(draft.number), \(draft.reference), \(draft.caseNumber), \(draft.decision.taskID), \(draft.decision.matterCode), \(draft.kind.name),
                \(draft.applicant.name), \(draft.applicant.account), \(draft.validFrom), \(draft.validUntil),
                \(keyID), \(draft.statusGeneration), \(draft.statusIndex), \(JSONValue.object(credential).canonicalText),
                \(try PostgresJSONB(summary)), \(issuedAt))
            """)
    }

    static func licence(number: String, at now: Date, on connection: PostgresConnection) async throws -> IssuedLicence? {
        try await licences(where: "l.licence_number = $1", value: number, at: now, on: connection).first
    }

    static func licence(reference: String, at now: Date, on connection: PostgresConnection) async throws -> IssuedLicence? {
        try await licences(where: "l.reference = $1", value: reference, at: now, on: connection).first
    }

    static func licences(caseNumber: String, at now: Date, on connection: PostgresConnection) async throws -> [IssuedLicence] {
        try await licences(where: "l.case_number = $1", value: caseNumber, at: now, on: connection)
    }

    /// The licence number of a case's task, once issued.
    static func licenceNumber(caseNumber: String, taskID: String, on connection: PostgresConnection) async throws -> String? {
        try await connection.query("""
            SELECT licence_number FROM licences WHERE case_number = \(caseNumber) AND task_id = \(taskID)
            """).decode(String.self).first
    }

    /// The licences that `condition` selects, each with its standing: two queries however many
    /// licences a case has.
    private static func licences(where condition: String, value: String, at now: Date, on connection: PostgresConnection) async throws -> [IssuedLicence] {
        var bindings = PostgresBindings()
        bindings.append(value)
        let rows = try await connection.query(PostgresQuery(unsafeSQL: """
            SELECT l.licence_number, l.case_number, l.task_id, l.holder_account, l.credential, l.summary
            FROM licences l WHERE \(condition) ORDER BY l.licence_number
            """, bindings: bindings)).decode((String, String, String, String, String, PostgresJSONB<LicenceSummary>).self)
        guard !rows.isEmpty else { return [] }
        let revoked = try await connection.query(PostgresQuery(unsafeSQL: """
            SELECT l.licence_number, r.kind, r.effective_at, r.suspended_until, r.reason, r.legal_basis
            FROM licences l JOIN revocations r ON r.case_number = l.case_number AND r.task_id = l.task_id
            WHERE \(condition)
            """, bindings: bindings)).decode((String, String, Date, Date?, String, String).self)
        let revocations = Dictionary(grouping: revoked, by: \.0).mapValues { $0.map { LicenceStanding.Entry(row: ($0.1, $0.2, $0.3, $0.4, $0.5)) } }
        return try rows.map { number, caseNumber, taskID, account, credential, summary in
            IssuedLicence(
                number: number,
                caseNumber: caseNumber,
                taskID: taskID,
                holderAccount: account,
                credential: try JSONValue(parsing: credential).objectValue ?? [:],
                summary: summary.value,
                standing: LicenceStanding(revocations: revocations[number] ?? [], at: now)
            )
        }
    }

    // MARK: Revocations

    /// Records a revocation (撤销) or a suspension (暂扣) of a task's decision, kept by task so that
    /// one arriving before its licence still applies to it.
    static func insertRevocation(_ revoked: DecisionRevoked, eventID: String, on connection: PostgresConnection) async throws {
        let kind: LicenceStanding.Kind = revoked.suspendedUntil == nil ? .revocation : .suspension
        _ = try await connection.query("""
            INSERT INTO revocations (case_number, task_id, kind, matter_code, reason, legal_basis, decided_by,
                effective_at, suspended_until, event_id)
            VALUES (\(revoked.caseNumber), \(revoked.taskID), \(kind.rawValue), \(revoked.matterCode), \(revoked.reason),
                \(revoked.legalBasis), \(revoked.revokedBy), \(revoked.revokedAt), \(revoked.suspendedUntil), \(eventID))
            """)
    }

    /// Tasks of the case whose approval was revoked for good, with the legal basis.
    static func revokedTasks(caseNumber: String, on connection: PostgresConnection) async throws -> [String: String] {
        let rows = try await connection.query("""
            SELECT task_id, legal_basis FROM revocations WHERE case_number = \(caseNumber) AND kind = 'revocation'
            """).decode((String, String).self)
        return Dictionary(rows.map { ($0.0, $0.1) }, uniquingKeysWith: { first, _ in first })
    }

    /// A generation's list length and the revocations of its licences by status index; nil when
    /// there is no such generation.
    static func statusListEntries(generation: Int, on connection: PostgresConnection) async throws -> (length: Int, revocations: [Int: [LicenceStanding.Entry]])? {
        let lengths = try await connection.query("SELECT length FROM status_list_generations WHERE generation = \(generation)").decode(Int.self)
        guard let length = lengths.first else { return nil }
        let rows = try await connection.query("""
            SELECT l.status_index, r.kind, r.effective_at, r.suspended_until, r.reason, r.legal_basis
            FROM licences l JOIN revocations r ON r.case_number = l.case_number AND r.task_id = l.task_id
            WHERE l.status_generation = \(generation)
            """).decode((Int, String, Date, Date?, String, String).self)
        let byIndex = Dictionary(grouping: rows, by: \.0).mapValues { $0.map { LicenceStanding.Entry(row: ($0.1, $0.2, $0.3, $0.4, $0.5)) } }
        return (length, byIndex)
    }

    // MARK: Seal keys

    static func hasSigningKey(bureau: String, on connection: PostgresConnection) async throws -> Bool {
        try await !connection.query("SELECT key_id FROM seal_keys WHERE bureau = \(bureau) AND retired_at IS NULL").isEmpty
    }

    /// Stores a new signing key unless the bureau has one; false when it had (another instance
    /// starting at the same time made it).
    static func insertFirstKey(_ key: WrappedSealKey, bureau: String, on connection: PostgresConnection) async throws -> Bool {
        try await !connection.query("""
            INSERT INTO seal_keys (key_id, bureau, public_key, wrapped_private_key, origin)
            VALUES (\(key.keyID), \(bureau), \(key.publicKey), \(key.wrappedPrivateKey), \(key.origin))
            ON CONFLICT (bureau) WHERE retired_at IS NULL DO NOTHING
            RETURNING key_id
            """).isEmpty
    }

    static func isKnownKey(publicKey: Data, on connection: PostgresConnection) async throws -> Bool {
        try await !connection.query("SELECT key_id FROM seal_keys WHERE public_key = \(publicKey)").isEmpty
    }

    /// Retires the bureau's signing key; the ids retired.
    static func retireSigningKey(bureau: String, at instant: Date, on connection: PostgresConnection) async throws -> [String] {
        try await connection.query("""
            UPDATE seal_keys SET retired_at = \(instant) WHERE bureau = \(bureau) AND retired_at IS NULL RETURNING key_id
            """).decode(String.self)
    }

    static func insertKey(_ key: WrappedSealKey, bureau: String, createdAt: Date, on connection: PostgresConnection) async throws {
        _ = try await connection.query("""
            INSERT INTO seal_keys (key_id, bureau, public_key, wrapped_private_key, origin, created_at)
            VALUES (\(key.keyID), \(bureau), \(key.publicKey), \(key.wrappedPrivateKey), \(key.origin), \(createdAt))
            """)
    }

    /// The key that seals now, wrapped, locked against a concurrent rotation until the
    /// connection's transaction ends.
    static func signingKey(bureau: String, on connection: PostgresConnection) async throws -> (keyID: String, wrapped: Data)? {
        try await connection.query("""
            SELECT key_id, wrapped_private_key FROM seal_keys WHERE bureau = \(bureau) AND retired_at IS NULL FOR SHARE
            """).decode((String, Data).self).first.map { (keyID: $0.0, wrapped: $0.1) }
    }

    /// Every key the bureau ever sealed with, newest first.
    static func keys(bureau: String, on connection: PostgresConnection) async throws -> [SealKey] {
        try await connection.query("""
            SELECT key_id, public_key, origin, created_at, retired_at FROM seal_keys WHERE bureau = \(bureau)
            ORDER BY created_at DESC, key_id DESC
            """).decode((String, Data, String, Date, Date?).self).map {
            SealKey(keyID: $0.0, publicKey: Array($0.1), origin: $0.2, createdAt: $0.3, retiredAt: $0.4)
        }
    }

    static func publicKey(id keyID: String, bureau: String, on connection: PostgresConnection) async throws -> Data? {
        try await connection.query("SELECT public_key FROM seal_keys WHERE key_id = \(keyID) AND bureau = \(bureau)").decode(Data.self).first
    }
}
