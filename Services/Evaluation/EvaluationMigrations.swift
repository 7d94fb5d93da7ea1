import Postgres

/// Evaluation's schema: its own projection of cases and task clocks (built from events only), the
/// alerts raised, ratings and rectifications. Messaging's tables are version 1.
enum EvaluationMigrations {
    static let all = [projection, partnerParts, applicantIdentity]

    static let projection = PostgresMigration(version: 2, name: "supervision projection, alerts, ratings, rectifications", sql: """
        -- A case as the events told it. Events of different topics arrive in any order, so every
        -- column but the number may still be unknown.
        CREATE TABLE cases (
            case_number text PRIMARY KEY,
            region text,
            applicant_account text,
            applicant_name text,
            bundle_name text,
            accepted_at timestamptz,
            completed_at timestamptz,
            approval_on_time boolean,
            licences_issued_at timestamptz,
            withdrawn_at timestamptz
        );

        -- One department's task on one matter of a case, and its clock as supervision reads it.
        -- light is the worst light the clock has shown (lights only get worse as time passes).
        CREATE TABLE tasks (
            task_id text PRIMARY KEY,
            case_number text NOT NULL,
            region text,
            matter_code text NOT NULL,
            matter_name text NOT NULL,
            department text NOT NULL,
            department_name text NOT NULL,
            mode text NOT NULL,
            accepted_at timestamptz,
            legal_limit_days integer NOT NULL,
            promised_limit_days integer NOT NULL,
            decided_at timestamptz,
            outcome text,
            decided_on_time boolean,
            approval_on_time boolean,
            revoked_at timestamptz,
            withdrawn_at timestamptz,
            light text NOT NULL DEFAULT 'green',
            past_legal_limit boolean NOT NULL DEFAULT false,
            suspended boolean NOT NULL DEFAULT false,
            remaining_promised_days double precision,
            promised_deadline timestamptz,
            legal_deadline timestamptz,
            next_check_at timestamptz,
            checked_at timestamptz
        );
        CREATE INDEX tasks_by_case ON tasks (case_number);
        CREATE INDEX tasks_due_for_check ON tasks (next_check_at) WHERE next_check_at IS NOT NULL;
        CREATE INDEX tasks_by_decision ON tasks (decided_at);

        -- 补正: the task's clock stands still from the request until the task resumes.
        CREATE TABLE suspensions (
            task_id text NOT NULL,
            request_id text NOT NULL,
            started_at timestamptz,
            ended_at timestamptz,
            PRIMARY KEY (task_id, request_id)
        );

        -- Each light change of each task or rectification, raised once: the unique key holds
        -- across instances and restarts, and the row is written with its outbox event.
        CREATE TABLE alerts (
            alert_id text PRIMARY KEY,
            subject text NOT NULL,
            subject_id text NOT NULL,
            light text NOT NULL,
            case_number text NOT NULL,
            department text NOT NULL,
            raised_at timestamptz NOT NULL,
            alert jsonb NOT NULL,
            UNIQUE (subject, subject_id, light)
        );
        CREATE INDEX alerts_by_case ON alerts (case_number);

        -- 好差评: one rating per case, by its applicant.
        CREATE TABLE ratings (
            case_number text PRIMARY KEY,
            applicant_account text NOT NULL,
            level text NOT NULL,
            tags jsonb NOT NULL,
            comment text,
            channel text NOT NULL,
            rated_at timestamptz NOT NULL
        );

        -- 整改: a bad rating's rectification by one responsible department.
        CREATE TABLE rectifications (
            rectification_id text PRIMARY KEY,
            case_number text NOT NULL,
            department text NOT NULL,
            department_name text NOT NULL,
            rating_level text NOT NULL,
            opened_at timestamptz NOT NULL,
            limit_days integer NOT NULL,
            due_at timestamptz NOT NULL,
            action text,
            acted_by text,
            acted_at timestamptz,
            callback text,
            applicant_satisfied boolean,
            callback_by text,
            closed_at timestamptz,
            overdue boolean NOT NULL DEFAULT false,
            UNIQUE (case_number, department)
        );
        """)

    /// 多地联办 and 异地代收代办: a case this region handed over, whole or in part, is completed only
    /// when every region's part is decided; `completed_at` becomes the last of those decisions.
    static let partnerParts = PostgresMigration(version: 3, name: "partner regions' parts of a case", sql: """
        CREATE TABLE partner_parts (
            case_number text NOT NULL,
            region text NOT NULL,
            decided_at timestamptz,
            PRIMARY KEY (case_number, region)
        );
        -- Whether this region has matters of its own in the case (unknown until case-submitted),
        -- and when approval decided them.
        ALTER TABLE cases ADD COLUMN home_matters boolean, ADD COLUMN home_decided_at timestamptz;
        UPDATE cases SET home_decided_at = completed_at;
        """)

    /// Applicants reach their case's rating by their verified identity, not by the account a clerk
    /// named: the projection keeps the identity's SHA-256, not the number. Cases recorded before
    /// this have none, and only supervisors reach them.
    static let applicantIdentity = PostgresMigration(version: 4, name: "the applicant's identity digest", sql: """
        ALTER TABLE cases ADD COLUMN applicant_identity_digest text;
        """)
}
