import MessageLog
import Messaging
import Postgres

/// The relay's schema, after messaging's tables (version 1).
enum RelayMigrations {
    static let all = [conversations, recordTimes, MaterialStore.migration(version: 4), materials, supplements, MessageLog.migration(version: 7)]

    static let conversations = PostgresMigration(version: 2, name: "relay_conversations", sql: """
        -- Cases this region handed over, per partner: their status and results are expected back.
        CREATE TABLE cases_handed_out (
            partner        text        NOT NULL,
            case_number    text        NOT NULL,
            matter_codes   text        NOT NULL,
            handed_over_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (partner, case_number)
        );

        -- Cases partners handed over to this region: approval and seal events about them go back.
        -- Approval knows such a case by the origin's case number, which embeds the origin region
        -- and so never collides with a number of this region's own windows.
        CREATE TABLE cases_handed_in (
            case_number   text        PRIMARY KEY,
            origin_region text        NOT NULL,
            received_at   timestamptz NOT NULL DEFAULT now()
        );
        -- Tasks approval opened for handed-in cases, so that later task events name their matter.
        CREATE TABLE handed_in_tasks (
            task_id         text PRIMARY KEY,
            case_number     text NOT NULL REFERENCES cases_handed_in,
            matter_code     text NOT NULL,
            matter_name     text NOT NULL,
            department      text NOT NULL,
            department_name text NOT NULL
        );

        -- One outbound conversation per partner and case: the sequence counter, and the lease a
        -- delivery loop holds while it transmits the case's envelopes (so that several relay
        -- instances share partners' cases without sending one case out of order).
        CREATE TABLE conversations (
            partner        text        NOT NULL,
            case_reference text        NOT NULL,
            last_sequence  integer     NOT NULL DEFAULT 0,
            lease_until    timestamptz,
            lease_holder   text,
            PRIMARY KEY (partner, case_reference)
        );

        -- Envelopes to deliver, written in the transaction of the event that caused them, and kept
        -- until the partner's receipt arrives (receipts themselves: until the partner's broker has them).
        CREATE TABLE deliveries (
            id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            partner          text        NOT NULL,
            case_reference   text        NOT NULL,
            kind             text        NOT NULL,
            sequence         integer,
            payload          bytea       NOT NULL,
            created_at       timestamptz NOT NULL DEFAULT now(),
            next_attempt_at  timestamptz NOT NULL DEFAULT now(),
            attempts         integer     NOT NULL DEFAULT 0,
            failures         integer     NOT NULL DEFAULT 0,
            transmitted_at   timestamptz,
            acknowledged_at  timestamptz,
            last_envelope_id text,
            last_error       text,
            FOREIGN KEY (partner, case_reference) REFERENCES conversations,
            UNIQUE (partner, case_reference, sequence)
        );
        CREATE INDEX deliveries_waiting ON deliveries (partner, next_attempt_at) WHERE acknowledged_at IS NULL;
        CREATE INDEX deliveries_acknowledged ON deliveries (acknowledged_at) WHERE acknowledged_at IS NOT NULL;

        -- Inbound: the last sequence applied per partner and case, so each envelope applies once, in order.
        CREATE TABLE inbound_conversations (
            sender         text    NOT NULL,
            case_reference text    NOT NULL,
            last_sequence  integer NOT NULL,
            PRIMARY KEY (sender, case_reference)
        );

        -- Every envelope id that passed the checks (applied, a retransmission, or early), with where
        -- it was read: the same id at another place is a replay.
        CREATE TABLE received_envelopes (
            envelope_id     text        PRIMARY KEY,
            sender          text        NOT NULL,
            kind            text        NOT NULL,
            case_reference  text        NOT NULL,
            sequence        integer     NOT NULL,
            outcome         text        NOT NULL,
            kafka_topic     text        NOT NULL,
            kafka_partition integer     NOT NULL,
            kafka_offset    bigint      NOT NULL,
            received_at     timestamptz NOT NULL DEFAULT now()
        );

        -- Inbox messages set aside, for the operator's view and the counts; the message itself is on
        -- the quarantine topic. Keyed by where it was read and what it was, so a redelivery adds nothing.
        CREATE TABLE quarantine (
            id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            partner         text,
            claimed_sender  text,
            reason          text        NOT NULL,
            detail          text        NOT NULL,
            envelope_id     text,
            kafka_topic     text        NOT NULL,
            kafka_partition integer     NOT NULL,
            kafka_offset    bigint      NOT NULL,
            value_sha256    text        NOT NULL,
            quarantined_at  timestamptz NOT NULL DEFAULT now(),
            UNIQUE (kafka_topic, kafka_partition, kafka_offset, value_sha256)
        );
        """)
}

