import Crypto
import Foundation
import Kafka
import Logging
import MessageLog
import Messaging
import Metrics
import Plumbing
import Postgres
import ServiceLifecycle
import Signing

/// Reads this region's inbox, where partners' relays put their envelopes. Nothing acts on an
/// envelope before it passed every check (`EnvelopeInspector`, then: its id not seen before, and
/// for a status or result, a case this region handed to that sender). Per message, one
/// transaction either
///
/// - sets it aside: the message goes unchanged to the quarantine topic with its reason, and only
///   the quarantine record is written; or
/// - applies it: a handed-over case becomes `relay.case-received` for approval once every material
///   it lists has come whole (pieces in `material-chunk` envelopes), a status or result
///   becomes `relay.partner-update` for intake, a receipt settles our deliveries — and every
///   envelope but a receipt is answered with a receipt.
///
/// The Kafka offset is committed after the transaction. Each partner's envelopes for one case
/// apply in their sequence: one already applied (a retransmission) is only answered again, one
/// that comes before its predecessor waits for the partner to send both again.
final class PartnerEnvelopeHandler: Service, Sendable {
    let consumer: KafkaConsumer
    let producer: KafkaProducer
    let database: PostgresClient
    let inspector: EnvelopeInspector
    let quarantineTopic: String
    let caseReceivedTopic: Topic
    let materialChunkTopic: Topic
    let materialsSupplementedTopic: Topic
    let caseWithdrawnTopic: Topic
    let partnerUpdateTopic: Topic
    let eventSource: String
    let logger: Logger
    let metricsFactory: any MetricsFactory
    /// The relay's clock; tests move it.
    let now: @Sendable () -> Date

    init(
        consumer: KafkaConsumer, producer: KafkaProducer, database: PostgresClient, inspector: EnvelopeInspector,
        quarantineTopic: String, caseReceivedTopic: Topic, materialChunkTopic: Topic, materialsSupplementedTopic: Topic, caseWithdrawnTopic: Topic, partnerUpdateTopic: Topic, eventSource: String,
        logger: Logger, metricsFactory: any MetricsFactory, now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.consumer = consumer
        self.producer = producer
        self.database = database
        self.inspector = inspector
        self.quarantineTopic = quarantineTopic
        self.caseReceivedTopic = caseReceivedTopic
        self.materialChunkTopic = materialChunkTopic
        self.materialsSupplementedTopic = materialsSupplementedTopic
        self.caseWithdrawnTopic = caseWithdrawnTopic
        self.partnerUpdateTopic = partnerUpdateTopic
        self.eventSource = eventSource
        self.logger = logger
        self.metricsFactory = metricsFactory
        self.now = now
    }

