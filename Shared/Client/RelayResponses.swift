public import Foundation

/// 跨省通办: the operator's view of every partner region the relay exchanges cases with
/// (`GET /relay/partners`).
public struct PartnerStandings: Decodable, Sendable {
    /// One partner region and what waits for it.
    public struct Partner: Decodable, Sendable {
        /// The partner's division code (GB/T 2260).
        public var region: String
        public var name: String
        /// Envelopes for the partner not yet acknowledged by its receipt.
        public var backlog: Int
        /// How long the oldest of them has waited; 0 without a backlog.
        public var oldestUndeliveredSeconds: Double
        public var lastTransmittedAt: Date?
        public var lastAcknowledgedAt: Date?
        /// Why the latest failed transmission failed, while envelopes wait.
        public var lastError: String?
        /// Inbox messages claiming to come from this partner that were quarantined.
        public var quarantined: Int
    }

    /// This region's division code.
    public var region: String
    public var partners: [Partner]
    /// Quarantined messages that named no partner, or could not be read.
    public var quarantinedFromUnknownSenders: Int
}
