public import Foundation
public import Postgres

/// After a broker lost its log: marks a service's outbox events as unpublished again, from a time
/// or from an event id, so the publishers send them once more (consumers' inboxes drop whatever
/// they had already applied).
public enum OutboxReplay {
    public enum Start: Sendable {
        case time(Date)
        case eventID(String)
        case beginning
    }

    /// Returns how many events will be published again; throws when the event id is unknown.
    public static func markForReplay(from start: Start, on client: PostgresClient) async throws -> Int {
        let rows: PostgresRows
        switch start {
        case .beginning:
            rows = try await client.query("UPDATE outbox SET published_at = NULL WHERE published_at IS NOT NULL")
        case .time(let time):
            rows = try await client.query("UPDATE outbox SET published_at = NULL WHERE published_at IS NOT NULL AND occurred_at >= \(time)")
        case .eventID(let id):
            guard let position = try await client.query("SELECT position FROM outbox WHERE event_id = \(id)").decode(Int64.self).first else {
                throw ReplayError.unknownEvent(id)
            }
            rows = try await client.query("UPDATE outbox SET published_at = NULL WHERE published_at IS NOT NULL AND position >= \(position)")
        }
        return rows.affectedRowCount
    }
}

public enum ReplayError: Error, CustomStringConvertible {
    case unknownEvent(String)

    public var description: String {
        switch self {
        case .unknownEvent(let id): "no event \(id) in the outbox (it may be older than the retention)"
        }
    }
}
