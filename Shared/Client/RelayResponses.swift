public import Foundation

// The relay's answers, written once: the relay renders these types and every client reads them.

/// 跨省通办: the operator's view of every partner region the relay exchanges cases with
/// (`GET /relay/partners`).
public struct PartnerStandings: Codable, Sendable, Equatable {
    /// One partner region and what waits for it.
    public struct Partner: Codable, Sendable, Equatable {
        /// Where the relay delivers to the partner (never its credentials).
        public struct Inbox: Codable, Sendable, Equatable {
            public var bootstrapServers: String
            public var topic: String

            public init(bootstrapServers: String, topic: String) {
                self.bootstrapServers = bootstrapServers
                self.topic = topic
            }
        }

        /// The partner's division code (GB/T 2260).
        public var region: String
        public var name: String
        /// The partner's signing key ids this relay accepts.
        public var keyIDs: [String]
        public var inbox: Inbox
        /// Envelopes for the partner not yet acknowledged by its receipt.
        public var backlog: Int
        /// How long the oldest of them has waited, in seconds; 0 without a backlog.
        public var oldestUndeliveredSeconds: Double
        public var lastTransmittedAt: Date?
        public var lastAcknowledgedAt: Date?
        /// Why the latest failed transmission failed, while envelopes wait.
        public var lastError: String?
        /// Inbox messages claiming to come from this partner that were quarantined.
        public var quarantined: Int

        public init(region: String, name: String, keyIDs: [String], inbox: Inbox, backlog: Int, oldestUndeliveredSeconds: Double,
                    lastTransmittedAt: Date?, lastAcknowledgedAt: Date?, lastError: String?, quarantined: Int) {
            self.region = region
            self.name = name
            self.keyIDs = keyIDs
            self.inbox = inbox
            self.backlog = backlog
            self.oldestUndeliveredSeconds = oldestUndeliveredSeconds
            self.lastTransmittedAt = lastTransmittedAt
            self.lastAcknowledgedAt = lastAcknowledgedAt
            self.lastError = lastError
            self.quarantined = quarantined
        }
    }

    /// This region's division code.
    public var region: String
    public var partners: [Partner]
    /// Quarantined messages that named no partner, or could not be read.
    public var quarantinedFromUnknownSenders: Int

    public init(region: String, partners: [Partner], quarantinedFromUnknownSenders: Int) {
        self.region = region
        self.partners = partners
        self.quarantinedFromUnknownSenders = quarantinedFromUnknownSenders
    }
}

/// The latest quarantined inbox messages, newest first (`GET /relay/quarantine`).
public struct QuarantineList: Codable, Sendable, Equatable {
    /// One quarantined message, for the operator.
    public struct Item: Codable, Sendable, Equatable {
        public var id: Int64
        public var quarantinedAt: Date
        /// Why, as a code (`forged`, `stale`, …).
        public var reason: String
        /// Why, in words a person can act on.
        public var detail: String
        /// The known partner the message claimed to come from; nil when it named none.
        public var partner: String?
        public var envelopeID: String?
        public var partition: Int
        public var offset: Int64

        public init(id: Int64, quarantinedAt: Date, reason: String, detail: String, partner: String?, envelopeID: String?, partition: Int, offset: Int64) {
            self.id = id
            self.quarantinedAt = quarantinedAt
            self.reason = reason
            self.detail = detail
            self.partner = partner
            self.envelopeID = envelopeID
            self.partition = partition
            self.offset = offset
        }
    }

    public var items: [Item]

    public init(items: [Item]) {
        self.items = items
    }
}

/// 跨省通办: where one case's exchange with partner regions stands (`GET /relay/cases/{number}`),
/// for the operator: a handed-in case waiting for its materials says so here, with what came and
/// what was set aside.
public struct RelayCaseStanding: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable, CaseIterable {
        /// Handed in: some material is not whole yet; approval has not been given the case.
        case waitingForMaterials = "waiting-for-materials"
        /// Handed in and given to approval with every material.
        case released
        /// Handed in, then withdrawn by the origin.
        case withdrawn
        /// Handed out to the partner.
        case handedOver = "handed-over"
        /// Handed out, then stopped by a withdrawal before anything went.
        case stopped
    }

    /// One material the exchange lists, and how much of it is here.
    public struct Material: Codable, Sendable, Equatable {
        public var code: String
        public var sha256: String
        public var size: Int
        /// Pieces held of `pieces` (0 before the first comes; both 0 for one handed out and not yet whole here).
        public var piecesHeld: Int
        public var pieces: Int
        public var whole: Bool

        public init(code: String, sha256: String, size: Int, piecesHeld: Int, pieces: Int, whole: Bool) {
            self.code = code
            self.sha256 = sha256
            self.size = size
            self.piecesHeld = piecesHeld
            self.pieces = pieces
            self.whole = whole
        }
    }

    /// One partner's side of the case.
    public struct Exchange: Codable, Sendable, Equatable {
        public var partner: String
        public var direction: Direction
        public var state: State
        public var materials: [Material]
        /// Envelopes of the case for the partner not yet acknowledged by its receipt.
        public var undelivered: Int

        public init(partner: String, direction: Direction, state: State, materials: [Material], undelivered: Int) {
            self.partner = partner
            self.direction = direction
            self.state = state
            self.materials = materials
            self.undelivered = undelivered
        }
    }

    public enum Direction: String, Codable, Sendable, CaseIterable {
        case handedIn = "handed-in"
        case handedOut = "handed-out"
    }

    public var caseNumber: String
    public var exchanges: [Exchange]
    /// The case's envelopes that were set aside, latest first.
    public var quarantined: [QuarantineList.Item]

    public init(caseNumber: String, exchanges: [Exchange], quarantined: [QuarantineList.Item]) {
        self.caseNumber = caseNumber
        self.exchanges = exchanges
        self.quarantined = quarantined
    }
}
