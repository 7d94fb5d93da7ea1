import Postgres

/// Seal's schema. Messaging's tables are version 1.
enum SealMigrations {
    static let all = [keysLicencesAndStatusLists, revocations, references]

    static let keysLicencesAndStatusLists = PostgresMigration(version: 2, name: "seal_keys_licences_status_lists", sql: """
        -- The bureau's seal keys (一枚印章): one signs at a time; retired ones still verify what they sealed.
        -- The private half only ever rests here wrapped (AES-256-GCM) by the key encryption key.
        CREATE TABLE seal_keys (
            key_id              text        PRIMARY KEY,
            bureau              text        NOT NULL,
            public_key          bytea       NOT NULL CHECK (length(public_key) = 32),
            wrapped_private_key bytea       NOT NULL,
            origin              text        NOT NULL CHECK (origin IN ('generated', 'imported')),
            created_at          timestamptz NOT NULL DEFAULT now(),
            retired_at          timestamptz
        );
        CREATE UNIQUE INDEX seal_keys_one_signing ON seal_keys (bureau) WHERE retired_at IS NULL;

        -- Each decided case is issued once, whatever event id its decision arrives under.
        CREATE TABLE decided_cases (
            case_number text        PRIMARY KEY,
            event_id    text        NOT NULL,
            decided_at  timestamptz NOT NULL,
            issued_at   timestamptz NOT NULL
        );

        CREATE TABLE licence_sequences (
            year integer PRIMARY KEY,
            last integer NOT NULL
        );

        -- Bitstring Status Lists come in generations of two lists (revocation, suspension) that
        -- share their indexes; a licence holds one index in both.
        CREATE TABLE status_list_generations (
            generation integer     PRIMARY KEY,
            length     integer     NOT NULL,
            allocated  integer     NOT NULL DEFAULT 0,
            created_at timestamptz NOT NULL DEFAULT now()
        );

        CREATE TABLE licences (
            licence_number      text        PRIMARY KEY,
            case_number         text        NOT NULL REFERENCES decided_cases,
            task_id             text        NOT NULL,
            matter_code         text        NOT NULL,
            licence_name        text        NOT NULL,
            holder_name         text        NOT NULL,
            holder_account      text        NOT NULL,
            valid_from          timestamptz NOT NULL,
            valid_until         timestamptz,
            key_id              text        NOT NULL REFERENCES seal_keys,
            status_generation   integer     NOT NULL REFERENCES status_list_generations,
            status_index        integer     NOT NULL,
            -- The credential exactly as sealed (canonical JSON), so it is handed out unchanged.
            credential          text        NOT NULL,
            summary             jsonb       NOT NULL,
            issued_at           timestamptz NOT NULL,
            UNIQUE (case_number, task_id),
            UNIQUE (status_generation, status_index)
        );
        CREATE INDEX licences_by_case ON licences (case_number);

        -- Revocations and suspensions by task, kept even when they arrive before the licence
        -- (the two topics do not keep order between them).
        CREATE TABLE withdrawals (
            case_number     text        NOT NULL,
            task_id         text        NOT NULL,
            kind            text        NOT NULL CHECK (kind IN ('revocation', 'suspension')),
            matter_code     text        NOT NULL,
            reason          text        NOT NULL,
            legal_basis     text        NOT NULL,
            decided_by      text        NOT NULL,
            effective_at    timestamptz NOT NULL,
            suspended_until timestamptz,
            event_id        text        NOT NULL UNIQUE,
            CHECK ((kind = 'suspension') = (suspended_until IS NOT NULL))
        );
        CREATE INDEX withdrawals_by_task ON withdrawals (case_number, task_id);
        """)

    /// "Withdrawal" is the applicant's word (撤回, at intake); what approval sends seal is a
    /// revocation, for good or for a time, as its decision-revoked event says.
    static let revocations = PostgresMigration(version: 3, name: "withdrawals_named_revocations", sql: """
        ALTER TABLE withdrawals RENAME TO revocations;
        ALTER INDEX withdrawals_by_task RENAME TO revocations_by_task;
        ALTER TABLE revocations RENAME CONSTRAINT withdrawals_kind_check TO revocations_kind_check;
        ALTER TABLE revocations RENAME CONSTRAINT withdrawals_check TO revocations_check;
        ALTER TABLE revocations RENAME CONSTRAINT withdrawals_event_id_key TO revocations_event_id_key;
        """)

    /// Licences are reached from outside by an unguessable reference, not by their sequential
    /// number. Licences issued before get one here (gen_random_uuid draws on the server's strong
    /// random source), and the verification address in their summary moves to it.
    static let references = PostgresMigration(version: 4, name: "licence_references", sql: """
        ALTER TABLE licences ADD COLUMN reference text UNIQUE;
        UPDATE licences SET reference = replace(gen_random_uuid()::text, '-', '');
        UPDATE licences SET summary = jsonb_set(summary, '{verificationURL}', to_jsonb(
            regexp_replace(summary->>'verificationURL', '/licences/[^/]+/verification$', '/verifications/' || reference)));
        ALTER TABLE licences ALTER COLUMN reference SET NOT NULL;
        """)
}
