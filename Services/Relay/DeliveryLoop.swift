import Crypto
import Foundation
import Kafka
import Logging
import MessageLog
import Messaging
import Plumbing
import Postgres
import ServiceLifecycle
import Signing

/// Delivers one partner's envelopes to its inbox on its own Kafka cluster, with a producer of its
/// own, until each is acknowledged by the partner's receipt (receipts: until the partner's broker
/// has them). An unreachable partner only delays delivery: every envelope stays in `deliveries`
/// and is sent again with backoff.
///
/// Several relay instances share the work: a pass leases some of the partner's due cases
/// (`FOR UPDATE SKIP LOCKED`, then a lease that outlives the transmission), so one case's
/// envelopes are sent by one instance at a time and in sequence. Every transmission is a new
/// envelope — new id, new issuedAt, new signature — with the same sequence and content, so a
/// partner that was away for long does not refuse it as stale, and the receiver's sequence check
/// drops what it already has.
final class DeliveryLoop: Service, Sendable {
    struct Timing: Sendable {
        var receiptTimeout: Duration
        var retryLimit: Duration
        var leaseLength: Duration
        var idleInterval: Duration = .milliseconds(200)
        /// The first wait after a failed transmission; it doubles up to `retryLimit`.
        var firstRetry: Duration = .milliseconds(500)
    }

    let partner: Partner
    let homeRegion: String
    /// This region's signing key as its file says now (a rotated key signs from the next pass on).
    let keyring: RelayKeyring
    let database: PostgresClient
    let producer: KafkaProducer
    let timing: Timing
    let logger: Logger
    let leaseHolder = UUID().uuidString.lowercased()

    static let casesPerPass = 50

    init(partner: Partner, homeRegion: String, keyring: RelayKeyring, database: PostgresClient, producer: KafkaProducer, timing: Timing, logger: Logger) {
        self.partner = partner
        self.homeRegion = homeRegion
        self.keyring = keyring
        self.database = database
        self.producer = producer
        self.timing = timing
        var logger = logger
        logger[metadataKey: "relay.partner"] = "\(partner.region)"
        self.logger = logger
    }

    func run() async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.producer.run() }
            await cancelWhenGracefulShutdown { await self.deliverUntilCancelled() }
            producer.triggerGracefulShutdown()
            try await group.waitForAll()
        }
    }

    func deliverUntilCancelled() async {
        await repeatUntilCancelled(idle: timing.idleInterval, logger: logger, failure: "delivery pass failed; retrying") {
            try await deliverDueCases() > 0
        }
    }

    struct Pending: Sendable {
        var id: Int64
        var caseReference: String
        var kind: RelayEnvelopeKind
        var sequence: Int?
        var payload: [UInt8]
        var due: Bool
        var attempts: Int
        var failures: Int
    }

    /// One pass: leases due cases, transmits what is due in them in sequence, records each
    /// verdict, releases the leases. Returns how many envelopes it transmitted or tried to.
    @discardableResult
    func deliverDueCases() async throws -> Int {
        let lease = Double(timing.leaseLength.components.seconds)
        let cases = try await database.withConnection { connection in
            try await RelayRepository.leaseDueCases(partner: partner.region, holder: leaseHolder, seconds: lease, limit: Self.casesPerPass, on: connection)
        }
        guard !cases.isEmpty else { return 0 }
        do {
            let count = try await transmit(cases)
            try await release(cases)
            return count
        } catch {
            try? await release(cases)
            throw error
        }
    }

    /// Gives the leases on `cases` back, so the next pass (of any instance) may take them.
    func release(_ cases: [String]) async throws {
        try await database.withConnection { connection in
            try await RelayRepository.releaseLeases(partner: partner.region, holder: leaseHolder, cases: cases, on: connection)
        }
    }

    /// Transmits what is due in the leased `cases` and records each verdict.
    func transmit(_ cases: [String]) async throws -> Int {
        let pending = try await database.withConnection { connection in
            try await RelayRepository.undelivered(partner: partner.region, cases: cases, on: connection)
        }
        let chosen = Dictionary(grouping: pending, by: \.caseReference).values.flatMap(Self.toTransmit)
        guard !chosen.isEmpty else { return 0 }

        let signingKey = keyring.signingKey
        let publicKey = Ed25519JWK(keyID: signingKey.keyID, publicKey: signingKey.privateKey.publicKey)
        var envelopes: [(Pending, PartnerEnvelope, [UInt8])] = []
        var messages: [KafkaProducerMessage] = []
        for delivery in chosen {
            let envelope = PartnerEnvelope(
                id: UUID().uuidString.lowercased(), sender: homeRegion, receiver: partner.region, kind: delivery.kind,
                caseReference: delivery.caseReference, sequence: delivery.sequence ?? 0, issuedAt: Date(),
                payload: try JSONValue(parsing: delivery.payload), keyID: signingKey.keyID
            )
            let parts = try envelope.message(topic: partner.inbox.topic, key: signingKey)
            envelopes.append((delivery, envelope, parts.value))
            messages.append(KafkaProducerMessage(
                topic: parts.topic, key: Array(parts.key.utf8), value: parts.value,
                headers: parts.headers.map { KafkaHeader(key: $0.name, value: $0.value) }
            ))
        }
        let verdicts = await producer.sendAndAwait(messages)
        var failed = 0
        for ((delivery, envelope, signed), verdict) in zip(envelopes, verdicts) {
            switch verdict {
            case .success:
                // Sent: logged as it went, and the receipt awaited, longer each time it does not come.
                let wait = Self.seconds(min(timing.receiptTimeout * (1 << min(delivery.attempts, 20)), timing.retryLimit))
                try await database.withTransaction { connection in
                    try await MessageLog.append(
                        .init(id: envelope.id, kind: envelope.kind.rawValue, caseReference: envelope.caseReference, sequence: envelope.sequence, keyID: envelope.keyID, signed: signed),
                        partner: partner.region, direction: .sent, key: publicKey, region: homeRegion, on: connection
                    )
                    try await RelayRepository.markTransmitted(delivery.id, as: envelope.id, nextAttemptIn: wait, on: connection)
                }
            case .failure(let error):
                failed += 1
                let wait = Self.seconds(min(timing.firstRetry * (1 << min(delivery.failures, 20)), timing.retryLimit))
                try await database.withConnection { connection in
                    try await RelayRepository.markFailed(delivery.id, error: error.description, nextAttemptIn: wait, on: connection)
                }
            }
        }
        if failed > 0 {
            logger.warning("partner's inbox unreachable; envelopes kept for the next attempt", metadata: [
                "relay.envelopes_failed": "\(failed)", "kafka.bootstrap_servers": "\(partner.inbox.bootstrapServers)",
                "error": "\(verdicts.first { if case .failure = $0 { true } else { false } }.map { "\($0)" } ?? "")",
            ])
        } else {
            logger.debug("envelopes transmitted", metadata: ["relay.envelopes": "\(chosen.count)"])
        }
        return chosen.count
    }

    /// Which of one case's unacknowledged envelopes (receipts first, then by sequence) go now:
    /// every due receipt, and from the first due envelope on, every one after it — so the partner
    /// receives the case's envelopes in sequence. An envelope whose last transmission failed and
    /// whose retry is not due yet holds back everything after it.
    static func toTransmit(_ pending: [Pending]) -> [Pending] {
        var chosen = pending.filter { $0.sequence == nil && $0.due }
        var sending = false
        for delivery in pending where delivery.sequence != nil {
            if delivery.due || sending {
                sending = true
                chosen.append(delivery)
            } else if delivery.failures > 0 {
                break
            }
        }
        return chosen
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
