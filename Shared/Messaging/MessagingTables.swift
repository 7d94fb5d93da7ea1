public import Postgres

/// Messaging's tables in every service's schema: the outbox (events written in the same
/// transaction as the state change), its lanes (which publisher serves which keys), and the
/// inbox (event ids already applied). Every service's migrations start with this one.
public enum MessagingTables {
    /// Keys are spread over this many lanes; a publisher takes whole lanes, so one key's events
    /// are always sent by one publisher at a time, in the order they were written.
    public static let laneCount = 16

    public static let migration = PostgresMigration(version: 1, name: "messaging_outbox_and_inbox", sql: """
        CREATE TABLE outbox (
            position     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            event_id     text        NOT NULL UNIQUE,
            topic        text        NOT NULL,
            event_key    text        NOT NULL,
            lane         smallint    NOT NULL,
            event_type   text        NOT NULL,
            source       text        NOT NULL,
            occurred_at  timestamptz NOT NULL,
            payload      bytea       NOT NULL,
            recorded_at  timestamptz NOT NULL DEFAULT now(),
            published_at timestamptz
        );
        CREATE INDEX outbox_waiting ON outbox (lane, position) WHERE published_at IS NULL;
        CREATE INDEX outbox_published ON outbox (published_at) WHERE published_at IS NOT NULL;

        CREATE TABLE outbox_lanes (lane smallint PRIMARY KEY);
        INSERT INTO outbox_lanes SELECT generate_series(0, \(laneCount - 1));

        CREATE TABLE inbox (
            event_id        text        PRIMARY KEY,
            topic           text        NOT NULL,
            kafka_partition integer     NOT NULL,
            kafka_offset    bigint      NOT NULL,
            applied_at      timestamptz NOT NULL DEFAULT now()
        );
        """)

    /// The lane of a key: FNV-1a, so that every instance and every version agrees.
    static func lane(of key: String) -> Int16 {
        var hash: UInt32 = 2_166_136_261
        for byte in key.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 16_777_619
        }
        return Int16(hash % UInt32(laneCount))
    }
}
