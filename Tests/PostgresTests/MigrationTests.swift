import Foundation
import Postgres
import Testing

@Suite("migrations")
struct MigrationTests {
    static let createCases = PostgresMigration(
        version: 1, name: "create_cases",
        sql: "CREATE TABLE cases (number text PRIMARY KEY, accepted_at timestamptz NOT NULL DEFAULT now());"
    )
    static let seedCase = PostgresMigration(version: 2, name: "seed_case", sql: "INSERT INTO cases (number) VALUES ('440300-0001');")
    static let addState = PostgresMigration(
        version: 3, name: "add_state",
        sql: """
            ALTER TABLE cases ADD COLUMN state text NOT NULL DEFAULT 'accepted';
            CREATE INDEX cases_state ON cases (state);
            """
    )

    func applied(_ client: PostgresClient, _ schema: String) async throws -> [String] {
        try await client.query("SELECT name FROM \(identifier: schema).schema_migrations ORDER BY version").decode(String.self)
    }

    @Test("pending migrations apply in order, into the schema, once; a second run applies nothing")
    func appliesInOrder() async throws {
        let client = TestDatabase.client()
        defer { client.close() }
        let schema = TestDatabase.uniqueSchemaName()
        let migrator = try PostgresMigrator(schema: schema, migrations: [Self.addState, Self.createCases, Self.seedCase])

        #expect(try await migrator.migrate(on: client).map(\.version) == [1, 2, 3])
        #expect(try await migrator.migrate(on: client).isEmpty)

        #expect(try await applied(client, schema) == ["0001_create_cases.sql", "0002_seed_case.sql", "0003_add_state.sql"])
        let states = try await client.query("SELECT number, state FROM \(identifier: schema).cases").decode((String, String).self)
        #expect(states.map(\.0) == ["440300-0001"] && states.map(\.1) == ["accepted"])
        let checksums = try await client.query("SELECT checksum FROM \(identifier: schema).schema_migrations").decode(String.self)
        #expect(checksums.allSatisfy { $0.count == 64 })
    }

    @Test("several migrators racing on one schema apply each migration exactly once", .timeLimit(.minutes(1)))
    func racingMigrators() async throws {
        let schema = TestDatabase.uniqueSchemaName()
        let migrations = [Self.createCases, Self.seedCase, Self.addState]
        let appliedCounts = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    // A client of its own, as a separate instance of the service would have.
                    let client = TestDatabase.client(maximumConnections: 1)
                    defer { client.close() }
                    return try await PostgresMigrator(schema: schema, migrations: migrations).migrate(on: client).count
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(appliedCounts.reduce(0, +) == 3)

        let client = TestDatabase.client()
        defer { client.close() }
        #expect(try await applied(client, schema) == ["0001_create_cases.sql", "0002_seed_case.sql", "0003_add_state.sql"])
        #expect(try await client.query("SELECT count(*) FROM \(identifier: schema).cases").decode(Int.self) == [1])
    }

    @Test("a changed migration that was applied stops everything, naming the file")
    func changedMigrationRefused() async throws {
        let client = TestDatabase.client()
        defer { client.close() }
        let schema = TestDatabase.uniqueSchemaName()
        try await PostgresMigrator(schema: schema, migrations: [Self.createCases]).migrate(on: client)

        var edited = Self.createCases
        edited.sql += "\nCREATE TABLE sneaky (id int);"
        let error = try await #require(throws: PostgresMigrationError.self) {
            try await PostgresMigrator(schema: schema, migrations: [edited, Self.seedCase]).migrate(on: client)
        }
        guard case .checksumMismatch(let errorSchema, let file) = error else {
            Issue.record("expected a checksum mismatch, got \(error)")
            return
        }
        #expect(errorSchema == schema && file == "0001_create_cases.sql")
        #expect("\(error)".contains("0001_create_cases.sql"))
        // Nothing after the refusal ran.
        #expect(try await applied(client, schema) == ["0001_create_cases.sql"])
    }

    @Test("a failing migration is rolled back whole and reported by file")
    func failingMigration() async throws {
        let client = TestDatabase.client()
        defer { client.close() }
        let schema = TestDatabase.uniqueSchemaName()
        let broken = PostgresMigration(version: 2, name: "broken", sql: "CREATE TABLE half (id int);\nCREATE TABLE cases (again int);")
        let error = try await #require(throws: PostgresMigrationError.self) {
            try await PostgresMigrator(schema: schema, migrations: [Self.createCases, broken]).migrate(on: client)
        }
        guard case .failed(_, let file, let cause) = error else {
            Issue.record("expected a failed migration, got \(error)")
            return
        }
        #expect(file == "0002_broken.sql")
        #expect(cause.sqlState == "42P07")
        #expect(try await applied(client, schema) == ["0001_create_cases.sql"])
        #expect(try await client.query("SELECT 1 FROM pg_tables WHERE schemaname = \(schema) AND tablename = 'half'").isEmpty)
    }

    @Test("a schema migrated by a newer version is not touched by an older one")
    func unknownAppliedMigration() async throws {
        let client = TestDatabase.client()
        defer { client.close() }
        let schema = TestDatabase.uniqueSchemaName()
        try await PostgresMigrator(schema: schema, migrations: [Self.createCases, Self.seedCase]).migrate(on: client)
        let error = try await #require(throws: PostgresMigrationError.self) {
            try await PostgresMigrator(schema: schema, migrations: [Self.createCases]).migrate(on: client)
        }
        #expect("\(error)".contains("0002_seed_case.sql"))
    }

    @Test("a folder of NNNN_name.sql files loads in version order; other files are ignored")
    func loadsDirectory() throws {
        let folder = try temporaryFolder(files: [
            "0002_seed_case.sql": Self.seedCase.sql,
            "0001_create_cases.sql": Self.createCases.sql,
            "README.md": "not a migration",
        ])
        let loaded = try PostgresMigration.load(directory: folder)
        #expect(loaded == [Self.createCases, Self.seedCase])
    }

    @Test("a misnamed or duplicate migration file is an error naming it", arguments: [
        ["01-create.sql": "SELECT 1;"],
        ["create_cases.sql": "SELECT 1;"],
        ["1_create_cases.sql": "SELECT 1;"],
        ["0001_create_cases.sql": "SELECT 1;", "0001_other.sql": "SELECT 2;"],
    ])
    func badFolder(files: [String: String]) throws {
        let folder = try temporaryFolder(files: files)
        let error = try #require(throws: PostgresMigrationError.self) { try PostgresMigration.load(directory: folder) }
        switch error {
        case .invalidFileName(let name): #expect(files.keys.contains(name))
        case .duplicateVersion(let version, let names): #expect(version == 1 && names.count == 2)
        default: Issue.record("unexpected error \(error)")
        }
    }

    func temporaryFolder(files: [String: String]) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(TestDatabase.uniqueSchemaName(), isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (name, contents) in files {
            try contents.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        return folder
    }
}
