import Foundation
public import Postgres

/// Writes events into the service's outbox, inside the caller's transaction: the event exists
/// exactly when the state change that caused it was committed.
public enum Outbox {
    /// Records `envelope` for `topic`; call it on the connection of the transaction that changes state.
    public static func append(_ envelope: Envelope, to topic: Topic, on connection: PostgresConnection) async throws(PostgresError) {
        let lane = MessagingTables.lane(of: envelope.key)
        _ = try await connection.query("""
            INSERT INTO outbox (event_id, topic, event_key, lane, event_type, source, occurred_at, payload)
            VALUES (\(envelope.id), \(topic.name), \(envelope.key), \(lane), \(envelope.type), \(envelope.source), \(envelope.time), \(Data(envelope.data)))
            """)
    }

    /// How many events wait to be published.
    public static func backlog(on client: PostgresClient) async throws(PostgresError) -> Int {
        try await client.query("SELECT count(*) FROM outbox WHERE published_at IS NULL").decode(Int.self).first ?? 0
    }
}
