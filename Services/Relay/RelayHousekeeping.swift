import Foundation
import Logging
import Metrics
import Plumbing
import ServiceLifecycle
import TongbanClient

/// Every few seconds: the per-partner gauges (backlog, oldest undelivered age) from the database,
/// which all instances share; and pruning of what no longer matters (acknowledged envelopes and
/// seen ids older than the retention, far beyond any clock skew).
struct RelayHousekeeping: Service {
    let workflow: RelayWorkflow
    let metricsFactory: any MetricsFactory
    let logger: Logger
    var interval: Duration = .seconds(5)
    var retention: Duration = Self.seenIDRetention
    /// How long the signed message log keeps an entry (TONGBAN_RELAY_LOG_RETENTION_DAYS).
    var logRetention: Duration = RelaySettings.defaultLogRetention
    /// How long envelope ids are remembered: a message older than this (by its broker's time)
    /// is stale, since its id may be forgotten.
    static let seenIDRetention: Duration = .seconds(30 * 24 * 3600)

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
        let standings = try await workflow.standings()
        for partner in standings.partners {
            Gauge(label: "relay_backlog", dimensions: [("partner", partner.region)], factory: metricsFactory).record(partner.backlog)
            Gauge(label: "relay_oldest_undelivered_seconds", dimensions: [("partner", partner.region)], factory: metricsFactory).record(partner.oldestUndeliveredSeconds)
        }
        let cutoff = Date().addingTimeInterval(-Double(retention.components.seconds))
        try await workflow.prune(before: cutoff, logBefore: Date().addingTimeInterval(-Double(logRetention.components.seconds)))
    }
}