    func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.consumer.run() }
            group.addTask {
                for try await message in self.consumer.messages {
                    await self.process(message)
                    do {
                        try await self.consumer.commit(message)
                    } catch {
                        // The partition moved during a rebalance; its new owner reads the message
                        // again and finds it applied (or quarantined) already.
                        self.logger.info("inbox offset not committed", metadata: ["kafka.topic": "\(message.topic)", "error": "\(error)"])
                    }
                }
            }
            try await group.next()
            group.cancelAll()
        }
    }

    /// Applies or quarantines one message; returns only when one of the two has happened.
    func process(_ message: KafkaConsumerMessage) async {
        _ = await retryUntilSuccess(failed: { error, _ in
            logger.warning("inbox message not handled yet; retrying", metadata: [
                "kafka.partition": "\(message.partition)", "kafka.offset": "\(message.offset)", "error": "\(error)",
            ])
        }) {
            try await database.withTransaction { connection in
                try await self.handle(message, on: connection)
            }
        }
    }

    func handle(_ message: KafkaConsumerMessage, on connection: PostgresConnection) async throws {
        let place = RelayRepository.ReadAt(topic: message.topic, partition: message.partition, offset: message.offset, timestamp: message.timestampMilliseconds ?? -1)
        let checked: CheckedEnvelope
        // Fresh is judged against when the partner's broker took the message, so that envelopes
        // that waited out this relay's downtime in the inbox are still fresh.
        let brokerTime = message.timestampMilliseconds.map { Date(timeIntervalSince1970: Double($0) / 1000) }
        switch inspector.inspect(message.value, now: now(), brokerTime: brokerTime) {
        case .failure(let reason):
            try await quarantine(message, reason: reason, envelopeID: nil, at: place, on: connection)
            return
        case .success(let envelope):
            checked = envelope
        }
        let envelope = checked.envelope
        var logger = logger
        logger[metadataKey: "case.number"] = "\(envelope.caseReference)"
        logger[metadataKey: "relay.partner"] = "\(envelope.sender)"
        logger[metadataKey: "relay.envelope_id"] = "\(envelope.id)"

        if let earlier = try await RelayRepository.recordReceived(envelope, outcome: .checking, at: place, on: connection) {
            if earlier == place { return }  // Kafka delivered this very message again: it was handled.
            try await quarantine(message, reason: QuarantineReason(.replayedID, "envelope \(envelope.id) was received before (partition \(earlier.partition), offset \(earlier.offset))"), envelopeID: envelope.id, caseReference: envelope.caseReference, at: place, on: connection)
            return
        }
        // Signed by the partner and new: logged as it came, whatever becomes of it.
        if let key = checked.partner.keys[envelope.keyID] {
            try await MessageLog.append(
                .init(id: envelope.id, kind: envelope.kind.rawValue, caseReference: envelope.caseReference, sequence: envelope.sequence, keyID: envelope.keyID, signed: message.value),
                partner: envelope.sender, direction: .received, key: Ed25519JWK(keyID: envelope.keyID, publicKey: key), region: envelope.sender, on: connection
            )
        }

        if envelope.kind == .receipt {
            let receipt = try Envelope.decode(RelayReceipt.self, from: checked.payloadBytes)
            let settled = try await RelayRepository.acknowledge(partner: envelope.sender, caseReference: envelope.caseReference, upTo: receipt.acknowledgedSequence, on: connection)
            try await RelayRepository.setOutcome(.applied, of: envelope.id, on: connection)
            if settled.contains(.caseHandedOver) {
                // The window learns that the partner has the case.
                try await publishUpdate(PartnerUpdate(
                    caseNumber: envelope.caseReference, partnerRegion: checked.partner.region, partnerName: checked.partner.name,
                    kind: .status, status: .received, occurredAt: receipt.receivedAt
                ), on: connection)
            }
            logger.debug("receipt taken", metadata: ["relay.sequence": "\(receipt.acknowledgedSequence)", "relay.settled": "\(settled.count)"])
            return
        }

        if envelope.kind == .status || envelope.kind == .result {
            guard try await RelayRepository.isHandedOut(envelope.caseReference, to: envelope.sender, on: connection) else {
                try await RelayRepository.setOutcome(.quarantined, of: envelope.id, on: connection)
                try await quarantine(message, reason: QuarantineReason(.unknownCase, "this region never handed case \(envelope.caseReference) to \(envelope.sender)"), envelopeID: envelope.id, caseReference: envelope.caseReference, at: place, on: connection)
                return
            }
        }

        let last = try await RelayRepository.lastApplied(from: envelope.sender, caseReference: envelope.caseReference, on: connection)
        if envelope.sequence <= last {
            try await RelayRepository.setOutcome(.retransmission, of: envelope.id, on: connection)
            try await answer(envelope, upTo: last, on: connection)
            logger.info("retransmitted envelope already applied; answered again", metadata: ["relay.sequence": "\(envelope.sequence)"])
            return
        }
        guard envelope.sequence == last + 1 else {
            // An earlier envelope of the case has not arrived; the partner sends both again.
            try await RelayRepository.setOutcome(.early, of: envelope.id, on: connection)
            logger.info("envelope arrived before an earlier one of its case; waiting for it", metadata: ["relay.sequence": "\(envelope.sequence)", "relay.last_applied": "\(last)"])
            return
        }

        switch envelope.kind {
        case .caseHandedOver:
            let submitted = try Envelope.decode(CaseSubmitted.self, from: checked.payloadBytes)
            if try await RelayRepository.recordHandedIn(submitted.caseNumber, from: envelope.sender, submission: checked.payloadBytes, materials: submitted.materials, on: connection) {
                logger.info("case received from a partner", metadata: ["relay.matters": "\(submitted.matters.count)", "relay.materials": "\(submitted.materials.count)"])
                try await releaseIfWhole(submitted.caseNumber, logger: logger, on: connection)
            }
        case .materialChunk:
            let chunk = try Envelope.decode(MaterialChunk.self, from: checked.payloadBytes)
            if let reason = try await take(chunk, from: envelope.sender, on: connection) {
                try await RelayRepository.setOutcome(.quarantined, of: envelope.id, on: connection)
                try await quarantine(message, reason: reason, envelopeID: envelope.id, caseReference: envelope.caseReference, at: place, on: connection)
                return
            }
            try await releaseIfWhole(chunk.caseNumber, logger: logger, on: connection)
        case .materialsSupplemented:
            let supplement = try Envelope.decode(MaterialsSupplemented.self, from: checked.payloadBytes)
            guard try await RelayRepository.originOfHandedInCase(envelope.caseReference, on: connection) == envelope.sender else {
                try await RelayRepository.setOutcome(.quarantined, of: envelope.id, on: connection)
                try await quarantine(message, reason: QuarantineReason(.unknownCase, "\(envelope.sender) never handed case \(envelope.caseReference) to this region"), envelopeID: envelope.id, caseReference: envelope.caseReference, at: place, on: connection)
                return
            }
            try await RelayRepository.recordHandedInSupplement(envelope.caseReference, sequence: envelope.sequence, payload: checked.payloadBytes, materials: supplement.materials, on: connection)
            logger.info("materials supplied at the origin", metadata: ["relay.materials": "\(supplement.materials.count)", "relay.answers": "\(supplement.answers.count)"])
            try await releaseIfWhole(envelope.caseReference, logger: logger, on: connection)
        case .status:
            let progress = try Envelope.decode(CaseProgress.self, from: checked.payloadBytes)
            if progress.status == .supplementRequested, let requestID = progress.requestID {
                // The applicant's answer goes back to this partner, with what it asked for.
                try await RelayRepository.recordPartnerRequest(requestID, of: progress.caseNumber, by: envelope.sender,
                                                               materialCodes: progress.supplementItems.map(\.materialCode), at: progress.occurredAt, on: connection)
            }
            try await publishUpdate(PartnerUpdate(
                caseNumber: progress.caseNumber, partnerRegion: checked.partner.region, partnerName: checked.partner.name,
                kind: .status, status: progress.status, occurredAt: progress.occurredAt, matters: progress.matters,
                note: progress.note, supplementItems: progress.supplementItems, requestID: progress.requestID
            ), on: connection)
        case .result:
            let result = try Envelope.decode(CaseResult.self, from: checked.payloadBytes)
            try await publishUpdate(PartnerUpdate(
                caseNumber: result.caseNumber, partnerRegion: checked.partner.region, partnerName: checked.partner.name,
                kind: .result, status: .licencesIssued, occurredAt: result.issuedAt, licences: result.licences, refused: result.refused
            ), on: connection)
        case .caseWithdrawn:
            // Only the region that handed the case over may withdraw it. Its case-handed-over came
            // first in the conversation (sequence 1), so it is known here by now.
            guard try await RelayRepository.originOfHandedInCase(envelope.caseReference, on: connection) == envelope.sender else {
                try await RelayRepository.setOutcome(.quarantined, of: envelope.id, on: connection)
                try await quarantine(message, reason: QuarantineReason(.unknownCase, "\(envelope.sender) never handed case \(envelope.caseReference) to this region"), envelopeID: envelope.id, caseReference: envelope.caseReference, at: place, on: connection)
                return
            }
            // A case still waiting for its materials is never released now.
            try await RelayRepository.markHandedInWithdrawn(envelope.caseReference, on: connection)
            let event = Envelope(source: eventSource, type: Topic.handedInCaseWithdrawn.eventType, key: envelope.caseReference, data: checked.payloadBytes)
            try await Outbox.append(event, to: caseWithdrawnTopic, on: connection)
            logger.info("a partner withdrew a case it had handed over")
        case .receipt:
            break
        }
        try await RelayRepository.recordApplied(from: envelope.sender, caseReference: envelope.caseReference, sequence: envelope.sequence, on: connection)
        try await RelayRepository.setOutcome(.applied, of: envelope.id, on: connection)
        try await answer(envelope, upTo: envelope.sequence, on: connection)
    }

    /// Takes a piece of a material of a case `sender` handed over; the reason to quarantine it
    /// instead, with nothing changed. The material must be one the signed hand-over lists, the
    /// piece the next of it, and the whole material its listed size and SHA-256.
    func take(_ chunk: MaterialChunk, from sender: String, on connection: PostgresConnection) async throws -> QuarantineReason? {
        guard try await RelayRepository.originOfHandedInCase(chunk.caseNumber, on: connection) == sender else {
            return QuarantineReason(.unknownCase, "\(sender) never handed case \(chunk.caseNumber) to this region")
        }
        guard let size = try await RelayRepository.listedSize(of: chunk.sha256, in: chunk.caseNumber, on: connection) else {
            return QuarantineReason(.unlistedMaterial, "material \(chunk.sha256) is not among the materials case \(chunk.caseNumber)'s hand-over lists")
        }
        switch try await MaterialStore.place(chunk, on: connection) {
        case .duplicate:
            return QuarantineReason(.duplicateChunk, "piece \(chunk.index) of material \(chunk.sha256) was taken before")
        case .outOfOrder(let expected):
            return QuarantineReason(.chunkOutOfOrder, "piece \(chunk.index) of material \(chunk.sha256) came when piece \(expected) was due")
        case .inconsistent(let detail):
            return QuarantineReason(.chunkInvalid, "material \(chunk.sha256): \(detail)")
        case .next(let completing):
            if let content = completing {
                guard content.count == size else {
                    return QuarantineReason(.digestMismatch, "material \(chunk.sha256) came to \(content.count) bytes; the hand-over lists \(size)")
                }
                let digest = SHA256.hash(data: content).hexadecimal
                guard digest == chunk.sha256 else {
                    return QuarantineReason(.digestMismatch, "the pieces of material \(chunk.sha256) put together have SHA-256 \(digest)")
                }
            }
            try await MaterialStore.keep(chunk, on: connection)
            return nil
        }
    }

    /// Releases a handed-in case to approval once every material it lists is whole: the
    /// materials (in pieces for approval to keep), then `relay.case-received`. A case released,
    /// or withdrawn meanwhile, is left alone.
    func releaseIfWhole(_ caseNumber: String, logger: Logger, on connection: PostgresConnection) async throws {
        let whole = try await MaterialStore.complete(caseNumber: caseNumber, on: connection)
        if let submission = try await RelayRepository.waitingSubmission(caseNumber, on: connection) {
            let listed = try await RelayRepository.listedMaterials(caseNumber, on: connection)
            guard listed.isSubset(of: whole) else {
                logger.debug("case waits for its materials", metadata: ["relay.materials_whole": "\(listed.intersection(whole).count)", "relay.materials": "\(listed.count)"])
                return
            }
            try await publish(listed, of: caseNumber, on: connection)
            try await Outbox.append(Envelope(source: eventSource, type: Topic.caseReceived.eventType, key: caseNumber, data: submission), to: caseReceivedTopic, on: connection)
            try await RelayRepository.markReleased(caseNumber, on: connection)
            logger.info("case released to approval with its materials", metadata: ["relay.materials": "\(listed.count)"])
        }
        // Materials supplied later follow the case, in their sequence, each set once it is whole.
        for supplement in try await RelayRepository.waitingSupplements(caseNumber, on: connection) {
            let listed = try await RelayRepository.listedMaterials(caseNumber, supplement: supplement.sequence, on: connection)
            guard listed.isSubset(of: whole) else { return }
            try await publish(listed, of: caseNumber, on: connection)
            try await Outbox.append(Envelope(source: eventSource, type: Topic.handedInMaterialsSupplemented.eventType, key: caseNumber, data: supplement.payload), to: materialsSupplementedTopic, on: connection)
            try await RelayRepository.markSupplementReleased(caseNumber, sequence: supplement.sequence, on: connection)
            logger.info("supplied materials released to approval", metadata: ["relay.materials": "\(listed.count)"])
        }
    }

    /// Puts whole materials on approval's topic, in pieces it keeps.
    func publish(_ materials: Set<String>, of caseNumber: String, on connection: PostgresConnection) async throws {
        for sha256 in materials.sorted() {
            guard let content = try await MaterialStore.content(caseNumber: caseNumber, sha256: sha256, on: connection) else { continue }
            for piece in MaterialChunk.split(content, caseNumber: caseNumber, sha256: sha256, pieceBytes: MaterialChunk.regionalPieceBytes) {
                try await Outbox.append(Envelope(source: eventSource, type: Topic.receivedMaterialChunk.eventType, key: caseNumber, payload: piece), to: materialChunkTopic, on: connection)
            }
        }
    }

    /// Queues the receipt: everything of the case up to `sequence` from the sender is here.
    func answer(_ envelope: PartnerEnvelope, upTo sequence: Int, on connection: PostgresConnection) async throws {
        let receipt = RelayReceipt(acknowledgedID: envelope.id, acknowledgedKind: envelope.kind, acknowledgedSequence: sequence, receivedAt: now())
        try await RelayRepository.enqueue(to: envelope.sender, caseReference: envelope.caseReference, kind: .receipt, payload: Envelope.encode(receipt), on: connection)
    }

    func publishUpdate(_ update: PartnerUpdate, on connection: PostgresConnection) async throws {
        try await Outbox.append(Envelope(source: eventSource, type: Topic.partnerUpdate.eventType, key: update.caseNumber, payload: update), to: partnerUpdateTopic, on: connection)
    }

    /// Sends the message, unchanged, to the quarantine topic with the dead-letter headers, and
    /// records it — once per message, however often Kafka delivers it.
    func quarantine(_ message: KafkaConsumerMessage, reason: QuarantineReason, envelopeID: String?, caseReference: String? = nil, at place: RelayRepository.ReadAt, on connection: PostgresConnection) async throws {
        let claimed = inspector.claimedSender(of: message.value)
        let partner = claimed.flatMap { inspector.partners[$0]?.region }
        let digest = SHA256.hash(data: message.value).hexadecimal
        guard try await RelayRepository.recordQuarantined(partner: partner, claimedSender: claimed, reason: reason, envelopeID: envelopeID, caseReference: caseReference, at: place, valueSHA256: digest, on: connection) else {
            return
        }
        let added = [
            KafkaHeader(key: "dlq_reason", value: reason.description),
            KafkaHeader(key: "dlq_topic", value: message.topic),
            KafkaHeader(key: "dlq_partition", value: String(message.partition)),
            KafkaHeader(key: "dlq_offset", value: String(message.offset)),
            KafkaHeader(key: "dlq_time", value: Envelope.formatTime(Date())),
        ]
        // Inside the transaction: if the broker does not take it, nothing is recorded and the
        // message is handled again.
        _ = try await producer.sendAndAwait(KafkaProducerMessage(topic: quarantineTopic, key: message.key, value: message.value, headers: message.headers + added))
        Counter(label: "relay_quarantined_total", dimensions: [("partner", partner ?? "unknown"), ("reason", reason.code.rawValue)], factory: metricsFactory).increment()
        logger.warning("inbox message quarantined", metadata: [
            "relay.partner": "\(partner ?? "unknown")", "relay.reason": "\(reason.code.rawValue)", "relay.detail": "\(reason.detail)",
            "kafka.partition": "\(message.partition)", "kafka.offset": "\(message.offset)",
        ])
    }
}
