import Foundation
import Messaging
import Postgres
import TongbanClient

/// The relay's tables (RelayMigrations), one statement per question; callers choose the transaction.
enum RelayRepository {
    // MARK: Cases across the border

    /// Holds the case until the transaction ends: its hand-over, its materials' pieces and its
    /// withdrawal arrive on different topics, perhaps at different relay instances, and each looks
    /// for what the others wrote.
    static func lockCase(_ caseNumber: String, on connection: PostgresConnection) async throws {
        _ = try await connection.query("SELECT pg_advisory_xact_lock(hashtext('relay-case:' || \(caseNumber)))")
    }

    /// Records that `caseNumber`'s matters went to `partner` with the materials `sha256s`; false if they already had.
    static func recordHandedOut(_ caseNumber: String, to partner: String, matterCodes: [String], materialCodes: [String], materials sha256s: [String], on connection: PostgresConnection) async throws -> Bool {
        try await !connection.query("""
            INSERT INTO cases_handed_out (partner, case_number, matter_codes, material_codes, materials)
            VALUES (\(partner), \(caseNumber), \(matterCodes.joined(separator: ",")), \(materialCodes), \(sha256s))
            ON CONFLICT DO NOTHING RETURNING 1
            """).isEmpty
    }

    /// The catalogue codes of the materials `partner`'s part of the case needs.
    static func materialCodes(of caseNumber: String, for partner: String, on connection: PostgresConnection) async throws -> Set<String> {
        Set(try await connection.query("""
            SELECT unnest(material_codes) FROM cases_handed_out WHERE partner = \(partner) AND case_number = \(caseNumber)
            """).decode(String.self))
    }

    /// The SHA-256s of the materials `partner` is sent of the case.
    static func materials(of caseNumber: String, for partner: String, on connection: PostgresConnection) async throws -> Set<String> {
        Set(try await connection.query("""
            SELECT unnest(materials) FROM cases_handed_out WHERE partner = \(partner) AND case_number = \(caseNumber)
            """).decode(String.self))
    }

    /// Adds materials supplied later to what `partner` is sent of the case.
    static func addMaterials(_ sha256s: [String], of caseNumber: String, for partner: String, on connection: PostgresConnection) async throws {
        _ = try await connection.query("""
            UPDATE cases_handed_out SET materials = ARRAY(SELECT DISTINCT unnest(materials || \(sha256s)::text[]))
            WHERE partner = \(partner) AND case_number = \(caseNumber)
            """)
    }

    /// A partner's officers asked for materials (补正) on a case this region handed over.
    static func recordPartnerRequest(_ requestID: String, of caseNumber: String, by partner: String, materialCodes: [String], at instant: Date, on connection: PostgresConnection) async throws {
        _ = try await connection.query("""
            INSERT INTO partner_requests (partner, case_number, request_id, material_codes, requested_at)
            VALUES (\(partner), \(caseNumber), \(requestID), \(materialCodes), \(instant)) ON CONFLICT DO NOTHING
            """)
    }

    /// `partner`'s supplement requests on the case, with the material codes each asked for.
    static func partnerRequests(of caseNumber: String, by partner: String, on connection: PostgresConnection) async throws -> [String: [String]] {
        let rows = try await connection.query("""
            SELECT request_id, to_jsonb(material_codes) FROM partner_requests WHERE partner = \(partner) AND case_number = \(caseNumber)
            """).decode((String, PostgresJSONB<[String]>).self)
        return Dictionary(rows.map { ($0.0, $0.1.value) }, uniquingKeysWith: { first, _ in first })
    }

    /// The partners whose part of the case lists the material `sha256` (hand-overs not stopped).
    static func partnersListing(_ sha256: String, of caseNumber: String, on connection: PostgresConnection) async throws -> [String] {
        try await connection.query("""
            SELECT partner FROM cases_handed_out WHERE case_number = \(caseNumber) AND \(sha256) = ANY(materials) AND stopped_at IS NULL ORDER BY partner
            """).decode(String.self)
    }

