import Crypto
import Foundation
import Logging
import Messaging
import Postgres
import ServiceKit
import Signing

/// Turns this region's events into envelopes for partners, each in the transaction that applies
/// the event (the consumer's inbox transaction), so an envelope exists exactly when its cause was
/// applied:
///
/// - `intake.case-submitted`: the matters of a partner's region are handed over, one envelope per
///   partner carrying only its matters (多地联办: a bundle split over regions);
/// - `intake.material-chunk`: the content of the materials a partner needs, put together here and
///   sent on in pieces that fit the partner's message size, after the hand-over that lists them;
/// - `intake.case-withdrawn`: a hand-over that has not gone out is stopped; each partner the case
///   went to learns it, so its departments stop;
/// - approval's and seal's events about cases handed in from a partner: status and result
///   envelopes back to the origin.
struct HomeEventHandler: Sendable {
    let homeRegion: String
    let partners: PartnerRegistry
    let logger: Logger

    static let topics: [Topic] = [
        .caseSubmitted, .materialChunk, .materialsSupplemented, .caseWithdrawn, .tasksOpened, .supplementRequested, .taskResumed, .taskDecided, .bundleDecided, .decisionRevoked, .licencesIssued,
    ]

    func apply(_ event: Envelope, on connection: PostgresConnection) async throws {
        switch event.type {
        case Topic.caseSubmitted.eventType:
            try await handOver(event.decode(CaseSubmitted.self), on: connection)
        case Topic.materialChunk.eventType:
            try await forward(event.decode(MaterialChunk.self), on: connection)
        case Topic.materialsSupplemented.eventType:
            try await forward(event.decode(MaterialsSupplemented.self), on: connection)
        case Topic.caseWithdrawn.eventType:
            try await withdraw(event.decode(CaseWithdrawn.self), on: connection)
        case Topic.tasksOpened.eventType:
            let opened = try event.decode(TasksOpened.self)
            guard let origin = try await RelayRepository.originOfHandedInCase(opened.caseNumber, on: connection) else { return }
            for task in opened.tasks {
                try await RelayRepository.recordTask(task, of: opened.caseNumber, on: connection)
            }
            try await report(CaseProgress(
                caseNumber: opened.caseNumber, status: .accepted, occurredAt: event.time,
                matters: opened.tasks.map {
                    MatterProgress(matterCode: $0.matterCode, matterName: $0.matterName, department: $0.department, departmentName: $0.departmentName,
                                   promisedDeadline: $0.deadlines.promisedDeadline, legalDeadline: $0.deadlines.legalDeadline)
                }
            ), to: origin, on: connection)
        case Topic.supplementRequested.eventType:
            let request = try event.decode(SupplementRequested.self)
            guard let origin = try await RelayRepository.originOfHandedInCase(request.caseNumber, on: connection) else { return }
            var matter = try await RelayRepository.matter(ofTask: request.taskID, on: connection) ?? MatterProgress(matterCode: request.matterCode)
            matter.department = request.department
            try await report(CaseProgress(
                caseNumber: request.caseNumber, status: .supplementRequested, occurredAt: request.requestedAt,
                matters: [matter], note: request.reason, supplementItems: request.items, requestID: request.requestID
            ), to: origin, on: connection)
        case Topic.taskResumed.eventType:
            let resumed = try event.decode(TaskResumed.self)
            guard let origin = try await RelayRepository.originOfHandedInCase(resumed.caseNumber, on: connection) else { return }
            var matter = try await RelayRepository.matter(ofTask: resumed.taskID, on: connection) ?? MatterProgress(matterCode: "unknown")
            matter.promisedDeadline = resumed.deadlines.promisedDeadline
            matter.legalDeadline = resumed.deadlines.legalDeadline
            try await report(CaseProgress(caseNumber: resumed.caseNumber, status: .resumed, occurredAt: resumed.resumedAt, matters: [matter]), to: origin, on: connection)
        case Topic.taskDecided.eventType:
            let decided = try event.decode(TaskDecided.self)
            guard let origin = try await RelayRepository.originOfHandedInCase(decided.caseNumber, on: connection) else { return }
            try await report(CaseProgress(caseNumber: decided.caseNumber, status: .matterDecided, occurredAt: decided.decision.decidedAt, matters: [Self.progress(decided.decision)]), to: origin, on: connection)
        case Topic.bundleDecided.eventType:
            let decided = try event.decode(BundleDecided.self)
            guard let origin = try await RelayRepository.originOfHandedInCase(decided.caseNumber, on: connection) else { return }
            try await report(CaseProgress(caseNumber: decided.caseNumber, status: .decided, occurredAt: decided.decidedAt, matters: decided.decisions.map(Self.progress)), to: origin, on: connection)
        case Topic.decisionRevoked.eventType:
            let revoked = try event.decode(DecisionRevoked.self)
            guard let origin = try await RelayRepository.originOfHandedInCase(revoked.caseNumber, on: connection) else { return }
            var matter = try await RelayRepository.matter(ofTask: revoked.taskID, on: connection) ?? MatterProgress(matterCode: revoked.matterCode)
            matter.legalBasis = revoked.legalBasis
            try await report(CaseProgress(caseNumber: revoked.caseNumber, status: .decisionRevoked, occurredAt: revoked.revokedAt, matters: [matter], note: revoked.reason), to: origin, on: connection)
        case Topic.licencesIssued.eventType:
            let issued = try event.decode(LicencesIssued.self)
            guard let origin = try await RelayRepository.originOfHandedInCase(issued.caseNumber, on: connection) else { return }
            let result = CaseResult(caseNumber: issued.caseNumber, issuedAt: issued.issuedAt, licences: issued.licences, refused: issued.refused)
            try await RelayRepository.enqueue(to: origin, caseReference: issued.caseNumber, kind: .result, payload: Envelope.encode(result), on: connection)
        default:
            throw PermanentEventFailure("the relay does not handle events of type \(event.type)")
        }
    }

