import Crypto
import Foundation
import Logging
import Messaging
import Postgres
import ServiceKit
import Signing

/// Every change seal makes, each in one transaction with the event it causes (outbox): 四证齐发
/// from a decided bundle, revocations and suspensions from approval, the bureau's seal key made
/// at first start and rotated by administrators; and the register's answers for the controller.
struct SealWorkflow: Sendable {
    let database: PostgresClient
    let keyring: SealKeyring
    let addresses: SealAddresses
    let bureauName: String
    let region: String
    let eventSource: String
    let licencesIssuedTopic: Topic
    let logger: Logger

    // MARK: Events from approval

    /// The consumer's handler: runs inside the inbox transaction.
    func apply(_ envelope: Envelope, on connection: PostgresConnection) async throws {
        switch envelope.type {
        case Topic.bundleDecided.eventType:
            try await issue(envelope.decode(BundleDecided.self), eventID: envelope.id, on: connection)
        case Topic.decisionRevoked.eventType:
            try await revoke(envelope.decode(DecisionRevoked.self), eventID: envelope.id, on: connection)
        default:
            throw PermanentEventFailure("seal does not handle events of type \(envelope.type)")
        }
    }

    /// 四证齐发: every licence the bundle's approved matters earn, sealed and stored with the one
    /// `licences-issued` event that announces them and the refusals.
    func issue(_ decided: BundleDecided, eventID: String, on connection: PostgresConnection) async throws {
        var logger = logger
        logger[metadataKey: "case.number"] = "\(decided.caseNumber)"
        guard decided.region == region else {
            throw PermanentEventFailure("case \(decided.caseNumber) was decided in region \(decided.region); this seal serves \(region)")
        }
        if let unfounded = decided.decisions.first(where: { $0.outcome == .rejected && ($0.legalBasis ?? "").trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw PermanentEventFailure("the rejection of matter \(unfounded.matterCode) in case \(decided.caseNumber) carries no legal basis")
        }
        let issuedAt = Date()
        guard try await SealRepository.insertDecidedCase(decided.caseNumber, eventID: eventID, decidedAt: decided.decidedAt, issuedAt: issuedAt, on: connection) else {
            logger.info("bundle decision already issued; nothing new", metadata: ["event.id": "\(eventID)"])
            return
        }

        let revoked = try await SealRepository.revokedTasks(caseNumber: decided.caseNumber, on: connection)
        var refused: [LicencesIssued.Refusal] = []
        var earning: [(MatterDecision, LicenceKind)] = []
        for decision in decided.decisions {
            if decision.outcome == .rejected {
                refused.append(.init(matterCode: decision.matterCode, matterName: decision.matterName, legalBasis: decision.legalBasis ?? ""))
            } else if let legalBasis = revoked[decision.taskID] {
                // Revoked before seal heard of the decision: the matter earns nothing.
                refused.append(.init(matterCode: decision.matterCode, matterName: decision.matterName, legalBasis: legalBasis))
            } else if let kind = decision.licence {
                earning.append((decision, kind))
            }
        }

        var summaries: [LicenceSummary] = []
        if !earning.isEmpty {
            let key = try await signingKey(on: connection)
            let year = LicenceNumber.year(of: issuedAt)
            let firstSequence = try await SealRepository.reserveSequences(year: year, count: earning.count, on: connection)
            let firstIndex = try await SealRepository.reserveStatusIndexes(count: earning.count, length: BitstringStatusList.minimumLength, on: connection)
            for (offset, (decision, kind)) in earning.enumerated() {
                let draft = LicenceDraft(
                    number: LicenceNumber.make(region: region, year: year, sequence: firstSequence + offset),
                    reference: LicenceReference.make(),
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
                try await SealRepository.insertLicence(draft, keyID: key.keyID, credential: sealed, summary: summary, issuedAt: issuedAt, on: connection)
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

    /// Revocation (撤销) and suspension (暂扣) of a task's licence, recorded by task, so that one
    /// arriving before the licence still applies to it.
    func revoke(_ revoked: DecisionRevoked, eventID: String, on connection: PostgresConnection) async throws {
        if let until = revoked.suspendedUntil, until <= revoked.revokedAt {
            throw PermanentEventFailure("the suspension of task \(revoked.taskID) ends before it starts")
        }
        try await SealRepository.insertRevocation(revoked, eventID: eventID, on: connection)
        let licence = try await SealRepository.licenceNumber(caseNumber: revoked.caseNumber, taskID: revoked.taskID, on: connection)
        logger.info(revoked.suspendedUntil == nil ? "licence revoked" : "licence suspended", metadata: [
            "case.number": "\(revoked.caseNumber)", "seal.task_id": "\(revoked.taskID)",
            "seal.licence": "\(licence ?? "not issued (yet)")",
        ])
    }

    // MARK: Seal keys

    /// Makes sure the bureau has a signing key: generates one the first time. Several instances
    /// starting together end up with the same one.
    func ensureSigningKey() async throws {
        let bureau = keyring.bureau
        guard try await !database.withConnection({ try await SealRepository.hasSigningKey(bureau: bureau, on: $0) }) else { return }
        let key = try keyring.wrap(Curve25519.Signing.PrivateKey(), imported: false, now: Date())
        let inserted = try await database.withConnection { try await SealRepository.insertFirstKey(key, bureau: bureau, on: $0) }
        if inserted {
            logger.info("seal key generated", metadata: ["seal.key_id": "\(key.keyID)", "seal.bureau": "\(bureau)"])
        }
    }

    /// Retires the signing key and puts a new one in its place: `imported` when given, generated
    /// otherwise. Licences sealed before stay verifiable.
    func rotateKey(importing imported: Curve25519.Signing.PrivateKey? = nil, now: Date = Date()) async throws -> SealKey {
        let bureau = keyring.bureau
        let key = try keyring.wrap(imported ?? Curve25519.Signing.PrivateKey(), imported: imported != nil, now: now)
        let retired: [String] = try await database.withTransaction { connection in
            guard try await !SealRepository.isKnownKey(publicKey: key.publicKey, on: connection) else {
                throw SealKeyImportError(description: "this key is already one of the bureau's seal keys")
            }
            let retired = try await SealRepository.retireSigningKey(bureau: bureau, at: now, on: connection)
            try await SealRepository.insertKey(key, bureau: bureau, createdAt: now, on: connection)
            return retired
        }
        logger.info("seal key rotated", metadata: [
            "seal.key_id": "\(key.keyID)", "seal.retired_key_id": "\(retired.joined(separator: ","))", "seal.key_origin": "\(key.origin)",
        ])
        return SealKey(keyID: key.keyID, publicKey: Array(key.publicKey), origin: key.origin, createdAt: now, retiredAt: nil)
    }

    /// The key that seals now, locked against a concurrent rotation until `connection`'s
    /// transaction ends.
    func signingKey(on connection: PostgresConnection) async throws -> SigningSealKey {
        guard let stored = try await SealRepository.signingKey(bureau: keyring.bureau, on: connection) else {
            throw SealKeyImportError(description: "the bureau has no signing seal key")
        }
        return try keyring.unwrap(keyID: stored.keyID, wrapped: stored.wrapped)
    }

    /// `credential` sealed now with the current key (a status list as it stands).
    func seal(_ credential: JSONObject, at now: Date) async throws -> JSONObject {
        try await database.withTransaction { connection in
            let key = try await signingKey(on: connection)
            return try EddsaJcs2022.sign(credential, options: .init(verificationMethod: addresses.verificationMethod(keyID: key.keyID), created: now), key: key.privateKey)
        }
    }

    /// Every key the bureau ever sealed with, newest first.
    func keys() async throws -> [SealKey] {
        let bureau = keyring.bureau
        return try await database.withConnection { try await SealRepository.keys(bureau: bureau, on: $0) }
    }

    func publicKey(id keyID: String) async throws -> Curve25519.Signing.PublicKey? {
        let bureau = keyring.bureau
        let raw = try await database.withConnection { try await SealRepository.publicKey(id: keyID, bureau: bureau, on: $0) }
        return try raw.map { try Curve25519.Signing.PublicKey(rawRepresentation: $0) }
    }

    // MARK: The register

    func licence(number: String, at now: Date = Date()) async throws -> IssuedLicence? {
        try await database.withConnection { try await SealRepository.licence(number: number, at: now, on: $0) }
    }

    func licence(reference: String, at now: Date = Date()) async throws -> IssuedLicence? {
        try await database.withConnection { try await SealRepository.licence(reference: reference, at: now, on: $0) }
    }

    func licences(caseNumber: String, at now: Date = Date()) async throws -> [IssuedLicence] {
        try await database.withConnection { try await SealRepository.licences(caseNumber: caseNumber, at: now, on: $0) }
    }

    /// The list of `purpose` in `generation` as it stands at `now`; nil when no such list exists.
    func statusList(_ purpose: StatusPurpose, generation: Int, at now: Date) async throws -> BitstringStatusList? {
        guard let entries = try await database.withConnection({ try await SealRepository.statusListEntries(generation: generation, on: $0) }) else {
            return nil
        }
        var list = BitstringStatusList(length: entries.length)
        for (index, revocations) in entries.revocations {
            let standing = LicenceStanding(revocations: revocations, at: now)
            switch purpose {
            case .revocation: list[index] = standing.revocation != nil
            case .suspension: list[index] = standing.suspension != nil
            }
        }
        return list
    }
}