    /// Records that the applicant withdrew a case none of whose parts had been handed over.
    static func recordWithdrawn(_ caseNumber: String, on connection: PostgresConnection) async throws {
        _ = try await connection.query("INSERT INTO withdrawn_cases (case_number) VALUES (\(caseNumber)) ON CONFLICT DO NOTHING")
    }

    static func isWithdrawn(_ caseNumber: String, on connection: PostgresConnection) async throws -> Bool {
        try await !connection.query("SELECT 1 FROM withdrawn_cases WHERE case_number = \(caseNumber)").isEmpty
    }

    /// Whether anything of the case has gone to `partner`, or is on its way (a delivery loop holds
    /// the case). Locks the conversation, so no delivery loop takes the case until the transaction ends.
    static func hasGoneOut(_ caseNumber: String, to partner: String, on connection: PostgresConnection) async throws -> Bool {
        let leased = try await connection.query("""
            SELECT lease_until IS NOT NULL AND lease_until > now() FROM conversations
            WHERE partner = \(partner) AND case_reference = \(caseNumber) FOR UPDATE
            """).decode(Bool.self).first ?? false
        if leased { return true }
        return try await !connection.query("""
            SELECT 1 FROM deliveries WHERE partner = \(partner) AND case_reference = \(caseNumber) AND (attempts > 0 OR acknowledged_at IS NOT NULL) LIMIT 1
            """).isEmpty
    }

    /// Stops a hand-over that has not gone out: its envelopes are never sent.
    static func stopHandOver(_ caseNumber: String, to partner: String, on connection: PostgresConnection) async throws {
        _ = try await connection.query("DELETE FROM deliveries WHERE partner = \(partner) AND case_reference = \(caseNumber) AND acknowledged_at IS NULL")
        _ = try await connection.query("UPDATE cases_handed_out SET stopped_at = now() WHERE partner = \(partner) AND case_number = \(caseNumber)")
    }

    static func isHandedOut(_ caseNumber: String, to partner: String, on connection: PostgresConnection) async throws -> Bool {
        try await !connection.query("SELECT 1 FROM cases_handed_out WHERE partner = \(partner) AND case_number = \(caseNumber)").isEmpty
    }

    /// The partners that `caseNumber`'s matters went to (hand-overs not stopped).
    static func partnersHandedOut(_ caseNumber: String, on connection: PostgresConnection) async throws -> [String] {
        try await connection.query("SELECT partner FROM cases_handed_out WHERE case_number = \(caseNumber) AND stopped_at IS NULL ORDER BY partner").decode(String.self)
    }

    /// Records a case a partner handed over, with the payload to release and the materials it
    /// lists; false if it was known already.
    static func recordHandedIn(_ caseNumber: String, from origin: String, submission: [UInt8], materials: [MaterialReference], on connection: PostgresConnection) async throws -> Bool {
        guard try await !connection.query("""
            INSERT INTO cases_handed_in (case_number, origin_region, submission) VALUES (\(caseNumber), \(origin), \(Data(submission)))
            ON CONFLICT DO NOTHING RETURNING 1
            """).isEmpty else { return false }
        for material in materials {
            _ = try await connection.query("""
                INSERT INTO handed_in_materials (case_number, sha256, code, name, media_type, size)
                VALUES (\(caseNumber), \(material.sha256), \(material.code), \(material.name), \(material.mediaType), \(material.size))
                ON CONFLICT DO NOTHING
                """)
        }
        return true
    }

    /// The payload to release of a handed-in case that still waits (not released, not withdrawn).
    static func waitingSubmission(_ caseNumber: String, on connection: PostgresConnection) async throws -> [UInt8]? {
        try await connection.query("""
            SELECT submission FROM cases_handed_in WHERE case_number = \(caseNumber) AND released_at IS NULL AND withdrawn_at IS NULL FOR UPDATE
            """).decode(Data?.self).first.map { Array($0 ?? Data()) }
    }