    /// 异地代收代办 and 多地联办: one envelope per partner region with only that region's matters
    /// (and their owed materials). This region's own matters stay with this region's approval.
    func handOver(_ submitted: CaseSubmitted, on connection: PostgresConnection) async throws {
        guard submitted.handedOverFrom == nil else { return }
        try await RelayRepository.lockCase(submitted.caseNumber, on: connection)
        var logger = logger
        logger[metadataKey: "case.number"] = "\(submitted.caseNumber)"
        if try await RelayRepository.isWithdrawn(submitted.caseNumber, on: connection) {
            logger.info("case withdrawn before it was handed over; nothing goes to partners")
            return
        }
        let byRegion = Dictionary(grouping: submitted.matters.filter { $0.region != homeRegion }, by: \.region)
        // A matter no partner handles cannot go anywhere: set the whole event aside (dead letter)
        // so that nothing is half handed over; once the partner is configured it can be replayed.
        if let unknown = byRegion.keys.sorted().first(where: { partners[$0] == nil }) {
            throw PermanentEventFailure("case \(submitted.caseNumber) has matters of region \(unknown), which is not a partner of this region (TONGBAN_RELAY_PARTNERS_FILE)")
        }
        for (region, matters) in byRegion.sorted(by: { $0.key < $1.key }) {
            let codes = Set(matters.map(\.code))
            var part = submitted
            part.matters = matters
            part.deficiencies = submitted.deficiencies.filter { codes.contains($0.matterCode) }
            part.handedOverFrom = .init(region: homeRegion, caseNumber: submitted.caseNumber)
            // Only the materials the partner's matters need (all, from producers that do not say).
            if matters.allSatisfy({ $0.materials != nil }) {
                let needed = Set(matters.flatMap { $0.materials ?? [] })
                part.materials = submitted.materials.filter { needed.contains($0.code) }
            }
            let digests = Array(Set(part.materials.map(\.sha256))).sorted()
            let materialCodes = Set(matters.flatMap { $0.materials ?? [] }).union(part.deficiencies.map(\.materialCode)).sorted()
            guard try await RelayRepository.recordHandedOut(submitted.caseNumber, to: region, matterCodes: matters.map(\.code), materialCodes: materialCodes,
                                                            materials: digests, on: connection) else {
                continue
            }
            try await RelayRepository.enqueue(to: region, caseReference: submitted.caseNumber, kind: .caseHandedOver, payload: Envelope.encode(part), on: connection)
            try await sendWhole(digests, of: submitted.caseNumber, to: region, on: connection)
            logger.info("case handed over", metadata: ["relay.partner": "\(region)", "relay.matters": "\(matters.count)", "relay.materials": "\(digests.count)"])
        }
    }

    /// A piece of a material from intake: kept until the material is whole, which is then sent on
    /// to every partner whose part of the case lists it.
    func forward(_ chunk: MaterialChunk, on connection: PostgresConnection) async throws {
        try await RelayRepository.lockCase(chunk.caseNumber, on: connection)
        guard let content = try await MaterialStore.take(chunk, on: connection) else { return }
        for partner in try await RelayRepository.partnersListing(chunk.sha256, of: chunk.caseNumber, on: connection) {
            try await send(content, sha256: chunk.sha256, of: chunk.caseNumber, to: partner, on: connection)
        }
    }

