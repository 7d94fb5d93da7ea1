import Messaging
import Postgres

/// Approval's schema. Messaging's outbox and inbox are version 1; the materials of cases partner
/// regions handed over (MaterialStore) are version 3.
enum ApprovalMigrations {
    static let all = [cases, MaterialStore.migration(version: 3)]

    static let cases = PostgresMigration(version: 2, name: "create_cases_and_tasks", sql: """
        -- A case as intake (or the relay) submitted it; the payload is kept whole for the officers'
        -- view (applicant, materials, what is owed) and for bundle-decided.
        CREATE TABLE cases (
            case_number   text PRIMARY KEY,
            accepted_at   timestamptz NOT NULL,
            submission    jsonb NOT NULL,
            state         text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'decided', 'withdrawn')),
            decided_at    timestamptz,
            withdrawn_at  timestamptz,
            created_at    timestamptz NOT NULL DEFAULT now()
        );

        -- One per department and matter of a case (并联审批).
        CREATE TABLE tasks (
            id                        uuid PRIMARY KEY,
            case_number               text NOT NULL REFERENCES cases,
            position                  integer NOT NULL,
            matter_code               text NOT NULL,
            department                text NOT NULL,
            matter                    jsonb NOT NULL,
            state                     text NOT NULL CHECK (state IN ('open', 'suspended', 'verifying', 'decided', 'revoked', 'withdrawn')),
            claimed_by                text,
            claimed_at                timestamptz,
            -- The deadlines as of the task's last change; a suspension only moves them later, so
            -- they bound the true ones from below for filtering.
            legal_deadline            timestamptz NOT NULL,
            promised_deadline         timestamptz NOT NULL,
            outcome                   text CHECK (outcome IN ('approved', 'rejected')),
            legal_basis               text,
            decision_note             text,
            decided_by                text,
            decided_at                timestamptz,
            on_time                   boolean,
            verification_limit_days   integer,
            verification_deadline     timestamptz,
            verification_passed       boolean,
            verification_findings     text,
            verification_legal_basis  text,
            verified_by               text,
            verified_at               timestamptz,
            UNIQUE (case_number, department, matter_code),
            CHECK (state NOT IN ('decided', 'verifying', 'revoked') OR (outcome IS NOT NULL AND decided_at IS NOT NULL)),
            CHECK (outcome <> 'rejected' OR legal_basis IS NOT NULL)
        );
        CREATE INDEX tasks_by_department ON tasks (department, state, promised_deadline);

        -- 补正: the clock stands still from requested_at until ended_at.
        CREATE TABLE supplement_requests (
            id            uuid PRIMARY KEY,
            task_id       uuid NOT NULL REFERENCES tasks,
            items         jsonb NOT NULL,
            reason        text NOT NULL,
            requested_by  text NOT NULL,
            requested_at  timestamptz NOT NULL,
            ended_at      timestamptz,
            ending        text CHECK (ending IN ('supplied', 'closed')),
            CHECK ((ended_at IS NULL) = (ending IS NULL))
        );
        CREATE INDEX supplement_requests_by_task ON supplement_requests (task_id, requested_at);
        CREATE UNIQUE INDEX one_waiting_request_per_task ON supplement_requests (task_id) WHERE ended_at IS NULL;

        -- Steps before the decision (联合踏勘 …), in the catalogue's order.
        CREATE TABLE task_steps (
            task_id      uuid NOT NULL REFERENCES tasks,
            position     integer NOT NULL,
            step         text NOT NULL,
            result       text NOT NULL CHECK (result IN ('passed', 'failed')),
            findings     text NOT NULL,
            recorded_by  text NOT NULL,
            recorded_at  timestamptz NOT NULL,
            PRIMARY KEY (task_id, position)
        );
        """)
}
