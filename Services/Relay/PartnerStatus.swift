import Foundation
import Hummingbird
import Logging
import Metrics
import Plumbing
import Postgres
import ServiceKit
import ServiceLifecycle

/// How the exchange with one partner stands, as the operator's view and the metrics show it.
struct PartnerStanding: ResponseCodable, Equatable {
    struct Inbox: Codable, Equatable {
        var bootstrapServers: String
        var topic: String
    }

    var region: String
    var name: String
    /// The partner's signing key ids this relay accepts.
    var keyIDs: [String]
    /// Where this relay delivers to (never its credentials).
    var inbox: Inbox
    /// Envelopes not yet acknowledged by the partner.
    var backlog: Int
    /// How long the oldest of them has waited, in seconds; 0 without a backlog.
    var oldestUndeliveredSeconds: Double
    var lastTransmittedAt: Date?
    var lastAcknowledgedAt: Date?
    /// Why the latest failed transmission failed, while envelopes are waiting.
    var lastError: String?
    /// Inbox messages claiming to come from this partner that were quarantined.
    var quarantined: Int
}

struct PartnerStandings: ResponseCodable, Equatable {
    var region: String
    var partners: [PartnerStanding]
    /// Quarantined messages no partner's name could be read from.
    var quarantinedFromUnknownSenders: Int
}

/// One quarantined inbox message, for the operator.
struct QuarantineRecord: ResponseCodable, Equatable {
    var id: Int64
    var quarantinedAt: Date
    var reason: String
    var detail: String
    /// The known partner the message claimed to come from; nil when it named none.
    var partner: String?
    var envelopeID: String?
    var partition: Int
    var offset: Int64
}

struct QuarantineList: ResponseCodable, Equatable {
    var items: [QuarantineRecord]
}

enum PartnerStatusQueries {
    static func standings(of registry: PartnerRegistry, homeRegion: String, on database: PostgresClient) async throws -> PartnerStandings {
        let deliveries = try await database.query("""
            SELECT partner,
                   count(*) FILTER (WHERE acknowledged_at IS NULL),
                   COALESCE(EXTRACT(EPOCH FROM now() - min(created_at) FILTER (WHERE acknowledged_at IS NULL)), 0)::float8,
                   max(transmitted_at), max(acknowledged_at),
                   (array_agg(last_error ORDER BY id DESC) FILTER (WHERE acknowledged_at IS NULL AND last_error IS NOT NULL))[1]
            FROM deliveries GROUP BY partner
            """).decode((String, Int, Double, Date?, Date?, String?).self)
        let quarantined = try await database.query("SELECT partner, count(*) FROM quarantine GROUP BY partner").decode((String?, Int).self)
        let byPartner = Dictionary(deliveries.map { ($0.0, $0) }, uniquingKeysWith: { first, _ in first })
        let counts = Dictionary(quarantined.map { ($0.0 ?? "", $0.1) }, uniquingKeysWith: +)
        return PartnerStandings(
            region: homeRegion,
            partners: registry.sorted.map { partner in
                let row = byPartner[partner.region]
                return PartnerStanding(
                    region: partner.region, name: partner.name, keyIDs: partner.keys.keys.sorted(),
                    inbox: .init(bootstrapServers: partner.inbox.bootstrapServers, topic: partner.inbox.topic),
                    backlog: row?.1 ?? 0, oldestUndeliveredSeconds: row?.2 ?? 0,
                    lastTransmittedAt: row?.3, lastAcknowledgedAt: row?.4, lastError: row?.5,
                    quarantined: counts[partner.region] ?? 0
                )
            },
            quarantinedFromUnknownSenders: counts[""] ?? 0
        )
    }

    static func quarantine(limit: Int, partner: String?, on database: PostgresClient) async throws -> [QuarantineRecord] {
        try await database.query("""
            SELECT id, quarantined_at, reason, detail, partner, envelope_id, kafka_partition, kafka_offset FROM quarantine
            WHERE \(partner) IS NULL OR partner = \(partner)
            ORDER BY id DESC LIMIT \(limit)
            """).decode((Int64, Date, String, String, String?, String?, Int, Int64).self)
            .map { QuarantineRecord(id: $0.0, quarantinedAt: $0.1, reason: $0.2, detail: $0.3, partner: $0.4, envelopeID: $0.5, partition: $0.6, offset: $0.7) }
    }
}

/// GET /relay/partners and GET /relay/quarantine: the operator's view of the exchange. Admins only:
/// it names partners' clusters and what was refused from them.
struct PartnerController {
    let registry: PartnerRegistry
    let homeRegion: String
    let database: PostgresClient

    func addRoutes(to router: Router<TongbanRequestContext>) {
        router.get("relay/partners") { _, context -> PartnerStandings in
            _ = try context.requirePrincipal(.admin)
            return try await PartnerStatusQueries.standings(of: registry, homeRegion: homeRegion, on: database)
        }
        router.get("relay/quarantine") { request, context -> QuarantineList in
            _ = try context.requirePrincipal(.admin)
            var limit = 50
            if let text = request.uri.queryParameters.get("limit") {
                guard let value = Int(text), (1...500).contains(value) else {
                    throw Problem.validation([FieldError(field: "limit", problem: "must be a whole number from 1 to 500")])
                }
                limit = value
            }
            let partner = request.uri.queryParameters.get("partner")
            if let partner, registry[partner] == nil {
                throw Problem.validation([FieldError(field: "partner", problem: "\(partner) is not a partner of this region")])
            }
            return QuarantineList(items: try await PartnerStatusQueries.quarantine(limit: limit, partner: partner, on: database))
        }
    }
}

/// Every few seconds: the per-partner gauges (backlog, oldest undelivered age) from the database,
/// which all instances share; and pruning of what no longer matters (acknowledged envelopes and
/// seen ids older than the retention, far beyond any clock skew).
struct RelayHousekeeping: Service {
    let registry: PartnerRegistry
    let homeRegion: String
    let database: PostgresClient
    let metricsFactory: any MetricsFactory
    let logger: Logger
    var interval: Duration = .seconds(5)
    var retention: Duration = .seconds(30 * 24 * 3600)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await repeatUntilCancelled(idle: interval, backoff: Backoff(first: interval, ceiling: interval),
                                       logger: logger, failure: "relay housekeeping failed; retrying") {
                try await refresh()
                return false
            }
        }
    }

    func refresh() async throws {
        let standings = try await PartnerStatusQueries.standings(of: registry, homeRegion: homeRegion, on: database)
        for partner in standings.partners {
            Gauge(label: "relay_backlog", dimensions: [("partner", partner.region)], factory: metricsFactory).record(partner.backlog)
            Gauge(label: "relay_oldest_undelivered_seconds", dimensions: [("partner", partner.region)], factory: metricsFactory).record(partner.oldestUndeliveredSeconds)
        }
        let cutoff = Date().addingTimeInterval(-Double(retention.components.seconds))
        _ = try await database.query("DELETE FROM deliveries WHERE acknowledged_at < \(cutoff)")
        _ = try await database.query("DELETE FROM received_envelopes WHERE received_at < \(cutoff)")
    }
}