    /// The size of a material the handed-in case lists; nil for one it does not list.
    static func listedSize(of sha256: String, in caseNumber: String, on connection: PostgresConnection) async throws -> Int? {
        try await connection.query("SELECT size FROM handed_in_materials WHERE case_number = \(caseNumber) AND sha256 = \(sha256)").decode(Int.self).first
    }

    /// The SHA-256s of the materials the hand-over lists, or (with `supplement`) that supplement.
    static func listedMaterials(_ caseNumber: String, supplement: Int? = nil, on connection: PostgresConnection) async throws -> Set<String> {
        Set(try await connection.query("""
            SELECT sha256 FROM handed_in_materials WHERE case_number = \(caseNumber) AND supplement IS NOT DISTINCT FROM \(supplement)
            """).decode(String.self))
    }

    /// Records materials the origin supplied later (the `materials-supplemented` envelope of `sequence`).
    static func recordHandedInSupplement(_ caseNumber: String, sequence: Int, payload: [UInt8], materials: [MaterialReference], on connection: PostgresConnection) async throws {
        _ = try await connection.query("""
            INSERT INTO handed_in_supplements (case_number, sequence, payload) VALUES (\(caseNumber), \(sequence), \(Data(payload))) ON CONFLICT DO NOTHING
            """)
        for material in materials {
            _ = try await connection.query("""
                INSERT INTO handed_in_materials (case_number, sha256, code, name, media_type, size, supplement)
                VALUES (\(caseNumber), \(material.sha256), \(material.code), \(material.name), \(material.mediaType), \(material.size), \(sequence))
                ON CONFLICT DO NOTHING
                """)
        }
    }

    /// The supplements of a released, not withdrawn, handed-in case that wait to be released, in sequence.
    static func waitingSupplements(_ caseNumber: String, on connection: PostgresConnection) async throws -> [(sequence: Int, payload: [UInt8])] {
        try await connection.query("""
            SELECT s.sequence, s.payload FROM handed_in_supplements s JOIN cases_handed_in c USING (case_number)
            WHERE s.case_number = \(caseNumber) AND s.released_at IS NULL AND c.released_at IS NOT NULL AND c.withdrawn_at IS NULL
            ORDER BY s.sequence FOR UPDATE OF s
            """).decode((Int, Data).self).map { (sequence: $0.0, payload: Array($0.1)) }
    }

    static func markSupplementReleased(_ caseNumber: String, sequence: Int, on connection: PostgresConnection) async throws {
        _ = try await connection.query("UPDATE handed_in_supplements SET released_at = now() WHERE case_number = \(caseNumber) AND sequence = \(sequence)")
    }

    static func markReleased(_ caseNumber: String, on connection: PostgresConnection) async throws {
        _ = try await connection.query("UPDATE cases_handed_in SET released_at = now(), submission = NULL WHERE case_number = \(caseNumber)")
    }

    static func markHandedInWithdrawn(_ caseNumber: String, on connection: PostgresConnection) async throws {
        _ = try await connection.query("UPDATE cases_handed_in SET withdrawn_at = now(), submission = NULL WHERE case_number = \(caseNumber) AND withdrawn_at IS NULL")
    }

    /// The region that handed `caseNumber` over to this one; nil for this region's own cases.
    static func originOfHandedInCase(_ caseNumber: String, on connection: PostgresConnection) async throws -> String? {
        try await connection.query("SELECT origin_region FROM cases_handed_in WHERE case_number = \(caseNumber)").decode(String.self).first
    }

    static func recordTask(_ task: TasksOpened.Task, of caseNumber: String, on connection: PostgresConnection) async throws {
        _ = try await connection.query("""
            INSERT INTO handed_in_tasks (task_id, case_number, matter_code, matter_name, department, department_name)
            VALUES (\(task.taskID), \(caseNumber), \(task.matterCode), \(task.matterName), \(task.department), \(task.departmentName))
            ON CONFLICT DO NOTHING
            """)
    }

