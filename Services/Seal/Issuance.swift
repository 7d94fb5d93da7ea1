import Foundation
import Logging
import Messaging
import Postgres
import ServiceKit
import Signing

/// 四证齐发: from a decided bundle, every licence its approved matters earn, sealed and stored in
/// one transaction with the one `licences-issued` event that announces them and the refusals.
struct Issuance: Sendable {
    let keyring: SealKeyring
    let addresses: SealAddresses
    let bureauName: String
    let region: String
    let eventSource: String
    let licencesIssuedTopic: Topic
    let logger: Logger

    /// Applies one `bundle-decided` event inside the consumer's transaction.
    func apply(_ envelope: Envelope, on connection: PostgresConnection) async throws {
        let decided = try envelope.decode(BundleDecided.self)
        var logger = logger
        logger[metadataKey: "case.number"] = "\(decided.caseNumber)"
        guard decided.region == region else {
            throw PermanentEventFailure("case \(decided.caseNumber) was decided in region \(decided.region); this seal serves \(region)")
        }
        if let unfounded = decided.decisions.first(where: { $0.outcome == .rejected && ($0.legalBasis ?? "").trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw PermanentEventFailure("the rejection of matter \(unfounded.matterCode) in case \(decided.caseNumber) carries no legal basis")
        }
        let issuedAt = Date()
        // The case number guards too: the same decision under another event id issues nothing.
        let first = try await connection.query("""
            INSERT INTO decided_cases (case_number, event_id, decided_at, issued_at)
            VALUES (\(decided.caseNumber), \(envelope.id), \(decided.decidedAt), \(issuedAt))
            ON CONFLICT (case_number) DO NOTHING
            RETURNING 1
            """)
        guard !first.isEmpty else {
            logger.info("bundle decision already issued; nothing new", metadata: ["event.id": "\(envelope.id)"])
            return
        }

        let withdrawn = try await withdrawnTasks(caseNumber: decided.caseNumber, on: connection)
        var refused: [LicencesIssued.Refusal] = []
        var earning: [(MatterDecision, LicenceKind)] = []
        for decision in decided.decisions {
            if decision.outcome == .rejected {
                refused.append(.init(matterCode: decision.matterCode, matterName: decision.matterName, legalBasis: decision.legalBasis ?? ""))
            } else if let revoked = withdrawn[decision.taskID] {
                // Revoked before seal heard of the decision: the matter earns nothing.
                refused.append(.init(matterCode: decision.matterCode, matterName: decision.matterName, legalBasis: revoked))
            } else if let kind = decision.licence {
                earning.append((decision, kind))
            }
        }

        var summaries: [LicenceSummary] = []
        if !earning.isEmpty {
            let key = try await keyring.signingKey(on: connection)
            let year = LicenceNumber.year(of: issuedAt)
            let firstSequence = try await reserveSequences(year: year, count: earning.count, on: connection)
            let firstIndex = try await reserveStatusIndexes(count: earning.count, on: connection)
            for (offset, (decision, kind)) in earning.enumerated() {
                let draft = LicenceDraft(
                    number: LicenceNumber.make(region: region, year: year, sequence: firstSequence + offset),
                    caseNumber: decided.caseNumber,
                    decision: decision,
                    kind: kind,
                    applicant: decided.applicant,
                    issuer: (addresses.issuerID, bureauName),
                    validFrom: issuedAt,
                    validUntil: LicenceDraft.validUntil(from: issuedAt, years: kind.validityYears),
                    statusGeneration: firstIndex.generation,
                    statusIndex: StatusIndexes.scatter(firstIndex.position + offset)
                )
                let sealed = try EddsaJcs2022.sign(
                    draft.credential(addresses: addresses),
                    options: .init(verificationMethod: addresses.verificationMethod(keyID: key.keyID), created: issuedAt),
                    key: key.privateKey
                )
                let summary = draft.summary(addresses: addresses, region: region)
                _ = try await connection.query("""
                    INSERT INTO licences (licence_number, case_number, task_id, matter_code, licence_name, holder_name,
                        holder_account, valid_from, valid_until, key_id, status_generation, status_index, credential,
                        summary, issued_at)
                    VALUES (\(draft.number), \(draft.caseNumber), \(decision.taskID), \(decision.matterCode), \(kind.name),
                        \(decided.applicant.name), \(decided.applicant.account), \(draft.validFrom), \(draft.validUntil),
                        \(key.keyID), \(draft.statusGeneration), \(draft.statusIndex), \(JSONValue.object(sealed).canonicalText),
                        \(try PostgresJSONB(summary)), \(issuedAt))
                    """)
                summaries.append(summary)
            }
            logger.info("licences issued", metadata: [
                "seal.key_id": "\(key.keyID)", "seal.licences": "\(summaries.map(\.licenceNumber).joined(separator: ","))",
                "seal.refused": "\(refused.count)",
            ])
        }

        let event = LicencesIssued(
            caseNumber: decided.caseNumber,
            issuedAt: issuedAt,
            licences: summaries,
            refused: refused,
            handedOverFrom: decided.handedOverFrom
        )
        try await Outbox.append(
            Envelope(source: eventSource, type: licencesIssuedTopic.eventType, key: decided.caseNumber, payload: event),
            to: licencesIssuedTopic,
            on: connection
        )
    }

    /// Tasks of the case whose approval was already revoked, with the legal basis.
    func withdrawnTasks(caseNumber: String, on connection: PostgresConnection) async throws -> [String: String] {
        let rows = try await connection.query("""
            SELECT task_id, legal_basis FROM withdrawals WHERE case_number = \(caseNumber) AND kind = 'revocation'
            """).decode((String, String).self)
        return Dictionary(rows.map { ($0.0, $0.1) }, uniquingKeysWith: { first, _ in first })
    }

    /// The first of `count` consecutive licence sequence numbers of `year`.
    func reserveSequences(year: Int, count: Int, on connection: PostgresConnection) async throws -> Int {
        let last = try await connection.query("""
            INSERT INTO licence_sequences (year, last) VALUES (\(year), \(count))
            ON CONFLICT (year) DO UPDATE SET last = licence_sequences.last + \(count)
            RETURNING last
            """).decode(Int.self)
        return last[0] - count + 1
    }

    /// `count` consecutive allocation positions in the current status list generation, opening
    /// the next generation when this one is full.
    func reserveStatusIndexes(count: Int, on connection: PostgresConnection) async throws -> (generation: Int, position: Int) {
        let length = BitstringStatusList.minimumLength
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
}

/// Where the n-th licence of a generation sits in its lists: a fixed permutation of the indexes
/// (an odd multiplier modulo a power of two), so the position does not tell the order of issue
/// and no two licences share one.
enum StatusIndexes {
    static func scatter(_ position: Int) -> Int {
        precondition(BitstringStatusList.minimumLength & (BitstringStatusList.minimumLength - 1) == 0)
        return (position &* 40_503 &+ 12_345) & (BitstringStatusList.minimumLength - 1)
    }
}
