import Postgres

/// Intake's schema. Messaging's tables are version 1.
enum IntakeMigrations {
    static let all = [cases, partnerParts, partnerRequests, applicantIdentity]

    static let cases = PostgresMigration(version: 2, name: "cases, materials, timeline, idempotency keys", sql: """
        CREATE TABLE case_sequences (
            region text NOT NULL,
            day text NOT NULL,
            last_sequence integer NOT NULL,
            PRIMARY KEY (region, day)
        );

        -- One row per case; `submission` is the case-submitted payload as published, so the
        -- case's matters, materials and commitments are exactly what the departments received.
        CREATE TABLE cases (
            number text PRIMARY KEY,
            region text NOT NULL,
            applicant_account text NOT NULL,
            registered_by text NOT NULL,
            registered_by_role text NOT NULL,
            status text NOT NULL,
            accepted_at timestamptz NOT NULL,
            site jsonb,
            submission jsonb NOT NULL,
            withdrawn_at timestamptz,
            withdrawal_reason text,
            decided_at timestamptz,
            licences_issued_at timestamptz,
            licences jsonb NOT NULL DEFAULT '[]',
            refused jsonb NOT NULL DEFAULT '[]'
        );
        CREATE INDEX cases_by_applicant ON cases (applicant_account, number DESC);
        CREATE INDEX cases_by_region ON cases (region, number DESC);

        CREATE TABLE materials (
            id uuid PRIMARY KEY,
            case_number text NOT NULL REFERENCES cases (number),
            code text NOT NULL,
            name text NOT NULL,
            media_type text NOT NULL,
            file_name text,
            sha256 text NOT NULL,
            size integer NOT NULL,
            content bytea NOT NULL,
            received_at timestamptz NOT NULL
        );
        CREATE INDEX materials_by_case ON materials (case_number);

        -- 容缺受理: what the applicant still owes, and by which working day.
        CREATE TABLE deficiencies (
            case_number text NOT NULL REFERENCES cases (number),
            matter_code text NOT NULL,
            material_code text NOT NULL,
            name text NOT NULL,
            due_by date NOT NULL,
            supplied_at timestamptz,
            PRIMARY KEY (case_number, matter_code, material_code)
        );

        -- Approval's tasks, as its events describe them; officers of these departments may read
        -- the case and its materials.
        CREATE TABLE tasks (
            task_id text PRIMARY KEY,
            case_number text NOT NULL REFERENCES cases (number),
            matter_code text NOT NULL,
            department text NOT NULL,
            department_name text NOT NULL,
            region text NOT NULL,
            status text NOT NULL,
            deadlines jsonb,
            decision jsonb
        );
        CREATE INDEX tasks_by_case ON tasks (case_number);

        -- 补正: what a department asked for; answered when every item was supplied.
        CREATE TABLE supplement_requests (
            request_id text PRIMARY KEY,
            case_number text NOT NULL REFERENCES cases (number),
            task_id text NOT NULL,
            matter_code text NOT NULL,
            department text NOT NULL,
            items jsonb NOT NULL,
            reason text NOT NULL,
            requested_at timestamptz NOT NULL,
            answered_at timestamptz
        );
        CREATE INDEX supplement_requests_by_case ON supplement_requests (case_number);

        CREATE TABLE timeline (
            id bigserial PRIMARY KEY,
            case_number text NOT NULL REFERENCES cases (number),
            at timestamptz NOT NULL,
            kind text NOT NULL,
            summary text NOT NULL,
            status text NOT NULL
        );
        CREATE INDEX timeline_by_case ON timeline (case_number, id);

        -- The first response to each caller's Idempotency-Key, byte for byte.
        CREATE TABLE idempotency_keys (
            caller text NOT NULL,
            key text NOT NULL,
            request_sha256 text NOT NULL,
            status integer NOT NULL,
            location text,
            body bytea NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (caller, key)
        );
        """)

    /// The parts of a case that partner regions handle (异地代收代办, 多地联办): the case is decided and
    /// completed only when the home part and every partner's part are.
    static let partnerParts = PostgresMigration(version: 3, name: "partner regions' parts of a case", sql: """
        CREATE TABLE partner_parts (
            case_number text NOT NULL REFERENCES cases (number),
            region text NOT NULL,
            decided_at timestamptz,
            completed_at timestamptz,
            PRIMARY KEY (case_number, region)
        );
        INSERT INTO partner_parts (case_number, region)
            SELECT DISTINCT c.number, m->>'region' FROM cases c, jsonb_array_elements(c.submission->'matters') m
            WHERE m->>'region' <> c.region;
        """)

    /// 补正 across regions: a partner region's officers ask, through the relay, for materials of
    /// a case this window handed over; the applicant answers here, and the answer travels back.
    static let partnerRequests = PostgresMigration(version: 4, name: "partner regions' supplement requests", sql: """
        ALTER TABLE supplement_requests ADD COLUMN partner_region text;
        """)

    /// Applicants reach their cases by their verified identity, not by the account a clerk named:
    /// the case keeps its applicant's identifier beside the account, indexed for the applicant's list.
    static let applicantIdentity = PostgresMigration(version: 5, name: "cases by the applicant's identity", sql: """
        ALTER TABLE cases ADD COLUMN applicant_identifier text;
        UPDATE cases SET applicant_identifier = submission->'applicant'->>'identifier';
        ALTER TABLE cases ALTER COLUMN applicant_identifier SET NOT NULL;
        CREATE INDEX cases_by_applicant_identifier ON cases (applicant_identifier, number DESC);
        """)
}