    static func matter(ofTask taskID: String, on connection: PostgresConnection) async throws -> MatterProgress? {
        try await connection.query("SELECT matter_code, matter_name, department, department_name FROM handed_in_tasks WHERE task_id = \(taskID)")
            .decode((String, String, String, String).self)
            .first
            .map { MatterProgress(matterCode: $0.0, matterName: $0.1, department: $0.2, departmentName: $0.3) }
    }

    // MARK: Outbound

    /// Queues an envelope's content for `partner`, next in the case's sequence (receipts have none);
    /// returns its sequence.
    @discardableResult
    static func enqueue(to partner: String, caseReference: String, kind: RelayEnvelopeKind, payload: [UInt8], on connection: PostgresConnection) async throws -> Int {
        let step = kind == .receipt ? 0 : 1
        let sequence = try await connection.query("""
            INSERT INTO conversations (partner, case_reference, last_sequence) VALUES (\(partner), \(caseReference), \(step))
            ON CONFLICT (partner, case_reference) DO UPDATE SET last_sequence = conversations.last_sequence + \(step)
            RETURNING last_sequence
            """).decode(Int.self).first ?? 0
        _ = try await connection.query("""
            INSERT INTO deliveries (partner, case_reference, kind, sequence, payload)
            VALUES (\(partner), \(caseReference), \(kind.rawValue), \(kind == .receipt ? nil : sequence), \(Data(payload)))
            """)
        return sequence
    }

    /// A partner's receipt: every envelope of the case up to `sequence` arrived. Returns the kinds
    /// that this receipt acknowledged for the first time.
    static func acknowledge(partner: String, caseReference: String, upTo sequence: Int, on connection: PostgresConnection) async throws -> [RelayEnvelopeKind] {
        try await connection.query("""
            UPDATE deliveries SET acknowledged_at = now(), last_error = NULL
            WHERE partner = \(partner) AND case_reference = \(caseReference) AND sequence <= \(sequence) AND acknowledged_at IS NULL
            RETURNING kind
            """).decode(String.self).compactMap(RelayEnvelopeKind.init(rawValue:))
    }

    // MARK: Inbound

    /// The last sequence applied from `sender` for the case, locking the row until the transaction ends.
    static func lastApplied(from sender: String, caseReference: String, on connection: PostgresConnection) async throws -> Int {
        _ = try await connection.query("""
            INSERT INTO inbound_conversations (sender, case_reference, last_sequence) VALUES (\(sender), \(caseReference), 0) ON CONFLICT DO NOTHING
            """)
        return try await connection.query("""
            SELECT last_sequence FROM inbound_conversations WHERE sender = \(sender) AND case_reference = \(caseReference) FOR UPDATE
            """).decode(Int.self).first ?? 0
    }

    static func recordApplied(from sender: String, caseReference: String, sequence: Int, on connection: PostgresConnection) async throws {
        _ = try await connection.query("""
            UPDATE inbound_conversations SET last_sequence = \(sequence) WHERE sender = \(sender) AND case_reference = \(caseReference)
            """)
    }

    /// What became of a received envelope that passed the signature checks.
    enum Outcome: String, Sendable {
        /// Recorded, its checks against the conversation not done yet.
        case checking
        case applied
        case quarantined
        /// Sent again by the partner (a new envelope of a sequence already applied): dropped.
        case retransmission
        /// Ahead of its sequence: left for the partner to send again in order.
        case early
    }

    /// Where a record was read: its place, and its timestamp (milliseconds, -1 when the broker gave
    /// none), since after a broker loss a new record takes an old record's place.
    struct ReadAt: Equatable {
        var topic: String
        var partition: Int
        var offset: Int64
        var timestamp: Int64
    }

