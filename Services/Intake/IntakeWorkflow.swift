import Domain
import Foundation
import HTTPTypes
import Messaging
import Postgres
import ServiceKit
import TongbanClient

/// An application's Idempotency-Key, as the caller sent it, with the body it came with.
struct IdempotencyClaim: Sendable {
    /// Whose key: the same key from two callers is two keys.
    var caller: String
    var key: String
    var requestSHA256: String
}

/// Every change the window makes, each in one transaction with the event it causes (outbox):
/// registration (一窗受理) once per Idempotency-Key, materials supplied (补正, 容缺) and the
/// applicant's withdrawal (撤回); and the reads the window's routes answer from. What approval,
/// seal and partner regions report is CaseEventHandler's.
struct IntakeWorkflow: Sendable {
    let database: PostgresClient
    let repository: IntakeRepository
    let settings: IntakeSettings
    let homeRegion: DivisionCode
    let eventSource: String
    let topicNamespace: String

    // MARK: Registration

    /// The response first given under `claim`'s key, if the key was used before.
    func storedResponse(to claim: IdempotencyClaim) async throws -> StoredResponse? {
        try await repository.storedResponse(caller: claim.caller, key: claim.key)
    }

    /// Registers the application under a new case number with its materials, timeline and
    /// `case-submitted` event, and stores the receipt under the claim's key; a key that
    /// committed meanwhile gives the stored response instead (`replayed`).
    func register(_ application: Application, deficiencies: [CaseSubmitted.Deficiency], acceptedAt: Date, by caller: Principal,
                  claim: IdempotencyClaim) async throws -> (response: StoredResponse, replayed: Bool) {
        // The number is taken before the registration's transaction, not in it: otherwise every
        // registration of the day waits for the one before it to commit, since they all update the
        // day's sequence row (the system benchmark measured about 50 registrations a second that
        // way, whatever the load). A registration that fails from here on leaves its number unused,
        // a gap in the day's numbers, as a queue-ticket machine does.
        let number = try await repository.nextCaseNumber(region: homeRegion, acceptedAt: acceptedAt).description
        return try await database.withTransaction { connection in
            try await repository.lockIdempotencyKey(caller: claim.caller, key: claim.key, on: connection)
            // The same key may have committed while this request was being checked.
            if let stored = try await repository.storedResponse(caller: claim.caller, key: claim.key, on: connection) {
                return (stored, true)
            }
            var submitted = CaseSubmitted(
                caseNumber: number,
                region: homeRegion.value,
                bundle: application.bundle.map { CaseSubmitted.Bundle(code: $0.code, name: $0.name) },
                applicant: application.applicant,
                acceptedAt: acceptedAt,
                catalogueVersion: settings.catalogue.version,
                matters: application.eventMatters(catalogue: settings.catalogue),
                materials: [],
                deficiencies: deficiencies,
                commitments: application.commitments.isEmpty ? nil : application.eventCommitments()
            )
            let status: CaseStatus = deficiencies.isEmpty ? .accepted : .acceptedWithDeficiency
            try await repository.insertCase(submitted, site: application.site, registeredBy: caller.subject, role: caller.role.rawValue, status: status, on: connection)
            for material in application.materials {
                submitted.materials.append(try await repository.insertMaterial(material, caseNumber: number, receivedAt: acceptedAt, on: connection))
            }
            try await repository.storeSubmission(submitted, on: connection)
            try await repository.addTimeline(number, at: acceptedAt, kind: "accepted", summary: Self.acceptanceSummary(submitted), on: connection)
            try await publish(submitted, to: .caseSubmitted, key: number, at: acceptedAt, on: connection)
            let partnerCodes = Set(submitted.matters.filter { $0.region != homeRegion.value }.flatMap { $0.materials ?? [] })
            try await sendToPartners(application.materials.filter { partnerCodes.contains($0.code) }, caseNumber: number, at: acceptedAt, on: connection)

            let receipt = CaseReceipt(
                caseNumber: number,
                outcome: status,
                status: status,
                acceptedAt: acceptedAt,
                catalogueVersion: submitted.catalogueVersion,
                bundle: submitted.bundle,
                applicant: submitted.applicant,
                site: application.site,
                matters: submitted.matters,
                materials: submitted.materials,
                deficiencies: deficiencies,
                commitments: submitted.commitments ?? [],
                location: "/cases/\(number)"
            )
            let stored = StoredResponse(requestSHA256: claim.requestSHA256, status: 201, location: "/cases/\(number)", body: try Envelope.encoder.encode(receipt))
            try await repository.storeResponse(caller: claim.caller, key: claim.key, response: stored, on: connection)
            return (stored, false)
        }
    }

