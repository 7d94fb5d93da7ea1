import Foundation
import MessageLog
import Postgres
import TongbanClient

/// The exchange as the relay's tables record it, for the operator's view, the metrics and the
/// housekeeping. The relay's writes are its two handlers', each in the transaction of what it
/// handles: HomeEventHandler hands this region's cases over (in the home event's inbox
/// transaction), PartnerEnvelopeHandler takes partners' envelopes in (in the envelope's own);
/// DeliveryLoop transmits.
struct RelayWorkflow: Sendable {
    let database: PostgresClient
    let keyring: RelayKeyring
    let homeRegion: String

    /// How the exchange with every partner stands.
    func standings() async throws -> PartnerStandings {
        let (deliveries, quarantined) = try await database.withConnection { connection in
            (try await RelayRepository.deliverySummaries(on: connection), try await RelayRepository.quarantinedCounts(on: connection))
        }
        return PartnerStandings(
            region: homeRegion,
            partners: keyring.partners.sorted.map { partner in
                let row = deliveries[partner.region]
                return PartnerStandings.Partner(
                    region: partner.region, name: partner.name, keyIDs: partner.keys.keys.sorted(),
                    inbox: .init(bootstrapServers: partner.inbox.bootstrapServers, topic: partner.inbox.topic),
                    backlog: row?.backlog ?? 0, oldestUndeliveredSeconds: row?.oldestSeconds ?? 0,
                    lastTransmittedAt: row?.lastTransmittedAt, lastAcknowledgedAt: row?.lastAcknowledgedAt, lastError: row?.lastError,
                    quarantined: quarantined[partner.region] ?? 0
                )
            },
            quarantinedFromUnknownSenders: quarantined[""] ?? 0
        )
    }

    /// Where one case's exchange stands; nil when the relay never saw it.
    func standing(ofCase caseNumber: String) async throws -> RelayCaseStanding? {
        try await database.withConnection { connection in
            let exchanges = try await RelayRepository.caseStanding(caseNumber, on: connection)
            let quarantined = try await RelayRepository.quarantine(ofCase: caseNumber, on: connection)
            guard !exchanges.isEmpty || !quarantined.isEmpty else { return nil }
            return RelayCaseStanding(caseNumber: caseNumber, exchanges: exchanges, quarantined: quarantined)
        }
    }

    func quarantine(limit: Int, partner: String?) async throws -> [QuarantineList.Item] {
        try await database.withConnection { try await RelayRepository.quarantine(limit: limit, partner: partner, on: $0) }
    }

    /// Forgets what no longer matters: acknowledged envelopes and seen ids older than `cutoff`, and
    /// message log entries older than `logCutoff` (years: the log is the evidence).
    func prune(before cutoff: Date, logBefore logCutoff: Date) async throws {
        try await database.withConnection { connection in
            try await RelayRepository.prune(before: cutoff, on: connection)
            try await MessageLog.prune(before: logCutoff, on: connection)
        }
    }
}