    /// Records an envelope id that passed the checks. Nil when it is new; otherwise where the id
    /// was read before (the same place: Kafka delivered the message again; elsewhere: a replay).
    static func recordReceived(_ envelope: PartnerEnvelope, outcome: Outcome, at place: ReadAt, on connection: PostgresConnection) async throws -> ReadAt? {
        let inserted = try await connection.query("""
            INSERT INTO received_envelopes (envelope_id, sender, kind, case_reference, sequence, outcome, kafka_topic, kafka_partition, kafka_offset, kafka_timestamp)
            VALUES (\(envelope.id), \(envelope.sender), \(envelope.kind.rawValue), \(envelope.caseReference), \(envelope.sequence), \(outcome.rawValue),
                    \(place.topic), \(place.partition), \(place.offset), \(place.timestamp))
            ON CONFLICT (envelope_id) DO NOTHING RETURNING 1
            """)
        guard inserted.isEmpty else { return nil }
        return try await connection.query("""
            SELECT kafka_topic, kafka_partition, kafka_offset, kafka_timestamp FROM received_envelopes WHERE envelope_id = \(envelope.id)
            """).decode((String, Int, Int64, Int64).self).first.map { ReadAt(topic: $0.0, partition: $0.1, offset: $0.2, timestamp: $0.3) }
    }

    static func setOutcome(_ outcome: Outcome, of envelopeID: String, on connection: PostgresConnection) async throws {
        _ = try await connection.query("UPDATE received_envelopes SET outcome = \(outcome.rawValue) WHERE envelope_id = \(envelopeID)")
    }

    /// Records a quarantined message; false if this very record (same place and time, same bytes) was already.
    static func recordQuarantined(partner: String?, claimedSender: String?, reason: QuarantineReason, envelopeID: String?, caseReference: String?, at place: ReadAt, valueSHA256: String, on connection: PostgresConnection) async throws -> Bool {
        try await !connection.query("""
            INSERT INTO quarantine (partner, claimed_sender, reason, detail, envelope_id, case_reference, kafka_topic, kafka_partition, kafka_offset, kafka_timestamp, value_sha256)
            VALUES (\(partner), \(claimedSender.map { String($0.prefix(64)) }), \(reason.code.rawValue), \(reason.detail), \(envelopeID.map { String($0.prefix(128)) }),
                    \(caseReference.map { String($0.prefix(64)) }), \(place.topic), \(place.partition), \(place.offset), \(place.timestamp), \(valueSHA256))
            ON CONFLICT DO NOTHING RETURNING 1
            """).isEmpty
    }

    // MARK: Deliveries

    /// Leases up to `limit` of the partner's cases with envelopes due, for `seconds`, to `holder`;
    /// cases another instance holds are skipped.
    static func leaseDueCases(partner: String, holder: String, seconds: Double, limit: Int, on connection: PostgresConnection) async throws -> [String] {
        try await connection.query("""
            UPDATE conversations SET lease_until = now() + make_interval(secs => \(seconds)), lease_holder = \(holder)
            WHERE (partner, case_reference) IN (
                SELECT c.partner, c.case_reference FROM conversations c
                WHERE c.partner = \(partner) AND (c.lease_until IS NULL OR c.lease_until < now())
                  AND EXISTS (SELECT 1 FROM deliveries d WHERE d.partner = c.partner AND d.case_reference = c.case_reference
                              AND d.acknowledged_at IS NULL AND d.next_attempt_at <= now())
                LIMIT \(limit)
                FOR UPDATE SKIP LOCKED)
            RETURNING case_reference
            """).decode(String.self)
    }

    /// Gives `holder`'s leases on `cases` back, so the next pass (of any instance) may take them.
    static func releaseLeases(partner: String, holder: String, cases: [String], on connection: PostgresConnection) async throws {
        _ = try await connection.query("""
            UPDATE conversations SET lease_until = NULL, lease_holder = NULL
            WHERE partner = \(partner) AND lease_holder = \(holder) AND case_reference = ANY(\(cases))
            """)
    }