    /// 跨省通办: the content of materials a partner region needs goes to the relay, in pieces,
    /// beside the event that lists them; the relay sends them on with the case.
    func sendToPartners(_ materials: [VerifiedMaterial], caseNumber: String, at time: Date, on connection: PostgresConnection) async throws {
        var sent: Set<String> = []
        for material in materials where sent.insert(material.sha256).inserted {
            for chunk in MaterialChunk.split(material.content, caseNumber: caseNumber, sha256: material.sha256, pieceBytes: MaterialChunk.regionalPieceBytes) {
                try await publish(chunk, to: .materialChunk, key: caseNumber, at: time, on: connection)
            }
        }
    }

    static func acceptanceSummary(_ submitted: CaseSubmitted) -> String {
        let what = submitted.bundle?.name ?? submitted.matters.map(\.name).joined(separator: "、")
        if submitted.deficiencies.isEmpty {
            return "Accepted (受理): \(what)."
        }
        let owed = submitted.deficiencies.map { "\($0.name) by \($0.dueBy)" }.joined(separator: "; ")
        return "Accepted with deficiency (容缺受理): \(what). Owed: \(owed)."
    }

    // MARK: Supplements and withdrawal

    /// Materials the applicant hands in: each must be owed (容缺) or requested (补正); requests
    /// whose every item has arrived are answered, and the departments hear of it.
    func supplement(_ number: String, with uploads: [MaterialUpload]) async throws -> SupplementReceipt {
        try await database.withTransaction { connection in
            guard let status = try await repository.lockCase(number, on: connection) else { throw Problem.notFound("No such case.") }
            guard !status.isClosed else { throw Problem.conflict("The case is \(status.rawValue); nothing can be supplied any more.") }
            let (owed, requests) = try await repository.outstanding(number, on: connection)
            let requested = Dictionary(requests.flatMap { $0.items.map { ($0.materialCode, $0.name) } }, uniquingKeysWith: { first, _ in first })
            guard !owed.isEmpty || !requested.isEmpty else {
                throw Problem.conflict("Nothing is owed or requested for this case.")
            }

            var errors: [FieldError] = []
            var verified: [VerifiedMaterial] = []
            var seen: Set<String> = []
            for (index, upload) in uploads.enumerated() {
                let field = "materials[\(index)]"
                guard seen.insert(upload.code).inserted else {
                    errors.append(FieldError(field: "\(field).code", problem: "\(upload.code) is handed in twice"))
                    continue
                }
                guard let name = owed[upload.code] ?? requested[upload.code] else {
                    let expected = Set(owed.keys).union(requested.keys).sorted().joined(separator: ", ")
                    errors.append(FieldError(field: "\(field).code", problem: "\(upload.code) is neither owed nor requested; expected one of \(expected)"))
                    continue
                }
                switch settings.materialRules.verify(upload, name: name, field: field) {
                case .success(let material): verified.append(material)
                case .failure(let invalid): errors += invalid.errors
                }
            }
            if errors.isEmpty, let error = settings.materialRules.caseLimitError(held: try await repository.materialBytes(number, on: connection), adding: verified) {
                errors.append(error)
            }
            guard errors.isEmpty else { throw Problem.validation(errors) }

            let now = Envelope.now()
            // Before the requests are answered: what partner regions asked for goes to them.
            let partnerCodes = try await repository.partnerMaterialCodes(number, homeRegion: homeRegion.value, on: connection)
            var references: [MaterialReference] = []
            for material in verified {
                references.append(try await repository.insertMaterial(material, caseNumber: number, receivedAt: now, on: connection))
            }
            let supplied = Set(verified.map(\.code))
            try await repository.markSupplied(number, codes: Array(supplied), at: now, on: connection)
            // A request is answered once every item it named has arrived, now or before.
            let answered = requests.filter { request in request.items.allSatisfy { supplied.contains($0.materialCode) } }.map(\.id)
            try await repository.markAnswered(answered, at: now, on: connection)
            let names = references.map(\.name).joined(separator: "、")
            try await repository.addTimeline(number, at: now, kind: "materials-supplemented", summary: "Materials supplied: \(names).", on: connection)
            let event = MaterialsSupplemented(caseNumber: number, materials: references, answers: answered, supplementedAt: now)
            try await publish(event, to: .materialsSupplemented, key: number, at: now, on: connection)
            try await sendToPartners(verified.filter { partnerCodes.contains($0.code) }, caseNumber: number, at: now, on: connection)
            let newStatus = try await repository.refreshStatus(number, on: connection)
            return SupplementReceipt(caseNumber: number, status: newStatus, materials: references, answers: answered, supplementedAt: now)
        }
    }

