import Foundation
import TongbanClient

/// A licence's standing in the register at one instant, from the revocations of its task:
/// approval's `decision-revoked`, for good (撤销) or for a time (暂扣).
struct LicenceStanding: Sendable, Equatable {
    /// How a decision was revoked.
    enum Kind: String, Sendable {
        case revocation
        case suspension
    }

    /// One revocation as the register keeps it.
    struct Entry: Sendable, Equatable {
        var kind: Kind
        var effectiveAt: Date
        var suspendedUntil: Date?
        var reason: String
        var legalBasis: String

        /// A row of seal's `revocations` (its table's check allows only the two kinds).
        init(row: (String, Date, Date?, String, String)) {
            self.init(kind: Kind(rawValue: row.0) ?? .revocation, effectiveAt: row.1, suspendedUntil: row.2, reason: row.3, legalBasis: row.4)
        }

        init(kind: Kind, effectiveAt: Date, suspendedUntil: Date? = nil, reason: String, legalBasis: String) {
            self.kind = kind
            self.effectiveAt = effectiveAt
            self.suspendedUntil = suspendedUntil
            self.reason = reason
            self.legalBasis = legalBasis
        }
    }

    // What verifications answer with, so Shared/Client's.
    typealias Revocation = LicenceVerification.Revocation
    typealias Suspension = LicenceVerification.Suspension

    var revocation: Revocation?
    /// The suspension in force, if any.
    var suspension: Suspension?

    static let clear = LicenceStanding()

    /// What the revocations of one task mean at `now`: the first for good (in force once
    /// recorded, whatever the clocks say); the suspension in force that lasts longest.
    init(revocations: [Entry] = [], at now: Date = Date()) {
        for entry in revocations.sorted(by: { $0.effectiveAt < $1.effectiveAt }) {
            if entry.kind == .revocation, revocation == nil {
                revocation = Revocation(revokedAt: entry.effectiveAt, reason: entry.reason, legalBasis: entry.legalBasis)
            } else if let until = entry.suspendedUntil, until > now, until > (suspension?.suspendedUntil ?? .distantPast) {
                suspension = Suspension(suspendedAt: entry.effectiveAt, suspendedUntil: until, reason: entry.reason, legalBasis: entry.legalBasis)
            }
        }
    }
}
