/// One service's schema and the login role of the same name that owns it, e.g. `intake`.
///
/// `setUp` gives each role its own schema and nothing else: the role owns its schema (so it can
/// create and use its tables), has its `search_path` set to it, may CONNECT to the database, and
/// has no privileges on any other schema; nobody but the owner may use a service's schema, and
/// nobody may create objects in `public`. Running it again changes nothing but the passwords,
/// which are set again from what it is given.
public struct PostgresServiceSchema: Sendable, CustomStringConvertible {
    /// The schema's name, and its owner role's.
    public var name: String
    /// The role's password. It never leaves this process: the server receives only a salted
    /// SCRAM-SHA-256 verifier computed by libpq.
    public var password: String

    public init(name: String, password: String) {
        self.name = name
        self.password = password
    }

    public var description: String { "PostgresServiceSchema(name: \(name), password: (not shown))" }

    /// Creates or updates every role and schema, in one transaction, through `client` (a role
    /// that may create roles, e.g. the cluster's superuser). Serialised by an advisory lock, so
    /// several set-ups at once (tests, instances) cannot trip over each other.
    public static func setUp(_ schemas: [PostgresServiceSchema], on client: PostgresClient) async throws {
        try await client.withTransaction { connection in
            _ = try await connection.query("SELECT pg_advisory_xact_lock(hashtext('tongban.database-setup'))")
            let database = try await connection.query("SELECT current_database()").decode(String.self)[0]
            // PUBLIC may neither create objects in `public` nor connect or make temporary tables
            // unless granted: each role gets CONNECT by name below.
            _ = try await connection.query("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
            _ = try await connection.query("REVOKE ALL ON DATABASE \(identifier: database) FROM PUBLIC")
            for schema in schemas {
                try await setUp(schema, database: database, on: connection)
            }
        }
    }

    private static func setUp(_ schema: PostgresServiceSchema, database: String, on connection: PostgresConnection) async throws {
        let role = schema.name
        let verifier = try await connection.connection.scramVerifier(password: schema.password, role: role)
        // Utility statements take no parameters, so the verifier goes into the SQL text. libpq
        // promises it needs no escaping; checked anyway, and kept out of any error's `query`.
        precondition(verifier.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "$:+/=-".contains($0)) })
        let exists = try await !connection.query("SELECT 1 FROM pg_roles WHERE rolname = \(role)").isEmpty
        let attributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD '\(verifier)'"
        do throws(PostgresError) {
            _ = try await connection.query("\(unescaped: exists ? "ALTER" : "CREATE") ROLE \(identifier: role) WITH \(unescaped: attributes)")
        } catch {
            var redacted = error
            redacted.query = nil
            throw redacted
        }
        _ = try await connection.query("ALTER ROLE \(identifier: role) SET search_path TO \(identifier: role)")
        _ = try await connection.query("GRANT CONNECT ON DATABASE \(identifier: database) TO \(identifier: role)")

        if try await connection.query("SELECT 1 FROM pg_namespace WHERE nspname = \(role)").isEmpty {
            _ = try await connection.query("CREATE SCHEMA \(identifier: role) AUTHORIZATION \(identifier: role)")
        } else {
            _ = try await connection.query("ALTER SCHEMA \(identifier: role) OWNER TO \(identifier: role)")
        }
        _ = try await connection.query("REVOKE ALL ON SCHEMA \(identifier: role) FROM PUBLIC")
    }
}