    /// The applicant withdraws the case (撤回): its open tasks close wherever they are.
    func withdraw(_ number: String, reason: String?) async throws -> WithdrawalReceipt {
        try await database.withTransaction { connection in
            guard let status = try await repository.lockCase(number, on: connection) else { throw Problem.notFound("No such case.") }
            guard !status.isClosed else { throw Problem.conflict("The case is \(status.rawValue) and can no longer be withdrawn.") }
            // 跨省通办: a case handed over from another region is withdrawn where it was applied
            // for; that withdrawal reaches this region through the relay.
            if let origin = try await repository.submission(number, on: connection)?.handedOverFrom {
                throw Problem(
                    type: "handed-over-case", status: .conflict, title: "Withdrawn only where it was applied for",
                    detail: "Region \(origin.region) handed this case over (its case \(origin.caseNumber)); only its window can withdraw it, and the withdrawal then reaches this region through the relay."
                )
            }
            let now = Envelope.now()
            try await repository.markWithdrawn(number, at: now, reason: reason, on: connection)
            try await repository.addTimeline(number, at: now, kind: "withdrawn", summary: "Withdrawn by the applicant (撤回)\(reason.map { ": \($0)" } ?? ".")", on: connection)
            try await publish(CaseWithdrawn(caseNumber: number, reason: reason, withdrawnAt: now), to: .caseWithdrawn, key: number, at: now, on: connection)
            return WithdrawalReceipt(caseNumber: number, status: .withdrawn, withdrawnAt: now, reason: reason)
        }
    }

    // MARK: Reading

    func accessFacts(_ number: String) async throws -> CaseAccessFacts? {
        try await repository.accessFacts(number: number)
    }

    func view(_ number: String) async throws -> CaseDocument? {
        try await repository.view(number)
    }

    func list(applicantIdentifier: String?, region: String?, status: CaseStatus?, before: String?, limit: Int) async throws -> CaseList {
        try await repository.list(applicantIdentifier: applicantIdentifier, region: region, status: status, before: before, limit: limit)
    }

    func material(caseNumber: String, id: UUID) async throws -> StoredMaterial? {
        try await repository.material(caseNumber: caseNumber, id: id)
    }

    // MARK: Outbox

    func publish<Payload: Encodable>(_ payload: Payload, to topic: Topic, key: String, at time: Date, on connection: PostgresConnection) async throws {
        let envelope = try Envelope(source: eventSource, type: topic.eventType, key: key, payload: payload, time: time)
        try await Outbox.append(envelope, to: topic.inNamespace(topicNamespace), on: connection)
    }
}