    /// The unacknowledged envelopes of `cases`, receipts first, then by sequence.
    static func undelivered(partner: String, cases: [String], on connection: PostgresConnection) async throws -> [DeliveryLoop.Pending] {
        try await connection.query("""
            SELECT id, case_reference, kind, sequence, payload, next_attempt_at <= now(), attempts, failures
            FROM deliveries
            WHERE partner = \(partner) AND case_reference = ANY(\(cases)) AND acknowledged_at IS NULL
            ORDER BY case_reference, sequence NULLS FIRST, id
            """).decode((Int64, String, String, Int?, Data, Bool, Int, Int).self).compactMap { row in
            RelayEnvelopeKind(rawValue: row.2).map {
                DeliveryLoop.Pending(id: row.0, caseReference: row.1, kind: $0, sequence: row.3, payload: Array(row.4), due: row.5, attempts: row.6, failures: row.7)
            }
        }
    }

    /// The partner's broker took the envelope: wait `seconds` for its receipt (a receipt itself
    /// needs none, it is done).
    static func markTransmitted(_ id: Int64, as envelopeID: String, nextAttemptIn seconds: Double, on connection: PostgresConnection) async throws {
        _ = try await connection.query("""
            UPDATE deliveries SET attempts = attempts + 1, failures = 0, transmitted_at = now(), last_envelope_id = \(envelopeID), last_error = NULL,
                next_attempt_at = now() + make_interval(secs => \(seconds)),
                acknowledged_at = CASE WHEN kind = 'receipt' THEN now() ELSE acknowledged_at END
            WHERE id = \(id)
            """)
    }

    static func markFailed(_ id: Int64, error: String, nextAttemptIn seconds: Double, on connection: PostgresConnection) async throws {
        _ = try await connection.query("""
            UPDATE deliveries SET attempts = attempts + 1, failures = failures + 1, last_error = \(error),
                next_attempt_at = now() + make_interval(secs => \(seconds))
            WHERE id = \(id)
            """)
    }

    // MARK: The operator's view and housekeeping

    /// Per partner: unacknowledged envelopes, the oldest one's age in seconds, the last
    /// transmission and acknowledgement, and the latest error while envelopes wait.
    static func deliverySummaries(on connection: PostgresConnection) async throws -> [String: (backlog: Int, oldestSeconds: Double, lastTransmittedAt: Date?, lastAcknowledgedAt: Date?, lastError: String?)] {
        let rows = try await connection.query("""
            SELECT partner,
                   count(*) FILTER (WHERE acknowledged_at IS NULL),
                   COALESCE(EXTRACT(EPOCH FROM now() - min(created_at) FILTER (WHERE acknowledged_at IS NULL)), 0)::float8,
                   max(transmitted_at), max(acknowledged_at),
                   (array_agg(last_error ORDER BY id DESC) FILTER (WHERE acknowledged_at IS NULL AND last_error IS NOT NULL))[1]
            FROM deliveries GROUP BY partner
            """).decode((String, Int, Double, Date?, Date?, String?).self)
        return Dictionary(rows.map { ($0.0, (backlog: $0.1, oldestSeconds: $0.2, lastTransmittedAt: $0.3, lastAcknowledgedAt: $0.4, lastError: $0.5)) },
                          uniquingKeysWith: { first, _ in first })
    }

    /// Quarantined messages by the partner they claimed to come from ("" for none).
    static func quarantinedCounts(on connection: PostgresConnection) async throws -> [String: Int] {
        let rows = try await connection.query("SELECT partner, count(*) FROM quarantine GROUP BY partner").decode((String?, Int).self)
        return Dictionary(rows.map { ($0.0 ?? "", $0.1) }, uniquingKeysWith: +)
    }

    /// The latest quarantined messages, of one partner or of all.
    static func quarantine(limit: Int, partner: String?, on connection: PostgresConnection) async throws -> [QuarantineList.Item] {
        try await connection.query("""
            SELECT id, quarantined_at, reason, detail, partner, envelope_id, kafka_partition, kafka_offset FROM quarantine
            WHERE \(partner) IS NULL OR partner = \(partner)
            ORDER BY id DESC LIMIT \(limit)
            """).decode((Int64, Date, String, String, String?, String?, Int, Int64).self)
            .map { QuarantineList.Item(id: $0.0, quarantinedAt: $0.1, reason: $0.2, detail: $0.3, partner: $0.4, envelopeID: $0.5, partition: $0.6, offset: $0.7) }
    }