    /// Materials the applicant supplied later (容缺, 补正): each partner is sent those its part
    /// needs and those answering its own requests, listed in a signed `materials-supplemented`
    /// (with the answers that are its own), their pieces after it.
    func forward(_ supplement: MaterialsSupplemented, on connection: PostgresConnection) async throws {
        try await RelayRepository.lockCase(supplement.caseNumber, on: connection)
        for partner in try await RelayRepository.partnersHandedOut(supplement.caseNumber, on: connection) {
            let requests = try await RelayRepository.partnerRequests(of: supplement.caseNumber, by: partner, on: connection)
            let answers = supplement.answers.filter { requests[$0] != nil }
            let codes = try await RelayRepository.materialCodes(of: supplement.caseNumber, for: partner, on: connection)
                .union(answers.flatMap { requests[$0] ?? [] })
            var part = supplement
            part.materials = supplement.materials.filter { codes.contains($0.code) }
            part.answers = answers
            guard !part.materials.isEmpty || !part.answers.isEmpty else { continue }
            // A material the partner has already (the same file again) is listed, not sent twice.
            let sent = try await RelayRepository.materials(of: supplement.caseNumber, for: partner, on: connection)
            let digests = Array(Set(part.materials.map(\.sha256)).subtracting(sent)).sorted()
            try await RelayRepository.addMaterials(digests, of: supplement.caseNumber, for: partner, on: connection)
            try await RelayRepository.enqueue(to: partner, caseReference: supplement.caseNumber, kind: .materialsSupplemented, payload: Envelope.encode(part), on: connection)
            try await sendWhole(digests, of: supplement.caseNumber, to: partner, on: connection)
            var logger = logger
            logger[metadataKey: "case.number"] = "\(supplement.caseNumber)"
            logger.info("supplied materials sent to a partner", metadata: ["relay.partner": "\(partner)", "relay.materials": "\(digests.count)", "relay.answers": "\(answers.count)"])
        }
    }

    /// Queues those of `digests` whose pieces all came already; the others go when their last
    /// piece comes (`forward`).
    func sendWhole(_ digests: [String], of caseNumber: String, to partner: String, on connection: PostgresConnection) async throws {
        for sha256 in digests {
            if let content = try await MaterialStore.content(caseNumber: caseNumber, sha256: sha256, on: connection) {
                try await send(content, sha256: sha256, of: caseNumber, to: partner, on: connection)
            }
        }
    }

    /// Queues a material for `partner` in pieces that fit its inbox, next in the case's sequence.
    func send(_ content: Data, sha256: String, of caseNumber: String, to partner: String, on connection: PostgresConnection) async throws {
        let pieceBytes = partners[partner]?.materialPieceBytes ?? MaterialChunk.pieceBytes(fittingMessagesOf: Partner.defaultMaximumEnvelopeBytes)
        for piece in MaterialChunk.split(content, caseNumber: caseNumber, sha256: sha256, pieceBytes: pieceBytes) {
            try await RelayRepository.enqueue(to: partner, caseReference: caseNumber, kind: .materialChunk, payload: Envelope.encode(piece), on: connection)
        }
    }

    /// The applicant withdrew the case. A hand-over that has not gone out is stopped (the partner
    /// never hears of the case); a partner that has it, or may have it, is told. A withdrawal that
    /// comes before the hand-over is remembered, so the hand-over never goes.
    func withdraw(_ withdrawn: CaseWithdrawn, on connection: PostgresConnection) async throws {
        try await RelayRepository.lockCase(withdrawn.caseNumber, on: connection)
        var logger = logger
        logger[metadataKey: "case.number"] = "\(withdrawn.caseNumber)"
        let partners = try await RelayRepository.partnersHandedOut(withdrawn.caseNumber, on: connection)
        if partners.isEmpty {
            try await RelayRepository.recordWithdrawn(withdrawn.caseNumber, on: connection)
            return
        }
        for partner in partners {
            if try await RelayRepository.hasGoneOut(withdrawn.caseNumber, to: partner, on: connection) {
                try await RelayRepository.enqueue(to: partner, caseReference: withdrawn.caseNumber, kind: .caseWithdrawn, payload: Envelope.encode(withdrawn), on: connection)
                logger.info("withdrawal sent to a partner", metadata: ["relay.partner": "\(partner)"])
            } else {
                try await RelayRepository.stopHandOver(withdrawn.caseNumber, to: partner, on: connection)
                logger.info("hand-over stopped before it went out", metadata: ["relay.partner": "\(partner)"])
            }
        }
    }

    func report(_ progress: CaseProgress, to origin: String, on connection: PostgresConnection) async throws {
        try await RelayRepository.enqueue(to: origin, caseReference: progress.caseNumber, kind: .status, payload: Envelope.encode(progress), on: connection)
    }

    static func progress(_ decision: MatterDecision) -> MatterProgress {
        MatterProgress(
            matterCode: decision.matterCode, matterName: decision.matterName, department: decision.department, departmentName: decision.departmentName,
            outcome: decision.outcome, legalBasis: decision.legalBasis, decidedAt: decision.decidedAt,
            promisedDeadline: decision.deadlines.promisedDeadline, legalDeadline: decision.deadlines.legalDeadline
        )
    }
}
