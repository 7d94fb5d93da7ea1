import Foundation
import Logging
import Messaging
import Postgres
import ServiceKit

/// Revocation (撤销) and suspension (暂扣) of licences, from approval's `decision-revoked`.
/// Recorded by task, so one that arrives before the licence still applies to it.
struct Withdrawal: Sendable {
    let logger: Logger

    func apply(_ envelope: Envelope, on connection: PostgresConnection) async throws {
        let revoked = try envelope.decode(DecisionRevoked.self)
        if let until = revoked.suspendedUntil, until <= revoked.revokedAt {
            throw PermanentEventFailure("the suspension of task \(revoked.taskID) ends before it starts")
        }
        let kind = revoked.suspendedUntil == nil ? "revocation" : "suspension"
        _ = try await connection.query("""
            INSERT INTO withdrawals (case_number, task_id, kind, matter_code, reason, legal_basis, decided_by,
                effective_at, suspended_until, event_id)
            VALUES (\(revoked.caseNumber), \(revoked.taskID), \(kind), \(revoked.matterCode), \(revoked.reason),
                \(revoked.legalBasis), \(revoked.revokedBy), \(revoked.revokedAt), \(revoked.suspendedUntil), \(envelope.id))
            """)
        let licence = try await connection.query("""
            SELECT licence_number FROM licences WHERE case_number = \(revoked.caseNumber) AND task_id = \(revoked.taskID)
            """).decode(String.self).first
        logger.info(kind == "revocation" ? "licence revoked" : "licence suspended", metadata: [
            "case.number": "\(revoked.caseNumber)", "seal.task_id": "\(revoked.taskID)",
            "seal.licence": "\(licence ?? "not issued (yet)")",
        ])
    }
}

/// A licence's standing in the register at one instant.
struct LicenceStanding: Sendable, Equatable {
    struct Revocation: Sendable, Equatable, Codable {
        var revokedAt: Date
        var reason: String
        var legalBasis: String
    }

    struct Suspension: Sendable, Equatable, Codable {
        var suspendedAt: Date
        var suspendedUntil: Date
        var reason: String
        var legalBasis: String
    }

    var revocation: Revocation?
    /// The suspension in force, if any.
    var suspension: Suspension?

    static let clear = LicenceStanding()

    /// What the withdrawals of one task mean at `now`: the first revocation (in force once
    /// recorded, whatever the clocks say); the suspension in force that lasts longest.
    init(withdrawals: [(kind: String, effectiveAt: Date, suspendedUntil: Date?, reason: String, legalBasis: String)] = [], at now: Date = Date()) {
        for withdrawal in withdrawals.sorted(by: { $0.effectiveAt < $1.effectiveAt }) {
            if withdrawal.kind == "revocation", revocation == nil {
                revocation = Revocation(revokedAt: withdrawal.effectiveAt, reason: withdrawal.reason, legalBasis: withdrawal.legalBasis)
            } else if let until = withdrawal.suspendedUntil, until > now, until > (suspension?.suspendedUntil ?? .distantPast) {
                suspension = Suspension(suspendedAt: withdrawal.effectiveAt, suspendedUntil: until, reason: withdrawal.reason, legalBasis: withdrawal.legalBasis)
            }
        }
    }
}