    /// The case's exchanges, each partner's side: how it stands, its materials and what is unacknowledged.
    static func caseStanding(_ caseNumber: String, on connection: PostgresConnection) async throws -> [RelayCaseStanding.Exchange] {
        let pieces = Dictionary(try await connection.query("""
            SELECT sha256, count(*)::int, max(chunk_count)::int FROM material_chunks WHERE case_number = \(caseNumber) GROUP BY sha256
            """).decode((String, Int, Int).self).map { ($0.0, (held: $0.1, of: $0.2)) }, uniquingKeysWith: { first, _ in first })
        func material(code: String, sha256: String, size: Int) -> RelayCaseStanding.Material {
            let held = pieces[sha256]
            return RelayCaseStanding.Material(code: code, sha256: sha256, size: size, piecesHeld: held?.held ?? 0, pieces: held?.of ?? 0,
                                              whole: held.map { $0.held == $0.of } ?? false)
        }
        var exchanges: [RelayCaseStanding.Exchange] = []
        for (origin, released, withdrawn) in try await connection.query("""
            SELECT origin_region, released_at IS NOT NULL, withdrawn_at IS NOT NULL FROM cases_handed_in WHERE case_number = \(caseNumber)
            """).decode((String, Bool, Bool).self) {
            let materials = try await connection.query("""
                SELECT code, sha256, size FROM handed_in_materials WHERE case_number = \(caseNumber) ORDER BY supplement NULLS FIRST, code
                """).decode((String, String, Int).self).map { material(code: $0.0, sha256: $0.1, size: $0.2) }
            exchanges.append(.init(partner: origin, direction: .handedIn, state: withdrawn ? .withdrawn : released ? .released : .waitingForMaterials,
                                   materials: materials, undelivered: try await undeliveredCount(caseNumber, to: origin, on: connection)))
        }
        for (partner, stopped) in try await connection.query("""
            SELECT partner, stopped_at IS NOT NULL FROM cases_handed_out WHERE case_number = \(caseNumber) ORDER BY partner
            """).decode((String, Bool).self) {
            let digests = try await materials(of: caseNumber, for: partner, on: connection).sorted()
            exchanges.append(.init(partner: partner, direction: .handedOut, state: stopped ? .stopped : .handedOver,
                                   materials: digests.map { material(code: "", sha256: $0, size: 0) },
                                   undelivered: try await undeliveredCount(caseNumber, to: partner, on: connection)))
        }
        return exchanges
    }

    static func undeliveredCount(_ caseNumber: String, to partner: String, on connection: PostgresConnection) async throws -> Int {
        try await connection.query("""
            SELECT count(*)::int FROM deliveries WHERE partner = \(partner) AND case_reference = \(caseNumber) AND acknowledged_at IS NULL
            """).decode(Int.self).first ?? 0
    }

    /// The case's quarantined envelopes, latest first.
    static func quarantine(ofCase caseNumber: String, on connection: PostgresConnection) async throws -> [QuarantineList.Item] {
        try await connection.query("""
            SELECT id, quarantined_at, reason, detail, partner, envelope_id, kafka_partition, kafka_offset FROM quarantine
            WHERE case_reference = \(caseNumber) ORDER BY id DESC LIMIT 100
            """).decode((Int64, Date, String, String, String?, String?, Int, Int64).self)
            .map { QuarantineList.Item(id: $0.0, quarantinedAt: $0.1, reason: $0.2, detail: $0.3, partner: $0.4, envelopeID: $0.5, partition: $0.6, offset: $0.7) }
    }

    /// Forgets acknowledged envelopes and seen envelope ids older than `cutoff`.
    static func prune(before cutoff: Date, on connection: PostgresConnection) async throws {
        _ = try await connection.query("DELETE FROM deliveries WHERE acknowledged_at < \(cutoff)")
        _ = try await connection.query("DELETE FROM received_envelopes WHERE received_at < \(cutoff)")
    }
}
