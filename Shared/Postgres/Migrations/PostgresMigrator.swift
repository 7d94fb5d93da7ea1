public import Foundation
public import Logging

/// Brings one service's schema up to date with its migrations, at start-up or from the CLI.
///
/// Each pending migration runs in a transaction of its own, with `search_path` set to the schema,
/// and is recorded in `<schema>.schema_migrations` with its SHA-256 checksum in that same
/// transaction. Every such transaction first takes an advisory lock keyed by the schema
/// (`pg_advisory_xact_lock`), then reads what is applied: instances that start together apply each
/// migration exactly once, one after the other, and the lock cannot outlive its transaction on a
/// pooled connection. An applied migration whose file has changed stops everything, by name.
///
/// Checksums are computed by the server (`sha256()`), so they need no crypto library here.
public struct PostgresMigrator: Sendable {
    public let schema: String
    public let migrations: [PostgresMigration]
    let logger: Logger

    public init(schema: String, migrations: [PostgresMigration], logger: Logger = Logger(label: "tongban.postgres.migrations")) throws(PostgresMigrationError) {
        try PostgresMigration.checkVersions(migrations)
        self.schema = schema
        self.migrations = migrations.sorted { $0.version < $1.version }
        self.logger = logger
    }

    /// The migrations in `directory` (see `PostgresMigration.load(directory:)`).
    public init(schema: String, directory: URL, logger: Logger = Logger(label: "tongban.postgres.migrations")) throws(PostgresMigrationError) {
        try self.init(schema: schema, migrations: PostgresMigration.load(directory: directory), logger: logger)
    }

    /// Applies every pending migration, in order; returns those this call applied (none when
    /// another instance got there first).
    @discardableResult
    public func migrate(on client: PostgresClient) async throws -> [PostgresMigration] {
        var checksums: [Int: String] = [:]
        for migration in migrations {
            let rows = try await client.query("SELECT encode(sha256(\(Data(migration.sql.utf8))), 'hex')")
            checksums[migration.version] = try rows.decode(String.self).first
        }
        var applied: [PostgresMigration] = []
        while let migration = try await applyNext(on: client, checksums: checksums) {
            logger.info("applied a migration", metadata: [PostgresMetadataKey.schema: "\(schema)", PostgresMetadataKey.migration: "\(migration.fileName)"])
            applied.append(migration)
        }
        return applied
    }

    /// In one transaction: locks, checks what is applied, and applies the first pending migration.
    private func applyNext(on client: PostgresClient, checksums: [Int: String]) async throws -> PostgresMigration? {
        try await client.withTransaction { connection -> PostgresMigration? in
            let table = "\(PostgresQuery.quoteIdentifier(schema)).schema_migrations"
            // Waiting for another instance's migration, or running a long one, is not a stuck statement.
            _ = try await connection.query("SELECT set_config('statement_timeout', '0', true)")
            _ = try await connection.query("SELECT pg_advisory_xact_lock(hashtext('tongban.migrations'), hashtext(\(schema)))")
            if try await connection.query("SELECT 1 FROM pg_namespace WHERE nspname = \(schema)").isEmpty {
                _ = try await connection.query("CREATE SCHEMA \(identifier: schema)")
            }
            _ = try await connection.query("""
                CREATE TABLE IF NOT EXISTS \(unescaped: table) (
                    version integer PRIMARY KEY,
                    name text NOT NULL,
                    checksum text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now()
                )
                """)
            let appliedRows = try await connection.query("SELECT version, name, checksum FROM \(unescaped: table)")
            var appliedVersions: Set<Int> = []
            for (version, name, checksum) in try appliedRows.decode((Int, String, String).self) {
                guard let known = migrations.first(where: { $0.version == version }) else {
                    throw PostgresMigrationError.unknownAppliedMigration(schema: schema, file: name)
                }
                guard checksums[version] == checksum else {
                    throw PostgresMigrationError.checksumMismatch(schema: schema, file: known.fileName)
                }
                appliedVersions.insert(version)
            }
            guard let pending = migrations.first(where: { !appliedVersions.contains($0.version) }) else { return nil }

            _ = try await connection.query("SELECT set_config('search_path', \(PostgresQuery.quoteIdentifier(schema)), true)")
            do throws(PostgresError) {
                try await connection.runScript(unsafeSQL: pending.sql)
            } catch {
                throw PostgresMigrationError.failed(schema: schema, file: pending.fileName, error)
            }
            _ = try await connection.query("""
                INSERT INTO \(unescaped: table) (version, name, checksum)
                VALUES (\(pending.version), \(pending.fileName), \(checksums[pending.version]))
                """)
            return pending
        }
    }
}