extension RelayMigrations {
    /// A Kafka record is known by its place and its timestamp: a broker that lost everything (Tansu
    /// on a restart) numbers its offsets from 0 again, and a new message at an old place was taken
    /// for a redelivery of the old one and dropped unseen — quarantined bytes sent again, or a
    /// partner's retransmission. A redelivery keeps its timestamp; a new record has its own.
    static let recordTimes = PostgresMigration(version: 3, name: "relay_record_times", sql: """
        ALTER TABLE received_envelopes ADD COLUMN kafka_timestamp bigint NOT NULL DEFAULT -1;
        ALTER TABLE quarantine ADD COLUMN kafka_timestamp bigint NOT NULL DEFAULT -1;
        DO $$
        DECLARE name text;
        BEGIN
            SELECT conname INTO name FROM pg_constraint WHERE conrelid = 'quarantine'::regclass AND contype = 'u';
            EXECUTE format('ALTER TABLE quarantine DROP CONSTRAINT %I', name);
        END
        $$;
        ALTER TABLE quarantine ADD CONSTRAINT quarantine_record UNIQUE (kafka_topic, kafka_partition, kafka_offset, kafka_timestamp, value_sha256);
        """)
}

extension RelayMigrations {
    /// 跨省通办 carries the whole case: its materials travel with it (pieces in `material_chunks`),
    /// a handed-in case waits until they are whole, and a withdrawal can stop a hand-over.
    static let materials = PostgresMigration(version: 5, name: "relay_materials", sql: """
        -- The SHA-256s of the materials each partner is sent for a case (the hand-over lists them).
        ALTER TABLE cases_handed_out ADD COLUMN materials text[] NOT NULL DEFAULT '{}';
        -- A hand-over stopped by a withdrawal before it went out.
        ALTER TABLE cases_handed_out ADD COLUMN stopped_at timestamptz;
        -- Withdrawals of cases not handed over (yet): a hand-over that comes later does not go out.
        CREATE TABLE withdrawn_cases (
            case_number  text        PRIMARY KEY,
            withdrawn_at timestamptz NOT NULL DEFAULT now()
        );

        -- A handed-in case is released to approval (case-received) once every material it lists is
        -- whole and matches its digest; until then its payload waits here.
        ALTER TABLE cases_handed_in ADD COLUMN submission bytea;
        ALTER TABLE cases_handed_in ADD COLUMN released_at timestamptz;
        ALTER TABLE cases_handed_in ADD COLUMN withdrawn_at timestamptz;
        UPDATE cases_handed_in SET released_at = received_at;
        -- The materials a handed-in case lists, as the sender signed them.
        CREATE TABLE handed_in_materials (
            case_number text    NOT NULL REFERENCES cases_handed_in,
            sha256      text    NOT NULL,
            code        text    NOT NULL,
            name        text    NOT NULL,
            media_type  text    NOT NULL,
            size        bigint  NOT NULL,
            PRIMARY KEY (case_number, sha256)
        );

        -- Which case a quarantined envelope named, when it could be read: the case's standing shows it.
        ALTER TABLE quarantine ADD COLUMN case_reference text;
        CREATE INDEX quarantine_by_case ON quarantine (case_reference) WHERE case_reference IS NOT NULL;
        """)
}

extension RelayMigrations {
    /// 补正 across regions: a partner's supplement requests are known here, and the applicant's
    /// answer (materials supplied at the origin) goes to the partner that asked, or needs them.
    static let supplements = PostgresMigration(version: 6, name: "relay_supplements", sql: """
        -- The catalogue codes of the materials each partner's part of a case needs (its matters',
        -- owed ones included): materials supplied later with these codes go to it.
        ALTER TABLE cases_handed_out ADD COLUMN material_codes text[] NOT NULL DEFAULT '{}';
        -- Supplement requests (补正) a partner's officers made on a case this region handed over.
        CREATE TABLE partner_requests (
            partner        text        NOT NULL,
            case_number    text        NOT NULL,
            request_id     text        NOT NULL,
            material_codes text[]      NOT NULL,
            requested_at   timestamptz NOT NULL,
            PRIMARY KEY (partner, case_number, request_id)
        );

        -- Materials a partner supplied later for a case it handed over (materials-supplemented):
        -- released to approval, in their sequence, once the case is and their materials are whole.
        CREATE TABLE handed_in_supplements (
            case_number text        NOT NULL REFERENCES cases_handed_in,
            sequence    integer     NOT NULL,
            payload     bytea       NOT NULL,
            received_at timestamptz NOT NULL DEFAULT now(),
            released_at timestamptz,
            PRIMARY KEY (case_number, sequence)
        );
        -- Which supplement listed a material; NULL for the hand-over's own.
        ALTER TABLE handed_in_materials ADD COLUMN supplement integer;
        """)
}
